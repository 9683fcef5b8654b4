//! Établissements on PostgreSQL from one and two instances: the directory
//! and its import, référents and the grants of their contact, collective
//! bookings (requested, confirmed once, the day's cap, each card's balance
//! under its lock); the desk's bulk actions and staff are in
//! `establishments_desk.rs`, with these fixtures.

use std::sync::Arc;
use std::sync::Barrier;

use passregion_core::PartnerCategory;
use passregion_server::accounts::model::Principal;
use passregion_server::accounts::model::Role;
use passregion_server::config::CollectiveCaps;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::error::ServiceError;
use passregion_server::establishments::collective::CollectiveRepo;
use passregion_server::establishments::error::EstablishmentsError;
use passregion_server::establishments::grants::ReferentAction;
use passregion_server::establishments::import::EstablishmentRow;
use passregion_server::establishments::model::CollectiveBookingRequest;
use passregion_server::establishments::model::Referent;
use passregion_server::establishments::model::ReferentRequestInput;
use passregion_server::establishments::repo::EstablishmentsRepo;
use passregion_server::establishments::repo::ReferentsRepo;
use passregion_server::platform::idempotency::Idempotency;
use passregion_server::platform::store::PgStore;
use r2d2_postgres::postgres::Client;

use crate::cards::BASE;
use crate::cards::count;
use crate::cards::instance;
use crate::cards::one_euro;
use crate::cards::seed_card;
use crate::cards::staff;
use crate::cards::t0;
use crate::cards::youth;
use crate::support::TestDb;
use crate::support::at_once;
use crate::test_db;

/// The staff `a2` of partner `p1` (a bookshop, convention in force).
pub fn partner() -> Principal {
    Principal {
        account_id: "a2".into(),
        role: Role::Partner,
        partner: Some(("p1".into(), PartnerCategory::Librairie, true)),
        ..youth(0)
    }
}

pub fn idem(account: &str, key: &str) -> Idempotency {
    Idempotency {
        account_id: account.into(),
        key: key.into(),
        request_hash: format!("hash of {key}"),
    }
}

/// Card `c{i}` of établissement `e1`, active, with 15 € of `lecture_loisir`.
pub fn loaded_card(c: &mut Client, i: usize) -> String {
    let card = seed_card(c, i, 2026, "active");
    c.execute(
        "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units,
           loaded_total, debited_total, refunded_total, created_at)
         VALUES ($1, 2026, 'lecture_loisir', 'credit', 'load', 1500, 1500, 0, 0,
           '2026-10-01T00:00:00.000000Z')",
        &[&card],
    )
    .unwrap();
    card
}

fn booking(price: &str, cards: &[String]) -> CollectiveBookingRequest {
    serde_json::from_value(serde_json::json!({
        "partner_id": "p1", "avantage": "lecture_loisir", "service_date": "2026-11-27",
        "price_per_youth": price, "card_ids": cards, "label": "Sortie à la médiathèque"
    }))
    .unwrap()
}

fn instance_with(db: &TestDb, caps: CollectiveCaps) -> Arc<PgStore> {
    let pool = db.pool(4);
    pool.migrate().unwrap();
    Arc::new(PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy {
            collective: caps,
            ..Policy::default()
        },
    ))
}

/// A booking of `price` for `cards`, requested by `s1`; its id.
fn requested(store: &PgStore, key: &str, price: &str, cards: &[String]) -> String {
    let r = store
        .request_booking(&staff(1), booking(price, cards), idem("s1", key), t0())
        .unwrap();
    assert_eq!(r.status, 201);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

/// Running totals of `card`'s `lecture_loisir`: (last row's debited total,
/// sum of its debit movements).
fn debited(c: &mut Client, card: &str) -> (i64, i64) {
    let last = c
        .query_one(
            "SELECT debited_total FROM ledger WHERE card_id = $1 ORDER BY id DESC LIMIT 1",
            &[&card],
        )
        .unwrap()
        .get(0);
    let sum = c
        .query_one(
            "SELECT COALESCE(SUM(units), 0)::BIGINT FROM ledger
             WHERE card_id = $1 AND movement = 'debit'",
            &[&card],
        )
        .unwrap()
        .get(0);
    (last, sum)
}

fn referent(name: &str) -> Referent {
    serde_json::from_value(serde_json::json!({
        "theme": "sport", "name": name, "email": "Coach@Example.org", "phone": "0400000000"
    }))
    .unwrap()
}

fn ask(id: &str) -> ReferentRequestInput {
    ReferentRequestInput {
        referent_id: id.into(),
        message: "Un tournoi de basket en mai.".into(),
    }
}

#[test]
fn the_directory_is_searched_ignoring_case_and_imported_by_uai() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    db.client().batch_execute(BASE).unwrap();
    let row = |uai: &str, name: &str| EstablishmentRow {
        uai: uai.into(),
        name: name.into(),
        kind: "lycee".into(),
        city: "Villeurbanne".into(),
        postal_code: "69100".into(),
    };
    let (added, updated) = store
        .upsert_establishments(vec![
            row("e1", "Lycée Ampère Saxe"),
            row("e9", "Lycée Brossolette"),
        ])
        .unwrap();
    assert_eq!((added, updated), (1, 1));
    let found = store.establishments(Some("  BROSSO ")).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "e9");
    assert_eq!(store.establishments(Some("villeur")).unwrap().len(), 2);
    assert_eq!(store.establishments(Some("69100")).unwrap().len(), 2);
    let all = store.establishments(None).unwrap();
    let names: Vec<_> = all.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Lycée Ampère Saxe",
            "Lycée Brossolette",
            "Lycée Champollion"
        ]
    );
}

