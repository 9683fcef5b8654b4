//! Cards on PostgreSQL from one and two instances: orders decided once,
//! the card's life and the season's loading run by every instance's
//! background job (the lost cards, credentials, print queue and retention
//! are in `card_services.rs`, with these fixtures).

use passregion_server::cards::service::LOADING_BATCH;
use std::sync::Arc;
use std::sync::Barrier;

use chrono::DateTime;
use chrono::TimeZone;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_server::accounts::model::Principal;
use passregion_server::accounts::model::Role;
use passregion_server::cards::CardChange;
use passregion_server::cards::credentials::CredentialsRepo;
use passregion_server::cards::credentials::OfflineDefaults;
use passregion_server::cards::error::CardsError;
use passregion_server::cards::model::OrderDecision;
use passregion_server::cards::model::OrderFilter;
use passregion_server::cards::model::OrderRequest;
use passregion_server::cards::orders::OrdersRepo;
use passregion_server::cards::repo::CardsRepo;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::debits::repo_pg::CardDebit;
use passregion_server::error::ServiceError;
use passregion_server::platform::store::PgStore;
use r2d2_postgres::postgres::Client;

use crate::support::TestDb;
use crate::test_db;

pub fn instance(db: &TestDb) -> Arc<PgStore> {
    let pool = db.pool(4);
    pool.migrate().unwrap();
    Arc::new(PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    ))
}

/// Inside the 2026-2027 season.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

pub const BASE: &str = "
    INSERT INTO establishments VALUES ('e1', 'Lycée Ampère', 'lycee', 'Lyon', '69001');
    INSERT INTO establishments VALUES ('e2', 'Lycée Champollion', 'lycee', 'Lyon', '69002');
    INSERT INTO accounts (id, email, password_hash, role, display_name, establishment_id, created_at)
    VALUES ('s1', 's1@example.org', 'h', 'establishment', 'S1', 'e1', '2026-10-01T00:00:00.000000Z'),
           ('s2', 's2@example.org', 'h', 'establishment', 'S2', 'e2', '2026-10-01T00:00:00.000000Z');
    INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
                          status, created_at)
    VALUES ('p1', 'Librairie', 'librairie', '1 rue', 'Lyon', '69001', 45.7, 4.8, 'validated',
            '2026-10-01T00:00:00.000000Z');
    INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id, created_at,
                          partner_role)
    VALUES ('a2', 'p@example.org', 'h', 'partner', 'P', 'p1', '2026-10-01T00:00:00.000000Z',
            'manager');
";

/// A youth account `y{i}`.
pub fn youth_account(c: &mut Client, i: usize) -> Principal {
    c.execute(
        "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
         VALUES ($1, $2, 'h', 'youth', 'Y', '2026-10-01T00:00:00.000000Z')",
        &[&format!("y{i}"), &format!("y{i}@example.org")],
    )
    .unwrap();
    youth(i)
}

pub fn youth(i: usize) -> Principal {
    Principal {
        account_id: format!("y{i}"),
        role: Role::Youth,
        partner: None,
        partner_role: None,
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    }
}

pub fn staff(n: usize) -> Principal {
    Principal {
        account_id: format!("s{n}"),
        role: Role::Establishment,
        establishment_id: Some(format!("e{n}")),
        ..youth(0)
    }
}

