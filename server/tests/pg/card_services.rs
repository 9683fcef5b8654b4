//! Card services on PostgreSQL from two instances: lost cards replaced
//! under the card's row lock while debits run, app credentials (one live
//! per card), the print queue and the retention job.

use passregion_server::cards::service::LOADING_BATCH;
use std::sync::Arc;
use std::sync::Barrier;

use chrono::TimeZone;
use chrono::Utc;
use passregion_server::cards::credentials::CredentialsRepo;
use passregion_server::cards::credentials::OfflineDefaults;
use passregion_server::cards::lost::LostCardsRepo;
use passregion_server::cards::printing::PrintRepo;
use passregion_server::cards::privacy::PrivacyRepo;
use passregion_server::cards::repo::CardsRepo;
use passregion_server::error::ServiceError;

use crate::cards::BASE;
use crate::cards::count;
use crate::cards::instance;
use crate::cards::one_euro;
use crate::cards::refused_by_a_rule;
use crate::cards::remaining;
use crate::cards::seed_card;
use crate::cards::staff;
use crate::cards::t0;
use crate::cards::youth;
use crate::test_db;

/// A lost card replaced on one instance while another debits it: every
/// accepted debit is in the ledger once, the balance is exactly what is
/// left, and after the replacement the card (posted again) is refused.
#[test]
fn a_lost_card_replacement_racing_debits_keeps_the_balance_exact() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let card = seed_card(&mut c, 1, 2026, "active");
    stores[0].load_due_seasons(t0(), LOADING_BATCH).unwrap();
    let old_number: String = c
        .query_one("SELECT number FROM cards WHERE id = $1", &[&card])
        .unwrap()
        .get(0);
    let barrier = Arc::new(Barrier::new(5));
    let mut debits = Vec::new();
    for _ in 0..4 {
        let (store, barrier, card) = (stores[0].clone(), barrier.clone(), card.clone());
        debits.push(std::thread::spawn(move || {
            barrier.wait();
            (0..8)
                .map(|_| store.debit_identified(&one_euro(&card), t0()))
                .collect::<Vec<_>>()
        }));
    }
    let (lost_store, lost_barrier) = (stores[1].clone(), barrier.clone());
    let lost = std::thread::spawn(move || {
        lost_barrier.wait();
        std::thread::sleep(std::time::Duration::from_millis(15));
        lost_store.youth_card_lost(&youth(1), false, t0())
    });
    let mut accepted = 0i64;
    for h in debits {
        for r in h.join().unwrap() {
            match r {
                Ok(_) => accepted += 1,
                Err(e) => assert!(refused_by_a_rule(&e), "{e:?}"),
            }
        }
    }
    let replaced = lost.join().unwrap().unwrap();
    assert_eq!(replaced.status.code(), "expediee");
    assert_ne!(replaced.number, old_number);
    assert!(accepted > 0 && accepted <= 15, "accepted {accepted}");
    assert_eq!(
        remaining(&replaced, "lecture_loisir"),
        format!("{}.00", 15 - accepted)
    );
    let (debited, rows, last): (i64, i64, i64) = c
        .query_one(
            "SELECT (SELECT COALESCE(SUM(units), 0)::bigint FROM ledger WHERE movement = 'debit'),
                    (SELECT COUNT(*) FROM transactions),
                    (SELECT debited_total FROM ledger WHERE avantage = 'lecture_loisir'
                     ORDER BY id DESC LIMIT 1)",
            &[],
        )
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!(
        (debited, rows, last),
        (accepted * 100, accepted, accepted * 100)
    );
    // After the replacement, the card is not usable until activated again.
    let after = stores[0].debit_identified(&one_euro(&card), t0());
    assert!(refused_by_a_rule(&after.unwrap_err()));
    let retired: Vec<String> = c
        .query("SELECT number FROM retired_card_numbers", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(retired, vec![old_number]);
}

