//! The Region on PostgreSQL: its staff (the last administrator kept, also
//! when two instances remove the two last administrators at once; sessions
//! of a removed or moved agent end at once) and its statistics (the summary
//! tables kept by the trigger, the same figures as SQLite on the same rows,
//! equal to counts recomputed from the rows).

use std::sync::Arc;
use std::sync::Barrier;

use chrono::{DateTime, Duration, TimeZone, Utc};
use passregion_core::Season;
use passregion_core::api::stats::RegionStats;
use passregion_core::status::{RegionRole, StaffStatus};
use passregion_server::accounts::repo::AccountsRepo;
use passregion_server::config::{Policy, load_catalogues};
use passregion_server::error::ServiceError;
use passregion_server::platform::db::Db;
use passregion_server::platform::store::{PgStore, SqliteStore};
use passregion_server::region::error::RegionError;
use passregion_server::region::staff::repo::RegionStaffRepo;
use passregion_server::region::staff::service::NewRegionInvitation;
use passregion_server::stats::StatsRepo;

use crate::support::TestDb;
use crate::test_db;

pub fn instance(db: &TestDb) -> PgStore {
    let pool = db.pool(4);
    pool.migrate().unwrap();
    PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    )
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

/// A confirmed agent of the Region with `role`, and a live session `s-<id>`.
fn agent(db: &TestDb, id: &str, role: &str) {
    db.client()
        .execute(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, region_role,
             email_verified_at, created_at)
             VALUES ($1, $1 || '@region.example', 'h', 'region', $1, $2,
                     '2026-10-01T00:00:00.000000Z', '2026-10-01T00:00:00.000000Z')",
            &[&id, &role],
        )
        .unwrap();
    db.client()
        .execute(
            "INSERT INTO sessions (token_hash, account_id, expires_at)
             VALUES ('s-' || $1, $1, '2027-01-01T00:00:00.000000Z')",
            &[&id],
        )
        .unwrap();
}

fn last_admin(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Region(RegionError::LastAdmin))
}

fn invitation(email: &str, role: RegionRole) -> NewRegionInvitation {
    NewRegionInvitation {
        email: email.into(),
        display_name: "Camille Agent".into(),
        role,
        placeholder_hash: "nobody-knows".into(),
        token_hash: format!("tok-{email}"),
        created_at: t0(),
        expires_at: t0() + Duration::days(7),
    }
}

