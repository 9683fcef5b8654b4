//! `SyncRepo` on PostgreSQL: devices, the offline push (each item applied
//! once across instances, the card's balance and guarantee, the partner's
//! daily cap held under concurrent pushes), the change feed in commit order
//! and the overspend flags.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::credential::OfflineLimits;
use passregion_core::sync::EnrolRequest;
use passregion_core::sync::GENESIS_HASH;
use passregion_core::sync::ItemResult;
use passregion_core::sync::ItemStatus;
use passregion_core::sync::OfflineDebit;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::platform::store::PgStore;
use passregion_server::sync::apply::CheckedItem;
use passregion_server::sync::apply::PushItem;
use passregion_server::sync::repo::SyncRepo;
use r2d2_postgres::postgres::Client;
use uuid::Uuid;

use crate::debits::count;
use crate::debits::partner;
use crate::debits::seed;
use crate::debits::t0;
use crate::support::TestDb;
use crate::test_db;

fn store(db: &TestDb, policy: Policy) -> Arc<PgStore> {
    let pool = db.pool(4);
    pool.migrate().unwrap();
    Arc::new(PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        policy,
    ))
}

/// Small chunks, so that a push spans several transactions.
fn policy() -> Policy {
    Policy {
        push_chunk: 4,
        ..Policy::default()
    }
}

/// `seed` (card `c1` with 15,00 €, partners `p1`/`a2` and `p2`/`a3`), its
/// credential `cred1`, a second card `c2` with 15,00 € and `cred2`, and
/// devices `d1`, `d2` of `p1` and `d3` of `p2`.
fn seed_sync(db: &TestDb) {
    seed(db);
    db.client()
        .batch_execute(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
             VALUES ('a4', 'y2@example.org', 'h', 'youth', 'Y2', '2026-10-01T00:00:00.000000Z');
             INSERT INTO orders (id, account_id, season, establishment_id, public, disabled,
               first_name, last_name, birth_date, address, postal_code, city, status, created_at)
             VALUES ('o2', 'a4', 2026, 'e1', 'lyceen', FALSE, 'Y', 'Z', '2010-03-14', '1 rue',
               '69001', 'Lyon', 'validee', '2026-10-01T00:00:00.000000Z');
             INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status,
               public, disabled, first_name, last_name, birth_date, created_at)
             VALUES ('c2', '5678', 'a4', 'o2', 'e1', 2026, 'active', 'lyceen', FALSE, 'Y', 'Z',
               '2010-03-14', '2026-10-01T00:00:00.000000Z');
             INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units,
               loaded_total, debited_total, refunded_total, created_at)
             VALUES ('c2', 2026, 'lecture_loisir', 'credit', 'load', 1500, 1500, 0, 0,
               '2026-10-01T00:00:00.000000Z');
             INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents,
               per_tx_max_cents, max_count, issued_at, expires_at, revoked_at)
             VALUES ('cred1', 'c1', 'k', 100000, 2000, 1000, '2026-10-01T00:00:00.000000Z',
                     '2027-10-01T00:00:00.000000Z', NULL),
                    ('cred2', 'c2', 'k', 100000, 2000, 1000, '2026-10-01T00:00:00.000000Z',
                     '2027-10-01T00:00:00.000000Z', NULL);
             INSERT INTO partner_devices (id, partner_id, account_id, public_key, label, created_at)
             VALUES ('d1', 'p1', 'a2', 'k1', 'Caisse 1', '2026-10-01T00:00:00.000000Z'),
                    ('d2', 'p1', 'a2', 'k2', 'Caisse 2', '2026-10-01T00:00:00.000000Z'),
                    ('d3', 'p2', 'a3', 'k3', 'Caisse', '2026-10-01T00:00:00.000000Z');",
        )
        .unwrap();
}

/// A device's chain of offline debits of `cents` each, on `card` (its
/// credential `cred`), QR counters from `first_counter`.
fn chain(
    device: &str,
    card: &str,
    cred: &str,
    first_counter: u32,
    n: usize,
    cents: i64,
) -> Vec<PushItem> {
    let targets = (0..n as u32)
        .map(|i| (card, cred, first_counter + i))
        .collect();
    chain_of(device, targets, cents)
}

