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
    assert!(queue_reminders(&app).await >= 1);
    assert_eq!(queue_reminders(&app).await, 0);
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

#[tokio::test]
async fn the_card_tells_its_season_end_and_then_that_it_needs_revalidating() {
    let app = TestApp::init().at("2027-03-10T10:00:00Z").build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let email = "rita@example.org";
    let youth = app.register(email, crate::common::PASSWORD, "Rita").await;
    let r = youth
        .post(
            "/api/youth/orders",
            &crate::common::order_body("Rita", "2010-03-14"),
        )
        .await;
    let order = r.body["id"].as_str().unwrap().to_owned();
    etab.post(
        &format!("/api/establishment/orders/{order}/decision"),
        &json!({"validate": true}),
    )
    .await;
    youth.post("/api/youth/card/activate", &json!({})).await;
    let renewal = |youth: crate::common::Client| async move {
        let r = youth.get("/api/youth/card").await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["renewal"].clone()
    };
    // Far from the end: nothing.
    assert_eq!(renewal(youth.clone()).await, json!(null));
    // From 30 April (31 days before 31 May), in Paris: the end and what to do.
    app.set_time("2027-04-29T21:30:00Z"); // 23:30 in Paris, still 29 April
    let youth = app.login(email).await;
    assert_eq!(renewal(youth.clone()).await, json!(null));
    app.set_time("2027-04-29T22:30:00Z"); // 00:30 on 30 April in Paris
    assert_eq!(
        renewal(youth.clone()).await,
        json!({"kind": "ends_soon", "last_day": "2027-05-31", "next_season": "2027-2028"})
    );
    // The établissement's list shows it too.
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let cards = etab.get("/api/establishment/cards").await.body;
    let mine = &cards.as_array().unwrap()[0];
    assert_eq!(mine["renewal"]["kind"], "ends_soon", "{cards}");
    let id = mine["id"].as_str().unwrap().to_owned();
    // 1 June: expired until revalidated.
    app.set_time("2027-06-01T08:00:00Z");
    let youth = app.login(email).await;
    assert_eq!(
        renewal(youth.clone()).await,
        json!({"kind": "expired", "last_day": "2027-05-31", "season": "2027-2028"})
    );
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let r = etab
        .post(
            &format!("/api/establishment/cards/{id}/revalidate"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(renewal(youth).await, json!(null));
}

/// Queues the season's end reminders due now (the storage traits).
async fn queue_reminders(app: &TestApp) -> usize {
    let now = app.now();
    app.with_store(move |s| s.queue_season_end_reminders(now))
        .await
        .unwrap()
}
