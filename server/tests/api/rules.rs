//! Roles and ownership, idempotency, brute force, per-account limits, hostile
//! input, suspension, the refund window, entries, seasons, public endpoints.
//! (Moved from `tests/tests/server_api.rs`, which keeps what needs the real
//! process: the whole journey on the demo, bursts over sockets, SIGKILL, the
//! served app's layers.)

use chrono::Duration;
use passregion_core::PartnerCategory;
use serde_json::json;

use crate::common::{TestApp, order_body, remaining};

#[tokio::test]
async fn roles_and_ownership_are_enforced() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Inès").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let other_partner = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let club = app
        .partner(PartnerCategory::ClubSportif, "Club de l'Espérance")
        .await;
    let other_etab = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let anonymous = app.client();

    let body = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "5"});
    assert_eq!(anonymous.debit(&body).await.status, 401);
    assert_eq!(youth.debit(&body).await.status, 403);
    assert_eq!(etab.debit(&body).await.status, 403);
    // A club may not debit the reading avantage.
    let r = club.debit(&body).await;
    assert_eq!((r.status, r.code()), (403, "avantage_non_autorise"));
    let r = partner.debit(&body).await;
    assert_eq!(r.status, 201);
    let tx = r.body["id"].as_str().unwrap().to_owned();
    // Another partner neither sees nor refunds it.
    let r = other_partner
        .post_idem(
            &format!("/api/partner/transactions/{tx}/refund"),
            "k",
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    let list = other_partner
        .get("/api/partner/transactions?limit=500")
        .await;
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != tx.as_str())
    );
    // Region endpoints are the Region's.
    for c in [&youth, &partner, &etab] {
        assert_eq!(c.get("/api/region/transactions").await.status, 403);
        assert_eq!(c.get("/api/region/ledger/check").await.status, 403);
    }
    assert_eq!(anonymous.get("/api/region/transactions").await.status, 401);
    // An établissement only sees and changes its own youths.
    let theirs = other_etab.get("/api/establishment/cards").await;
    assert!(
        theirs
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != card["id"])
    );
    let r = other_etab
        .post(
            &format!(
                "/api/establishment/cards/{}/suspend",
                card["id"].as_str().unwrap()
            ),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let orders = other_etab.get("/api/establishment/orders").await;
    assert!(
        orders
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["first_name"] != "Inès")
    );
    // A youth has no access to établissement endpoints, nor to a stranger's card.
    assert_eq!(youth.get("/api/establishment/cards").await.status, 403);
    // A bad token is refused.
    let mut forged = app.client();
    forged.token = Some("not-a-token".into());
    assert_eq!(
        forged.get("/api/youth/card").await.code(),
        "non_authentifie"
    );
}

#[tokio::test]
async fn idempotency_keys_replay_and_conflict() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Hugo").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let body = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "4.00"});
    let a = partner
        .post_idem("/api/partner/debits", "same-key", &body)
        .await;
    let b = partner
        .post_idem("/api/partner/debits", "same-key", &body)
        .await;
    assert_eq!(a.status, 201);
    assert_eq!(b.status, 201);
    assert_eq!(a.body, b.body, "a replay returns the stored response");
    let c = youth.get("/api/youth/card").await;
    assert_eq!(
        remaining(&c.body, "lecture_loisir"),
        "11.00",
        "debited once"
    );
    let other = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "5.00"});
    let r = partner
        .post_idem("/api/partner/debits", "same-key", &other)
        .await;
    assert_eq!((r.status, r.code()), (422, "cle_idempotence_reutilisee"));
    let r = partner.post("/api/partner/debits", &body).await;
    assert_eq!((r.status, r.code()), (400, "cle_idempotence_manquante"));
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "11.00");
    // Concurrent replays of one key apply once.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let p = partner.clone();
            let body = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "1.00"});
            tokio::spawn(
                async move { p.post_idem("/api/partner/debits", "burst-key", &body).await },
            )
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert!(results.iter().all(|r| r.status == 201));
    let ids: std::collections::HashSet<_> =
        results.iter().map(|r| r.body["id"].to_string()).collect();
    assert_eq!(ids.len(), 1);
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "10.00");
}

