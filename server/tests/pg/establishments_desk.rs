//! The établissement's desk on PostgreSQL from one and two instances: bulk
//! decisions and revalidations (a savepoint per item, idempotent per chunk,
//! each chunk's rows locked: a suspension on another instance is never
//! lost), the card's history, staff invited and removed.

use chrono::Duration;
use passregion_core::api::desk::BulkOrderDecision;
use passregion_core::api::desk::BulkRevalidation;
use passregion_core::status::BulkItemStatus;
use passregion_core::status::EstablishmentRole;
use passregion_server::cards::CardChange;
use passregion_server::cards::orders::OrdersRepo;
use passregion_server::cards::repo::CardsRepo;
use passregion_server::error::ServiceError;
use passregion_server::establishments::desk::repo::DeskRepo;
use passregion_server::establishments::desk::staff::NewStaffInvitation;

use crate::cards::BASE;
use crate::cards::count;
use crate::cards::instance;
use crate::cards::request;
use crate::cards::seed_card;
use crate::cards::staff;
use crate::cards::t0;
use crate::cards::youth_account;
use crate::establishments::idem;
use crate::test_db;

fn revalidation(ids: &[String]) -> BulkRevalidation {
    BulkRevalidation {
        card_ids: ids.to_vec(),
    }
}

#[test]
fn a_bulk_decision_decides_each_order_once_and_refuses_the_others_by_item() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let mut ids = Vec::new();
    for i in 1..=3 {
        let y = youth_account(&mut c, i);
        ids.push(store.create_order(&y, request(), t0()).unwrap().id);
    }
    // One already decided, one unknown: refused items, the others done.
    store
        .decide_order(
            &staff(1),
            &ids[2],
            passregion_server::cards::model::OrderDecision {
                validate: true,
                reason: None,
            },
            t0(),
        )
        .unwrap();
    ids.push("inconnue".into());
    let req = BulkOrderDecision {
        order_ids: ids.clone(),
        validate: true,
        reason: None,
    };
    let r = store
        .bulk_decide(&staff(1), req.clone(), idem("s1", "lot"), t0())
        .unwrap();
    assert_eq!((r.done, r.refused), (2, 2), "{r:?}");
    assert_eq!(r.items[2].status, BulkItemStatus::Refused);
    assert_eq!(r.items[3].code.as_deref(), Some("introuvable"));
    assert!(r.items[3].name.is_empty());
    assert_eq!(count(&mut c, "SELECT COUNT(*) FROM cards"), 3);
    // Replayed: the stored answer; nothing decided twice.
    let again = store
        .bulk_decide(&staff(1), req.clone(), idem("s1", "lot"), t0())
        .unwrap();
    assert_eq!(again, r);
    assert_eq!(count(&mut c, "SELECT COUNT(*) FROM cards"), 3);
    // Another établissement sees none of them.
    let theirs = store
        .bulk_decide(&staff(2), req, idem("s2", "lot"), t0())
        .unwrap();
    assert_eq!((theirs.done, theirs.refused), (0, 4));
    assert!(theirs.items.iter().all(|i| i.name.is_empty()));
}

#[test]
fn a_bulk_revalidation_keeps_each_card_done_and_says_why_the_others_are_not() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let old = seed_card(&mut c, 1, 2025, "active");
    let current = seed_card(&mut c, 2, 2026, "active");
    let ids = vec![old.clone(), current.clone()];
    let r = store
        .bulk_revalidate(&staff(1), revalidation(&ids), idem("s1", "reval"), t0())
        .unwrap();
    assert_eq!((r.done, r.refused), (1, 1), "{r:?}");
    assert_eq!(r.items[0].season.as_deref(), Some("2026-2027"));
    assert_eq!(r.items[1].status, BulkItemStatus::Refused);
    assert!(r.items[1].message.is_some());
    let season: i64 = c
        .query_one("SELECT season FROM cards WHERE id = $1", &[&old])
        .unwrap()
        .get(0);
    assert_eq!(season, 2026);
    // The refused item wrote nothing; the done one its event and its loads.
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM card_status_events WHERE card_id = 'c2'"
        ),
        0
    );
    assert!(count(&mut c, "SELECT COUNT(*) FROM ledger WHERE card_id = 'c1'") > 0);
    let history = store.card_history(&staff(1), &old).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].season.as_deref(), Some("2026-2027"));
    assert_eq!(history[0].by.as_deref(), Some("S1"));
    assert!(matches!(
        store.card_history(&staff(2), &old),
        Err(ServiceError::NotFound(_))
    ));
    // Past 100 ids: chunks, each replayed by its own key.
    let many: Vec<String> = (0..150).map(|i| format!("x{i}")).collect();
    let r = store
        .bulk_revalidate(&staff(1), revalidation(&many), idem("s1", "many"), t0())
        .unwrap();
    assert_eq!((r.done, r.refused), (0, 150));
    assert_eq!(
        count(
            &mut c,
            "SELECT COUNT(*) FROM idempotency WHERE key LIKE 'many %'"
        ),
        2
    );
}

