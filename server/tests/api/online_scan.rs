//! Online, a dynamic QR (`PD1:`) is decided at the server's clock, within its
//! time step ±1 (docs/security.md, issue 11 item 3): a code seen once (over a
//! shoulder, in a screenshot) cannot be debited later by sending the time it
//! was seen as `scanned_at`. A past scan time is accepted only through offline
//! sync, signed by an enrolled partner device (`offline_push.rs`).

use chrono::Duration;
use passregion_core::PartnerCategory;
use serde_json::{Value, json};

use crate::common::{Client, TestApp, remaining};
use crate::offline_push::credential;

/// The balance, the partner's transactions and the ledger check, together.
async fn money(app: &TestApp, youth: &Client, partner: &Client) -> (String, usize, Value) {
    let card = youth.get("/api/youth/card").await;
    let txs = partner.get("/api/partner/transactions?limit=500").await;
    let region = app.region().await;
    let check = region.get("/api/region/ledger/check").await;
    (
        remaining(&card.body, "lecture_loisir"),
        txs.body["items"].as_array().unwrap().len(),
        json!([check.body["inconsistencies"], check.body["orphans"]]),
    )
}

#[tokio::test]
async fn a_code_seen_earlier_cannot_be_debited_online_with_its_scan_time() {
    let app = TestApp::init()
        .flags(&["--session-hours", "200"])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Lina").await;
    // A credential valid 72 h, issued now; the attack happens 71 h later.
    let (cred, phone) = credential(&youth, 41).await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    app.advance(Duration::hours(71) + Duration::minutes(1));
    let now = app.now();
    let before = money(&app, &youth, &partner).await;
    assert_eq!(before.0, "15.00");
    assert_eq!(before.1, 0);

    // Codes shown 2 time steps, 10 minutes and 71 hours ago, each sent with
    // the instant it was seen, and without it.
    let cases = [
        (Duration::seconds(60), "qr_expire"),
        (Duration::minutes(10), "scan_trop_ancien"),
        (Duration::hours(71), "scan_trop_ancien"),
    ];
    for (counter, (ago, code)) in (1u32..).zip(cases) {
        let seen = now - ago;
        let qr = cred.dynamic_qr(&phone, seen, counter).unwrap();
        let body =
            json!({"qr": qr, "avantage": "lecture_loisir", "price": "5.00", "scanned_at": seen});
        let r = partner.debit(&body).await;
        assert_eq!((r.status, r.code()), (422, code), "{ago}: {}", r.body);
        assert!(r.body["message"].as_str().unwrap().len() > 10);
        let r = partner
            .debit(&json!({"qr": qr, "avantage": "lecture_loisir", "price": "5.00"}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (422, "qr_expire"),
            "{ago}: {}",
            r.body
        );
        // The inspection takes no scan time: it is refused the same way.
        let r = partner
            .post("/api/partner/cards/inspect", &json!({"qr": qr}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (422, "qr_expire"),
            "{ago}: {}",
            r.body
        );
    }
    // Nothing moved.
    assert_eq!(money(&app, &youth, &partner).await, before);

    // The current step and the previous one pass, scan time or not.
    let current = cred.dynamic_qr(&phone, now, 10).unwrap();
    let key = uuid::Uuid::new_v4().to_string();
    let body =
        json!({"qr": current, "avantage": "lecture_loisir", "price": "5.00", "scanned_at": now});
    let r = partner.post_idem("/api/partner/debits", &key, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["balance"], "10.00");
    let receipt = r.body;
    let previous = cred
        .dynamic_qr(&phone, now - Duration::seconds(30), 11)
        .unwrap();
    let r = partner
        .debit(&json!({"qr": previous, "avantage": "lecture_loisir", "price": "1.00"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["balance"], "9.00");

    // The retry of an applied debit whose answer was lost still gets that
    // answer once its code has expired (it is not shown as refused), and
    // moves nothing.
    app.advance(Duration::minutes(10));
    let again = partner.post_idem("/api/partner/debits", &key, &body).await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body, receipt);
    let after = money(&app, &youth, &partner).await;
    assert_eq!((after.0.as_str(), after.1), ("9.00", 2));
    assert_eq!(after.2, before.2, "the ledger is consistent");
}

/// A printed card's code (`PR1:`) is an identifier that can be photocopied:
/// online it debits or shows a card only with the holder's birth date, and
/// wrong dates lock the card as a typed number does, however many are sent
/// at once.
#[tokio::test]
async fn a_printed_code_alone_neither_debits_nor_shows_the_card() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Timéo").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let before = money(&app, &youth, &partner).await;
    let qr = card["qr"].as_str().unwrap();
    assert!(qr.starts_with("PR1:"));
    let debit = |birth: Option<&str>| {
        let mut body = json!({"qr": qr, "avantage": "lecture_loisir", "price": "5.00"});
        if let Some(b) = birth {
            body["birth_date"] = json!(b);
        }
        body
    };
    let r = partner.debit(&debit(None)).await;
    assert_eq!((r.status, r.code()), (422, "date_naissance_requise"));
    let r = partner
        .post("/api/partner/cards/inspect", &json!({"qr": qr}))
        .await;
    assert_eq!((r.status, r.code()), (422, "date_naissance_requise"));
    assert!(r.body.get("balances").is_none());
    // A photocopy and guessed birth dates, sent all at once: the card locks
    // after 5 wrong dates (then even the right date is refused for a while).
    let guesses: Vec<_> = (1..=12)
        .map(|d| {
            let (p, body) = (partner.clone(), debit(Some(&format!("2010-01-{d:02}"))));
            tokio::spawn(async move { p.debit(&body).await })
        })
        .collect();
    let mut codes = Vec::new();
    for g in guesses {
        codes.push(g.await.unwrap().code().to_owned());
    }
    let wrong = codes
        .iter()
        .filter(|c| *c == "carte_ou_date_incorrecte")
        .count();
    assert_eq!(wrong, 4, "{codes:?}");
    assert!(
        codes
            .iter()
            .all(|c| c == "carte_ou_date_incorrecte" || c == "carte_bloquee"),
        "{codes:?}"
    );
    let r = partner.debit(&debit(Some("2010-03-14"))).await;
    assert_eq!((r.status, r.code()), (423, "carte_bloquee"), "{}", r.body);
    assert_eq!(money(&app, &youth, &partner).await, before, "nothing moved");
    // Once the lock is over, the holder's birth date debits.
    app.advance(Duration::minutes(16));
    let r = partner.debit(&debit(Some("2010-03-14"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
}
