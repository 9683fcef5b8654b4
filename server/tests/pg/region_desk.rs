//! The Region's desk on PostgreSQL: the same answers as SQLite on the same
//! rows (anomalies, the audited look-up, the audit's and the feed's pages,
//! the ledger check); an anomaly handled once, also when two instances mark
//! it at once; a look-up whose audit fails shows nothing.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::{DateTime, TimeZone, Utc};
use passregion_core::api::region::{Anomaly, AnomalyKind};
use passregion_server::config::{Policy, load_catalogues};
use passregion_server::error::ServiceError;
use passregion_server::platform::db::Db;
use passregion_server::platform::sql::sha256_hex;
use passregion_server::platform::store::{PgStore, SqliteStore};
use passregion_server::region::error::RegionError;
use passregion_server::region::lookup::LookupKey;
use passregion_server::region::repo::RegionRepo;
use passregion_server::web::limits::SpentKey;
use serde_json::Value;

use crate::region::{MOVES, STATS_SEED, instance, move_sql};
use crate::support::TestDb;
use crate::test_db;

/// The desk's rows on top of `STATS_SEED` and `MOVES`: ledger rows (one
/// with wrong running totals), two number locks, a night debit, a Region
/// agent, a reimbursement batch whose total is wrong.
const DESK_SEED: &str = "
    INSERT INTO accounts (id, email, password_hash, role, display_name, region_role,
                          email_verified_at, created_at)
    VALUES ('r1', 'agent@region.example', 'h', 'region', 'Agent', 'instruction',
            '2026-09-01T00:00:00.000000Z', '2026-09-01T00:00:00.000000Z');
    INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
                        loaded_total, debited_total, refunded_total, created_at)
    VALUES ('c1', 2026, 'lecture_loisir', 'credit', 'load', 3000, NULL, 3000, 0, 0,
            '2026-09-02T00:00:00.000000Z'),
           ('c1', 2026, 'lecture_loisir', 'credit', 'debit', 500, 't1', 3000, 500, 0,
            '2026-10-02T10:00:00.000000Z'),
           ('c3', 2026, 'cinema', 'credit', 'load', 2000, NULL, 2000, 0, 0,
            '2026-09-02T00:00:00.000000Z'),
           ('c3', 2026, 'cinema', 'credit', 'debit', 650, 't5', 2000, 700, 0,
            '2026-11-01T21:00:00.000000Z');
    INSERT INTO number_lockouts (number_hash, card_id, locked_at, locked_until, lockout)
    VALUES ('h1', 'c2', '2026-11-01T10:00:00.000000Z', '2026-11-01T10:15:00.000000Z', 1),
           ('h2', NULL, '2026-11-02T08:00:00.000000Z', '2026-11-03T08:00:00.000000Z', 2);
    INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
      unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
    VALUES ('n1', 'debit', 'c3', 'p2', 'a3', 2026, 'cinema', 'credit', 800, 800, 0, 800, 'qr',
            '2026-11-02T23:30:00.000000Z');
    INSERT INTO reimbursement_batches (id, partner_id, period_end, total_cents, carried_in_cents,
      payable_cents, carried_out_cents, status, created_at)
    VALUES ('rb1', 'p1', '2026-10-16T00:00:00.000000Z', 800, 0, 800, 0, 'en_cours',
            '2026-10-16T00:00:00.000000Z');
    INSERT INTO reimbursement_items (transaction_id, batch_id) VALUES ('t1', 'rb1');
    INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id, created_at,
                          partner_role)
    VALUES ('pa2', 'caisse@example.org', 'h', 'partner', 'Caisse', 'p2',
            '2026-09-01T00:00:00.000000Z', 'manager');
    INSERT INTO partner_devices (id, partner_id, account_id, public_key, label, created_at)
    VALUES ('d1', 'p2', 'pa2', 'pk', 'Caisse 1', '2026-09-01T00:00:00.000000Z');
    INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents, per_tx_max_cents,
                                 max_count, issued_at, expires_at)
    VALUES ('cr1', 'c3', 'pk', 5000, 2000, 10, '2026-09-02T00:00:00.000000Z',
            '2026-12-01T00:00:00.000000Z');
    INSERT INTO offline_debits (id, device_id, seq, prev_hash, hash, body_hash, credential_id,
                                counter, debited_cents, status, result, transaction_id, received_at)
    VALUES ('od1', 'd1', 1, '0', 'x1', 'b1', 'cr1', 1, 900, 'rejected',
            '{\"message\": \"Signature invalide\"}', NULL, '2026-10-04T00:00:00.000000Z'),
           ('od2', 'd1', 2, 'x1', 'x2', 'b2', 'cr1', 2, 1200, 'applied', '{}', 't7',
            '2026-10-05T00:00:00.000000Z');
    INSERT INTO known_devices (token_hash, account_id, created_at, last_used_at)
    VALUES ('dev-hash', 'pa2', '2026-09-01T00:00:00.000000Z', '2026-09-01T00:00:00.000000Z');
