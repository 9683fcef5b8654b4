//! Debits on PostgreSQL from several instances: the card's row is the
//! balance head, locked by every debit, so concurrent debits on one card
//! never overdraw it and the ledger's running totals stay exact.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::TimeZone;
use chrono::Utc;
use passregion_core::DebitError;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::card::CardNumber;
use passregion_server::accounts::model::Principal;
use passregion_server::accounts::model::Role;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::debits::card::CardRef;
use passregion_server::debits::card::Channel;
use passregion_server::debits::error::DebitsError;
use passregion_server::debits::model::DebitRequest;
use passregion_server::debits::qr::ScannedCard;
use passregion_server::debits::qr::UsedQr;
use passregion_server::debits::repo::DebitsRepo;
use passregion_server::debits::repo_pg::CardDebit;
use passregion_server::error::ServiceError;
use passregion_server::platform::idempotency::Idempotency;
use passregion_server::platform::idempotency::StoredResponse;
use passregion_server::platform::store::PgStore;
use passregion_server::web::problem::ApiError;
use serde_json::Value;
use serde_json::json;

use crate::support::TestDb;
use crate::test_db;
use crate::transactions::SEED;

/// Instances, threads per instance, debits per thread: 48 debits of 1,00 €
/// on a card loaded with 15,00 € of `lecture_loisir`.
const INSTANCES: usize = 2;
const THREADS: usize = 4;
const EACH: usize = 6;

pub fn instance(db: &TestDb) -> PgStore {
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

/// The instant of the tests (season 2026, a weekday morning).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

/// Card `c1`'s holder's birth date (`SEED`).
pub fn birth() -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 3, 14).unwrap()
}

/// A valid card number (Luhn), from `seed`.
pub fn number(seed: u64) -> CardNumber {
    let mut n = seed;
    CardNumber::generate(move || {
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        n
    })
}

/// `SEED` with card `c1` numbered `number(1)` and loaded with 15,00 € of
/// `lecture_loisir`, a second partner `p2` (account `a3`); card `c1`'s number.
pub fn seed(db: &TestDb) -> CardNumber {
    let n = number(1);
    let mut c = db.client();
    c.batch_execute(SEED).unwrap();
    c.execute(
        "UPDATE cards SET number = $1 WHERE id = 'c1'",
        &[&n.as_str()],
    )
    .unwrap();
    c.batch_execute(
        "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units,
           loaded_total, debited_total, refunded_total, created_at)
         VALUES ('c1', 2026, 'lecture_loisir', 'credit', 'load', 1500, 1500, 0, 0,
           '2026-10-01T00:00:00.000000Z');
         INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
                               longitude, status, created_at)
         VALUES ('p2', 'La Page Blanche', 'librairie', '2 rue', 'Lyon', '69001', 45.7, 4.8,
                 'validated', '2026-10-01T00:00:00.000000Z');
         INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
                               created_at, partner_role)
         VALUES ('a3', 'q@example.org', 'h', 'partner', 'Q', 'p2',
                 '2026-10-01T00:00:00.000000Z', 'manager');",
    )
    .unwrap();
    n
}

/// Partner staff of `partner_id` (account `account_id`), convention in force.
pub fn partner(account_id: &str, partner_id: &str) -> Principal {
    Principal {
        account_id: account_id.into(),
        role: Role::Partner,
        partner: Some((partner_id.into(), PartnerCategory::Librairie, true)),
        partner_role: None,
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    }
}

/// The holder of card `c1`.
pub fn youth() -> Principal {
    Principal {
        account_id: "a1".into(),
        role: Role::Youth,
        partner: None,
        partner_role: None,
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    }
}

pub fn idem(who: &Principal, key: &str, request: &str) -> Idempotency {
    Idempotency {
        account_id: who.account_id.clone(),
        key: key.into(),
        request_hash: format!("hash-of-{request}"),
    }
}

/// A debit of `price` euros of `lecture_loisir`.
pub fn req(price: &str) -> DebitRequest {
    serde_json::from_value(json!({"avantage": "lecture_loisir", "price": price})).unwrap()
}

pub fn answer(r: &StoredResponse) -> (u16, Value) {
    (r.status, serde_json::from_str(&r.body).unwrap())
}

/// The API's stable code of a refusal.
pub fn code<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> &'static str {
    ApiError::from(r.expect_err("a refusal")).code
}

