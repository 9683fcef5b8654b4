//! Card identification on PostgreSQL from several instances: number + birth
//! date with the lockout (in the database, so shared), replaced numbers, the
//! printed and the app QR, a dynamic QR consumed once.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::Duration;
use chrono::NaiveDate;
use passregion_core::card::CardNumber;
use passregion_server::debits::card::CardRef;
use passregion_server::debits::card::Channel;
use passregion_server::debits::qr::CredentialState;
use passregion_server::debits::repo::DebitsRepo;
use passregion_server::platform::store::PgStore;

use crate::debits::answer;
use crate::debits::birth;
use crate::debits::code;
use crate::debits::count;
use crate::debits::debit_by_number;
use crate::debits::idem;
use crate::debits::instance;
use crate::debits::number;
use crate::debits::partner;
use crate::debits::req;
use crate::debits::scanned;
use crate::debits::seed;
use crate::debits::seed_credential;
use crate::debits::t0;
use crate::test_db;

fn wrong() -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 3, 15).unwrap()
}

/// `each` calls at once on each instance (`call(store, instance, index)`),
/// all released together: the codes answered, sorted.
fn codes_at_once(
    stores: &[Arc<PgStore>; 2],
    each: usize,
    call: impl Fn(&PgStore, usize, usize) -> &'static str + Send + Sync + 'static,
) -> Vec<&'static str> {
    let (barrier, call) = (Arc::new(Barrier::new(each * 2)), Arc::new(call));
    let mut handles = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        for j in 0..each {
            let (store, barrier, call) = (store.clone(), barrier.clone(), call.clone());
            handles.push(std::thread::spawn(move || {
                barrier.wait();
                call(&store, i, j)
            }));
        }
    }
    let mut codes: Vec<&str> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    codes.sort();
    codes
}

/// Ten wrong birth dates at once for `n`, half on each instance: the codes
/// answered, sorted.
fn wrong_dates_at_once(stores: &[Arc<PgStore>; 2], n: &CardNumber) -> Vec<&'static str> {
    let n = n.clone();
    codes_at_once(stores, 5, move |store, i, j| {
        code(debit_by_number(
            store,
            &n,
            wrong(),
            "1.00",
            &format!("w{i}{j}"),
            t0(),
        ))
    })
}

#[test]
fn wrong_birth_dates_on_two_instances_count_each_and_lock_the_number_once() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    let n = seed(&db);
    // 5 wrong dates lock a number (Policy::default): 10 at once give exactly
    // 4 wrong-date answers, then locks; for a card's number as for a number
    // no card has (nothing but the guard to serialise them).
    let unknown = number(2);
    for n in [&n, &unknown] {
        let codes = wrong_dates_at_once(&stores, n);
        let wrong_dates = codes
            .iter()
            .filter(|c| **c == "carte_ou_date_incorrecte")
            .count();
        let locked = codes.iter().filter(|c| **c == "carte_bloquee").count();
        assert_eq!((wrong_dates, locked), (4, 6), "{codes:?}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM number_lockouts"), 2);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM number_lockouts WHERE card_id = 'c1'"
        ),
        1
    );
    // Locked on both instances, even with the right date; nothing debited.
    for store in &stores {
        assert_eq!(
            code(debit_by_number(store, &n, birth(), "1.00", "right", t0())),
            "carte_bloquee"
        );
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 0);
    // After the lock (15 minutes), the right date debits and resets the guard.
    let after = t0() + Duration::minutes(16);
    assert!(debit_by_number(&stores[1], &n, birth(), "1.00", "after", after).is_ok());
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM number_guards WHERE failed_attempts = 0
             AND locked_until IS NULL AND lockouts = 0"
        ),
        1
    );
}