#[test]
fn a_bulk_revalidation_racing_suspensions_on_another_instance_loses_neither() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let ids: Vec<String> = (1..=30)
        .map(|i| seed_card(&mut c, i, 2025, "active"))
        .collect();
    let barrier = std::sync::Barrier::new(2);
    let (bulk, suspended) = std::thread::scope(|s| {
        let bulk = s.spawn(|| {
            barrier.wait();
            stores[0].bulk_revalidate(&staff(1), revalidation(&ids), idem("s1", "r"), t0())
        });
        let suspend = s.spawn(|| {
            barrier.wait();
            ids.iter()
                .rev()
                .map(|id| {
                    stores[1]
                        .change_card(&staff(1), id, CardChange::Suspend("Perdue".into()), t0())
                        .is_ok()
                })
                .filter(|ok| *ok)
                .count()
        });
        (bulk.join().unwrap(), suspend.join().unwrap())
    });
    let bulk = bulk.unwrap();
    assert_eq!((bulk.done, suspended), (30, 30), "{bulk:?}");
    // Every card has both: the new season and the suspension.
    let rows = c
        .query("SELECT id, status, season FROM cards ORDER BY id", &[])
        .unwrap();
    for r in rows {
        let (id, status, season): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        assert_eq!((status.as_str(), season), ("suspendue", 2026), "{id}");
    }
}

fn invitation(email: &str, token: &str) -> NewStaffInvitation {
    NewStaffInvitation {
        establishment_id: "e1".into(),
        email: email.into(),
        display_name: "Nouvelle".into(),
        role: EstablishmentRole::Staff,
        placeholder_hash: "h".into(),
        token_hash: token.into(),
        created_at: t0(),
        expires_at: t0() + Duration::days(7),
    }
}

#[test]
fn staff_invited_twice_at_once_on_two_instances_make_one_account_then_are_removed() {
    let Some(db) = test_db!() else { return };
    let stores = [instance(&db), instance(&db)];
    let mut c = db.client();
    c.batch_execute(BASE).unwrap();
    let mut out = Vec::new();
    for round in 0..8 {
        let email = format!("nouvelle{round}@example.org");
        let barrier = std::sync::Barrier::new(2);
        out = std::thread::scope(|s| {
            let hs: Vec<_> = stores
                .iter()
                .enumerate()
                .map(|(i, store)| {
                    let (barrier, email) = (&barrier, &email);
                    s.spawn(move || {
                        barrier.wait();
                        store
                            .invite_establishment_staff(invitation(email, &format!("t{round}-{i}")))
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        assert!(out.iter().all(|o| o.is_ok()), "{out:?}");
        let accounts = c
            .query_one("SELECT COUNT(*) FROM accounts WHERE email = $1", &[&email])
            .unwrap()
            .get::<_, i64>(0);
        assert_eq!(accounts, 1);
        // One live link: the later invitation voided the first's.
        let links = c
            .query_one(
                "SELECT COUNT(*) FROM email_tokens t JOIN accounts a ON a.id = t.account_id
                 WHERE a.email = $1 AND t.used_at IS NULL",
                &[&email],
            )
            .unwrap()
            .get::<_, i64>(0);
        assert_eq!(links, 1);
    }
    let (member, name) = out[0].as_ref().unwrap();
    assert_eq!(name, "Lycée Ampère");
    let team = stores[1].establishment_staff("e1", t0()).unwrap();
    assert_eq!(team.len(), 9);
    assert_eq!(team[0].account_id, "s1");
    assert_eq!(team[8].email, "nouvelle7@example.org");
    assert_eq!(
        team[8].invitation_expires_at,
        Some(t0() + Duration::days(7))
    );
    // Another établissement's member is not found; removed, gone.
    assert!(matches!(
        stores[0].remove_establishment_staff("e2", &member.account_id, t0()),
        Err(ServiceError::NotFound(_))
    ));
    stores[0]
        .remove_establishment_staff("e1", &member.account_id, t0())
        .unwrap();
    assert_eq!(stores[1].establishment_staff("e1", t0()).unwrap().len(), 8);
    assert!(matches!(
        stores[1].remove_establishment_staff("e1", &member.account_id, t0()),
        Err(ServiceError::NotFound(_))
    ));
    let own = stores[0].own_establishment(&staff(1)).unwrap();
    assert_eq!(own.name, "Lycée Ampère");
}