#[tokio::test]
async fn birth_date_brute_force_ends_in_lockout() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Noah").await;
    let number = card["number"].as_str().unwrap();
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let body = |birth: &str| json!({"card_number": number, "birth_date": birth, "avantage": "lecture_loisir", "price": "1"});
    for day in 1..=4 {
        let r = partner.debit(&body(&format!("2009-01-0{day}"))).await;
        assert_eq!((r.status, r.code()), (422, "carte_ou_date_incorrecte"));
    }
    let r = partner.debit(&body("2009-01-05")).await;
    assert_eq!((r.status, r.code()), (423, "carte_bloquee"));
    // Even the right date is refused while locked.
    let r = partner.debit(&body("2010-03-14")).await;
    assert_eq!((r.status, r.code()), (423, "carte_bloquee"));
    // An unknown (but well-formed) card number gets the same answer as a wrong date.
    let mut digits: Vec<u8> = number.bytes().map(|b| b - b'0').collect();
    digits[0] = (digits[0] + 1) % 10;
    // Recompute the Luhn digit.
    let sum: u32 = digits[..15]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = d as u32;
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    digits[15] = ((10 - sum % 10) % 10) as u8;
    let unknown: String = digits.iter().map(|d| (b'0' + d) as char).collect();
    let other = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let r = other
        .debit(&json!({"card_number": unknown, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!((r.status, r.code()), (422, "carte_ou_date_incorrecte"));
    // A typo is caught by the check digit before any look-up.
    let r = other
        .debit(&json!({"card_number": "1234567812345678", "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.code(), "numero_carte_errone");
}

#[tokio::test]
async fn per_account_failures_are_rate_limited() {
    let app = TestApp::init()
        .flags(&["--max-lookup-failures", "6"])
        .build()
        .await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let mut numbers = Vec::new();
    for n in 0..3 {
        let (_, card) = app.youth_with_card(&etab, &format!("Rate{n}")).await;
        numbers.push(card["number"].as_str().unwrap().to_owned());
    }
    let mut codes = Vec::new();
    for i in 0..8 {
        let r = partner
            .debit(&json!({"card_number": numbers[i % 3], "birth_date": "2001-01-01", "avantage": "lecture_loisir", "price": "1"}))
            .await;
        codes.push(r.code().to_owned());
    }
    assert_eq!(&codes[..6], &["carte_ou_date_incorrecte"; 6]);
    assert_eq!(&codes[6..], &["trop_de_tentatives"; 2]);
}

/// The 413 on a body over 64 KiB is the served app's layer (`Server::run`),
/// not the router's: it stays in `tests/tests/server_api.rs`.
#[tokio::test]
async fn hostile_input_gets_clear_errors_and_changes_nothing() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Théo").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let r = partner
        .post_raw(
            "/api/partner/debits",
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "json_invalide"));
    assert!(r.content_type.starts_with("application/problem+json"));
    assert!(!r.body["message"].as_str().unwrap().is_empty());
    let r = partner
        .post_raw("/api/partner/debits", "text/plain", b"{}".to_vec())
        .await;
    assert_eq!(r.status, 415);
    for (price, code) in [
        (json!(12.5), "donnees_invalides"),
        (json!("12.345"), "donnees_invalides"),
        (json!("-1"), "donnees_invalides"),
        (json!("NaN"), "donnees_invalides"),
        (json!("1e3"), "donnees_invalides"),
        (json!("0"), "montant_nul"),
        (json!("999999999"), "donnees_invalides"),
    ] {
        let r = partner
            .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": price}))
            .await;
        assert_eq!(r.code(), code, "price {price}: {}", r.body);
        assert!(r.status == 422, "{price}");
    }
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "licence_inexistante", "price": "1"}))
        .await;
    assert_eq!(r.code(), "avantage_inconnu");
    let r = partner
        .debit(
            &json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "1", "extra": true}),
        )
        .await;
    assert_eq!(r.code(), "donnees_invalides");
    let r = partner
        .debit(&json!({"qr": "PR1:garbage", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.code(), "qr_invalide");
    let r = partner.get("/api/partner/transactions?after=abc").await;
    assert_eq!((r.status, r.code()), (400, "parametres_invalides"));
    let r = partner.get("/api/nowhere").await;
    assert_eq!((r.status, r.code()), (404, "route_inconnue"));
    let r = partner.get("/api/partner/debits").await;
    assert_eq!(r.status, 405);
    // Nothing was debited by any of this.
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "15.00");
    // Unicode names are kept as typed.
    let y = app
        .register("zoe.nunez@example.org", "motdepasse", "Zoë Ñúñez-李")
        .await;
    let mut body = order_body("Zoë", "2009-11-02");
    body["last_name"] = json!("Ñúñez-李 O'Connor");
    let r = y.post("/api/youth/orders", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["last_name"], "Ñúñez-李 O'Connor");
    // Duplicate order for the same season.
    let r = y.post("/api/youth/orders", &body).await;
    assert_eq!((r.status, r.code()), (409, "commande_existante"));
    // Ineligible youths get a precise reason.
    let y2 = app.register("old@example.org", "motdepasse", "Old").await;
    let r = y2
        .post("/api/youth/orders", &order_body("Old", "1990-01-01"))
        .await;
    assert_eq!((r.status, r.code()), (422, "age_depasse"));
    let mut no_track = order_body("Old", "2010-01-01");
    no_track["track"] = json!(null);
    let r = y2.post("/api/youth/orders", &no_track).await;
    assert_eq!(r.code(), "filiere_requise");
    // Registration checks.
    let r = app
        .post("/api/auth/register", &json!({"email": "zoe.nunez@example.org", "password": "motdepasse", "display_name": "Z"}))
        .await;
    // A taken address gets the same answer as a free one (202); its owner
    // is told by e-mail, no account is made.
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(
        app.mails_to("zoe.nunez@example.org")
            .last()
            .unwrap()
            .0
            .contains("inscription")
    );
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "zoe.nunez@example.org", "password": "wrong"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "identifiants_invalides"));
}

