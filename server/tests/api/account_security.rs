//! One's own account security (issue 16): change the password (the current
//! one checked, within the login's budget), end the other sessions, declare a
//! lost phone (its codes stop working online at once and offline at push).

use chrono::Duration;
use passregion_core::PartnerCategory;
use serde_json::json;

use crate::common::{Client, TestApp};
use crate::offline_push::{Device, credential, push};

async fn second_session(app: &TestApp, email: &str, password: &str) -> Client {
    app.login_with(email, password).await
}

#[tokio::test]
async fn changing_the_password_checks_the_old_one_and_ends_the_other_sessions() {
    let app = TestApp::init().build().await;
    let phone = app
        .register("yanis@example.fr", "premier mot de passe", "Yanis")
        .await;
    let laptop = second_session(&app, "yanis@example.fr", "premier mot de passe").await;
    let change = |current: &'static str, new: &'static str| {
        let phone = phone.clone();
        async move {
            phone
                .post(
                    "/api/me/password",
                    &json!({"current_password": current, "new_password": new}),
                )
                .await
        }
    };
    let r = change("pas le bon", "second mot de passe").await;
    assert_eq!((r.status, r.code()), (401, "identifiants_invalides"));
    let r = change("premier mot de passe", "court").await;
    assert_eq!((r.status, r.code()), (422, "champ_invalide"));
    assert_eq!(
        laptop.get("/api/me").await.status,
        200,
        "nothing changed yet"
    );
    let r = change("premier mot de passe", "second mot de passe").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // This session stays, the other ends at once; only the new password works.
    assert_eq!(phone.get("/api/me").await.status, 200);
    assert_eq!(laptop.get("/api/me").await.status, 401);
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/auth/login",
                &json!({"email": "yanis@example.fr", "password": password}),
            )
            .await
            .status
        }
    };
    assert_eq!(login("premier mot de passe").await, 401);
    assert_eq!(login("second mot de passe").await, 200);
    // "Fermer mes autres sessions": another device's session ends, this one stays.
    let tablet = second_session(&app, "yanis@example.fr", "second mot de passe").await;
    let r = phone.post("/api/me/sessions/end-others", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(tablet.get("/api/me").await.status, 401);
    assert_eq!(phone.get("/api/me").await.status, 200);
    // Guessing the current password is budgeted like a login: 30 failures
    // (one above already), then 429 even with the right one.
    for _ in 0..29 {
        let r = change("devine", "troisième mot de passe").await;
        assert_eq!(r.status, 401);
    }
    let r = change("second mot de passe", "troisième mot de passe").await;
    assert_eq!((r.status, r.code()), (429, "trop_de_tentatives"));
}

#[tokio::test]
async fn a_lost_phone_stops_its_codes_online_and_offline() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Eva").await;
    let (cred, old_phone) = credential(&youth, 21).await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let mut device = Device::enrol(&partner, 22).await;
    // The youth declares the phone lost from another device (a new session).
    app.advance(Duration::minutes(5));
    let r = youth.post("/api/youth/lost-phone", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Online, the old phone's code is refused at once.
    let now = app.now();
    let code = cred.dynamic_qr(&old_phone, now, 1).unwrap();
    let r = partner
        .debit(&json!({"qr": code, "avantage": "lecture_loisir", "price": "5.00"}))
        .await;
    assert_eq!((r.status, r.code()), (409, "qr_revoque"), "{}", r.body);
    // Offline, a partner that has not pulled accepts it: refused at push.
    let item = device.debit(&cred.dynamic_qr(&old_phone, now, 2).unwrap(), 500, 500, now);
    let results = push(&partner, &[item]).await;
    assert_eq!(results[0]["code"], "qr_revoque", "{}", results[0]);
    // The revocation reaches partner devices by pull.
    let pull = partner.get("/api/sync/pull?cursor=0").await;
    let revoked = pull.body["revoked_credentials"].as_array().unwrap();
    assert!(
        revoked
            .iter()
            .any(|c| c == &cred.claims().credential_id.to_string())
    );
}

#[tokio::test]
async fn sessions_are_listed_and_closed_one_by_one() {
    let app = crate::common::TestApp::init().build().await;
    let email = "sessions@example.org";
    let phone = app.register(email, crate::common::PASSWORD, "Eva").await;
    let laptop = app.login(email).await;
    let list = laptop.get("/api/me/sessions").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let sessions = list.body.as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    // The ids are 16 hex digits, nothing of the token.
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    let id = other["id"].as_str().unwrap();
    assert_eq!(id.len(), 16);
    assert!(!phone.token.as_deref().unwrap().contains(id));
    // Another account cannot close it.
    let stranger = app.youth("Intrus").await;
    assert_eq!(
        stranger
            .delete(&format!("/api/me/sessions/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(phone.get("/api/youth/orders").await.status, 200);
    // Its owner closes it: the phone is out at once.
    assert_eq!(
        laptop
            .delete(&format!("/api/me/sessions/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(phone.get("/api/youth/orders").await.status, 401);
    assert_eq!(
        laptop
            .get("/api/me/sessions")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(laptop.delete("/api/me/sessions/zz").await.status, 404);
}
