//! Partner onboarding through HTTP: online application, convention signed with
//! the code sent by SMS, the Region's decision, the bons plans minimum, and the
//! établissements' referents handed to partners.
//! (Moved from `tests/tests/onboarding.rs`.)

use passregion_core::PartnerCategory;
use serde_json::json;

use crate::common::{Client, TestApp};

fn application() -> serde_json::Value {
    json!({
        "name": "Librairie des Canuts",
        "category": "librairie",
        "siret": "73282932000074",
        "address": "12 rue d'Austerlitz",
        "city": "Lyon",
        "postal_code": "69004",
        "latitude": 45.774,
        "longitude": 4.832,
        "contact_name": "Claire Martin",
        "email": "claire@canuts.example",
        "phone": "06 12 34 56 78",
        "password": "motdepasse",
        "accept_conditions": true
    })
}

#[tokio::test]
async fn apply_sign_by_sms_validate_then_debit() {
    let app = TestApp::init().build().await;
    let anonymous = app.client();
    // Bad applications get field errors.
    let mut bad = application();
    bad["siret"] = json!("73282932000075");
    let r = anonymous.post("/api/partners/applications", &bad).await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("siret")));
    let mut bad = application();
    bad["phone"] = json!("04 72 00 00 00");
    assert_eq!(
        anonymous
            .post("/api/partners/applications", &bad)
            .await
            .body["field"],
        "phone"
    );
    let mut bad = application();
    bad["accept_conditions"] = json!(false);
    assert_eq!(
        anonymous
            .post("/api/partners/applications", &bad)
            .await
            .body["field"],
        "accept_conditions"
    );

    let r = anonymous
        .post("/api/partners/applications", &application())
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["code_sent_to"], "06 •• •• •• 78");
    let partner_id = r.body["partner_id"].as_str().unwrap().to_owned();
    let mut partner: Client = app.client();
    partner.token = Some(r.body["session"]["token"].as_str().unwrap().to_owned());
    // Not yet a partner: no debit.
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Yanis").await;
    let debit = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "5"});
    assert_eq!(partner.debit(&debit).await.code(), "partenariat_inactif");
    // Wrong code, then the right one.
    let r = partner
        .post("/api/partner/convention/sign", &json!({"code": "000000"}))
        .await;
    let code = app.last_sms_code();
    if code != "000000" {
        assert_eq!(r.code(), "code_incorrect");
    }
    let r = partner
        .post("/api/partner/convention/sign", &json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["convention_signed_at"].is_string());
    let r = partner
        .post("/api/partner/convention/sign", &json!({"code": code}))
        .await;
    assert_eq!(r.code(), "convention_deja_signee");
    // The Region instructs it.
    let region = app.region().await;
    let pending = region.get("/api/region/partners?status=pending").await;
    assert!(
        pending
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["partner_id"] == partner_id.as_str())
    );
    let r = region
        .post(
            &format!("/api/region/partners/{partner_id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.body["status"], "validated", "{}", r.body);
    assert_eq!(r.body["meets_bons_plans_minimum"], false);
    // Validated: it debits (after its cached session refreshes, within 30 s).
    let mut relogged = app.client();
    let r = relogged
        .post(
            "/api/auth/login",
            &json!({"email": "claire@canuts.example", "password": "motdepasse"}),
        )
        .await;
    relogged.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let r = relogged.debit(&debit).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Two bons plans published meet the convention's minimum.
    for title in ["Dédicace", "Club lecture"] {
        let r = relogged
            .post(
                "/api/partner/bons-plans",
                &json!({"title": title, "description": "Réservé aux porteurs du PASS."}),
            )
            .await;
        let id = r.body["id"].as_str().unwrap().to_owned();
        region
            .post(
                &format!("/api/region/bons-plans/{id}/decision"),
                &json!({"validate": true}),
            )
            .await;
    }
    let st = relogged.get("/api/partner/status").await;
    assert_eq!(st.body["bons_plans_this_season"], 2);
    assert_eq!(st.body["meets_bons_plans_minimum"], true);
    // A second application with the same e-mail is refused.
    let r = anonymous
        .post("/api/partners/applications", &application())
        .await;
    assert_eq!(r.code(), "email_deja_utilise");
}

#[tokio::test]
async fn referents_are_declared_and_handed_to_partners() {
    let app = TestApp::init().build().await;
    // Another établissement's sport referent (the demo had one at each).
    let champollion = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let r = champollion
        .post(
            "/api/establishment/referents",
            &json!({"theme": "sport", "name": "M. Lambert", "email": "lambert@champollion.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let r = etab
        .post(
            "/api/establishment/referents",
            &json!({"theme": "culture", "name": "M. Durand", "email": "durand@ampere.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = etab
        .post(
            "/api/establishment/referents",
            &json!({"theme": "cuisine", "name": "X", "email": "x@y.example"}),
        )
        .await;
    assert_eq!(r.body["field"], "theme");
    let partner = app
        .partner(PartnerCategory::SalleDeSpectacle, "Théâtre des Célestins")
        .await;
    let list = partner.get("/api/referents?theme=culture").await;
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "M. Durand" && r["establishment_name"] == "Lycée Ampère")
    );
    let sport = partner.get("/api/referents?theme=sport").await;
    assert!(
        sport
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["theme"] == "sport")
    );
    let youth = app.youth("Léa").await;
    assert_eq!(youth.get("/api/referents").await.status, 403);
}