/// Debits `price` on card `c1` by its number and birth date.
pub fn debit_by_number(
    store: &PgStore,
    n: &CardNumber,
    birth: NaiveDate,
    price: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ServiceError> {
    let who = partner("a2", "p1");
    store.debit(
        &who,
        CardRef::Number(n.clone(), birth),
        req(price),
        Channel::Web,
        idem(&who, key, &format!("debit {price}")),
        now,
    )
}

/// One number: `SELECT COUNT(*)`-like queries.
pub fn count(db: &TestDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).unwrap().get(0)
}

/// The balance of `c1`'s `lecture_loisir`, in cents, from its last ledger row.
pub fn balance(db: &TestDb) -> i64 {
    count(
        db,
        "SELECT loaded_total - debited_total + refunded_total FROM ledger
         WHERE card_id = 'c1' ORDER BY id DESC LIMIT 1",
    )
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
    // The statistics counted each accepted debit once too (over the shards
    // of the summary row: one per connection that wrote, migration 0005).
    let n: i64 = c
        .query_one("SELECT SUM(n)::BIGINT FROM stats_spend", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 15);
}

#[test]
fn a_debit_by_number_moves_the_balance_lists_it_and_queues_the_receipt() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let n = seed(&db);
    let who = partner("a2", "p1");
    let inspected = store
        .inspect_card(&who, CardRef::Number(n.clone(), birth()), t0())
        .unwrap();
    assert!(inspected.usable);
    assert_eq!(inspected.holder, "Y Z.");
    let lecture = inspected
        .balances
        .iter()
        .find(|b| b.avantage == "lecture_loisir")
        .unwrap();
    assert_eq!(
        (lecture.loaded.as_str(), lecture.remaining.as_str()),
        ("15.00", "15.00")
    );
    let (status, receipt) =
        answer(&debit_by_number(&store, &n, birth(), "12.50", "k1", t0()).unwrap());
    assert_eq!(status, 201);
    assert_eq!(receipt["debited"], "12.50");
    assert_eq!(receipt["reste_a_payer"], "0.00");
    assert_eq!(receipt["channel"], "web");
    assert_eq!(receipt["balance"], "2.50");
    assert_eq!(receipt["holder"], "Y Z.");
    // Above what is left: the card goes to zero, the youth pays the rest.
    let (_, second) = answer(&debit_by_number(&store, &n, birth(), "10.00", "k2", t0()).unwrap());
    assert_eq!(second["debited"], "2.50");
    assert_eq!(second["reste_a_payer"], "7.50");
    assert_eq!(second["balance"], "0.00");
    assert_eq!(
        code(debit_by_number(&store, &n, birth(), "1.00", "k3", t0())),
        "credit_epuise"
    );
    assert_eq!(balance(&db), 0);
    // The receipt of each accepted debit, once, in the same transaction.
    let id = receipt["id"].as_str().unwrap();
    let receipts: i64 = db
        .client()
        .query_one(
            "SELECT COUNT(*) FROM notification_outbox WHERE account_id = 'a1'
             AND dedupe_key = 'debit:' || $1",
            &[&id],
        )
        .unwrap()
        .get(0);
    assert_eq!(receipts, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM notification_outbox"), 2);
    // The lists: the partner's (cursor-paged), the youth's, the Region's.
    let page = store.partner_transactions(&who, 0, 1).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, id);
    assert_eq!(page.items[0].avantage_label, "Lecture loisir");
    assert_eq!(page.items[0].reimbursement_status, "en_attente");
    let rest = store
        .partner_transactions(&who, page.next_cursor, 500)
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(
        store
            .partner_transactions(&partner("a3", "p2"), 0, 500)
            .unwrap()
            .items
            .is_empty(),
        "another partner sees none of them"
    );
    let mine = store.my_transactions(&youth()).unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[1].id, id, "newest first");
    assert!(matches!(
        store.my_transactions(&who),
        Err(ServiceError::Forbidden)
    ));
    let all = store.region_transactions(0, 500).unwrap();
    assert_eq!(all.items.len(), 2);
    assert_eq!(all.next_cursor, all.items[1].seq);
    assert!(
        store
            .region_transactions(all.next_cursor, 500)
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn a_retry_on_the_other_instance_gets_the_stored_answer() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (instance(&db), instance(&db));
    let n = seed(&db);
    let first = debit_by_number(&a, &n, birth(), "4.00", "same-key", t0()).unwrap();
    // The retry lands on the other instance, later: the stored answer.
    let later = t0() + chrono::Duration::minutes(3);
    let again = debit_by_number(&b, &n, birth(), "4.00", "same-key", later).unwrap();
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    let who = partner("a2", "p1");
    let replayed = b
        .replayed_debit(&idem(&who, "same-key", "debit 4.00"))
        .unwrap()
        .unwrap();
    assert_eq!(replayed.body, first.body);
    assert!(
        b.replayed_debit(&idem(&who, "same-key", "debit 5.00"))
            .unwrap()
            .is_none()
    );
    // The same key with another request: refused, nothing written.
    assert_eq!(
        code(debit_by_number(&b, &n, birth(), "5.00", "same-key", later)),
        "cle_idempotence_reutilisee"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 1);
    assert_eq!(balance(&db), 1100);
}

