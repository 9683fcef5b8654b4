//! HTTP hardening (docs/security.md): personal API answers are never cached,
//! the sync pull is only for the apps that keep an offline copy, and a
//! locked account still opens from its owner's known device.

use passregion_core::PartnerCategory;
use serde_json::{Value, json};

use crate::common::TestApp;

fn no_store(r: &crate::common::Resp) -> bool {
    r.headers.get("cache-control").and_then(|v| v.to_str().ok()) == Some("no-store")
}

#[tokio::test]
async fn personal_answers_are_never_cached() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _card) = app.youth_with_card(&etab, "Inès").await;
    // Login (a session token), the card, its QR codes, an app credential.
    let login = app
        .post(
            "/api/auth/login",
            &json!({"email": "nobody@test.passregion.fr", "password": "x"}),
        )
        .await;
    assert!(no_store(&login), "{:?}", login.headers);
    for path in [
        "/api/youth/card",
        "/api/youth/card/qr",
        "/api/youth/card/qr.svg",
        "/api/youth/card/qr.png",
        "/api/me",
    ] {
        let r = youth.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(no_store(&r), "{path}: {:?}", r.headers);
    }
    let key = "A".repeat(43);
    let r = youth
        .post("/api/youth/credentials", &json!({"device_public_key": key}))
        .await;
    assert!(no_store(&r), "credential: {} {:?}", r.status, r.headers);
}

#[tokio::test]
async fn the_sync_pull_is_for_the_apps_only() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _card) = app.youth_with_card(&etab, "Inès").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let region = app.region().await;
    assert_eq!(youth.get("/api/sync/pull").await.status, 200);
    assert_eq!(partner.get("/api/sync/pull").await.status, 200);
    for who in [&etab, &region] {
        let r = who.get("/api/sync/pull").await;
        assert_eq!((r.status, r.code()), (403, "acces_refuse"), "{}", r.body);
    }
    assert_eq!(app.client().get("/api/sync/pull").await.status, 401);
}

/// Issue 11, item 6: an attacker who spends an account's failure budget
/// locks the account for strangers, not for its owner's known device.
#[tokio::test]
async fn a_locked_account_still_opens_from_its_owners_known_device() {
    let app = TestApp::init().build().await;
    let (email, password) = ("ines.martin@example.fr", "un mot de passe solide");
    app.register(email, password, "Inès Martin").await;
    let login = |body: Value| {
        let app = &app;
        async move { app.post("/api/auth/login", &body).await }
    };
    let r = login(json!({"email": email, "password": password})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["device_token"].as_str().unwrap().to_owned();
    // The next login from that device keeps its token.
    let r = login(json!({"email": email, "password": password, "device_token": token})).await;
    assert_eq!(r.body["device_token"], token.as_str());
    // 30 wrong passwords from elsewhere spend the account's budget.
    for _ in 0..30 {
        let r = login(json!({"email": email, "password": "devine"})).await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let r = login(json!({"email": email, "password": password})).await;
    assert_eq!((r.status, r.code()), (429, "trop_de_tentatives"));
    // A made-up device token does not help the attacker…
    let r =
        login(json!({"email": email, "password": password, "device_token": "x".repeat(43)})).await;
    assert_eq!(r.status, 429);
    // …nor does a real token of another account.
    app.register("autre@example.fr", password, "Autre").await;
    let other = login(json!({"email": "autre@example.fr", "password": password})).await;
    let other_token = other.body["device_token"].as_str().unwrap().to_owned();
    let r = login(json!({"email": email, "password": password, "device_token": other_token})).await;
    assert_eq!(r.status, 429);
    // The owner's known device opens.
    let r = login(json!({"email": email, "password": password, "device_token": token})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Its own wrong passwords are budgeted too (30, then locked itself).
    for _ in 0..30 {
        let r = login(json!({"email": email, "password": "oups", "device_token": token})).await;
        assert_eq!(r.status, 401);
    }
    let r = login(json!({"email": email, "password": password, "device_token": token})).await;
    assert_eq!(r.status, 429);
}