/// A printed code's look-up reads its number's guard under its card's row
/// lock, without the number's advisory lock: many at once on two instances
/// (with a typed look-up of the same number among them), each wrong date
/// counts once. The race is on the guard's first row, so each round starts
/// without it; with neither lock, some round counts a wrong date twice as one.
#[test]
fn wrong_dates_by_printed_code_and_by_number_at_once_count_each() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    let n = seed(&db);
    const EACH: usize = 6;
    const ROUNDS: usize = 10;
    for round in 0..ROUNDS {
        let n = n.clone();
        let codes = codes_at_once(&stores, EACH, move |store, i, j| {
            let who = partner("a2", "p1");
            let key = format!("m{round}-{i}{j}");
            if (i, j) == (1, 0) {
                code(debit_by_number(store, &n, wrong(), "1.00", &key, t0()))
            } else {
                code(store.debit(
                    &who,
                    CardRef::Printed("c1".into(), 1, wrong()),
                    req("1.00"),
                    Channel::Qr,
                    idem(&who, &key, "printed"),
                    t0(),
                ))
            }
        });
        let wrong_dates = codes
            .iter()
            .filter(|c| **c == "carte_ou_date_incorrecte")
            .count();
        let locked = codes.iter().filter(|c| **c == "carte_bloquee").count();
        assert_eq!((wrong_dates, locked), (4, 8), "round {round}: {codes:?}");
        db.client()
            .batch_execute("DELETE FROM number_guards")
            .unwrap();
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM number_lockouts"),
        ROUNDS as i64
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 0);
}

#[test]
fn the_second_lock_of_a_number_lasts_twice_as_long() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (instance(&db), instance(&db));
    let n = seed(&db);
    let mut now = t0();
    for lock in 0..2 {
        for i in 0..5 {
            let store = if i % 2 == 0 { &a } else { &b };
            let key = format!("w{lock}{i}");
            let expected = if i < 4 {
                "carte_ou_date_incorrecte"
            } else {
                "carte_bloquee"
            };
            assert_eq!(
                code(debit_by_number(store, &n, wrong(), "1.00", &key, now)),
                expected
            );
        }
        now += Duration::minutes(16);
    }
    // The second lock is 30 minutes: still locked 16 minutes after it.
    assert_eq!(
        code(debit_by_number(&a, &n, birth(), "1.00", "r", now)),
        "carte_bloquee"
    );
    assert!(debit_by_number(&a, &n, birth(), "1.00", "r2", now + Duration::minutes(15)).is_ok());
    assert_eq!(count(&db, "SELECT MAX(lockout) FROM number_lockouts"), 2);
}

#[test]
fn an_unknown_number_answers_like_a_real_one_and_a_replaced_number_is_told() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let n = seed(&db);
    let unknown = number(2);
    assert_ne!(unknown.as_str(), n.as_str());
    for i in 0..4 {
        assert_eq!(
            code(debit_by_number(
                &store,
                &unknown,
                birth(),
                "1.00",
                &format!("u{i}"),
                t0()
            )),
            "carte_ou_date_incorrecte"
        );
    }
    assert_eq!(
        code(debit_by_number(
            &store,
            &unknown,
            birth(),
            "1.00",
            "u4",
            t0()
        )),
        "carte_bloquee"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM number_lockouts WHERE card_id IS NULL"
        ),
        1
    );
    // A number retired (the card declared lost): with the holder's date it
    // is told replaced, with another date it fails as any number.
    let old = number(3);
    db.client()
        .execute(
            "INSERT INTO retired_card_numbers (number, card_id, reason, declared_by, retired_at)
             VALUES ($1, 'c1', 'perdue', 'a1', '2026-10-20T00:00:00.000000Z')",
            &[&old.as_str()],
        )
        .unwrap();
    assert_eq!(
        code(debit_by_number(&store, &old, birth(), "1.00", "o1", t0())),
        "carte_remplacee"
    );
    assert_eq!(
        code(debit_by_number(&store, &old, wrong(), "1.00", "o2", t0())),
        "carte_ou_date_incorrecte"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 0);
}

