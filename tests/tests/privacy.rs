//! Data protection (issue 16) on the real server binary: its log, at debug
//! level, holds no birth date, no full card number, no token and no QR
//! text, through a whole journey (registration, order, validation, QR,
//! debits by card number and birth date with a wrong birth date, a password
//! reset, a data export).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use passregion_tests::{TestServer, mails_to, youth_with_card};
use serde_json::json;

#[tokio::test]
async fn the_log_holds_no_birth_date_card_number_or_token() {
    let server = TestServer::start_logged(2, "debug");
    let etab = server.login("ampere@demo.passregion.fr").await;
    let (youth, card) = youth_with_card(&server, &etab, "Nina").await;
    let number = card["number"].as_str().unwrap().replace(' ', "");
    assert_eq!(number.len(), 16, "{card}");
    let qr = card["qr"].as_str().unwrap().to_owned();
    let partner = server.login("librairie@demo.passregion.fr").await;
    // A wrong birth date, then the right one.
    let r = partner
        .debit(&json!({"card_number": number, "birth_date": "2011-01-01", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = partner
        .debit(&json!({"card_number": number, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = partner
        .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The youth downloads her data: it holds them, the log does not.
    let export = youth.get("/api/youth/data").await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert_eq!(
        export.body["orders"][0]["birth_date"], "2010-03-14",
        "{}",
        export.body
    );
    assert_eq!(export.body["card"]["number"], number.as_str());
    assert!(
        export.body["addresses"][0]["city"].is_string(),
        "{}",
        export.body
    );
    assert_eq!(export.body["transactions"].as_array().unwrap().len(), 2);
    // A reset link.
    let email = export.body["account"]["email"].as_str().unwrap().to_owned();
    let r = server
        .client()
        .post("/api/auth/password-reset", &json!({"email": email}))
        .await;
    assert_eq!(r.status, 202);
    let reset = mails_to(&server.data_dir, &email).last().unwrap().1.clone();
    let reset_token = reset
        .split("jeton=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let session = youth.token.clone().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let logs = server.logs.as_ref().unwrap().lock().unwrap().clone();
    assert!(
        logs.contains("DEBUG") || logs.contains("INFO"),
        "debug logging is on: {logs}"
    );
    let spaced = format!(
        "{} {} {} {}",
        &number[0..4],
        &number[4..8],
        &number[8..12],
        &number[12..16]
    );
    for (what, secret) in [
        ("birth date", "2010-03-14"),
        ("birth date (French)", "14/03/2010"),
        ("wrong birth date", "2011-01-01"),
        ("card number", number.as_str()),
        ("card number (spaced)", spaced.as_str()),
        ("session token", session.as_str()),
        ("reset token", reset_token.as_str()),
        ("QR text", &qr[..qr.len().min(40)]),
        ("e-mail", email.as_str()),
    ] {
        assert!(!logs.contains(secret), "{what} in the log");
    }
}