#[test]
fn two_first_attempts_with_one_key_on_two_instances_apply_once() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    let n = seed(&db);
    const KEYS: usize = 6;
    const COPIES: usize = 2;
    let barrier = Arc::new(Barrier::new(KEYS * COPIES * 2));
    let mut handles = Vec::new();
    for k in 0..KEYS {
        for store in &stores {
            for _ in 0..COPIES {
                let (store, barrier, n) = (store.clone(), barrier.clone(), n.clone());
                handles.push(std::thread::spawn(move || {
                    barrier.wait();
                    let key = format!("key-{k}");
                    (k, debit_by_number(&store, &n, birth(), "1.00", &key, t0()))
                }));
            }
        }
    }
    let mut answers: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for h in handles {
        let (k, r) = h.join().unwrap();
        let r = r.unwrap_or_else(|e| panic!("key {k}: {e:?}"));
        assert_eq!(r.status, 201);
        answers.entry(k).or_default().push(r.body);
    }
    for (k, bodies) in &answers {
        assert!(
            bodies.iter().all(|b| b == &bodies[0]),
            "key {k}: every copy gets the one stored answer"
        );
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), KEYS as i64);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM idempotency"), KEYS as i64);
    assert_eq!(balance(&db), 1500 - 100 * KEYS as i64);
}

/// An app credential `cred1` of card `c1`, not revoked.
pub fn seed_credential(db: &TestDb) {
    db.client()
        .batch_execute(
            "INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents,
               per_tx_max_cents, max_count, issued_at, expires_at, revoked_at)
             VALUES ('cred1', 'c1', 'k', 3000, 1500, 5, '2026-10-01T00:00:00.000000Z',
                     '2027-10-01T00:00:00.000000Z', NULL)",
        )
        .unwrap();
}

/// Card `c1` designated by the app's dynamic code `counter` of `cred1`.
pub fn scanned(counter: u32) -> CardRef {
    CardRef::Scanned(ScannedCard {
        card_version: None,
        card_id: "c1".into(),
        used: Some(UsedQr {
            credential_id: "cred1".into(),
            counter,
            expires_at: t0() + chrono::Duration::days(300),
        }),
    })
}

#[test]
fn concurrent_debits_by_number_and_code_on_two_instances_never_overdraw_a_card() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<Arc<PgStore>> = (0..INSTANCES).map(|_| Arc::new(instance(&db))).collect();
    let n = seed(&db);
    seed_credential(&db);
    let barrier = Arc::new(Barrier::new(INSTANCES * THREADS));
    let mut handles = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        for t in 0..THREADS {
            let (store, barrier, n) = (store.clone(), barrier.clone(), n.clone());
            handles.push(std::thread::spawn(move || {
                barrier.wait();
                (0..EACH)
                    .map(|k| {
                        let key = format!("{i}-{t}-{k}");
                        if t % 2 == 0 {
                            return debit_by_number(&store, &n, birth(), "1.00", &key, t0());
                        }
                        // A new code each time (its own counter).
                        let who = partner("a2", "p1");
                        let counter = (i * 100 + t * 10 + k) as u32;
                        store.debit(
                            &who,
                            scanned(counter),
                            req("1.00"),
                            Channel::Qr,
                            idem(&who, &key, "scan"),
                            t0(),
                        )
                    })
                    .collect::<Vec<_>>()
            }));
        }
    }
    let mut accepted = 0;
    for r in handles.into_iter().flat_map(|h| h.join().unwrap()) {
        match r {
            Ok(r) => {
                assert_eq!(answer(&r).1["debited"], "1.00");
                accepted += 1;
            }
            Err(e) => assert_eq!(code::<()>(Err(e)), "credit_epuise"),
        }
    }
    assert_eq!(accepted, 15, "exactly the 15,00 € loaded, never more");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM transactions"), 15);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM notification_outbox"), 15);
    assert_eq!(balance(&db), 0);
}