";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).unwrap()
}

/// The same rows on a PostgreSQL and a SQLite store.
fn both(db: &TestDb) -> (PgStore, SqliteStore, tempfile::TempDir) {
    let pg = instance(db);
    let dir = tempfile::tempdir().unwrap();
    let sqlite_db = Arc::new(Db::open(&dir.path().join("passregion.db")).unwrap());
    let sqlite = SqliteStore::new(
        sqlite_db.clone(),
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    );
    let mut all = STATS_SEED.to_owned();
    for m in &MOVES {
        all.push_str(&move_sql(m));
    }
    all.push_str(DESK_SEED);
    db.client().batch_execute(&all).unwrap();
    sqlite_db
        .write(move |c| Ok(c.execute_batch(&all)?))
        .unwrap();
    (pg, sqlite, dir)
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn already_handled(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Region(RegionError::AlreadyHandled))
}

/// Budgets spent now (in memory): a login by e-mail (any case), from a
/// known device, card searches of an account, and an address no account has.
fn locks() -> Vec<SpentKey> {
    let spent = |key: String| SpentKey {
        key,
        first_failure: now() - chrono::Duration::minutes(5),
        failures: 10,
        until: now() + chrono::Duration::minutes(10),
    };
    vec![
        spent(format!("login-mail:{}", sha256_hex(b"caisse@example.org"))),
        spent(format!("login-mail:{}", sha256_hex(b"nobody@example.org"))),
        spent("login-device:dev-hash".into()),
        spent("card-account:pa2".into()),
    ]
}

