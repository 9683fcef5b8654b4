//! Collective bookings paid remotely by an établissement (FAQ §14).
//! (Moved from `tests/tests/collective.rs`.)

use passregion_core::PartnerCategory;
use serde_json::json;

use crate::common::{TestApp, remaining};

#[tokio::test]
async fn an_establishment_pays_a_class_outing_with_its_youths_avantages() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let mut youths = Vec::new();
    for name in ["Inès", "Louis", "Jade"] {
        youths.push(app.youth_with_card(&etab, name).await);
    }
    let theatre = app
        .partner(PartnerCategory::SalleDeSpectacle, "Théâtre des Célestins")
        .await;
    let partner_id = theatre.get("/api/me").await.body["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // One youth spent part of her show credit already (20 € → 12 €).
    let r = theatre
        .debit(&json!({"qr": youths[0].1["qr"], "avantage": "spectacles", "price": "8"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Another établissement's youth cannot be charged by this one.
    let other = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let (_, stranger) = app
        .youth_with_card_at(&other, "Hugo", "etab-champollion")
        .await;
    let mut cards: Vec<_> = youths.iter().map(|(_, c)| c["id"].clone()).collect();
    cards.push(stranger["id"].clone());
    let body = json!({"partner_id": partner_id, "avantage": "spectacles", "price_per_youth": "15.00", "card_ids": cards});
    let r = etab
        .post_idem(
            "/api/establishment/collective-debits",
            "sortie-theatre",
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let lines = r.body["lines"].as_array().unwrap();
    assert_eq!(r.body["debited_cards"], 3);
    assert_eq!(
        (
            lines[0]["debited"].as_str(),
            lines[0]["reste_a_payer"].as_str()
        ),
        (Some("12.00"), Some("3.00"))
    );
    assert_eq!(
        (lines[1]["debited"].as_str(), lines[1]["balance"].as_str()),
        (Some("15.00"), Some("5.00"))
    );
    assert_eq!(
        (lines[3]["status"].as_str(), lines[3]["code"].as_str()),
        (Some("refuse"), Some("introuvable"))
    );
    // A replay is the same booking, applied once.
    let again = etab
        .post_idem(
            "/api/establishment/collective-debits",
            "sortie-theatre",
            &body,
        )
        .await;
    assert_eq!(again.body, r.body);
    let c = youths[1].0.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "spectacles"), "5.00");
    // The partner sees the transactions and is reimbursed as usual.
    let txs = theatre.get("/api/partner/transactions?limit=500").await;
    let collective = txs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "collective")
        .count();
    assert_eq!(collective, 3);
    // Not for a partner whose category cannot take this avantage, nor for others than établissements.
    let club = app
        .partner(PartnerCategory::ClubSportif, "Club de l'Espérance")
        .await;
    let club_id = club.get("/api/me").await.body["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = etab
        .post_idem(
            "/api/establishment/collective-debits",
            "club",
            &json!({"partner_id": club_id, "avantage": "spectacles", "price_per_youth": "5", "card_ids": [youths[2].1["id"]]}),
        )
        .await;
    assert_eq!(r.body["lines"][0]["code"], "avantage_non_autorise");
    assert_eq!(
        theatre
            .post_idem("/api/establishment/collective-debits", "x", &body)
            .await
            .status,
        403
    );
    let region = app.region().await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
}
