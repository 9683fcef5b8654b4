//! HTTP hardening (docs/security.md): personal API answers are never cached,
//! and the sync pull is only for the apps that keep an offline copy.

use passregion_core::PartnerCategory;
use serde_json::json;

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