/// A card `c{i}` of youth `y{i}` (account made here), of `season`, with
/// `status`, not loaded.
pub fn seed_card(c: &mut Client, i: usize, season: i64, status: &str) -> String {
    youth_account(c, i);
    let (card, order, account) = (format!("c{i}"), format!("o{i}"), format!("y{i}"));
    c.execute(
        "INSERT INTO orders (id, account_id, season, establishment_id, public, track, disabled,
           first_name, last_name, birth_date, address, postal_code, city, status, created_at,
           decided_at)
         VALUES ($1, $2, $3, 'e1', 'lyceen', 'seconde', FALSE, 'Zoé', 'Z', '2010-03-14',
           '3 rue des Tests', '69002', 'Lyon', 'validee', '2026-10-01T00:00:00.000000Z',
           '2026-10-02T00:00:00.000000Z')",
        &[&order, &account, &season],
    )
    .unwrap();
    c.execute(
        "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status,
           public, track, disabled, first_name, last_name, birth_date, created_at)
         VALUES ($1, $2, $3, $4, 'e1', $5, $6, 'lyceen', 'seconde', FALSE, 'Zoé', 'Z',
           '2010-03-14', '2026-10-01T00:00:00.000000Z')",
        &[
            &card,
            &format!("{:016}", 4_000_000_000_000_000u64 + i as u64),
            &account,
            &order,
            &season,
            &status,
        ],
    )
    .unwrap();
    card
}

pub fn request() -> OrderRequest {
    serde_json::from_value(serde_json::json!({
        "first_name": "Zoé", "last_name": "Contrat", "birth_date": "2010-03-14",
        "public": "lyceen", "track": "seconde", "establishment_id": "e1",
        "address": "3 rue des Tests", "postal_code": "69002", "city": "Lyon"
    }))
    .unwrap()
}

pub fn validate() -> OrderDecision {
    OrderDecision {
        validate: true,
        reason: None,
    }
}

pub fn refuse() -> OrderDecision {
    OrderDecision {
        validate: false,
        reason: Some("Inscription non confirmée.".into()),
    }
}

pub fn count(c: &mut Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).unwrap().get(0)
}

pub fn one_euro(card: &str) -> CardDebit {
    CardDebit {
        card_id: card.into(),
        partner: ("p1".into(), PartnerCategory::Librairie, "a2".into()),
        avantage: "lecture_loisir".into(),
        price: Some(Money::from_cents(100).unwrap()),
        entries: None,
    }
}

pub fn remaining(view: &passregion_server::cards::model::CardView, avantage: &str) -> String {
    view.balances
        .iter()
        .find(|b| b.avantage == avantage)
        .map(|b| b.remaining.clone())
        .unwrap_or_default()
}

pub fn refused_by_a_rule(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Cards(_) | ServiceError::Debits(_))
}

#[test]
fn an_order_is_decided_once_and_its_card_loaded_activated_and_listed() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let y = youth_account(&mut c, 1);
    let order = store.create_order(&y, request(), t0()).unwrap();
    assert_eq!(order.status.as_str(), "en_attente");
    assert_eq!(order.season, "2026-2027");
    assert!(!order.disabled);
    let again = store.create_order(&y, request(), t0());
    assert!(matches!(
        again,
        Err(ServiceError::Cards(CardsError::DuplicateOrder))
    ));
    assert_eq!(store.my_orders(&y).unwrap().len(), 1);
    let pending = OrderFilter {
        status: Some("en_attente".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .establishment_orders(&staff(1), &pending)
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .establishment_orders(&staff(2), &Default::default())
            .unwrap()
            .is_empty()
    );
    let theirs = store.decide_order(&staff(2), &order.id, validate(), t0());
    assert!(matches!(theirs, Err(ServiceError::NotFound(_))));
    let decided = store
        .decide_order(&staff(1), &order.id, validate(), t0())
        .unwrap();
    assert_eq!(decided.status.as_str(), "validee");
    assert_eq!(decided.decided_at, Some(t0()));
    let twice = store.decide_order(&staff(1), &order.id, refuse(), t0());
    assert!(matches!(
        twice,
        Err(ServiceError::Cards(CardsError::OrderAlreadyDecided))
    ));
    assert!(
        store
            .establishment_orders(&staff(1), &pending)
            .unwrap()
            .is_empty()
    );
    let issued = store.my_card(&y, t0()).unwrap();
    assert_eq!(issued.status.code(), "expediee");
    assert_eq!(issued.number.len(), 16);
    assert_eq!(remaining(&issued, "lecture_loisir"), "15.00");
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM notification_outbox WHERE account_id = 'y1'"
        ),
        1
    );
    // A card with a live order is refused a second order.
    assert!(matches!(
        store.create_order(&y, request(), t0()),
        Err(ServiceError::Cards(CardsError::DuplicateOrder))
    ));
    let active = store.activate_card(&y, t0()).unwrap();
    assert_eq!(active.status.code(), "active");
    assert_eq!(active.valid_until.to_string(), "2027-05-31");
    assert!(matches!(
        store.activate_card(&y, t0()),
        Err(ServiceError::Cards(_))
    ));
    let listed = store
        .establishment_cards(&staff(1), &Default::default(), t0())
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, active.id);
    assert_eq!(remaining(&listed[0], "lecture_loisir"), "15.00");
    // The season's job finds nothing more to load: the decision loaded it.
    assert_eq!(store.load_due_seasons(t0(), LOADING_BATCH).unwrap(), 0);
}

