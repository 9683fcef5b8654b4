//! Password reset by an e-mail link (issue 16): the same answer whether the
//! address has an account or not; a link works once and for an hour; using
//! it changes the password and ends the account's sessions at once.

use chrono::Duration;
use serde_json::json;

use crate::common::TestApp;

fn reset_token(app: &TestApp, to: &str) -> Option<String> {
    app.mails_to(to).into_iter().rev().find_map(|(_, body)| {
        let at = body.find("reinitialiser?jeton=")? + "reinitialiser?jeton=".len();
        Some(
            body[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect(),
        )
    })
}

#[tokio::test]
async fn a_reset_link_changes_the_password_once_and_ends_the_sessions() {
    let app = TestApp::init().build().await;
    let youth = app
        .register("sami@example.fr", "ancien mot de passe", "Sami")
        .await;
    assert_eq!(youth.get("/api/me").await.status, 200);
    // Known and unknown addresses get the same answer; only the account's
    // owner gets a mail.
    let known = app
        .post(
            "/api/auth/password-reset",
            &json!({"email": "Sami@example.fr"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/password-reset",
            &json!({"email": "personne@example.fr"}),
        )
        .await;
    assert_eq!(known.status, 202);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert!(app.mails_to("personne@example.fr").is_empty());
    let token = reset_token(&app, "sami@example.fr").expect("a reset link");
    // A bad token, a short password: refused, nothing changes.
    let r = app
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": "faux", "password": "nouveau mot de passe"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "lien_invalide"));
    let r = app
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": token, "password": "court"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "champ_invalide"));
    let r = app
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": token, "password": "nouveau mot de passe"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The open session is over at once (not 30 s later), the old password
    // no longer works, the new one does, and the link cannot serve again.
    assert_eq!(youth.get("/api/me").await.status, 401);
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/auth/login",
                &json!({"email": "sami@example.fr", "password": password}),
            )
            .await
            .status
        }
    };
    assert_eq!(login("ancien mot de passe").await, 401);
    assert_eq!(login("nouveau mot de passe").await, 200);
    let r = app
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": token, "password": "troisième mot de passe"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "lien_invalide"));
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour() {
    let app = TestApp::init().build().await;
    app.register("lina@example.fr", "mot de passe", "Lina")
        .await;
    let r = app
        .post(
            "/api/auth/password-reset",
            &json!({"email": "lina@example.fr"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let token = reset_token(&app, "lina@example.fr").unwrap();
    app.advance(Duration::minutes(61));
    let r = app
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": token, "password": "nouveau mot de passe"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "lien_invalide"));
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "lina@example.fr", "password": "mot de passe"}),
        )
        .await;
    assert_eq!(r.status, 200, "the password did not change");
}
