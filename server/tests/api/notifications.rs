//! E-mail notifications (issue 16), through the durable outbox: an order
//! decided, a card posted, each debit's receipt (once, even when the debit is
//! retried), the season's end (once per season).

use serde_json::json;

use crate::common::TestApp;

async fn flush(app: &TestApp) {
    passregion_server::background::send_notifications(&app.state, app.now()).await;
}

#[tokio::test]
async fn a_youth_is_told_of_her_order_her_card_and_each_debit() {
    let app = TestApp::init().at("2027-04-20T10:00:00Z").build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let region = app.region().await;
    let email = "notif@example.org";
    let youth = app.register(email, crate::common::PASSWORD, "Nora").await;
    let r = youth
        .post(
            "/api/youth/orders",
            &crate::common::order_body("Nora", "2010-03-14"),
        )
        .await;
    let order = r.body["id"].as_str().unwrap().to_owned();
    etab.post(
        &format!("/api/establishment/orders/{order}/decision"),
        &json!({"validate": true}),
    )
    .await;
    let count = |subject: &str| {
        app.mails_to(email)
            .iter()
            .filter(|(s, _)| s.contains(subject))
            .count()
    };
    // Queued in the decision's transaction, sent by the background sender.
    assert_eq!(count("commande est validée"), 0);
    flush(&app).await;
    assert_eq!(count("commande est validée"), 1);
    let card = youth.get("/api/youth/card").await.body;
    let id = card["id"].as_str().unwrap();
    region
        .post("/api/region/print-queue/posted", &json!({"card_ids": [id]}))
        .await;
    flush(&app).await;
    assert_eq!(count("carte est expédiée"), 1);
    youth.post("/api/youth/card/activate", &json!({})).await;
    let partner = app
        .partner(
            passregion_core::PartnerCategory::Librairie,
            "Librairie du Parc",
        )
        .await;
    let body = json!({"card_number": card["number"], "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "18"});
    let r = partner.post_idem("/api/partner/debits", "k-1", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The retry of the same debit gets its answer, and no second receipt.
    let again = partner.post_idem("/api/partner/debits", "k-1", &body).await;
    assert_eq!(again.status, 201, "{}", again.body);
    flush(&app).await;
    flush(&app).await;
    let receipts: Vec<String> = app
        .mails_to(email)
        .into_iter()
        .filter(|(s, _)| s.contains("reçu"))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert!(receipts[0].contains("Librairie du Parc"), "{}", receipts[0]);
    assert!(
        receipts[0].contains("Reste à payer : 3,00 €"),
        "{}",
        receipts[0]
    );
    assert!(
        receipts[0].contains("Il vous reste 0,00 €"),
        "{}",
        receipts[0]
    );
    // The season's end: told once, from a month before 31 May.
    app.set_time("2027-05-02T09:00:00Z");
    assert!(app.store().queue_season_end_reminders(app.now()).unwrap() >= 1);
    assert_eq!(
        app.store().queue_season_end_reminders(app.now()).unwrap(),
        0
    );
    flush(&app).await;
    assert_eq!(count("saison se termine"), 1);
}

#[tokio::test]
async fn the_notices_are_in_the_app_too() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Ana").await;
    let r = youth.get("/api/me/notices").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["subject"] == "votre commande est validée"),
        "{}",
        r.body
    );
}