#[test]
fn cards_are_suspended_reactivated_and_revalidated_by_their_establishment() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let card = seed_card(&mut c, 1, 2026, "active");
    assert!(store.load_due_seasons(t0(), LOADING_BATCH).unwrap() > 0);
    let y = youth(1);
    store
        .register_credential(&y, "k".into(), OfflineDefaults::default(), t0())
        .unwrap();
    let theirs = store.change_card(&staff(2), &card, CardChange::Suspend("x".into()), t0());
    assert!(matches!(theirs, Err(ServiceError::NotFound(_))));
    let s = store
        .change_card(
            &staff(1),
            &card,
            CardChange::Suspend("Manuels abîmés".into()),
            t0(),
        )
        .unwrap();
    assert_eq!(s.status.code(), "suspendue");
    assert_eq!(s.status_reason.as_deref(), Some("Manuels abîmés"));
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM app_credentials WHERE revoked_at IS NULL"
        ),
        0,
        "a suspension revokes the app credentials"
    );
    let debit = store.debit_identified(&one_euro(&card), t0());
    assert!(refused_by_a_rule(&debit.unwrap_err()));
    let twice = store.change_card(&staff(1), &card, CardChange::Suspend("x".into()), t0());
    assert!(matches!(twice, Err(ServiceError::Cards(_))));
    let back = store
        .change_card(&staff(1), &card, CardChange::Reactivate, t0())
        .unwrap();
    assert_eq!(back.status.code(), "active");
    assert_eq!(back.status_reason, None);
    assert_eq!(remaining(&back, "lecture_loisir"), "15.00");
    assert!(store.debit_identified(&one_euro(&card), t0()).is_ok());
    // Revalidated for 2027-2028 in the spring, loaded once that season starts.
    let spring = Utc.with_ymd_and_hms(2027, 5, 10, 10, 0, 0).unwrap();
    let next = store
        .change_card(&staff(1), &card, CardChange::Revalidate, spring)
        .unwrap();
    assert_eq!(next.season, "2027-2028");
    let autumn = Utc.with_ymd_and_hms(2027, 9, 10, 10, 0, 0).unwrap();
    assert!(store.load_due_seasons(autumn, LOADING_BATCH).unwrap() > 0);
    assert_eq!(store.load_due_seasons(autumn, LOADING_BATCH).unwrap(), 0);
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM card_status_events WHERE card_id = 'c1'"
        ),
        3
    );
}

/// Two instances suspend one card at the same instant: one suspension,
/// one event in its history; the other is refused (the card's row lock
/// makes the state transition one read-modify-write at a time).
#[test]
fn two_suspensions_of_one_card_from_two_instances_apply_once() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    for round in 0..10 {
        let card = seed_card(&mut c, round, 2026, "active");
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = stores
            .iter()
            .map(|s| {
                let (store, barrier, card) = (s.clone(), barrier.clone(), card.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.change_card(&staff(1), &card, CardChange::Suspend("Abîmée".into()), t0())
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| matches!(e, ServiceError::Cards(CardsError::Card(_))))
        );
        let events: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM card_status_events WHERE card_id = $1",
                &[&card],
            )
            .unwrap()
            .get(0);
        assert_eq!(events, 1, "round {round}");
    }
}