fn live_admins(db: &TestDb) -> i64 {
    db.client()
        .query_one(
            "SELECT COUNT(*) FROM accounts WHERE role = 'region' AND region_role = 'admin'
             AND removed_at IS NULL AND email_verified_at IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn region_staff_invited_listed_moved_and_removed_keeping_an_admin() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    agent(&db, "admin1", "admin");

    // Invited: listed as invited until the link is used; an address of
    // another kind of account is refused.
    let inv = store
        .invite_region_staff(invitation(
            "Camille@Region.example",
            RegionRole::Instruction,
        ))
        .unwrap();
    assert_eq!(inv.status, StaffStatus::Invited);
    assert_eq!(inv.invitation_expires_at, Some(t0() + Duration::days(7)));
    db.client()
        .batch_execute(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
             VALUES ('y1', 'y@example.org', 'h', 'youth', 'Y', '2026-10-01T00:00:00.000000Z')",
        )
        .unwrap();
    let taken = store
        .invite_region_staff(invitation("Y@example.org", RegionRole::Finance))
        .unwrap_err();
    assert!(matches!(taken, ServiceError::Accounts(_)), "{taken:?}");
    // Invited again: the same account, a new link, the old one void.
    let again = store
        .invite_region_staff(invitation("camille@region.example", RegionRole::Finance))
        .unwrap();
    assert_eq!(again.account_id, inv.account_id);
    assert_eq!(again.role, RegionRole::Finance);
    let live_links: i64 = db
        .client()
        .query_one(
            "SELECT COUNT(*) FROM email_tokens WHERE account_id = $1 AND used_at IS NULL",
            &[&inv.account_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(live_links, 1);

    let listed = store.region_staff(t0()).unwrap();
    let ids: Vec<&str> = listed.iter().map(|m| m.account_id.as_str()).collect();
    assert_eq!(ids, vec!["admin1", inv.account_id.as_str()], "admins first");

    // The only active administrator is neither demoted nor removed.
    let e = store
        .change_region_role("admin1", RegionRole::Finance, t0())
        .unwrap_err();
    assert!(last_admin(&e), "{e:?}");
    let e = store.remove_region_staff("admin1", t0()).unwrap_err();
    assert!(last_admin(&e), "{e:?}");
    // An invited administrator does not count as one.
    store
        .change_region_role(&inv.account_id, RegionRole::Admin, t0())
        .unwrap();
    let e = store.remove_region_staff("admin1", t0()).unwrap_err();
    assert!(last_admin(&e), "{e:?}");
    assert!(matches!(
        store.remove_region_staff("nobody", t0()),
        Err(ServiceError::NotFound(_))
    ));

    // With a second active administrator, the first is moved: its session
    // ends at once, on another instance too.
    agent(&db, "admin2", "admin");
    let other = instance(&db);
    assert!(other.principal("s-admin1", t0()).unwrap().is_some());
    let moved = store
        .change_region_role("admin1", RegionRole::Instruction, t0())
        .unwrap();
    assert_eq!(moved.role, RegionRole::Instruction);
    assert!(other.principal("s-admin1", t0()).unwrap().is_none());
    // Removed: gone from the list, its session ended, its links void.
    assert!(other.principal("s-admin2", t0()).unwrap().is_some());
    store.remove_region_staff(&inv.account_id, t0()).unwrap();
    agent(&db, "instr", "instruction");
    store.remove_region_staff("instr", t0()).unwrap();
    assert!(other.principal("s-instr", t0()).unwrap().is_none());
    let left: Vec<String> = other
        .region_staff(t0())
        .unwrap()
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    assert_eq!(left, vec!["admin2".to_owned(), "admin1".to_owned()]);
    let e = other.remove_region_staff("admin2", t0()).unwrap_err();
    assert!(last_admin(&e), "{e:?}");
}

/// Two instances each remove (or demote) one of the two last
/// administrators at the same instant, ten rounds: each time one succeeds,
/// the other is refused, and one administrator stays. (Without the staff's
/// lock, both read "one other administrator" and the Region is left
/// without one.)
#[test]
fn two_instances_removing_the_two_last_admins_keep_one() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (Arc::new(instance(&db)), Arc::new(instance(&db)));
    agent(&db, "adm0", "admin");
    let mut kept = "adm0".to_owned();
    for round in 1..=10 {
        let fresh = format!("adm{round}");
        agent(&db, &fresh, "admin");
        assert_eq!(live_admins(&db), 2);
        let barrier = Arc::new(Barrier::new(2));
        let demote = round % 2 == 0;
        let run = |store: Arc<PgStore>, id: String, barrier: Arc<Barrier>| {
            std::thread::spawn(move || {
                barrier.wait();
                if demote {
                    store
                        .change_region_role(&id, RegionRole::Finance, t0())
                        .map(|_| ())
                } else {
                    store.remove_region_staff(&id, t0())
                }
            })
        };
        let ta = run(a.clone(), kept.clone(), barrier.clone());
        let tb = run(b.clone(), fresh.clone(), barrier);
        let (ra, rb) = (ta.join().unwrap(), tb.join().unwrap());
        assert_eq!(live_admins(&db), 1, "round {round}: {ra:?} {rb:?}");
        match (&ra, &rb) {
            (Ok(()), Err(e)) if last_admin(e) => kept = fresh,
            (Err(e), Ok(())) if last_admin(e) => {}
            other => panic!("round {round}: one of the two, got {other:?}"),
        }
    }
}

/// Rows of a region with two départements (69, 974), written on either
/// engine: cards and orders of several statuses, debits and refunds over
/// two months, three channels, two partners, a flag, bons plans.
pub const STATS_SEED: &str = "
    INSERT INTO establishments VALUES ('e1', 'Lycée du Parc', 'lycee', 'Lyon', '69006');
    INSERT INTO establishments VALUES ('e2', 'Lycée Leconte', 'lycee', 'Saint-Denis', '97400');
    INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
                          status, created_at)
    VALUES ('p1', 'Librairie', 'librairie', '1 rue', 'Lyon', '69001', 45.7, 4.8, 'validated',
            '2026-09-01T00:00:00.000000Z'),
           ('p2', 'Cinéma', 'cinema', '2 rue', 'Saint-Denis', '97400', 0, 0, 'validated',
            '2026-09-01T00:00:00.000000Z'),
           ('p3', 'Pending', 'cinema', '3 rue', 'Lyon', '69001', 0, 0, 'pending',
            '2026-09-01T00:00:00.000000Z');
    INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
    VALUES ('a1', 'y1@example.org', 'h', 'youth', 'Y1', '2026-09-01T00:00:00.000000Z'),
           ('a2', 'y2@example.org', 'h', 'youth', 'Y2', '2026-09-01T00:00:00.000000Z'),
           ('a3', 'y3@example.org', 'h', 'youth', 'Y3', '2026-09-01T00:00:00.000000Z'),
           ('a4', 'y4@example.org', 'h', 'youth', 'Y4', '2026-09-01T00:00:00.000000Z');
    INSERT INTO orders (id, account_id, season, establishment_id, public, track, disabled,
                        first_name, last_name, birth_date, address, postal_code, city, status,
                        created_at)
    VALUES ('o1', 'a1', 2026, 'e1', 'lyceen', 'premiere', FALSE, 'A', 'B', '2010-01-01', 'x',
            '69006', 'Lyon', 'validee', '2026-09-01T00:00:00.000000Z'),
           ('o2', 'a2', 2026, 'e1', 'lyceen', NULL, FALSE, 'C', 'D', '2010-01-01', 'x',
            '69006', 'Lyon', 'validee', '2026-09-01T00:00:00.000000Z'),
           ('o3', 'a3', 2026, 'e2', 'apprenti', NULL, FALSE, 'E', 'F', '2009-01-01', 'x',
            '97400', 'Saint-Denis', 'validee', '2026-09-01T00:00:00.000000Z'),
           ('o4', 'a4', 2026, 'e2', 'lyceen', NULL, FALSE, 'G', 'H', '2010-01-01', 'x',
            '97400', 'Saint-Denis', 'en_attente', '2026-09-01T00:00:00.000000Z'),
           ('o5', 'a4', 2025, 'e2', 'lyceen', NULL, FALSE, 'G', 'H', '2010-01-01', 'x',
            '97400', 'Saint-Denis', 'validee', '2025-09-01T00:00:00.000000Z');
    INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status, public,
                       track, disabled, first_name, last_name, birth_date, created_at)
    VALUES ('c1', '1001', 'a1', 'o1', 'e1', 2026, 'active', 'lyceen', 'premiere', FALSE, 'A',
            'B', '2010-01-01', '2026-09-02T00:00:00.000000Z'),
           ('c2', '1002', 'a2', 'o2', 'e1', 2026, 'suspendue', 'lyceen', NULL, FALSE, 'C', 'D',
            '2010-01-01', '2026-09-02T00:00:00.000000Z'),
           ('c3', '1003', 'a3', 'o3', 'e2', 2026, 'active', 'apprenti', NULL, FALSE, 'E', 'F',
            '2009-01-01', '2026-09-02T00:00:00.000000Z'),
           ('c5', '1005', 'a4', 'o5', 'e2', 2025, 'active', 'lyceen', NULL, FALSE, 'G', 'H',
            '2010-01-01', '2025-09-02T00:00:00.000000Z');
    INSERT INTO card_flags (card_id, reason, amount_cents, created_at)
    VALUES ('c3', 'hors ligne', 250, '2026-10-05T00:00:00.000000Z');
    INSERT INTO bons_plans (id, partner_id, title, description, status, created_at)
    VALUES ('b1', 'p1', 'T', 'D', 'valide', '2026-10-01T00:00:00.000000Z'),
           ('b2', 'p1', 'T', 'D', 'soumis', '2026-10-01T00:00:00.000000Z'),
           ('b3', 'p2', 'T', 'D', 'valide', '2025-10-01T00:00:00.000000Z');
