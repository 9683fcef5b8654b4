//! The établissements' referents in the directory partners see: no contact
//! (requests and grants are in `referents.rs`; the application and the
//! convention in `partner_application.rs`).

use passregion_core::PartnerCategory;
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn referents_are_declared_and_listed_to_partners_without_contact() {
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
    // Who and where, never the contact (it goes only with a grant).
    let culture = list.body.to_string();
    assert!(!culture.contains("durand@ampere.example"), "{culture}");
    assert!(list.body[0].get("email").is_none());
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