#[test]
fn a_printed_code_checks_the_birth_date_on_the_numbers_guard() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (instance(&db), instance(&db));
    let n = seed(&db);
    let who = partner("a2", "p1");
    let printed = |birth| CardRef::Printed("c1".into(), 1, birth);
    // Wrong dates through the printed code and through the number count on
    // one guard, on either instance.
    for i in 0..4 {
        let store = if i % 2 == 0 { &a } else { &b };
        let r = store.debit(
            &who,
            printed(wrong()),
            req("1.00"),
            Channel::Qr,
            idem(&who, &format!("p{i}"), "printed"),
            t0(),
        );
        assert_eq!(code(r), "carte_ou_date_incorrecte");
    }
    assert_eq!(
        code(debit_by_number(&b, &n, wrong(), "1.00", "n", t0())),
        "carte_bloquee"
    );
    let later = t0() + Duration::minutes(16);
    let (status, receipt) = answer(
        &a.debit(
            &who,
            printed(birth()),
            req("2.00"),
            Channel::Qr,
            idem(&who, "ok", "p"),
            later,
        )
        .unwrap(),
    );
    assert_eq!(status, 201);
    assert_eq!(receipt["channel"], "qr");
    // An inspection with a wrong date counts too (committed, refused).
    assert_eq!(
        code(a.inspect_card(&who, printed(wrong()), later)),
        "carte_ou_date_incorrecte"
    );
    assert_eq!(count(&db, "SELECT failed_attempts FROM number_guards"), 1);
}

#[test]
fn an_earlier_print_of_a_replaced_card_is_refused_in_the_debits_transaction() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (instance(&db), instance(&db));
    seed(&db);
    let who = partner("a2", "p1");
    let printed = |version| CardRef::Printed("c1".into(), version, birth());
    let debit = |store: &PgStore, version, key: &str| {
        store.debit(
            &who,
            printed(version),
            req("1.00"),
            Channel::Qr,
            idem(&who, key, "printed"),
            t0(),
        )
    };
    let (status, _) = answer(&debit(&a, 1, "v1").unwrap());
    assert_eq!(status, 201);
    // The card is replaced (version 2) behind both instances' backs.
    db.client()
        .batch_execute("UPDATE cards SET version = 2 WHERE id = 'c1'")
        .unwrap();
    assert_eq!(code(debit(&b, 1, "old")), "carte_remplacee");
    assert_eq!(code(debit(&a, 1, "old2")), "carte_remplacee");
    // Its retry with the first key still gets the first answer.
    assert_eq!(answer(&debit(&b, 1, "v1").unwrap()).0, 201);
    assert_eq!(answer(&debit(&b, 2, "v2").unwrap()).0, 201);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 2);
    // A refusal leaves no claim of its key behind: the key can be used.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM idempotency"), 2);
}

#[test]
fn a_dynamic_code_serves_one_debit_across_instances() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    seed(&db);
    seed_credential(&db);
    db.client()
        .batch_execute(
            "INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents,
               per_tx_max_cents, max_count, issued_at, expires_at, revoked_at)
             VALUES ('cred2', 'c1', 'k', 3000, 1500, 5, '2026-10-01T00:00:00.000000Z',
                     '2027-10-01T00:00:00.000000Z', '2026-10-02T00:00:00.000000Z');",
        )
        .unwrap();
    // The verifier's storage: issued here and not revoked.
    assert!(stores[0].credential_usable("cred1").unwrap());
    assert!(!stores[1].credential_usable("cred2").unwrap());
    assert!(!stores[1].credential_usable("nope").unwrap());
    // One code (counter 7) scanned by four counters at once, on two instances.
    let barrier = Arc::new(Barrier::new(4));
    let mut handles = Vec::new();
    for i in 0..4 {
        let (store, barrier) = (stores[i % 2].clone(), barrier.clone());
        handles.push(std::thread::spawn(move || {
            barrier.wait();
            let who = partner("a2", "p1");
            store.debit(
                &who,
                scanned(7),
                req("1.00"),
                Channel::Qr,
                idem(&who, &format!("s{i}"), "scan"),
                t0(),
            )
        }));
    }
    let mut accepted = 0;
    for h in handles {
        match h.join().unwrap() {
            Ok(_) => accepted += 1,
            Err(e) => assert_eq!(code::<()>(Err(e)), "qr_deja_utilise"),
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM qr_uses"), 1);
    // The next counter serves one more.
    let who = partner("a2", "p1");
    assert!(
        stores[1]
            .debit(
                &who,
                scanned(8),
                req("1.00"),
                Channel::Qr,
                idem(&who, "s8", "scan"),
                t0()
            )
            .is_ok()
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 2);
}