";

/// A transaction: (id, kind, card, partner, avantage, cents, channel, at,
/// refund_of).
pub type Move<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    i64,
    &'a str,
    &'a str,
    Option<&'a str>,
);

/// The transactions of `STATS_SEED`.
pub const MOVES: [Move<'static>; 9] = [
    (
        "t1",
        "debit",
        "c1",
        "p1",
        "lecture_loisir",
        500,
        "qr",
        "2026-10-02T10:00:00.000000Z",
        None,
    ),
    (
        "t2",
        "debit",
        "c1",
        "p1",
        "lecture_loisir",
        300,
        "web",
        "2026-10-03T10:00:00.000000Z",
        None,
    ),
    (
        "t3",
        "refund",
        "c1",
        "p1",
        "lecture_loisir",
        -300,
        "web",
        "2026-10-04T10:00:00.000000Z",
        Some("t2"),
    ),
    (
        "t4",
        "debit",
        "c1",
        "p2",
        "cinema",
        700,
        "offline",
        "2026-11-01T20:00:00.000000Z",
        None,
    ),
    (
        "t5",
        "debit",
        "c3",
        "p2",
        "cinema",
        650,
        "qr",
        "2026-11-01T21:00:00.000000Z",
        None,
    ),
    (
        "t6",
        "debit",
        "c3",
        "p2",
        "cinema",
        650,
        "qr",
        "2026-11-02T21:00:00.000000Z",
        None,
    ),
    (
        "t7",
        "debit",
        "c3",
        "p1",
        "lecture_loisir",
        1200,
        "offline",
        "2026-10-09T08:00:00.000000Z",
        None,
    ),
    (
        "t8",
        "debit",
        "c2",
        "p1",
        "lecture_loisir",
        100,
        "qr",
        "2026-10-09T09:00:00.000000Z",
        None,
    ),
    (
        "t9",
        "debit",
        "c5",
        "p2",
        "cinema",
        900,
        "qr",
        "2025-11-01T09:00:00.000000Z",
        None,
    ),
];

