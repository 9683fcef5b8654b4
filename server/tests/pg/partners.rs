//! Partners' storage on PostgreSQL: the directory and bons plans, with the
//! promises of the SQLite engine (as in the storage contract), and what two
//! instances on one database must keep.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::NaiveDate;
use chrono::TimeZone;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::status::PartnerRole;
use passregion_server::accounts::model::Principal;
use passregion_server::accounts::model::Role;
use passregion_server::bons_plans::repo::BonsPlansRepo;
use passregion_server::error::ServiceError;
use passregion_server::partners::repo::DirectoryRepo;
use serde_json::Value;
use serde_json::json;

use crate::notify::instance;
use crate::test_db;
use crate::transactions::SEED;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub fn de<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

pub fn js<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn invalid<T: std::fmt::Debug>(r: Result<T, ServiceError>) -> &'static str {
    match r {
        Err(ServiceError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The manager of the seed's partner `p1`.
fn manager() -> Principal {
    Principal {
        account_id: "a2".into(),
        role: Role::Partner,
        partner: Some(("p1".into(), PartnerCategory::Librairie, true)),
        partner_role: Some(PartnerRole::Manager),
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    }
}

#[test]
fn bons_plans_are_published_once_moderated() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    db.client().batch_execute(SEED).unwrap();
    let partner = manager();
    let plan = js(&store
        .submit_bon_plan(
            &partner,
            de(json!({"title": "Rencontre d'auteur", "description": "Sur inscription."})),
            t0(),
        )
        .unwrap());
    assert_eq!(plan["status"], "soumis");
    assert_eq!(plan["partner_name"], "Librairie");
    let id = plan["id"].as_str().unwrap();
    let published = |category: Option<PartnerCategory>, day: NaiveDate| -> Vec<Value> {
        js(&store.bons_plans(category, day).unwrap())
            .as_array()
            .unwrap()
            .clone()
    };
    let today = t0().date_naive();
    assert!(published(None, today).is_empty(), "not before moderation");
    assert_eq!(js(&store.bons_plans_to_moderate().unwrap())[0]["id"], id);
    assert_eq!(
        js(&store.partner_bons_plans(&partner).unwrap())[0]["id"],
        id
    );
    assert_eq!(
        invalid(store.moderate_bon_plan(id, de(json!({"validate": false})))),
        "reason"
    );
    let valid = js(&store
        .moderate_bon_plan(id, de(json!({"validate": true})))
        .unwrap());
    assert_eq!(valid["status"], "valide");
    assert_eq!(published(None, today).len(), 1);
    assert_eq!(published(Some(PartnerCategory::Librairie), today).len(), 1);
    assert!(published(Some(PartnerCategory::Cinema), today).is_empty());
    assert!(store.bons_plans_to_moderate().unwrap().is_empty());
    assert_eq!(
        invalid(store.moderate_bon_plan(id, de(json!({"validate": true})))),
        "id",
        "moderated once"
    );
    // A partner not in force shows none.
    let mut c = db.client();
    c.batch_execute("UPDATE partners SET suspended_at = '2026-11-01T00:00:00.000000Z'")
        .unwrap();
    assert!(published(None, today).is_empty(), "suspended partner");
    c.batch_execute("UPDATE partners SET suspended_at = NULL, convention_ends_on = '2026-11-01'")
        .unwrap();
    assert!(published(None, today).is_empty(), "convention ended");
    c.batch_execute("UPDATE partners SET convention_ends_on = NULL, terminates_on = '2026-11-02'")
        .unwrap();
    assert!(published(None, today).is_empty(), "terminated that day");
    c.batch_execute("UPDATE partners SET terminates_on = '2026-11-03'")
        .unwrap();
    assert_eq!(published(None, today).len(), 1, "in force until then");
    // An edit sends it back to moderation; another partner's does not exist.
    let edited = js(&store
        .update_bon_plan(
            &partner,
            id,
            de(json!({"title": "Rencontre", "description": "Libre.", "valid_until": "2026-11-30"})),
            t0(),
        )
        .unwrap());
    assert_eq!(edited["status"], "soumis");
    assert_eq!(edited["valid_until"], "2026-11-30");
    assert!(published(None, today).is_empty());
    let stranger = Principal {
        partner: Some(("p2".into(), PartnerCategory::Librairie, true)),
        ..manager()
    };
    assert!(matches!(
        store.update_bon_plan(
            &stranger,
            id,
            de(json!({"title": "x", "description": "y"})),
            t0()
        ),
        Err(ServiceError::NotFound(_))
    ));
    store
        .moderate_bon_plan(id, de(json!({"validate": true})))
        .unwrap();
    assert_eq!(published(None, today).len(), 1);
    let after = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    assert!(published(None, after).is_empty(), "past its end date");
    let refused = js(&store
        .moderate_bon_plan(
            store
                .submit_bon_plan(
                    &partner,
                    de(json!({"title": "Soldes", "description": "-50 %"})),
                    t0(),
                )
                .unwrap()
                .id
                .as_str(),
            de(json!({"validate": false, "reason": "Hors convention."})),
        )
        .unwrap());
    assert_eq!(refused["status"], "refuse");
    assert_eq!(refused["reason"], "Hors convention.");
    assert_eq!(published(None, today).len(), 1);
}

#[test]
fn two_instances_moderating_one_bon_plan_decide_once() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<_> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    db.client().batch_execute(SEED).unwrap();
    for round in 0..10 {
        let id = stores[0]
            .submit_bon_plan(
                &manager(),
                de(json!({"title": format!("Plan {round}"), "description": "x"})),
                t0(),
            )
            .unwrap()
            .id;
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (s, barrier, id) = (s.clone(), barrier.clone(), id.clone());
                std::thread::spawn(move || {
                    let req = if i == 0 {
                        json!({"validate": true})
                    } else {
                        json!({"validate": false, "reason": "Non."})
                    };
                    barrier.wait();
                    s.moderate_bon_plan(&id, de(req))
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let decided: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(decided.len(), 1, "round {round}: {results:?}");
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(ServiceError::Invalid { field: "id", .. })))
        );
        let stored: String = db
            .client()
            .query_one("SELECT status FROM bons_plans WHERE id = $1", &[&id])
            .unwrap()
            .get(0);
        assert_eq!(
            stored,
            decided[0].status.as_str(),
            "the answer is what is stored"
        );
    }
}

