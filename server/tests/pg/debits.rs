//! Debits on PostgreSQL from several instances: the card's row is the
//! balance head, locked by every debit, so concurrent debits on one card
//! never overdraw it and the ledger's running totals stay exact.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::TimeZone;
use chrono::Utc;
use passregion_core::DebitError;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::debits::error::DebitsError;
use passregion_server::debits::repo_pg::CardDebit;
use passregion_server::error::ServiceError;
use passregion_server::platform::store::PgStore;

use crate::support::TestDb;
use crate::test_db;
use crate::transactions::SEED;

/// Instances, threads per instance, debits per thread: 48 debits of 1,00 €
/// on a card loaded with 15,00 € of `lecture_loisir`.
const INSTANCES: usize = 2;
const THREADS: usize = 4;
const EACH: usize = 6;

fn instance(db: &TestDb) -> PgStore {
    let pool = db.pool(THREADS as u32);
    pool.migrate().unwrap();
    PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    )
}

fn one_euro() -> CardDebit {
    CardDebit {
        card_id: "c1".into(),
        partner: ("p1".into(), PartnerCategory::Librairie, "a2".into()),
        avantage: "lecture_loisir".into(),
        price: Some(Money::from_cents(100).unwrap()),
        entries: None,
    }
}

#[test]
fn concurrent_debits_from_two_instances_never_overdraw_a_card() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<Arc<PgStore>> = (0..INSTANCES).map(|_| Arc::new(instance(&db))).collect();
    let mut c = db.client();
    c.batch_execute(SEED).unwrap();
    c.batch_execute(
        "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units,
           loaded_total, debited_total, refunded_total, created_at)
         VALUES ('c1', 2026, 'lecture_loisir', 'credit', 'load', 1500, 1500, 0, 0,
           '2026-10-01T00:00:00.000000Z')",
    )
    .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let barrier = Arc::new(Barrier::new(INSTANCES * THREADS));
    let mut handles = Vec::new();
    for store in &stores {
        for _ in 0..THREADS {
            let (store, barrier) = (store.clone(), barrier.clone());
            handles.push(std::thread::spawn(move || {
                barrier.wait();
                (0..EACH)
                    .map(|_| store.debit_identified(&one_euro(), now))
                    .collect::<Vec<_>>()
            }));
        }
    }
    let results: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let mut accepted = 0;
    for r in &results {
        match r {
            Ok((tx, _)) => {
                assert_eq!(tx.debited, "1.00");
                accepted += 1;
            }
            Err(ServiceError::Debits(DebitsError::Debit(DebitError::NothingLeft))) => {}
            Err(e) => panic!("unexpected refusal: {e:?}"),
        }
    }
    assert_eq!(accepted, 15, "exactly the 15,00 € loaded, never more");
    let (debited, rows, last_debited, balance): (i64, i64, i64, i64) = c
        .query_one(
            "SELECT (SELECT SUM(units)::bigint FROM ledger WHERE movement = 'debit'),
                    (SELECT COUNT(*) FROM transactions),
                    l.debited_total, l.loaded_total - l.debited_total + l.refunded_total
             FROM ledger l ORDER BY l.id DESC LIMIT 1",
            &[],
        )
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .unwrap();
    assert_eq!(debited, 1500);
    assert_eq!(rows, 15);
    assert_eq!(
        last_debited, 1500,
        "the running totals count every debit once"
    );
    assert_eq!(balance, 0);
    // Each row's totals follow the previous row's: no two debits read the
    // same totals.
    let broken: i64 = c
        .query_one(
            "SELECT COUNT(*) FROM (
               SELECT debited_total - units AS before,
                      LAG(debited_total, 1, 0::bigint) OVER (ORDER BY id) AS previous, movement
               FROM ledger) x
             WHERE movement = 'debit' AND before <> previous",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(broken, 0);
    // The statistics counted each accepted debit once too.
    let n: i64 = c
        .query_one("SELECT n FROM stats_spend", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 15);
}