pub fn move_sql(m: &Move<'_>) -> String {
    let (id, kind, card, partner, avantage, cents, channel, at, refund_of) = m;
    let season = &at[..4];
    let refund_of = refund_of.map_or("NULL".to_owned(), |r| format!("'{r}'"));
    format!(
        "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
           unit_kind, price_units, units, reste_units, amount_cents, refund_of, channel, created_at)
         VALUES ('{id}', '{kind}', '{card}', '{partner}', 'a1', {season}, '{avantage}', 'credit',
           {u}, {u}, 0, {cents}, {refund_of}, '{channel}', '{at}');",
        u = cents.abs(),
    )
}

fn figures(s: &RegionStats) -> serde_json::Value {
    serde_json::to_value(s).unwrap()
}

#[test]
fn statistics_are_those_of_sqlite_and_of_the_rows() {
    let Some(db) = test_db!() else { return };
    let pg = instance(&db);
    let dir = tempfile::tempdir().unwrap();
    let sqlite_db = Arc::new(Db::open(&dir.path().join("passregion.db")).unwrap());
    let sqlite = SqliteStore::new(
        sqlite_db.clone(),
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    );
    db.client().batch_execute(STATS_SEED).unwrap();
    sqlite_db
        .write(|c| Ok(c.execute_batch(STATS_SEED)?))
        .unwrap();
    // Each transaction written alone, as a debit or a refund writes it:
    // the trigger keeps the summary rows as it goes.
    for m in &MOVES {
        let sql = move_sql(m);
        db.client().batch_execute(&sql).unwrap();
        sqlite_db
            .write(move |c| Ok(c.execute_batch(&sql)?))
            .unwrap();
    }
    let season = Season::starting(2026).unwrap();
    for dep in [None, Some("69"), Some("974"), Some("01")] {
        let on_pg = pg.region_stats(season, dep.map(str::to_owned)).unwrap();
        let on_sqlite = sqlite.region_stats(season, dep.map(str::to_owned)).unwrap();
        assert_eq!(figures(&on_pg), figures(&on_sqlite), "département {dep:?}");
    }

    // The figures are those of the rows themselves.
    let all = pg.region_stats(season, None).unwrap();
    let mut c = db.client();
    let count = |c: &mut r2d2_postgres::postgres::Client, sql: &str| -> i64 {
        c.query_one(sql, &[]).unwrap().get(0)
    };
    assert_eq!(
        all.cards.cards,
        count(&mut c, "SELECT COUNT(*) FROM cards WHERE season = 2026")
    );
    assert_eq!(all.cards.cards, 3);
    assert_eq!(
        all.cards.active,
        count(
            &mut c,
            "SELECT COUNT(*) FROM cards WHERE season = 2026 AND status = 'active'"
        )
    );
    assert_eq!(
        all.cards.ordered,
        count(&mut c, "SELECT COUNT(*) FROM orders WHERE season = 2026")
    );
    assert_eq!(
        all.cards.validated,
        count(
            &mut c,
            "SELECT COUNT(*) FROM orders WHERE season = 2026 AND status = 'validee'"
        )
    );
    let debits = count(
        &mut c,
        "SELECT COUNT(*) FROM transactions WHERE season = 2026 AND kind = 'debit'",
    );
    assert_eq!(all.channels.debits, debits);
    assert_eq!(debits, 7);
    assert_eq!(
        all.channels.offline_debits,
        count(
            &mut c,
            "SELECT COUNT(*) FROM transactions WHERE season = 2026 AND kind = 'debit'
             AND channel = 'offline'"
        )
    );
    for s in &all.spend_by_avantage {
        let q = format!(
            "SELECT COALESCE(SUM(amount_cents), 0)::BIGINT FROM transactions
             WHERE season = 2026 AND avantage = '{}'",
            s.key
        );
        assert_eq!(s.net.cents(), count(&mut c, &q), "net of {}", s.key);
        let q = format!(
            "SELECT COUNT(*) FROM transactions WHERE season = 2026 AND kind = 'refund'
             AND avantage = '{}'",
            s.key
        );
        assert_eq!(s.refunds, count(&mut c, &q), "refunds of {}", s.key);
    }
    for u in &all.uptake {
        let q = format!(
            "SELECT COUNT(DISTINCT card_id) FROM transactions
             WHERE season = 2026 AND kind = 'debit' AND avantage = '{}'",
            u.avantage
        );
        assert_eq!(u.used, count(&mut c, &q), "uptake of {}", u.avantage);
    }
    assert_eq!(
        all.uptake
            .iter()
            .find(|u| u.avantage == "cinema")
            .map(|u| u.used),
        Some(2),
        "two cards, however many debits"
    );
    for p in &all.top_partners {
        let q = format!(
            "SELECT COALESCE(SUM(amount_cents), 0)::BIGINT FROM transactions
             WHERE season = 2026 AND partner_id = '{}'",
            p.partner_id
        );
        assert_eq!(p.net.cents(), count(&mut c, &q), "net of {}", p.partner_id);
    }
    assert_eq!(all.flags.flags, 1);
    assert_eq!(all.flags.amount.cents(), 250);
    let validated: Vec<(&str, i64)> = all
        .bons_plans
        .iter()
        .map(|b| (b.partner_id.as_str(), b.validated))
        .collect();
    assert_eq!(validated, vec![("p2", 0), ("p1", 1)]);
}