#[test]
fn the_desk_answers_as_on_sqlite() {
    let Some(db) = test_db!() else { return };
    let (pg, sqlite, _dir) = both(&db);

    // Anomalies: the same items, ids and texts.
    let on_pg = pg.anomalies(locks(), None, None, now()).unwrap();
    let accounts: Vec<Option<&str>> = on_pg
        .iter()
        .filter(|a| a.kind == AnomalyKind::CompteVerrouille)
        .map(|a| a.account_id.as_deref())
        .collect();
    assert_eq!(accounts.len(), 4);
    assert_eq!(accounts.iter().filter(|a| **a == Some("pa2")).count(), 3);
    let kinds: Vec<&str> = on_pg.iter().map(|a| a.id.as_str()).collect();
    assert!(kinds.contains(&"carte_verrouillee:1"), "{kinds:?}");
    assert!(kinds.contains(&"carte_verrouillee:2"), "{kinds:?}");
    assert!(
        kinds
            .iter()
            .any(|k| k.starts_with("horaire_inhabituel:p2:")),
        "the debit at 00:30 in Paris: {kinds:?}"
    );
    let flag = on_pg
        .iter()
        .find(|a| a.id == "depassement_hors_ligne:1")
        .expect("the overspend flag");
    let lines: Vec<(&str, bool, Option<&str>)> = flag
        .offline_debits
        .iter()
        .map(|d| (d.id.as_str(), d.triggered, d.message.as_deref()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("od2", true, None),
            ("od1", false, Some("Signature invalide"))
        ],
        "newest first, the one that raised the flag marked"
    );
    assert_eq!(flag.partner_name.as_deref(), Some("Cinéma"));
    assert_eq!(
        json(&on_pg),
        json(&sqlite.anomalies(locks(), None, None, now()).unwrap())
    );

    // Handled once, with its note, on both; listed as handled.
    for store in [&pg as &dyn RegionRepo, &sqlite] {
        let e = store
            .mark_anomaly_handled(
                vec![],
                "carte_verrouillee:1".into(),
                "r1".into(),
                " ".into(),
                now(),
            )
            .unwrap_err();
        assert!(matches!(e, ServiceError::Invalid { .. }), "{e:?}");
        let a = store
            .mark_anomaly_handled(
                vec![],
                "carte_verrouillee:1".into(),
                "r1".into(),
                "Vu".into(),
                now(),
            )
            .unwrap();
        assert_eq!(a.handled.as_ref().map(|h| h.note.as_str()), Some("Vu"));
        let e = store
            .mark_anomaly_handled(
                vec![],
                "carte_verrouillee:1".into(),
                "r1".into(),
                "Encore".into(),
                now(),
            )
            .unwrap_err();
        assert!(already_handled(&e), "{e:?}");
        let e = store
            .mark_anomaly_handled(
                vec![],
                "carte_verrouillee:99".into(),
                "r1".into(),
                "x".into(),
                now(),
            )
            .unwrap_err();
        assert!(matches!(e, ServiceError::NotFound(_)), "{e:?}");
        let handled = store.anomalies(vec![], None, Some(true), now()).unwrap();
        assert_eq!(handled.len(), 1);
    }
    assert_eq!(
        json(&pg.anomalies(vec![], None, None, now()).unwrap()),
        json(&sqlite.anomalies(vec![], None, None, now()).unwrap())
    );

    // The look-up: by number, e-mail (any case), part of a name (ASCII
    // case ignored, `%` taken literally), card id.
    let keys = [
        LookupKey::Number("1001".into()),
        LookupKey::Email("Y3@EXAMPLE.org".into()),
        LookupKey::Name("a b".into()),
        LookupKey::Name("%".into()),
        LookupKey::CardId("c3".into()),
    ];
    let mut shown = Vec::new();
    for key in keys {
        let p = pg.lookup("r1".into(), key.clone(), now()).unwrap();
        let s = sqlite.lookup("r1".into(), key.clone(), now()).unwrap();
        assert_eq!(json(&p), json(&s), "{key:?}");
        shown.push(
            p.cards
                .iter()
                .map(|c| c.card_id.clone())
                .collect::<Vec<_>>(),
        );
    }
    let c1: Vec<String> = vec!["c1".into()];
    let c3: Vec<String> = vec!["c3".into()];
    assert_eq!(shown, vec![c1.clone(), c3.clone(), c1, vec![], c3]);
    let card = pg
        .lookup("r1".into(), LookupKey::CardId("c1".into()), now())
        .unwrap();
    let c = &card.cards[0];
    assert_eq!(c.ledger.len(), 2, "newest first");
    assert_eq!(c.ledger[0].movement, "debit");

    // The audit: one entry per look-up, newest first, paged.
    let first = pg.lookup_audit(None, 4).unwrap();
    assert_eq!(first.items.len(), 4);
    assert_eq!(first.items[0].query_kind, "identifiant_carte");
    assert_eq!(first.items[0].card_ids, vec!["c1".to_owned()]);
    let cursor = first.older_cursor.expect("two more");
    let rest = pg.lookup_audit(Some(cursor), 4).unwrap();
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.older_cursor, None);
    let strip = |p: &passregion_core::api::region::LookupAuditPage| {
        let mut v = json(p);
        for item in v["items"].as_array_mut().unwrap() {
            item["query_hash"] = Value::Null; // keyed per database
        }
        v
    };
    assert_eq!(
        strip(&rest),
        strip(&sqlite.lookup_audit(Some(cursor), 4).unwrap())
    );

    // The feed: pages older, then newer.
    let page = pg.feed(None, None, 4).unwrap();
    assert_eq!(page.items.len(), 4);
    assert_eq!(page.items[0].id, "n1", "newest first");
    assert_eq!(json(&page), json(&sqlite.feed(None, None, 4).unwrap()));
    let older = pg.feed(page.older_cursor, None, 4).unwrap();
    assert_eq!(
        json(&older),
        json(&sqlite.feed(page.older_cursor, None, 4).unwrap())
    );
    let newer = pg.feed(None, Some(2), 3).unwrap();
    assert!(newer.more_newer);
    assert_eq!(json(&newer), json(&sqlite.feed(None, Some(2), 3).unwrap()));

    // The ledger check: the same findings.
    let check = pg.check_ledger().unwrap();
    assert_eq!(json(&check), json(&sqlite.check_ledger().unwrap()));
    assert_eq!(check.lines_checked, 2);
    assert_eq!(check.batches_checked, 1);
    assert!(
        check
            .inconsistencies
            .iter()
            .any(|i| i.contains("c3/2026/cinema: running totals 2000,700,0")),
        "{:?}",
        check.inconsistencies
    );
    assert!(
        check
            .inconsistencies
            .iter()
            .any(|i| i.contains("batch rb1: total 800 differs from its transactions 500")),
        "{:?}",
        check.inconsistencies
    );
    let transactions: i64 = db
        .client()
        .query_one("SELECT COUNT(*) FROM transactions", &[])
        .unwrap()
        .get(0);
    assert_eq!(check.orphans, transactions - 2, "two have their ledger row");
    assert_eq!(check.payouts.batched.cents(), 500);
}