/// A device's chain of offline debits of `cents` each, one per (card,
/// credential, QR counter).
fn chain_of(device: &str, targets: Vec<(&str, &str, u32)>, cents: i64) -> Vec<PushItem> {
    let mut prev = GENESIS_HASH.to_owned();
    targets
        .into_iter()
        .enumerate()
        .map(|(i, (card, cred, counter))| {
            let item = OfflineDebit {
                id: Uuid::new_v4(),
                device_id: device.into(),
                seq: i as u64 + 1,
                qr: "PD1:test".into(),
                avantage: "lecture_loisir".into(),
                price: Money::from_cents(cents).unwrap(),
                debited: Money::from_cents(cents).unwrap(),
                reste_a_payer: Money::ZERO,
                scanned_at: t0() - Duration::hours(1) + Duration::seconds(i as i64),
                prev_hash: prev.clone(),
                signature: String::new(),
            };
            let hash = item.hash();
            prev = hash.clone();
            PushItem::Checked(Box::new(CheckedItem {
                body_hash: format!("body-{}", item.id),
                hash,
                card_id: card.into(),
                credential_id: cred.into(),
                counter,
                limits: OfflineLimits {
                    allowance_cents: 100_000,
                    per_transaction_max_cents: 2000,
                    max_count: 1000,
                },
                item,
            }))
        })
        .collect()
}

fn statuses(results: &[ItemResult]) -> Vec<ItemStatus> {
    results.iter().map(|r| r.status).collect()
}