/// Debits written at once from two instances on cards of one
/// département: the summary rows count every one of them (the trigger's
/// `ON CONFLICT DO UPDATE` adds under the row's lock).
#[test]
fn concurrent_transactions_are_all_counted() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    db.client().batch_execute(STATS_SEED).unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let store = stores[i % 2].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for j in 0..10 {
                    let card = if j % 2 == 0 { "c1" } else { "c2" };
                    let sql = move_sql(&(
                        format!("x{i}-{j}").as_str(),
                        "debit",
                        card,
                        "p1",
                        "lecture_loisir",
                        100,
                        "qr",
                        "2026-10-10T10:00:00.000000Z",
                        None,
                    ));
                    store
                        .pool()
                        .write(|tx| Ok(tx.batch_execute(&sql)?))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let all = stores[0]
        .region_stats(Season::starting(2026).unwrap(), Some("69".into()))
        .unwrap();
    assert_eq!(all.channels.debits, 80);
    let spend = all
        .spend_by_avantage
        .iter()
        .find(|s| s.key == "lecture_loisir")
        .unwrap();
    assert_eq!((spend.debits, spend.net.cents()), (80, 8000));
    let used = all
        .uptake
        .iter()
        .find(|u| u.avantage == "lecture_loisir")
        .unwrap()
        .used;
    assert_eq!(used, 2, "two cards used, however many debits");
}
