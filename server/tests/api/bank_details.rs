//! A validated partner's change of bank details (issue 15): the manager
//! asks, the code goes to the phone on file, the Region approves or
//! refuses; payouts are held meanwhile.

use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn a_bank_change_is_confirmed_by_sms_then_approved_by_the_region() {
    let app = TestApp::init().build().await;
    let region = app.region().await;
    let (manager, pid) = app
        .validated_applicant("banque@canuts.example", &region)
        .await;
    let new_iban = json!({"iban": "FR14 2004 1010 0505 0001 3M02 606", "bic": "PSSTFRPP"});
    // Bad details are refused and nothing is sent.
    let r = manager
        .post(
            "/api/partner/bank-details",
            &json!({"iban": "FR1420041010050500013M02607", "bic": "PSSTFRPP"}),
        )
        .await;
    assert_eq!(r.body["field"], "iban", "{}", r.body);
    let r = manager
        .post(
            "/api/partner/bank-details",
            &json!({"iban": "FR1420041010050500013M02606", "bic": "DEUTDEFF"}),
        )
        .await;
    assert_eq!(r.body["field"], "bic", "{}", r.body);
    let r = manager.post("/api/partner/bank-details", &new_iban).await;
    assert_eq!(r.status, 202, "{}", r.body);
    // The code went to the phone on file, shown masked; the IBANs masked too.
    assert_eq!(r.body["code_sent_to"], "06 •• •• •• 78");
    assert_eq!(r.body["iban"], "FR14 •••• •••• 2606");
    // Not confirmed: the Region has nothing to decide, payouts go on.
    assert_eq!(region.get("/api/region/bank-changes").await.body, json!([]));
    assert!(!held(&app, &pid).await);
    let code = app.last_sms_code();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let r = manager
        .post("/api/partner/bank-details/confirm", &json!({"code": wrong}))
        .await;
    assert_eq!(r.code(), "code_incorrect");
    let r = manager
        .post("/api/partner/bank-details/confirm", &json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["confirmed_at"].is_string());
    // Confirmed: payouts are held, another request waits.
    assert!(held(&app, &pid).await);
    let r = manager.post("/api/partner/bank-details", &new_iban).await;
    assert_eq!(r.code(), "changement_bancaire_en_attente", "{}", r.body);
    // The Region sees the whole IBANs, refuses without a reason: no.
    let list = region.get("/api/region/bank-changes").await.body;
    assert_eq!(list[0]["iban"], "FR1420041010050500013M02606", "{list}");
    assert_eq!(list[0]["current_iban"], "FR7630006000011234567890189");
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let r = region
        .post(
            &format!("/api/region/bank-changes/{id}/decision"),
            &json!({"approve": false}),
        )
        .await;
    assert_eq!(r.body["field"], "reason", "{}", r.body);
    let r = region
        .post(
            &format!("/api/region/bank-changes/{id}/decision"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(r.body["decision"], "approuvee", "{}", r.body);
    assert!(!held(&app, &pid).await);
    let v = manager.get("/api/partner/application").await;
    assert_eq!(v.body["iban"], "FR14 •••• •••• 2606");
    assert!(
        app.mails_to("banque@canuts.example")
            .last()
            .unwrap()
            .1
            .contains("validées par la Région")
    );
    // Decided once.
    let r = region
        .post(
            &format!("/api/region/bank-changes/{id}/decision"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(r.code(), "etat_partenaire_incompatible");
}

#[tokio::test]
async fn a_refused_bank_change_keeps_the_old_account() {
    let app = TestApp::init().build().await;
    let region = app.region().await;
    let (manager, pid) = app
        .validated_applicant("refus@canuts.example", &region)
        .await;
    let r = manager
        .post(
            "/api/partner/bank-details",
            &json!({"iban": "FR1420041010050500013M02606", "bic": "PSSTFRPP"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    manager
        .post(
            "/api/partner/bank-details/confirm",
            &json!({"code": app.last_sms_code()}),
        )
        .await;
    let id = region.get("/api/region/bank-changes").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = region
        .post(
            &format!("/api/region/bank-changes/{id}/decision"),
            &json!({"approve": false, "reason": "RIB illisible"}),
        )
        .await;
    assert_eq!(r.body["decision"], "refusee", "{}", r.body);
    assert!(!held(&app, &pid).await);
    let v = manager.get("/api/partner/application").await;
    assert_eq!(v.body["iban"], "FR76 •••• •••• 0189");
    let changes = manager.get("/api/partner/bank-details/changes").await.body;
    assert_eq!(changes[0]["reason"], "RIB illisible", "{changes}");
    // A youth or a partner cannot read the Region's list.
    assert_eq!(manager.get("/api/region/bank-changes").await.status, 403);
}

#[tokio::test]
async fn a_bank_change_waiting_for_the_region_holds_the_payment_run() {
    let app = TestApp::init()
        .flags(&[
            "--debtor-iban",
            "FR6220041010071234567890012",
            "--debtor-bic",
            "PSSTFRPP",
            "--debtor-name",
            "Région Auvergne-Rhône-Alpes",
        ])
        .build()
        .await;
    let region = app.region().await;
    let (manager, _) = app
        .validated_applicant("hold@canuts.example", &region)
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Tom").await;
    let r = manager
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "7"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The change is asked and confirmed: the payout must wait.
    manager
        .post(
            "/api/partner/bank-details",
            &json!({"iban": "FR1420041010050500013M02606", "bic": "PSSTFRPP"}),
        )
        .await;
    manager
        .post(
            "/api/partner/bank-details/confirm",
            &json!({"code": app.last_sms_code()}),
        )
        .await;
    app.advance(chrono::Duration::seconds(1));
    let closed = region
        .post("/api/region/reimbursements/close", &json!({}))
        .await;
    let batch = closed.body.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = region
        .post_idem(
            "/api/region/payment-runs",
            "run-1",
            &json!({"batch_ids": [batch]}),
        )
        .await;
    assert_eq!(r.code(), "aucun_lot_payable", "{}", r.body);
    // Approved: the next run pays it to the new account.
    let id = region.get("/api/region/bank-changes").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    region
        .post(
            &format!("/api/region/bank-changes/{id}/decision"),
            &json!({"approve": true}),
        )
        .await;
    let r = region
        .post_idem(
            "/api/region/payment-runs",
            "run-2",
            &json!({"batch_ids": [batch]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let run = r.body["id"].as_str().unwrap();
    let xml = region
        .get(&format!("/api/region/payment-runs/{run}/pain.001.xml"))
        .await;
    let text = String::from_utf8(xml.bytes).unwrap();
    assert!(text.contains("FR1420041010050500013M02606"), "{text}");
}

/// Whether the partner's payouts are held (the storage traits).
async fn held(app: &TestApp, pid: &str) -> bool {
    let pid = pid.to_owned();
    app.with_store(move |s| s.payouts_held(&pid)).await.unwrap()
}
