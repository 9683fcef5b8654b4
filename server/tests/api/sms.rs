//! Limits on SMS signature codes (docs/security.md): wrong attempts count
//! across resends, resends are limited per application and per number per
//! day, and the public application form is budgeted per source.

use chrono::Duration;
use serde_json::json;

use crate::common::{Client, TestApp};

/// An applicant with a complete draft sends it: the code goes to `phone`.
async fn apply(app: &TestApp, email: &str, phone: &str) -> (u16, String, Client) {
    let c = app.applicant(email, "Librairie des Canuts").await;
    app.fill_application(&c, phone).await;
    let r = app.submit_application(&c).await;
    (r.status, r.code().to_owned(), c)
}

#[tokio::test]
async fn a_resend_neither_resets_attempts_nor_comes_without_end() {
    let app = TestApp::init().build().await;
    let (status, _, partner) = apply(&app, "claire@canuts.example", "06 12 34 56 78").await;
    assert_eq!(status, 200);
    // Five wrong codes, with resends in between: the attempts add up. A wrong
    // code is never the one sent.
    let wrong = |n: u32| {
        let sent: u32 = app.last_sms_code().parse().unwrap();
        json!({"code": format!("{:06}", (sent + 1 + n) % 1_000_000)})
    };
    for n in 0..3 {
        let r = partner
            .post("/api/partner/convention/sign", &wrong(n))
            .await;
        assert_eq!(r.code(), "code_incorrect", "{}", r.body);
    }
    let r = partner
        .post("/api/partner/convention/code", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for n in 3..5 {
        let r = partner
            .post("/api/partner/convention/sign", &wrong(n))
            .await;
        assert_eq!(r.code(), "code_incorrect", "{}", r.body);
    }
    // A third code today (first + two resends) is the last.
    let r = partner
        .post("/api/partner/convention/code", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = partner
        .post("/api/partner/convention/code", &json!({}))
        .await;
    assert_eq!((r.status, r.code()), (429, "trop_de_codes"), "{}", r.body);
    // The attempts are spent for today, even with the right code.
    let code = app.last_sms_code();
    let r = partner
        .post("/api/partner/convention/sign", &json!({"code": code}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (429, "trop_de_tentatives"),
        "{}",
        r.body
    );
    // The next day, a new code is sent and signs.
    app.advance(Duration::hours(25));
    // The session lasted 12 h: log in again.
    let partner = {
        let mut c = app.client();
        let r = c
            .post(
                "/api/auth/login",
                &json!({"email": "claire@canuts.example", "password": "motdepasse"}),
            )
            .await;
        c.token = r.body["token"].as_str().map(str::to_owned);
        c
    };
    let r = partner
        .post("/api/partner/convention/code", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = partner
        .post(
            "/api/partner/convention/sign",
            &json!({"code": app.last_sms_code()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn one_number_gets_at_most_five_sms_a_day() {
    let app = TestApp::init().build().await;
    for i in 0..5 {
        let (status, code, _) =
            apply(&app, &format!("p{i}@test.passregion.fr"), "07 11 22 33 44").await;
        assert_eq!(status, 200, "{code}");
    }
    // The sixth application to the same number is refused and sends nothing:
    // it stays a draft.
    let (status, code, sixth) = apply(&app, "p5@test.passregion.fr", "07 11 22 33 44").await;
    assert_eq!((status, code.as_str()), (429, "trop_de_codes"));
    let v = sixth.get("/api/partner/application").await;
    assert_eq!(v.body["stage"], "brouillon", "{}", v.body);
    assert!(v.body["convention"].is_null(), "{}", v.body);
    // Another number is not affected.
    let (status, _, _) = apply(&app, "p6@test.passregion.fr", "06 55 44 33 22").await;
    assert_eq!(status, 200);
}