#[test]
fn the_directory_lists_partners_in_force_found_ignoring_ascii_case() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = db.client();
    c.batch_execute(SEED).unwrap();
    c.batch_execute(
        "INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
                               status, created_at)
         VALUES ('p2', 'Cinéma Lumière', 'cinema', '2 rue', 'Villeurbanne', '69100', 45.77, 4.88,
                 'validated', '2026-10-01T00:00:00.000000Z'),
                ('p3', 'Brouillon', 'cinema', '3 rue', 'Lyon', '69002', 45.7, 4.8,
                 'pending', '2026-10-01T00:00:00.000000Z')",
    )
    .unwrap();
    let today = t0().date_naive();
    let names = |q: Option<&str>, cat: Option<PartnerCategory>| -> Vec<String> {
        store
            .partners(q, cat, today)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    assert_eq!(
        names(None, None),
        ["Cinéma Lumière", "Librairie"],
        "by name, drafts hidden"
    );
    assert_eq!(names(Some(" LIBR "), None), ["Librairie"]);
    assert_eq!(names(Some("villeur"), None), ["Cinéma Lumière"], "by city");
    assert_eq!(names(Some("LUMIÈRE"), None), ["Cinéma Lumière"]);
    assert_eq!(
        names(None, Some(PartnerCategory::Cinema)),
        ["Cinéma Lumière"]
    );
    assert!(names(Some("absent"), None).is_empty());
    let p = &store.partners(Some("libr"), None, today).unwrap()[0];
    assert_eq!(p.category, PartnerCategory::Librairie);
    assert_eq!((p.latitude, p.longitude), (45.7, 4.8));
    c.batch_execute("UPDATE partners SET terminates_on = '2026-11-02' WHERE id = 'p1'")
        .unwrap();
    assert_eq!(
        names(None, None),
        ["Cinéma Lumière"],
        "terminated partners leave"
    );
}

mod convention;