#[test]
fn referents_are_kept_by_their_establishment_and_their_contact_goes_only_with_a_grant() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    db.client().batch_execute(BASE).unwrap();
    let r = store
        .add_referent(&staff(1), &referent("Coach"), t0())
        .unwrap();
    assert_eq!(r.establishment_name, "Lycée Ampère");
    assert_eq!(r.email, "coach@example.org");
    // Another établissement neither edits nor removes it.
    assert!(matches!(
        store.edit_referent(&staff(2), &r.id, &referent("X"), t0()),
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        store.remove_referent(&staff(2), &r.id),
        Err(ServiceError::NotFound(_))
    ));
    let edited = store
        .edit_referent(&staff(1), &r.id, &referent("Coach Martin"), t0())
        .unwrap();
    assert_eq!(edited.name, "Coach Martin");
    assert_eq!(store.own_referents(&staff(1)).unwrap().len(), 1);
    assert!(store.own_referents(&staff(2)).unwrap().is_empty());
    let directory = store.referents(&partner(), Some("sport")).unwrap();
    assert_eq!(directory.len(), 1);
    assert!(
        store
            .referents(&partner(), Some("culture"))
            .unwrap()
            .is_empty()
    );
    // Asked: no contact yet; asked twice: refused.
    let q = store
        .request_referent(&partner(), &ask(&r.id), t0())
        .unwrap();
    assert_eq!(q.status.as_str(), "demandee");
    assert!(matches!(
        store.request_referent(&partner(), &ask(&r.id), t0()),
        Err(ServiceError::Establishments(
            EstablishmentsError::ReferentRequestOpen
        ))
    ));
    let seen = store.partner_referents(&partner(), None).unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].email.is_none());
    // Only its établissement decides; then the contact is shared.
    assert!(matches!(
        store.decide_referent_request(&staff(2), &q.id, ReferentAction::Grant, None, t0()),
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(store.referent_requests(&staff(1)).unwrap().len(), 1);
    let granted = store
        .decide_referent_request(&staff(1), &q.id, ReferentAction::Grant, None, t0())
        .unwrap();
    assert_eq!(granted.status.as_str(), "accordee");
    assert_eq!(granted.decided_by.as_deref(), Some("S1"));
    let seen = store.partner_referents(&partner(), Some("sport")).unwrap();
    assert_eq!(seen[0].email.as_deref(), Some("coach@example.org"));
    // Declining a granted request is refused; withdrawing it hides the contact.
    assert!(matches!(
        store.decide_referent_request(&staff(1), &q.id, ReferentAction::Decline, None, t0()),
        Err(ServiceError::Establishments(
            EstablishmentsError::ReferentRequestState(_)
        ))
    ));
    store
        .decide_referent_request(&staff(1), &q.id, ReferentAction::Withdraw, None, t0())
        .unwrap();
    let seen = store.partner_referents(&partner(), Some("sport")).unwrap();
    assert!(seen[0].email.is_none());
    // Removed: gone with its requests.
    store.remove_referent(&staff(1), &r.id).unwrap();
    assert!(
        store
            .partner_referents(&partner(), None)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        count(&mut db.client(), "SELECT COUNT(*) FROM referent_requests"),
        0
    );
}

#[test]
fn two_instances_asking_one_contact_at_once_store_one_request_and_decide_it_once() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    db.client().batch_execute(BASE).unwrap();
    for round in 0..6 {
        let r = stores[0]
            .add_referent(&staff(1), &referent(&format!("Coach {round}")), t0())
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let asked: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = stores
                .iter()
                .map(|store| {
                    let (barrier, id) = (barrier.clone(), r.id.clone());
                    s.spawn(move || {
                        barrier.wait();
                        store.request_referent(&partner(), &ask(&id), t0())
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let stored: Vec<_> = asked.iter().filter_map(|a| a.as_ref().ok()).collect();
        assert_eq!(stored.len(), 1, "round {round}: {asked:?}");
        assert!(asked.iter().any(|a| matches!(
            a,
            Err(ServiceError::Establishments(
                EstablishmentsError::ReferentRequestOpen
            ))
        )));
        // Granted and declined at once: one decision, the other refused.
        let id = stored[0].id.clone();
        let barrier = Arc::new(Barrier::new(2));
        let decided: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = [ReferentAction::Grant, ReferentAction::Decline]
                .into_iter()
                .zip(stores.iter())
                .map(|(action, store)| {
                    let (barrier, id) = (barrier.clone(), id.clone());
                    s.spawn(move || {
                        barrier.wait();
                        store.decide_referent_request(&staff(1), &id, action, None, t0())
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            decided.iter().filter(|d| d.is_ok()).count(),
            1,
            "{decided:?}"
        );
        assert!(decided.iter().any(|d| matches!(
            d,
            Err(ServiceError::Establishments(
                EstablishmentsError::ReferentRequestState(_)
            ))
        )));
    }
}

#[test]
fn a_booking_debits_nothing_until_confirmed_then_each_youth_once() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let cards: Vec<_> = (1..=3).map(|i| loaded_card(&mut c, i)).collect();
    // c1 spent 1 €, c3 all of its 15 €.
    store.debit_identified(&one_euro("c1"), t0()).unwrap();
    for _ in 0..15 {
        store.debit_identified(&one_euro("c3"), t0()).unwrap();
    }
    let id = requested(&store, "sortie", "10.00", &cards);
    // Replayed: the same booking, stored once.
    let again = store
        .request_booking(
            &staff(1),
            booking("10.00", &cards),
            idem("s1", "sortie"),
            t0(),
        )
        .unwrap();
    assert_eq!(again.status, 201);
    assert_eq!(count(&mut c, "SELECT COUNT(*) FROM collective_bookings"), 1);
    assert_eq!(debited(&mut c, "c2"), (0, 0));
    let seen = store.bookings(&youth(2), t0()).unwrap();
    assert_eq!(seen[0].lines.len(), 1);
    assert_eq!(seen[0].lines[0].status, "en_attente");
    assert_eq!(store.bookings(&partner(), t0()).unwrap().len(), 1);
    // Another établissement's cards are refused; the other's booking is not found.
    assert!(matches!(
        store.request_booking(&staff(2), booking("1.00", &cards), idem("s2", "x"), t0()),
        Err(ServiceError::Establishments(
            EstablishmentsError::CardsNotOwn
        ))
    ));
    assert!(matches!(
        store.cancel_booking(&staff(2), &id, t0()),
        Err(ServiceError::NotFound(_))
    ));
    let r = store
        .confirm_booking(&partner(), &id, idem("a2", "ok-1"), t0())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!((r.status, v["status"].as_str()), (200, Some("confirmee")));
    assert_eq!(v["debited_cards"], 2);
    assert_eq!(v["lines"][0]["debited"], "10.00");
    assert_eq!(v["lines"][2]["status"], "refuse");
    assert_eq!(v["lines"][2]["code"], "credit_epuise");
    assert_eq!(debited(&mut c, "c1"), (1100, 1100));
    assert_eq!(debited(&mut c, "c2"), (1000, 1000));
    // Replayed: the same answer, debited once; confirmed again: refused.
    let replay = store
        .confirm_booking(&partner(), &id, idem("a2", "ok-1"), t0())
        .unwrap();
    assert_eq!(replay.body, r.body);
    assert!(matches!(
        store.confirm_booking(&partner(), &id, idem("a2", "ok-2"), t0()),
        Err(ServiceError::Establishments(
            EstablishmentsError::BookingAlreadyDecided(_)
        ))
    ));
    assert!(matches!(
        store.cancel_booking(&staff(1), &id, t0()),
        Err(ServiceError::Establishments(
            EstablishmentsError::BookingAlreadyDecided(_)
        ))
    ));
    assert_eq!(debited(&mut c, "c2"), (1000, 1000));
    // Declined and cancelled bookings debit nothing.
    let other = requested(&store, "sortie-2", "1.00", &cards[1..2]);
    let declined = store
        .decline_booking(&partner(), &other, Some("Complet".into()), t0())
        .unwrap();
    assert_eq!(declined.status.as_str(), "refusee");
    assert_eq!(declined.reason.as_deref(), Some("Complet"));
    let third = requested(&store, "sortie-3", "1.00", &cards[1..2]);
    store.cancel_booking(&staff(1), &third, t0()).unwrap();
    assert_eq!(debited(&mut c, "c2"), (1000, 1000));
    assert_eq!(store.bookings(&staff(1), t0()).unwrap().len(), 3);
    assert!(store.bookings(&staff(2), t0()).unwrap().is_empty());
}

#[test]
fn two_instances_confirming_one_booking_at_once_debit_it_once() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let cards: Vec<_> = (1..=4).map(|i| loaded_card(&mut c, i)).collect();
    for round in 0..5 {
        let id = requested(&stores[0], &format!("b{round}"), "1.00", &cards);
        let out = at_once(2, |i| {
            stores[i].confirm_booking(&partner(), &id, idem("a2", &format!("{round}-{i}")), t0())
        });
        assert_eq!(out.iter().filter(|o| o.is_ok()).count(), 1, "{out:?}");
        assert!(out.iter().any(|o| matches!(
            o,
            Err(ServiceError::Establishments(
                EstablishmentsError::BookingAlreadyDecided(_)
            ))
        )));
    }
    for card in &cards {
        assert_eq!(debited(&mut c, card), (500, 500));
    }
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM transactions WHERE channel = 'collective'"
        ),
        20
    );
}

#[test]
fn a_confirmation_racing_counter_debits_on_another_instance_never_overdraws() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    // Two bookings sharing cards in opposite orders, confirmed at once, and
    // 1 € debits of the same cards at the counter meanwhile.
    let cards: Vec<_> = (1..=3).map(|i| loaded_card(&mut c, i)).collect();
    let reversed: Vec<_> = cards.iter().rev().cloned().collect();
    let a = requested(&stores[0], "a", "6.00", &cards);
    let b = requested(&stores[0], "b", "6.00", &reversed);
    let out = at_once(8, |i| match i {
        0 => stores[0]
            .confirm_booking(&partner(), &a, idem("a2", "ca"), t0())
            .map(|_| 0),
        1 => stores[1]
            .confirm_booking(&partner(), &b, idem("a2", "cb"), t0())
            .map(|_| 0),
        _ => {
            let mut ok = 0;
            for card in &cards {
                if stores[i % 2]
                    .debit_identified(&one_euro(card), t0())
                    .is_ok()
                {
                    ok += 1;
                }
            }
            Ok(ok)
        }
    });
    assert!(out[0].is_ok() && out[1].is_ok(), "{out:?}");
    for card in &cards {
        let (last, sum) = debited(&mut c, card);
        assert_eq!(last, sum, "{card}: running totals");
        assert!(last <= 1500, "{card} overdrawn: {last}");
        let movements = count(
            &mut c,
            &format!("SELECT COUNT(*) FROM ledger WHERE card_id = '{card}' AND movement = 'debit'"),
        );
        // The bookings' two debits and the counter's six (or fewer once
        // empty) each left their row.
        assert!(movements >= 3, "{card}: {movements}");
    }
}

#[test]
fn two_instances_requesting_bookings_at_once_keep_the_days_cap() {
    let Some(db) = test_db!() else { return };
    // 30 € a day: one booking of two cards at 10 € fits, not two.
    let caps = CollectiveCaps::from_cents(1_500, 300_000, 3_000);
    let stores = [instance_with(&db, caps), instance_with(&db, caps)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let cards: Vec<_> = (1..=2).map(|i| loaded_card(&mut c, i)).collect();
    for round in 0..4 {
        c.batch_execute("UPDATE collective_bookings SET status = 'annulee'")
            .unwrap();
        let out = at_once(2, |i| {
            stores[i].request_booking(
                &staff(1),
                booking("10.00", &cards),
                idem("s1", &format!("{round}-{i}")),
                t0(),
            )
        });
        assert_eq!(out.iter().filter(|o| o.is_ok()).count(), 1, "{out:?}");
        assert!(out.iter().any(|o| matches!(
            o,
            Err(ServiceError::Establishments(
                EstablishmentsError::DailyCapReached { .. }
            ))
        )));
    }
}