#[tokio::test]
async fn suspension_refunds_window_and_entries() {
    let app = TestApp::init().flags(&["--refund-days", "0"]).build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Emma").await;
    let id = card["id"].as_str().unwrap();
    let qr = card["qr"].as_str().unwrap();
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let r = etab
        .post(
            &format!("/api/establishment/cards/{id}/suspend"),
            &json!({"reason": "Manuels rendus abîmés"}),
        )
        .await;
    assert_eq!(r.body["status"], "suspendue");
    let r = partner
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!((r.status, r.code()), (409, "carte_suspendue"));
    let c = youth.get("/api/youth/card").await;
    assert_eq!(c.body["status_reason"], "Manuels rendus abîmés");
    let r = etab
        .post(
            &format!("/api/establishment/cards/{id}/reactivate"),
            &json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "active");
    let r = partner
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.status, 201);
    // Refund window of 0 days: already closed.
    let tx = r.body["id"].as_str().unwrap();
    app.advance(Duration::milliseconds(20));
    let r = partner
        .post_idem(
            &format!("/api/partner/transactions/{tx}/refund"),
            "late",
            &json!({}),
        )
        .await;
    assert_eq!(r.code(), "delai_annulation_depasse");
    // Entries: cinema places.
    let cinema = app.partner(PartnerCategory::Cinema, "Cinéma Le Zola").await;
    let r = cinema
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "cinema", "entries": 7}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["debited"], "5");
    assert_eq!(r.body["reste_a_payer"], "2");
    assert_eq!(r.body["reimbursed_amount"], "32.50");
    let r = cinema
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "cinema", "price": "7"}))
        .await;
    assert_eq!(r.code(), "champ_invalide");
}