/// Pushes `batches` at once, each from its own instance.
fn push_at_once(
    stores: &[Arc<PgStore>],
    batches: Vec<(&'static str, &'static str, Vec<PushItem>)>,
    now: DateTime<Utc>,
) -> Vec<Vec<ItemResult>> {
    let barrier = Barrier::new(batches.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = batches
            .into_iter()
            .enumerate()
            .map(|(i, (account, partner_id, items))| {
                let (store, barrier) = (&stores[i % stores.len()], &barrier);
                s.spawn(move || {
                    barrier.wait();
                    store
                        .apply_offline(&partner(account, partner_id), items, now)
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Each ledger row's running totals follow the one before (per card).
fn assert_exact_totals(c: &mut Client, card: &str) {
    let rows = c
        .query(
            "SELECT movement, units, loaded_total, debited_total FROM ledger
             WHERE card_id = $1 ORDER BY id",
            &[&card],
        )
        .unwrap();
    let (mut loaded, mut debited) = (0_i64, 0_i64);
    for r in rows {
        let (movement, units): (String, i64) = (r.get(0), r.get(1));
        match movement.as_str() {
            "load" => loaded += units,
            _ => debited += units,
        }
        assert_eq!((r.get::<_, i64>(2), r.get::<_, i64>(3)), (loaded, debited));
        assert!(debited <= loaded, "card {card} overdrawn");
    }
}

#[test]
fn a_device_is_enrolled_and_its_push_applied_then_replayed() {
    let Some(db) = test_db!() else { return };
    let s = store(&db, policy());
    seed_sync(&db);
    let who = partner("a2", "p1");
    let req = EnrolRequest {
        device_public_key: "pk".into(),
        label: "Caisse 3".into(),
    };
    let id = s.enrol_device(&who, &req, t0()).unwrap();
    let devices = s.partner_devices("p1").unwrap();
    assert_eq!(devices.len(), 3);
    assert!(devices.contains(&(id.clone(), "pk".into(), false)));
    // A label is required.
    let bad = EnrolRequest {
        device_public_key: "pk".into(),
        label: " ".into(),
    };
    assert!(s.enrol_device(&who, &bad, t0()).is_err());
    // Only a partner whose convention is in force enrols devices.
    let mut pending = partner("a3", "p2");
    if let Some(p) = pending.partner.as_mut() {
        p.2 = false;
    }
    let refused = s.enrol_device(&pending, &req, t0()).unwrap_err();
    assert_eq!(
        passregion_server::web::problem::ApiError::from(refused).code,
        "partenariat_inactif"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM partner_devices"), 4);

    let items = chain("d1", "c1", "cred1", 1, 6, 300);
    let first = s.apply_offline(&who, items.clone(), t0()).unwrap();
    assert_eq!(statuses(&first), vec![ItemStatus::Applied; 6]);
    assert!(first.iter().all(|r| r.transaction_id.is_some()));
    // 18 € on a card of 15 €: the last item is paid by the guarantee, the
    // card flagged and its credentials revoked.
    assert!(first[..5].iter().all(|r| !r.overspend));
    assert!(first[5].overspend);
    assert_eq!(first[5].code, None);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM card_flags WHERE card_id = 'c1'"),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM app_credentials WHERE revoked_at IS NULL AND card_id = 'c1'"
        ),
        0
    );
    let again = s.apply_offline(&who, items.clone(), t0()).unwrap();
    assert_eq!(statuses(&again), vec![ItemStatus::Duplicate; 6]);
    assert_eq!(
        again
            .iter()
            .map(|r| r.transaction_id.clone())
            .collect::<Vec<_>>(),
        first
            .iter()
            .map(|r| r.transaction_id.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 6);
    assert_eq!(
        count(
            &db,
            "SELECT SUM(units)::BIGINT FROM transactions WHERE card_id = 'c1'"
        ),
        1500
    );
    // Another body under a stored id: a conflict; the same counter again: reused.
    let PushItem::Checked(mut other) = items[0].clone() else {
        unreachable!()
    };
    other.body_hash = "another".into();
    let r = s
        .apply_offline(&who, vec![PushItem::Checked(other)], t0())
        .unwrap();
    assert_eq!(r[0].status, ItemStatus::Conflict);
    let mut next = chain("d2", "c1", "cred1", 1, 1, 100);
    let r = s.apply_offline(&who, next.clone(), t0()).unwrap();
    assert_eq!(r[0].status, ItemStatus::Reused);
    // A second record at a position of d1's chain already applied.
    if let PushItem::Checked(it) = &mut next[0] {
        it.item.id = Uuid::new_v4();
        it.item.device_id = "d1".into();
        it.counter = 50;
    }
    let r = s.apply_offline(&who, next, t0()).unwrap();
    assert_eq!(r[0].code.as_deref(), Some("chaine_rompue"));
    // A device of another partner.
    let r = s
        .apply_offline(&who, chain("d3", "c1", "cred1", 60, 1, 100), t0())
        .unwrap();
    assert_eq!(r[0].code.as_deref(), Some("appareil_inconnu"));
    assert_exact_totals(&mut db.client(), "c1");
}

#[test]
fn the_same_batch_pushed_to_two_instances_at_once_is_applied_once() {
    let Some(db) = test_db!() else { return };
    let stores = [store(&db, policy()), store(&db, policy())];
    seed_sync(&db);
    // Two pushes (two devices of p1), each sent to both instances at once.
    for items in [
        chain("d1", "c1", "cred1", 1, 10, 100),
        chain("d2", "c1", "cred1", 11, 10, 10),
    ] {
        let out = push_at_once(
            &stores,
            vec![("a2", "p1", items.clone()), ("a2", "p1", items)],
            t0(),
        );
        let (a, b) = (&out[0], &out[1]);
        for (x, y) in a.iter().zip(b) {
            let mut pair = [x.status, y.status];
            pair.sort_by_key(|s| format!("{s:?}"));
            assert_eq!(
                pair,
                [ItemStatus::Applied, ItemStatus::Duplicate],
                "{x:?} {y:?}"
            );
            assert_eq!(x.transaction_id, y.transaction_id);
        }
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 20);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM offline_debits"), 20);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM qr_uses"), 20);
    assert_eq!(
        count(
            &db,
            "SELECT cents FROM offline_spent WHERE credential_id = 'cred1'"
        ),
        10 * 100 + 10 * 10
    );
    assert_exact_totals(&mut db.client(), "c1");
}

#[test]
fn two_partners_pushing_on_one_card_at_once_never_overdraw_it_nor_its_guarantee() {
    let Some(db) = test_db!() else { return };
    // One item per transaction: each reads the balance then waits on the
    // statistics' row the other's debit holds (same month, avantage and
    // category), the widest window for a stale balance.
    let one = Policy {
        push_chunk: 1,
        ..Policy::default()
    };
    let stores = [store(&db, one.clone()), store(&db, one)];
    seed_sync(&db);
    // 2 × 15 debits of 2,00 € on a card of 15,00 € with 30,00 € of
    // guarantee (the default policy): 45,00 € at most are paid.
    let out = push_at_once(
        &stores,
        vec![
            ("a2", "p1", chain("d1", "c1", "cred1", 1, 15, 200)),
            ("a3", "p2", chain("d3", "c1", "cred1", 100, 15, 200)),
        ],
        t0(),
    );
    for r in out.iter().flatten() {
        assert!(
            r.status == ItemStatus::Applied || r.code.as_deref() == Some("garantie_epuisee"),
            "{r:?}"
        );
    }
    assert_eq!(
        count(
            &db,
            "SELECT SUM(units)::BIGINT FROM transactions WHERE card_id = 'c1'"
        ),
        1500,
        "the card pays its balance, no more"
    );
    assert_eq!(
        count(
            &db,
            "SELECT SUM(amount_cents - units)::BIGINT FROM transactions"
        ),
        3000,
        "the Region's guarantee is used up, no more"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM ledger WHERE movement = 'debit'"),
        count(&db, "SELECT COUNT(*) FROM transactions WHERE units > 0")
    );
    assert_exact_totals(&mut db.client(), "c1");
}

#[test]
fn two_devices_of_one_partner_pushing_at_once_keep_its_daily_cap() {
    let Some(db) = test_db!() else { return };
    let capped = Policy {
        partner_caps: passregion_core::sync::PartnerCaps {
            per_transaction_max: Money::from_cents(1500).unwrap(),
            daily_max: Money::from_cents(2500).unwrap(),
        },
        ..policy()
    };
    let stores = [store(&db, capped.clone()), store(&db, capped)];
    seed_sync(&db);
    // Two devices of p1, one on c1 and one on c2, the other on c1 as well:
    // 3 × 8 debits of 2,00 €, a daily cap of 25,00 €: 12 applied.
    let out = push_at_once(
        &stores,
        vec![
            ("a2", "p1", chain("d1", "c1", "cred1", 1, 8, 200)),
            ("a2", "p1", chain("d2", "c2", "cred2", 1, 8, 200)),
        ],
        t0(),
    );
    let applied = out
        .iter()
        .flatten()
        .filter(|r| r.status == ItemStatus::Applied)
        .count();
    for r in out.iter().flatten() {
        assert!(
            r.status == ItemStatus::Applied || r.code.as_deref() == Some("plafond_partenaire"),
            "{r:?}"
        );
    }
    assert_eq!(applied, 12);
    assert_eq!(
        count(
            &db,
            "SELECT SUM(amount_cents)::BIGINT FROM transactions WHERE partner_id = 'p1'"
        ),
        2400
    );
    assert_exact_totals(&mut db.client(), "c1");
    assert_exact_totals(&mut db.client(), "c2");
}

#[test]
fn pushes_that_deadlock_on_two_cards_run_again_and_are_all_applied() {
    let Some(db) = test_db!() else { return };
    let stores = [store(&db, Policy::default()), store(&db, Policy::default())];
    seed_sync(&db);
    // One transaction each: p1 locks c1 then c2, p2 locks c2 then c1. The
    // deadlock PostgreSQL breaks ends one transaction, which runs again
    // (never an item rejected by its savepoint).
    let out = push_at_once(
        &stores,
        vec![
            (
                "a2",
                "p1",
                chain_of(
                    "d1",
                    vec![("c1", "cred1", 1), ("c2", "cred2", 1), ("c1", "cred1", 2)],
                    100,
                ),
            ),
            (
                "a3",
                "p2",
                chain_of(
                    "d3",
                    vec![
                        ("c2", "cred2", 50),
                        ("c1", "cred1", 50),
                        ("c2", "cred2", 51),
                    ],
                    100,
                ),
            ),
        ],
        t0(),
    );
    for r in out.iter().flatten() {
        assert_eq!(r.status, ItemStatus::Applied, "{r:?}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 6);
    assert_exact_totals(&mut db.client(), "c1");
    assert_exact_totals(&mut db.client(), "c2");
}

#[test]
fn the_change_feed_lists_partners_cards_credentials_and_versions() {
    let Some(db) = test_db!() else { return };
    let s = store(&db, policy());
    seed_sync(&db);
    let (u1, u2, u3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut c = db.client();
    // The seed's rows are in the log already: start after them.
    let start: i64 = c
        .query_one("SELECT COALESCE(MAX(seq), 0) FROM change_log", &[])
        .unwrap()
        .get(0);
    // Cards with UUID ids: one suspended, one flagged, one replaced then active.
    for (i, u) in [u1, u2, u3].iter().enumerate() {
        c.execute(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
             VALUES ($1, $2, 'h', 'youth', 'Y', '2026-10-01T00:00:00.000000Z')",
            &[&format!("acc{i}"), &format!("feed{i}@example.org")],
        )
        .unwrap();
        c.execute(
            "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season,
               status, public, disabled, first_name, last_name, birth_date, created_at, version)
             VALUES ($1, $2, $3, 'o1', 'e1', 2026, 'expediee', 'lyceen', FALSE, 'Y', 'Z',
               '2010-03-14', '2026-10-01T00:00:00.000000Z', $4)",
            &[
                &u.to_string(),
                &format!("n{i}"),
                &format!("acc{i}"),
                &(i as i64 + 1),
            ],
        )
        .unwrap();
    }
    c.batch_execute(&format!(
        "UPDATE cards SET status = 'suspendue' WHERE id = '{u1}';
         UPDATE cards SET status = 'active' WHERE id = '{u2}';
         INSERT INTO card_flags (card_id, reason, amount_cents, created_at)
           VALUES ('{u2}', 'x', 150, '2026-11-02T08:00:00.000000Z');
         UPDATE cards SET status = 'active' WHERE id = '{u3}';
         UPDATE partners SET name = 'Librairie du Parc' WHERE id = 'p1';
         UPDATE partners SET status = 'terminated' WHERE id = 'p2';"
    ))
    .unwrap();
    let cred = Uuid::new_v4();
    c.execute(
        "INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents,
           per_tx_max_cents, max_count, issued_at, expires_at)
         VALUES ($1, 'c1', 'k', 1, 1, 1, '2026-10-01T00:00:00.000000Z',
                 '2027-10-01T00:00:00.000000Z')",
        &[&cred.to_string()],
    )
    .unwrap();
    c.execute(
        "UPDATE app_credentials SET revoked_at = '2026-11-02T08:00:00.000000Z' WHERE id = $1",
        &[&cred.to_string()],
    )
    .unwrap();
    let page = s.changes(start, 100).unwrap();
    assert!(!page.more);
    assert_eq!(page.revoked_cards, vec![u1, u2]);
    assert_eq!(page.restored_cards, vec![u3]);
    assert_eq!(page.revoked_credentials, vec![cred]);
    let versions: Vec<(Uuid, u32)> = page
        .card_versions
        .iter()
        .map(|v| (v.card_id, v.version))
        .collect();
    assert_eq!(versions, vec![(u2, 2), (u3, 3)]);
    let partners: Vec<(String, String, bool)> = page
        .partners
        .iter()
        .map(|p| (p.id.clone(), p.name.clone(), p.active))
        .collect();
    assert_eq!(
        partners,
        vec![
            ("p1".into(), "Librairie du Parc".into(), true),
            ("p2".into(), "La Page Blanche".into(), false)
        ]
    );
    // Paged: two entities per page, the cursor moves, nothing lost.
    let (mut cursor, mut seen) = (start, 0);
    loop {
        let p = s.changes(cursor, 2).unwrap();
        seen += p.partners.len()
            + p.revoked_cards.len()
            + p.restored_cards.len()
            + p.revoked_credentials.len();
        assert!(p.cursor >= cursor);
        cursor = p.cursor;
        if !p.more {
            break;
        }
    }
    assert_eq!(seen, 6);
    // Nothing new: the same cursor, nothing listed.
    let quiet = s.changes(cursor, 2).unwrap();
    assert_eq!(quiet.cursor, cursor);
    assert!(quiet.partners.is_empty() && quiet.revoked_cards.is_empty() && !quiet.more);
    // The flag, as the Region lists it.
    let flags = s.flags().unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].card_id, u2.to_string());
    assert_eq!(flags[0].amount, Money::from_cents(150).unwrap());
}

#[test]
fn a_change_committed_after_a_later_one_is_still_pulled() {
    let Some(db) = test_db!() else { return };
    let s = store(&db, policy());
    seed_sync(&db);
    let start = s.changes(0, 1000).unwrap().cursor;
    // T1 logs a change first and stays open; T2 logs one and commits.
    let mut c1 = db.client();
    let mut t1 = c1.transaction().unwrap();
    t1.execute("UPDATE partners SET name = 'Un' WHERE id = 'p1'", &[])
        .unwrap();
    let url = db.url.clone();
    let t2 = std::thread::spawn(move || {
        let mut c2 = Client::connect(&url, r2d2_postgres::postgres::NoTls).unwrap();
        c2.execute("UPDATE partners SET name = 'Deux' WHERE id = 'p2'", &[])
            .unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    // A device pulls meanwhile, then again after both committed.
    let first = s.changes(start, 100).unwrap();
    t1.commit().unwrap();
    t2.join().unwrap();
    let second = s.changes(first.cursor, 100).unwrap();
    let mut pulled: Vec<String> = first
        .partners
        .iter()
        .chain(&second.partners)
        .map(|p| p.id.clone())
        .collect();
    pulled.sort();
    assert_eq!(pulled, vec!["p1".to_owned(), "p2".to_owned()]);
}
