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
    assert!(!app.store().payouts_held(&pid).unwrap());
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
    assert!(app.store().payouts_held(&pid).unwrap());
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
    assert!(!app.store().payouts_held(&pid).unwrap());
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
    assert!(!app.store().payouts_held(&pid).unwrap());
    let v = manager.get("/api/partner/application").await;
    assert_eq!(v.body["iban"], "FR76 •••• •••• 0189");
    let changes = manager.get("/api/partner/bank-details/changes").await.body;
    assert_eq!(changes[0]["reason"], "RIB illisible", "{changes}");
    // A youth or a partner cannot read the Region's list.
    assert_eq!(manager.get("/api/region/bank-changes").await.status, 403);
}
