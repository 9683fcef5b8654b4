//! Data protection (issue 16): the youth's export and the retention rule.

use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn the_export_is_the_youths_own() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Inès").await;
    let r = youth.get("/api/youth/data").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["account"]["display_name"], "Inès");
    assert_eq!(r.body["orders"].as_array().unwrap().len(), 1);
    assert!(r.body["card"]["balances"].is_array());
    // Nobody else's role gets one.
    assert_eq!(etab.get("/api/youth/data").await.status, 403);
    assert_eq!(app.get("/api/youth/data").await.status, 401);
}

#[tokio::test]
async fn personal_data_is_removed_three_seasons_after_the_last_card_and_the_ledger_holds() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Sacha").await;
    let email = youth.get("/api/youth/data").await.body["account"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner = app
        .partner(passregion_core::PartnerCategory::Librairie, "Librairie")
        .await;
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "4"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The card is of season 2026-2027: kept through 2029-2030.
    app.set_time("2030-05-30T10:00:00Z");
    assert_eq!(forget_expired(&app).await, 0);
    app.set_time("2030-06-02T10:00:00Z");
    assert_eq!(forget_expired(&app).await, 1);
    assert_eq!(forget_expired(&app).await, 0, "once");
    // The youth is gone: no login, no name anywhere the Region looks.
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": email, "password": crate::common::PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    let region = app.region().await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    let txs = region.get("/api/region/transactions?limit=500").await;
    assert!(
        txs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["price"] == "4.00"),
        "the transaction stays: {}",
        txs.body
    );
    assert!(!txs.body.to_string().contains("Sacha"));
}

/// Runs the retention job now, keeping 3 seasons (the storage traits).
async fn forget_expired(app: &TestApp) -> usize {
    let now = app.now();
    app.with_store(move |s| s.forget_expired_youths(now, 3))
        .await
        .unwrap()
}
