//! Collective bookings (FAQ §14): an établissement requests, the partner
//! confirms before the end of the service day, then each youth is debited
//! through the counter's rule. Each test performs an attack on the booking
//! through the API and checks that no money moved.

use passregion_core::PartnerCategory;
use serde_json::Value;
use serde_json::json;

use crate::common::{Client, TestApp, remaining};

const BOOKINGS: &str = "/api/establishment/collective-bookings";

async fn partner_id(partner: &Client) -> String {
    partner.get("/api/me").await.body["partner_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn booking(partner_id: &str, price: &str, date: &str, cards: &[Value]) -> Value {
    json!({"partner_id": partner_id, "avantage": "spectacles", "service_date": date,
           "price_per_youth": price, "card_ids": cards, "label": "Sortie au théâtre — 1re B"})
}

fn card_ids(youths: &[(Client, Value)]) -> Vec<Value> {
    youths.iter().map(|(_, c)| c["id"].clone()).collect()
}

async fn spectacles_left(youth: &Client) -> String {
    remaining(&youth.get("/api/youth/card").await.body, "spectacles")
}

async fn confirm(partner: &Client, id: &str, key: &str) -> crate::common::Resp {
    partner
        .post_idem(
            &format!("/api/partner/collective-bookings/{id}/confirm"),
            key,
            &json!({}),
        )
        .await
}

/// An établissement, three of its youths and a theatre.
async fn setup(app: &TestApp) -> (Client, Vec<(Client, Value)>, Client, String) {
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let mut youths = Vec::new();
    for name in ["Inès", "Louis", "Jade"] {
        youths.push(app.youth_with_card(&etab, name).await);
    }
    let theatre = app
        .partner(PartnerCategory::SalleDeSpectacle, "Théâtre des Célestins")
        .await;
    let pid = partner_id(&theatre).await;
    (etab, youths, theatre, pid)
}

#[tokio::test]
async fn a_booking_debits_nothing_until_its_partner_confirms_then_each_youth_once() {
    let app = TestApp::init().build().await;
    let (etab, youths, theatre, pid) = setup(&app).await;
    // Inès spent part of her show credit (20 € → 12 €); Jade spent all of it.
    for (i, price) in [(0, "8"), (2, "20")] {
        let r = theatre
            .debit(&json!({"qr": youths[i].1["qr"], "birth_date": youths[i].1["birth_date"], "avantage": "spectacles", "price": price}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let body = booking(&pid, "15.00", "2026-11-27", &card_ids(&youths));
    let r = etab.post_idem(BOOKINGS, "sortie-theatre", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "demandee");
    assert_eq!(r.body["total"], "45.00");
    let id = r.body["id"].as_str().unwrap().to_owned();
    // A replayed request is the same booking, stored once.
    let again = etab.post_idem(BOOKINGS, "sortie-theatre", &body).await;
    assert_eq!(again.body, r.body);
    assert_eq!(etab.get(BOOKINGS).await.body.as_array().unwrap().len(), 1);
    // Requested: nothing is debited; the youth sees it waiting.
    assert_eq!(spectacles_left(&youths[1].0).await, "20.00");
    let pending = youths[1].0.get("/api/youth/collective-bookings").await;
    assert_eq!(pending.body[0]["status"], "demandee");
    assert_eq!(pending.body[0]["lines"][0]["status"], "en_attente");
    // Only its own line: not the other youths' names.
    assert_eq!(pending.body[0]["lines"].as_array().unwrap().len(), 1);
    assert_eq!(pending.body[0]["lines"][0]["card_id"], youths[1].1["id"]);
    // The partner sees the request and confirms the service.
    let asked = theatre.get("/api/partner/collective-bookings").await;
    assert_eq!(asked.body[0]["id"], id.as_str());
    let r = confirm(&theatre, &id, "confirmation-1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "confirmee");
    assert_eq!(r.body["debited_cards"], 2);
    let lines = r.body["lines"].as_array().unwrap();
    // Partial debit as at the counter: 12 € taken, 3 € left to pay.
    assert_eq!(
        (lines[0]["status"].as_str(), lines[0]["debited"].as_str()),
        (Some("debite"), Some("12.00"))
    );
    assert_eq!(lines[0]["reste_a_payer"], "3.00");
    assert_eq!(lines[1]["debited"], "15.00");
    // No credit left: listed with its reason, the others debited.
    assert_eq!(
        (lines[2]["status"].as_str(), lines[2]["code"].as_str()),
        (Some("refuse"), Some("credit_epuise"))
    );
    assert!(
        lines[2]["message"]
            .as_str()
            .unwrap()
            .contains("plus de crédit")
    );
    assert_eq!(spectacles_left(&youths[1].0).await, "5.00");
    // A retry with the same key is the same answer, debited once.
    let replay = confirm(&theatre, &id, "confirmation-1").await;
    assert_eq!((replay.status, &replay.body), (200, &r.body));
    assert_eq!(spectacles_left(&youths[1].0).await, "5.00");
    // A second confirmation is refused.
    let second = confirm(&theatre, &id, "confirmation-2").await;
    assert_eq!(
        (second.status, second.code()),
        (409, "reservation_deja_traitee")
    );
    assert_eq!(spectacles_left(&youths[1].0).await, "5.00");
    // The youth's history shows the debit with the booking's label.
    let history = youths[1].0.get("/api/youth/transactions").await;
    let t = &history.body[0];
    assert_eq!(
        (t["channel"].as_str(), t["booking_label"].as_str()),
        (Some("collective"), Some("Sortie au théâtre — 1re B"))
    );
    // The Region sees the debits in its feed and the booking with who did what.
    let region = app.region().await;
    let feed = region.get("/api/region/transactions?limit=500").await;
    let collective: Vec<_> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "collective")
        .collect();
    assert_eq!(collective.len(), 2);
    assert!(collective.iter().all(|t| t["booking_id"] == id.as_str()));
    let seen = region.get("/api/region/collective-bookings").await;
    assert_eq!(seen.body[0]["status"], "confirmee");
    assert_eq!(seen.body[0]["requested_by"], "Secrétariat — Lycée Ampère");
    assert!(seen.body[0]["decided_by"].is_string());
    assert!(seen.body[0]["decided_at"].is_string());
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
}

#[tokio::test]
async fn the_old_attack_of_100_cards_at_100000_euros_debits_nothing() {
    let app = TestApp::init().build().await;
    let (etab, youths, theatre, pid) = setup(&app).await;
    let mut cards = card_ids(&youths);
    cards.extend((0..97).map(|i| json!(format!("carte-{i}"))));
    // The immediate debit is gone.
    let old = json!({"partner_id": pid, "avantage": "spectacles", "price_per_youth": "100000",
                     "card_ids": cards});
    let r = etab
        .post_idem("/api/establishment/collective-debits", "attaque", &old)
        .await;
    assert!(r.status == 404 || r.status == 405, "{}", r.status);
    // As a booking, the price is refused before anything is stored.
    let r = etab
        .post_idem(
            BOOKINGS,
            "attaque",
            &booking(&pid, "100000", "2026-11-20", &cards),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "prix_par_jeune_trop_eleve"),
        "{}",
        r.body
    );
    assert_eq!(etab.get(BOOKINGS).await.body, json!([]));
    assert_eq!(
        theatre.get("/api/partner/collective-bookings").await.body,
        json!([])
    );
    for (youth, _) in &youths {
        assert_eq!(spectacles_left(youth).await, "20.00");
    }
}

#[tokio::test]
async fn a_price_above_the_per_youth_cap_is_refused_and_stores_nothing() {
    let app = TestApp::init()
        .flags(&["--collective-per-youth-cents", "1500"])
        .build()
        .await;
    let (etab, youths, _, pid) = setup(&app).await;
    let cards = card_ids(&youths);
    // The Region's per-youth cap (15 €) is below the avantage's 20 €.
    let r = etab
        .post_idem(
            BOOKINGS,
            "k1",
            &booking(&pid, "15.01", "2026-11-20", &cards),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "prix_par_jeune_trop_eleve"));
    assert_eq!(r.body["field"], "price_per_youth");
    assert!(r.body["message"].as_str().unwrap().contains("15,00 €"));
    assert_eq!(etab.get(BOOKINGS).await.body, json!([]));
    // Zero is refused too.
    let r = etab
        .post_idem(BOOKINGS, "k2", &booking(&pid, "0", "2026-11-20", &cards))
        .await;
    assert_eq!((r.status, r.code()), (422, "montant_nul"));
    // Without the Region's cap, the avantage's season amount (20 €) caps.
    let app = TestApp::init().build().await;
    let (etab, youths, _, pid) = setup(&app).await;
    let r = etab
        .post_idem(
            BOOKINGS,
            "k3",
            &booking(&pid, "20.01", "2026-11-20", &card_ids(&youths)),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "prix_par_jeune_trop_eleve"));
    assert!(r.body["message"].as_str().unwrap().contains("20,00 €"));
    assert_eq!(etab.get(BOOKINGS).await.body, json!([]));
}

#[tokio::test]
async fn cards_of_another_establishment_are_refused() {
    let app = TestApp::init().build().await;
    let (etab, youths, _, pid) = setup(&app).await;
    let other = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let (stranger, card) = app
        .youth_with_card_at(&other, "Hugo", "etab-champollion")
        .await;
    let mut cards = card_ids(&youths);
    cards.push(card["id"].clone());
    let r = etab
        .post_idem(BOOKINGS, "k", &booking(&pid, "10", "2026-11-20", &cards))
        .await;
    assert_eq!((r.status, r.code()), (422, "carte_hors_etablissement"));
    assert_eq!(etab.get(BOOKINGS).await.body, json!([]));
    assert_eq!(
        stranger.get("/api/youth/collective-bookings").await.body,
        json!([])
    );
    // Only établissements request bookings.
    let r = other.post_idem(BOOKINGS, "k", &json!({})).await;
    assert_eq!(r.status, 422);
    let youth = &youths[0].0;
    let r = youth
        .post_idem(BOOKINGS, "k", &booking(&pid, "10", "2026-11-20", &cards))
        .await;
    assert_eq!((r.status, r.code()), (403, "acces_refuse"));
}

#[tokio::test]
async fn another_partner_cannot_confirm_and_a_cancelled_booking_cannot_be_confirmed() {
    let app = TestApp::init().build().await;
    let (etab, youths, theatre, pid) = setup(&app).await;
    let r = etab
        .post_idem(
            BOOKINGS,
            "k",
            &booking(&pid, "10", "2026-11-21", &card_ids(&youths)),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let museum = app
        .partner(PartnerCategory::Musee, "Musée des Confluences")
        .await;
    let r = confirm(&museum, &id, "vol").await;
    assert_eq!((r.status, r.code()), (404, "introuvable"));
    let r = museum
        .post(
            &format!("/api/partner/collective-bookings/{id}/decline"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        museum.get("/api/partner/collective-bookings").await.body,
        json!([])
    );
    // Nor the établissement itself.
    let r = confirm(&etab, &id, "moi").await;
    assert_eq!(r.status, 403);
    assert_eq!(spectacles_left(&youths[0].0).await, "20.00");
    // Cancelled while requested, it can no longer be confirmed.
    let r = etab
        .post(&format!("{BOOKINGS}/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("annulee"))
    );
    let r = confirm(&theatre, &id, "trop-tard").await;
    assert_eq!((r.status, r.code()), (409, "reservation_deja_traitee"));
    assert_eq!(spectacles_left(&youths[0].0).await, "20.00");
    // A declined booking keeps its reason.
    let r = etab
        .post_idem(
            BOOKINGS,
            "k2",
            &booking(&pid, "10", "2026-11-21", &card_ids(&youths)),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = theatre
        .post(
            &format!("/api/partner/collective-bookings/{id}/decline"),
            &json!({"reason": "Complet ce soir-là"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("refusee"))
    );
    assert_eq!(
        etab.get(BOOKINGS).await.body[0]["reason"],
        "Complet ce soir-là"
    );
    let r = confirm(&theatre, &id, "apres-refus").await;
    assert_eq!(r.status, 409);
    assert_eq!(spectacles_left(&youths[0].0).await, "20.00");
}

#[tokio::test]
async fn a_booking_not_confirmed_by_the_end_of_its_service_day_expires() {
    // 2026-11-20 10:00 UTC; the Region is at UTC+1 in November. Sessions
    // outlive the moves of the clock.
    let app = TestApp::init()
        .flags(&["--session-hours", "48"])
        .build()
        .await;
    let (etab, youths, theatre, pid) = setup(&app).await;
    let cards = card_ids(&youths);
    let today = booking(&pid, "10", "2026-11-20", &cards[..1]);
    let late = etab.post_idem(BOOKINGS, "k1", &today).await;
    let late = late.body["id"].as_str().unwrap().to_owned();
    let on_time = etab
        .post_idem(
            BOOKINGS,
            "k2",
            &booking(&pid, "10", "2026-11-20", &cards[1..2]),
        )
        .await;
    let on_time = on_time.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        etab.get(BOOKINGS).await.body[0]["confirm_before"],
        "2026-11-20T23:00:00Z"
    );
    // 23:59 in the Region: still the service day.
    app.set_time("2026-11-20T22:59:00Z");
    let r = confirm(&theatre, &on_time, "a-temps").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(spectacles_left(&youths[1].0).await, "10.00");
    // 00:00 the next day in the Region: expired.
    app.set_time("2026-11-20T23:00:00Z");
    let listed = theatre.get("/api/partner/collective-bookings").await.body;
    let shown = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == late.as_str())
        .unwrap();
    assert_eq!(shown["status"], "expiree");
    let r = confirm(&theatre, &late, "trop-tard").await;
    assert_eq!((r.status, r.code()), (409, "reservation_expiree"));
    let r = confirm(&theatre, &late, "trop-tard").await;
    assert_eq!((r.status, r.code()), (409, "reservation_deja_traitee"));
    assert_eq!(spectacles_left(&youths[0].0).await, "20.00");
    // Nor can a booking be requested for a past day.
    let r = etab.post_idem(BOOKINGS, "k3", &today).await;
    assert_eq!((r.status, r.code()), (422, "date_prestation_invalide"));
}

#[tokio::test]
async fn the_caps_per_booking_and_per_establishment_and_day_hold() {
    let app = TestApp::init()
        .flags(&[
            "--collective-per-booking-cents",
            "4000",
            "--collective-per-day-cents",
            "5000",
            "--session-hours",
            "48",
        ])
        .build()
        .await;
    let (etab, youths, _, pid) = setup(&app).await;
    let cards = card_ids(&youths);
    // 3 × 15 € = 45 € is above the 40 € per booking.
    let r = etab
        .post_idem(BOOKINGS, "k0", &booking(&pid, "15", "2026-11-25", &cards))
        .await;
    assert_eq!((r.status, r.code()), (422, "reservation_trop_elevee"));
    // 2 × 20 € = 40 €, then 15 € more would pass the 50 € of the day.
    let r = etab
        .post_idem(
            BOOKINGS,
            "k1",
            &booking(&pid, "20", "2026-11-25", &cards[..2]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let first = r.body["id"].as_str().unwrap().to_owned();
    let r = etab
        .post_idem(
            BOOKINGS,
            "k2",
            &booking(&pid, "15", "2026-11-26", &cards[2..]),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "plafond_journalier_atteint"));
    assert!(r.body["message"].as_str().unwrap().contains("10,00 €"));
    assert_eq!(etab.get(BOOKINGS).await.body.as_array().unwrap().len(), 1);
    let r = etab
        .post_idem(
            BOOKINGS,
            "k3",
            &booking(&pid, "10", "2026-11-26", &cards[2..]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The next day, the cap starts again.
    app.set_time("2026-11-21T10:00:00Z");
    let r = etab
        .post_idem(
            BOOKINGS,
            "k4",
            &booking(&pid, "15", "2026-11-26", &cards[2..]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = etab
        .post(&format!("{BOOKINGS}/{first}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status, 200);
}

/// The demo's class of 1re B at Lycée Ampère (what the end-to-end test
/// books): 13 youths, one without cinema entries left; the cinema's
/// confirmation debits 12 and reports the last with its reason.
#[tokio::test]
async fn the_demo_class_booked_at_the_cinema_debits_twelve_and_reports_one() {
    let app = TestApp::init().demo(2).build().await;
    let etab = app
        .login_with("ampere@demo.passregion.fr", "demo1234")
        .await;
    let cinema = app
        .login_with("cinema@demo.passregion.fr", "demo1234")
        .await;
    let class: Vec<Value> = etab
        .get("/api/establishment/cards")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            [
                "Aubert", "Barbier", "Carré", "Dumas", "Fabre", "Gauthier", "Hubert", "Lacroix",
                "Marchand", "Noël", "Perret", "Renaud", "Vidal",
            ]
            .contains(&c["last_name"].as_str().unwrap())
                && c["status"] == "active"
        })
        .cloned()
        .collect();
    assert_eq!(class.len(), 13);
    let left: Vec<String> = class.iter().map(|c| remaining(c, "cinema")).collect();
    assert_eq!(left.iter().filter(|l| *l == "5").count(), 12, "{left:?}");
    assert_eq!(left.iter().filter(|l| *l == "0").count(), 1, "{left:?}");
    let today = passregion_core::season::region_date(app.now()).to_string();
    let cards: Vec<Value> = class.iter().map(|c| c["id"].clone()).collect();
    let body = json!({"partner_id": partner_id(&cinema).await, "avantage": "cinema",
        "service_date": today, "entries_per_youth": 1, "card_ids": cards,
        "label": "Séance de cinéma — 1re B"});
    let r = etab.post_idem(BOOKINGS, "cinema-1reb", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = confirm(&cinema, &id, "confirm-1reb").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["debited_cards"], 12);
    let refused: Vec<_> = r.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "refuse")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["code"], "credit_epuise");
    assert_eq!(refused[0]["holder"], "Sacha V.");
}
