//! A lost or stolen card (issue 16): blocked at once, a new number and
//! version, the old number, printed code and app codes refused, the
//! balances kept on the replacement.

use serde_json::json;

use crate::common::{TestApp, remaining};
use crate::offline_push::credential;

#[tokio::test]
async fn a_lost_card_is_replaced_and_its_old_codes_never_work_again() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Zoé").await;
    let (cred, _key) = credential(&youth, 51).await;
    let partner = app
        .partner(passregion_core::PartnerCategory::Librairie, "Librairie")
        .await;
    let old_number = card["number"].as_str().unwrap().replace(' ', "");
    let by_number = |n: &str, birth: &str| json!({"card_number": n, "birth_date": birth, "avantage": "lecture_loisir", "price": "2"});
    let r = partner.debit(&by_number(&old_number, "2010-03-14")).await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Declared lost from the app.
    let r = youth
        .post("/api/youth/card/lost", &json!({"stolen": false}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "expediee");
    let new_number = r.body["number"].as_str().unwrap().replace(' ', "");
    assert_ne!(new_number, old_number);
    assert_eq!(
        remaining(&r.body, "lecture_loisir"),
        "13.00",
        "the balance stays"
    );

    // The old number with the holder's birth date is told as replaced; with
    // another date it fails like any number.
    let r = partner.debit(&by_number(&old_number, "2010-03-14")).await;
    assert_eq!((r.status, r.code()), (410, "carte_remplacee"), "{}", r.body);
    let r = partner.debit(&by_number(&old_number, "2011-01-01")).await;
    assert_ne!(r.code(), "carte_remplacee", "{}", r.body);
    // The old printed code is refused.
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "2"}))
        .await;
    assert_eq!((r.status, r.code()), (410, "carte_remplacee"), "{}", r.body);
    // The app credential is revoked, and partners learn it at their next pull.
    let pull = partner.get("/api/sync/pull?cursor=0&limit=1000").await;
    assert_eq!(pull.status, 200, "{}", pull.body);
    assert!(
        pull.body["revoked_credentials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str() == Some(cred.claims().credential_id.to_string().as_str())),
        "{}",
        pull.body
    );
    // The card's new version too: devices refuse its older printed codes.
    let id = card["id"].as_str().unwrap();
    assert!(
        pull.body["card_versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["card_id"] == id && v["version"] == 2),
        "{}",
        pull.body
    );
    // Received and activated: the new card works with what was left.
    let r = youth.post("/api/youth/card/activate", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = partner.debit(&by_number(&new_number, "2010-03-14")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let qr = youth.get("/api/youth/card/qr").await.body["text"].clone();
    let r = partner
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let card = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&card.body, "lecture_loisir"), "10.00");
    // Its history says why.
    let region = app.region().await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
}

#[tokio::test]
async fn the_etablissement_declares_only_its_own_cards() {
    let app = TestApp::init().build().await;
    let ampere = app.establishment("etab-ampere", "Lycée Ampère").await;
    let other = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let (_, card) = app.youth_with_card(&ampere, "Léo").await;
    let id = card["id"].as_str().unwrap();
    let r = other
        .post(
            &format!("/api/establishment/cards/{id}/lost"),
            &json!({"stolen": true}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = ampere
        .post(
            &format!("/api/establishment/cards/{id}/lost"),
            &json!({"stolen": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "expediee");
    // A suspended card is the établissement's call, not the app's.
    let (youth, card) = app.youth_with_card(&ampere, "Mia").await;
    let id = card["id"].as_str().unwrap();
    ampere
        .post(
            &format!("/api/establishment/cards/{id}/suspend"),
            &json!({"reason": "Charte"}),
        )
        .await;
    let r = youth
        .post("/api/youth/card/lost", &json!({"stolen": false}))
        .await;
    assert_eq!(r.code(), "carte_suspendue_par_etablissement", "{}", r.body);
}