fn refund(
    store: &PgStore,
    who: &Principal,
    tx: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ServiceError> {
    store.refund(
        who,
        tx,
        Default::default(),
        idem(who, key, &format!("refund {tx}")),
        now,
    )
}

#[test]
fn a_refund_restores_the_balance_once() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (instance(&db), instance(&db));
    let n = seed(&db);
    let (_, receipt) = answer(&debit_by_number(&a, &n, birth(), "12.50", "k1", t0()).unwrap());
    let tx = receipt["id"].as_str().unwrap();
    let later = t0() + chrono::Duration::hours(2);
    let who = partner("a2", "p1");
    assert_eq!(
        code(refund(&a, &partner("a3", "p2"), tx, "r0", later)),
        "introuvable",
        "another partner's debit"
    );
    let (status, refunded) = answer(&refund(&a, &who, tx, "r1", later).unwrap());
    assert_eq!(status, 201);
    assert_eq!(refunded["kind"], "refund");
    assert_eq!(refunded["debited"], "12.50");
    assert_eq!(refunded["balance_after"], "15.00");
    assert_eq!(refunded["refund_of"], tx);
    assert_eq!(balance(&db), 1500);
    // Its retry on the other instance: the same answer; a new refund: no.
    let again = refund(&b, &who, tx, "r1", later).unwrap();
    assert_eq!(answer(&again), (201, refunded));
    assert_eq!(code(refund(&b, &who, tx, "r2", later)), "deja_rembourse");
    assert_eq!(balance(&db), 1500);
    let items = b.partner_transactions(&who, 0, 500).unwrap().items;
    assert_eq!(items.len(), 2);
    assert!(items.iter().find(|t| t.id == tx).unwrap().refunded);
    // Past the refund window (7 days by default): refused.
    let (_, late) = answer(&debit_by_number(&a, &n, birth(), "1.00", "k2", t0()).unwrap());
    let late = late["id"].as_str().unwrap();
    assert_eq!(
        code(refund(
            &b,
            &who,
            late,
            "r3",
            t0() + chrono::Duration::days(8)
        )),
        "delai_annulation_depasse"
    );
    // A partial refund in another unit: refused.
    let entries = b.refund(
        &who,
        late,
        serde_json::from_value(json!({"entries": 1})).unwrap(),
        idem(&who, "r4", "entries"),
        later,
    );
    assert_eq!(code(entries), "type_avantage_incorrect");
}

#[test]
fn concurrent_refunds_of_one_debit_on_two_instances_apply_once() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    let n = seed(&db);
    let (_, receipt) =
        answer(&debit_by_number(&stores[0], &n, birth(), "12.50", "k1", t0()).unwrap());
    let tx: String = receipt["id"].as_str().unwrap().into();
    const EACH: usize = 4;
    let barrier = Arc::new(Barrier::new(EACH * 2));
    let mut handles = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        for j in 0..EACH {
            let (store, barrier, tx) = (store.clone(), barrier.clone(), tx.clone());
            handles.push(std::thread::spawn(move || {
                barrier.wait();
                let later = t0() + chrono::Duration::hours(1);
                refund(
                    &store,
                    &partner("a2", "p1"),
                    &tx,
                    &format!("r-{i}-{j}"),
                    later,
                )
            }));
        }
    }
    let mut accepted = 0;
    for h in handles {
        match h.join().unwrap() {
            Ok(r) => {
                assert_eq!(r.status, 201);
                accepted += 1;
            }
            Err(e) => assert_eq!(code::<()>(Err(e)), "deja_rembourse"),
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM transactions WHERE kind = 'refund'"
        ),
        1
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM ledger WHERE movement = 'refund'"),
        1
    );
    assert_eq!(balance(&db), 1500);
}