/// Two instances decide each order at the same instant: one decision
/// applies, the other finds the order decided; one card, loaded once, one
/// e-mail. (Without the order's row lock, a validation and a refusal both
/// succeed, and two validations fail on the card's unique index.)
#[test]
fn two_decisions_of_one_order_from_two_instances_apply_once() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    const ROUNDS: usize = 12;
    for i in 0..ROUNDS {
        let y = youth_account(&mut c, i);
        let order = stores[0].create_order(&y, request(), t0()).unwrap();
        let barrier = Arc::new(Barrier::new(2));
        // Even rounds: two validations; odd rounds: a validation and a refusal.
        let handles: Vec<_> = (0..2)
            .map(|k| {
                let (store, barrier, id) = (stores[k].clone(), barrier.clone(), order.id.clone());
                let decision = if k == 1 && i % 2 == 1 {
                    refuse()
                } else {
                    validate()
                };
                std::thread::spawn(move || {
                    barrier.wait();
                    store.decide_order(&staff(1), &id, decision, t0())
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(won.len(), 1, "round {i}: {results:?}");
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, ServiceError::Cards(CardsError::OrderAlreadyDecided)),
                    "round {i}: {e:?}"
                );
            }
        }
        let stored: String = c
            .query_one("SELECT status FROM orders WHERE id = $1", &[&order.id])
            .unwrap()
            .get(0);
        assert_eq!(stored, won[0].status.as_str());
        let cards: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM cards WHERE order_id = $1",
                &[&order.id],
            )
            .unwrap()
            .get(0);
        assert_eq!(cards, i64::from(won[0].status.as_str() == "validee"));
    }
    assert_eq!(
        count(&mut c, "SELECT COUNT(*) FROM notification_outbox"),
        ROUNDS as i64
    );
    let loads = count(
        &mut c,
        "SELECT COUNT(*) FROM ledger WHERE movement = 'load' AND avantage = 'lecture_loisir'",
    );
    assert_eq!(loads, count(&mut c, "SELECT COUNT(*) FROM cards"));
}

/// The season's loading runs on every instance's background ticker: run
/// together, and again, they load each card × avantage once, and neither
/// fails. (Without the locks, the second fails on the ledger's unique index.)
#[test]
fn concurrent_season_loading_on_two_instances_loads_each_avantage_once() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    const CARDS: usize = 40;
    for i in 0..CARDS {
        seed_card(
            &mut c,
            i,
            2026,
            if i % 3 == 0 { "expediee" } else { "active" },
        );
    }
    // One card brought from the previous system is never loaded.
    c.batch_execute(
        "INSERT INTO card_imports (card_id, import_key, season, imported_at)
         VALUES ('c1', 'k1', 2026, '2026-09-01T00:00:00.000000Z')",
    )
    .unwrap();
    let imported = count(&mut c, "SELECT COUNT(*) FROM card_imports");
    let mut total = 0;
    for _round in 0..3 {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = stores
            .iter()
            .map(|s| {
                let (store, barrier) = (s.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    // Small batches: the two instances' transactions interleave.
                    store.load_due_seasons(t0(), 7)
                })
            })
            .collect();
        for h in handles {
            total += h.join().unwrap().unwrap();
        }
    }
    let loads = count(
        &mut c,
        "SELECT COUNT(*) FROM ledger WHERE movement = 'load'",
    );
    assert_eq!(total as i64, loads, "each load counted once");
    let per_card = count(
        &mut c,
        "SELECT COUNT(*) FROM ledger WHERE movement = 'load' AND card_id = 'c2'",
    );
    assert!(per_card > 0);
    assert_eq!(loads, per_card * (CARDS as i64 - imported));
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM (SELECT card_id, avantage FROM ledger
             GROUP BY card_id, avantage HAVING COUNT(*) > 1) x"
        ),
        0
    );
}
