//! The database connection lost in the middle of a burst of debits (a
//! failover, ADR 0036): a debit is either committed with its idempotency
//! record or absent, the caller is answered 503 and retries with the same
//! key, and no acknowledged debit is lost or doubled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Barrier;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;

use passregion_server::error::ServiceError;
use passregion_server::platform::store::PgStore;

use crate::debits::answer;
use crate::debits::balance;
use crate::debits::birth;
use crate::debits::count;
use crate::debits::debit_by_number;
use crate::debits::instance;
use crate::debits::seed;
use crate::debits::t0;
use crate::test_db;

const THREADS: usize = 4;
const KEYS: usize = 10;
/// Times every connection is cut, one every `PAUSE`.
const ROUNDS: usize = 8;
const PAUSE: Duration = Duration::from_millis(40);

#[test]
fn debits_retried_after_lost_connections_are_applied_once() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    let n = seed(&db);
    let done = Arc::new(AtomicBool::new(false));
    // Ends every other connection to the database, again and again, while
    // the burst runs.
    let killer = {
        let (done, mut c) = (done.clone(), db.client());
        std::thread::spawn(move || {
            let mut rounds = 0;
            while rounds < ROUNDS && !done.load(Ordering::SeqCst) {
                std::thread::sleep(PAUSE);
                c.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    &[],
                )
                .unwrap();
                rounds += 1;
            }
            rounds
        })
    };
    let barrier = Arc::new(Barrier::new(2 * THREADS));
    let mut handles = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        for t in 0..THREADS {
            let (store, barrier, n): (Arc<PgStore>, _, _) =
                (store.clone(), barrier.clone(), n.clone());
            handles.push(std::thread::spawn(move || {
                barrier.wait();
                let mut acknowledged = Vec::new();
                let mut lost = 0;
                for k in 0..KEYS {
                    let key = format!("{i}-{t}-{k}");
                    // The app's retry: the same key until an answer.
                    let body = loop {
                        match debit_by_number(&store, &n, birth(), "0.10", &key, t0()) {
                            Ok(r) => break r,
                            Err(ServiceError::Unavailable) => {
                                lost += 1;
                                assert!(lost < 500, "no answer after {lost} attempts");
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            Err(e) => panic!("key {key}: {e:?} (a lost connection is a 503)"),
                        }
                    };
                    let (status, receipt) = answer(&body);
                    assert_eq!(status, 201);
                    acknowledged.push((key, receipt["id"].as_str().unwrap().to_owned()));
                }
                (acknowledged, lost)
            }));
        }
    }
    let mut acknowledged = BTreeMap::new();
    let mut lost = 0;
    for h in handles {
        let (acks, l) = h.join().unwrap();
        lost += l;
        acknowledged.extend(acks);
    }
    done.store(true, Ordering::SeqCst);
    let rounds = killer.join().unwrap();
    assert!(rounds > 0);
    assert!(lost > 0, "the test cut no connection: it proves nothing");
    let total = (2 * THREADS * KEYS) as i64;
    assert_eq!(acknowledged.len() as i64, total);
    // Every acknowledged debit is there, once; nothing else is.
    let mut c = db.client();
    for (key, id) in &acknowledged {
        let found: i64 = c
            .query_one("SELECT COUNT(*) FROM transactions WHERE id = $1", &[id])
            .unwrap()
            .get(0);
        assert_eq!(found, 1, "key {key}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), total);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM idempotency"), total);
    assert_eq!(balance(&db), 1500 - 10 * total);
    assert_eq!(
        count(
            &db,
            "SELECT debited_total FROM ledger ORDER BY id DESC LIMIT 1"
        ),
        10 * total,
        "the running totals count each debit once"
    );
}