/// Two declarations of one card on two instances at once: both apply, one
/// after the other (two numbers retired, version 3); without the card's row
/// lock the second retires the same number again and fails.
#[test]
fn two_declarations_of_one_lost_card_from_two_instances_apply_in_turn() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    for round in 0..6 {
        let card = seed_card(&mut c, round, 2026, "active");
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|k| {
                let (store, barrier, card) = (stores[k].clone(), barrier.clone(), card.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    if k == 0 {
                        store.youth_card_lost(&youth(round), true, t0())
                    } else {
                        store.establishment_card_lost(&staff(1), &card, false, t0())
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
        let (version, retired, current_retired): (i64, i64, i64) = c
            .query_one(
                "SELECT k.version,
                        (SELECT COUNT(DISTINCT number) FROM retired_card_numbers r WHERE r.card_id = k.id),
                        (SELECT COUNT(*) FROM retired_card_numbers r WHERE r.number = k.number)
                 FROM cards k WHERE k.id = $1",
                &[&card],
            )
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .unwrap();
        assert_eq!((version, retired, current_retired), (3, 2, 0));
    }
    // Another établissement's card does not exist for the caller.
    let other = stores[0].establishment_card_lost(&staff(2), "c0", false, t0());
    assert!(matches!(other, Err(ServiceError::NotFound(_))));
}

/// Credentials registered at once from two instances: one stays live (each
/// registration revokes the earlier ones under the card's lock).
#[test]
fn credentials_registered_from_two_instances_leave_one_live() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let card = seed_card(&mut c, 1, 2026, "active");
    stores[0].load_due_seasons(t0(), LOADING_BATCH).unwrap();
    let y = youth(1);
    let (id, version, season) = stores[0].card_qr_data(&y, None).unwrap();
    assert_eq!(
        (id.as_str(), version, season.to_string().as_str()),
        (card.as_str(), 1, "2026-2027")
    );
    assert!(stores[0].card_qr_data(&staff(1), Some(&card)).is_ok());
    assert!(matches!(
        stores[0].card_qr_data(&staff(2), Some(&card)),
        Err(ServiceError::NotFound(_))
    ));
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = stores
            .iter()
            .map(|s| {
                let (store, barrier) = (s.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store
                        .register_credential(
                            &youth(1),
                            "k".into(),
                            OfflineDefaults::default(),
                            t0(),
                        )
                        .unwrap()
                })
            })
            .collect();
        for h in handles {
            let cred = h.join().unwrap();
            // The default allowance, below the card's credit.
            assert_eq!(cred.allowance_cents, 3000);
            assert_eq!(cred.per_transaction_max_cents, 1500);
        }
        assert_eq!(
            count(
                &mut c,
                "SELECT COUNT(*) FROM app_credentials WHERE revoked_at IS NULL"
            ),
            1,
            "round {round}"
        );
    }
    assert_eq!(
        count(&mut c, "SELECT COUNT(*) FROM app_credentials"),
        2 * ROUNDS as i64
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM app_credentials WHERE revoked_at IS NULL"
        ),
        1
    );
    assert_eq!(stores[1].revoke_youth_credentials(&y, t0()).unwrap(), 1);
    assert_eq!(stores[1].revoke_youth_credentials(&y, t0()).unwrap(), 0);
    c.batch_execute(
        "INSERT INTO card_flags (card_id, reason, created_at) VALUES ('c1', 'x', 'now')",
    )
    .unwrap();
    assert!(
        stores[0]
            .register_credential(&y, "k".into(), OfflineDefaults::default(), t0())
            .is_err()
    );
}

/// The print queue lists the cards waiting, and two instances marking the
/// same cards posted count and tell each once.
#[test]
fn cards_are_queued_and_marked_posted_once_across_instances() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let ids: Vec<String> = (0..10)
        .map(|i| seed_card(&mut c, i, 2026, "expediee"))
        .collect();
    seed_card(&mut c, 10, 2026, "active");
    let late = Utc.with_ymd_and_hms(2026, 10, 20, 10, 0, 0).unwrap();
    let queue = stores[0].print_queue(late).unwrap();
    assert_eq!(queue.len(), 10);
    assert_eq!(queue[0].version, 1);
    assert_eq!(queue[0].season_year, 2026);
    assert_eq!(queue[0].item.establishment, "Lycée Ampère");
    assert_eq!(queue[0].item.city, "Lyon");
    assert!(queue[0].item.late);
    assert!(
        !stores[0]
            .print_queue(t0() - chrono::Duration::days(49))
            .unwrap()[0]
            .item
            .late
    );
    let too_many = vec!["x".to_owned(); 5_001];
    assert!(matches!(
        stores[0].mark_posted(too_many, t0()),
        Err(ServiceError::Invalid { .. })
    ));
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let (store, barrier, ids) = (s.clone(), barrier.clone(), ids.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.mark_posted(ids, t0() + chrono::Duration::seconds(k as i64))
            })
        })
        .collect();
    let n: u32 = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .sum();
    assert_eq!(n, 10);
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM notification_outbox WHERE dedupe_key LIKE 'expediee:%'"
        ),
        10
    );
    assert!(stores[1].print_queue(t0()).unwrap().is_empty());
}

/// The youth's export, and the retention job run by two instances at once:
/// each expired youth forgotten once, the others kept.
#[test]
fn the_retention_job_forgets_expired_youths_once_across_instances() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    for i in 0..5 {
        seed_card(&mut c, i, 2021, "active");
    }
    seed_card(&mut c, 5, 2026, "active");
    c.batch_execute(
        "INSERT INTO sessions (token_hash, account_id, expires_at)
         VALUES ('t0', 'y0', '2030-01-01T00:00:00.000000Z'),
                ('t5', 'y5', '2030-01-01T00:00:00.000000Z')",
    )
    .unwrap();
    let account = stores[0].exported_account("y0").unwrap();
    assert_eq!(account.email, "y0@example.org");
    let addresses = stores[0].exported_addresses("y0").unwrap();
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].city, "Lyon");
    assert!(matches!(
        stores[0].exported_account("nobody"),
        Err(ServiceError::NotFound(_))
    ));
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = stores
        .iter()
        .map(|s| {
            let (store, barrier) = (s.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.forget_expired_youths(t0(), 3)
            })
        })
        .collect();
    let n: usize = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .sum();
    assert_eq!(n, 5);
    assert_eq!(stores[1].forget_expired_youths(t0(), 3).unwrap(), 0);
    assert_eq!(
        stores[0].exported_account("y0").unwrap().email,
        "oublie-y0@invalid"
    );
    assert_eq!(stores[0].exported_addresses("y0").unwrap()[0].city, "—");
    assert_eq!(count(&mut c, "SELECT COUNT(*) FROM sessions"), 1);
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM cards WHERE first_name = 'Zoé'"
        ),
        1
    );
    assert_eq!(
        stores[0].exported_account("y5").unwrap().email,
        "y5@example.org"
    );
}