/// The spawned version restarted the server with `--start-time`; here the
/// clock of the same server is set forward.
#[tokio::test]
async fn seasons_expire_and_revalidation_loads_the_next_one() {
    // 31 May 2027, 23:00 in Paris: still usable.
    let app = TestApp::init().at("2027-05-31T21:00:00Z").build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let (_, card) = app.youth_with_card(&etab, "Camille").await;
    let card_id = card["id"].as_str().unwrap().to_owned();
    let number = card["number"].as_str().unwrap().to_owned();
    let qr = card["qr"].as_str().unwrap().to_owned();
    let r = partner
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "5"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // 1 June 2027: expired until revalidated.
    app.set_time("2027-06-01T08:00:00Z");
    let r = partner
        .debit(&json!({"card_number": number, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "5"}))
        .await;
    assert_eq!((r.status, r.code()), (409, "carte_expiree"));
    assert!(r.body["message"].as_str().unwrap().contains("31 mai"));
    let r = etab
        .post(
            &format!("/api/establishment/cards/{card_id}/revalidate"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["season"], "2027-2028");
    // The new season's avantages are loaded fresh; last season's rest is gone.
    assert_eq!(remaining(&r.body, "lecture_loisir"), "15.00");
    assert_eq!(remaining(&r.body, "spectacles"), "25.00");
    let r = etab
        .post(
            &format!("/api/establishment/cards/{card_id}/revalidate"),
            &json!({}),
        )
        .await;
    assert_eq!(r.code(), "deja_revalidee");
    let r = partner
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "5"}))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["balance"], "10.00");
}

/// On the demo region (its directory and its 20-odd bons plans are what is
/// checked). CORS and the security headers are the served app's layers
/// (`Server::run`): they stay in `tests/tests/server_api.rs`.
#[tokio::test]
async fn public_endpoints_openapi_and_bons_plans() {
    let app = TestApp::init().demo(2).build().await;
    let c = app.client();
    let h = c.get("/health").await;
    assert_eq!(h.body["status"], "ok");
    let doc = c.get("/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["paths"]["/api/partner/debits"]["post"].is_object());
    let partners = c.get("/api/partners?category=cinema").await;
    let list = partners.body.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|p| p["category"] == "cinema"));
    assert!(list.iter().all(|p| p["latitude"].as_f64().unwrap() > 44.0));
    let r = c.get("/api/partners?category=boulangerie").await;
    assert_eq!(r.code(), "champ_invalide");
    let cat = c.get("/api/catalogue?season=2026-2027").await;
    assert_eq!(cat.body["season"], "2026-2027");
    let plans = c.get("/api/bons-plans").await;
    assert!(plans.body.as_array().unwrap().len() >= 20);
    // A partner submits a bon plan; the Region moderates it.
    let partner = app
        .login_with("librairie@demo.passregion.fr", "demo1234")
        .await;
    let r = partner
        .post("/api/partner/bons-plans", &json!({"title": "Lecture publique", "description": "Une lecture réservée aux porteurs du PASS."}))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["status"], "soumis");
    let id = r.body["id"].as_str().unwrap().to_owned();
    let region = app
        .login_with("region@demo.passregion.fr", "demo1234")
        .await;
    let pending = region.get("/api/region/bons-plans/pending").await;
    assert!(
        pending
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id.as_str())
    );
    let r = region
        .post(
            &format!("/api/region/bons-plans/{id}/decision"),
            &json!({"validate": false}),
        )
        .await;
    assert_eq!(r.code(), "champ_invalide");
    let r = region
        .post(
            &format!("/api/region/bons-plans/{id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.body["status"], "valide");
    let plans = c.get("/api/bons-plans").await;
    assert!(
        plans
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id.as_str())
    );
}