/// Two instances mark each anomaly handled at the same instant: one
/// handling (the first's note), the other told 409.
#[test]
fn an_anomaly_marked_handled_at_once_on_two_instances_is_handled_once() {
    let Some(db) = test_db!() else { return };
    let (a, _sqlite, _dir) = both(&db);
    let (a, b) = (Arc::new(a), Arc::new(instance(&db)));
    for id in ["carte_verrouillee:1", "carte_verrouillee:2"] {
        let barrier = Arc::new(Barrier::new(2));
        let run = |store: Arc<PgStore>, note: &'static str| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                store.mark_anomaly_handled(vec![], id.into(), "r1".into(), note.into(), now())
            })
        };
        let (ta, tb) = (run(a.clone(), "A"), run(b.clone(), "B"));
        let results: Vec<Result<Anomaly, ServiceError>> =
            vec![ta.join().unwrap(), tb.join().unwrap()];
        let ok: Vec<&Anomaly> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(ok.len(), 1, "{results:?}");
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(already_handled),
            "{results:?}"
        );
        let rows: Vec<String> = db
            .client()
            .query(
                "SELECT note FROM anomaly_handlings WHERE anomaly_id = $1",
                &[&id],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            ok[0].handled.as_ref().map(|h| h.note.clone()),
            Some(rows[0].clone())
        );
    }
}

/// A look-up whose audit cannot be written shows nothing, and leaves no
/// trace; a look-up on another instance is audited at once.
#[test]
fn a_look_up_is_audited_before_it_answers() {
    let Some(db) = test_db!() else { return };
    let (a, _sqlite, _dir) = both(&db);
    let e = a
        .lookup("ghost".into(), LookupKey::Number("1001".into()), now())
        .unwrap_err();
    assert!(matches!(e, ServiceError::Pg(_)), "{e:?}");
    let audited = |db: &TestDb| -> i64 {
        db.client()
            .query_one("SELECT COUNT(*) FROM lookup_audit", &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(audited(&db), 0);
    let b = instance(&db);
    b.lookup("r1".into(), LookupKey::Number("1001".into()), now())
        .unwrap();
    assert_eq!(a.lookup_audit(None, 10).unwrap().items.len(), 1);
    assert_eq!(audited(&db), 1);
}
