//! Card enumeration (docs/security.md): an unknown card number answers and
//! locks exactly like a real one with a wrong birth date, and each new lock of
//! a number lasts twice as long.

use chrono::Duration;
use passregion_core::PartnerCategory;
use passregion_core::card::CardNumber;
use serde_json::json;

use crate::common::{Client, TestApp};

async fn try_number(partner: &Client, number: &str, birth: &str) -> String {
    let r = partner
        .post(
            "/api/partner/cards/inspect",
            &json!({"card_number": number, "birth_date": birth}),
        )
        .await;
    if r.status == 200 {
        "ok".to_owned()
    } else {
        r.code().to_owned()
    }
}

#[tokio::test]
async fn unknown_numbers_lock_like_real_ones_and_locks_grow() {
    let app = TestApp::init()
        .flags(&[
            "--max-lookup-failures",
            "1000",
            "--max-source-failures",
            "1000",
            "--session-hours",
            "100",
        ])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Inès").await;
    let real = card["number"].as_str().unwrap().to_owned();
    let birth = card["birth_date"]
        .as_str()
        .unwrap_or("2010-03-14")
        .to_owned();
    let mut seed = 7u64;
    let unknown = CardNumber::generate(move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed
    })
    .as_str()
    .to_owned();
    assert_ne!(real, unknown);
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;

    // Six wrong birth dates on each: the same answers, in the same order.
    let mut answers = Vec::new();
    for number in [&real, &unknown] {
        let mut seq = Vec::new();
        for _ in 0..6 {
            seq.push(try_number(&partner, number, "2001-01-01").await);
        }
        answers.push(seq);
    }
    let expected: Vec<String> = [
        vec!["carte_ou_date_incorrecte"; 4],
        vec!["carte_bloquee"; 2],
    ]
    .concat()
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(answers[0], expected);
    assert_eq!(answers[1], expected);
    // Locked, even with the right birth date.
    assert_eq!(try_number(&partner, &real, &birth).await, "carte_bloquee");

    // After the first lock (15 min), the next lock lasts 30 min.
    app.advance(Duration::minutes(16));
    for _ in 0..4 {
        assert_eq!(
            try_number(&partner, &unknown, "2001-01-01").await,
            "carte_ou_date_incorrecte"
        );
    }
    assert_eq!(
        try_number(&partner, &unknown, "2001-01-01").await,
        "carte_bloquee"
    );
    app.advance(Duration::minutes(16));
    assert_eq!(
        try_number(&partner, &unknown, "2001-01-01").await,
        "carte_bloquee"
    );
    app.advance(Duration::minutes(15));
    assert_eq!(
        try_number(&partner, &unknown, "2001-01-01").await,
        "carte_ou_date_incorrecte"
    );

    // The real card opens with its birth date once unlocked, which resets it.
    assert_eq!(try_number(&partner, &real, &birth).await, "ok");
}

/// Issue 11, item 9: registration does not tell whether an address has an
/// account. Same status, same body, the same work; the owner of a taken
/// address is told by e-mail; a new account logs in only once the link is
/// followed, once.
#[tokio::test]
async fn registration_does_not_reveal_which_addresses_have_an_account() {
    let app = TestApp::init().build().await;
    app.register("deja@example.fr", "motdepasse", "Déjà Là")
        .await;
    let try_register = |email: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/auth/register",
                &json!({"email": email, "password": "autre mot de passe", "display_name": "Curieux"}),
            )
            .await
        }
    };
    let taken = try_register("deja@example.fr").await;
    let free = try_register("nouveau@example.fr").await;
    assert_eq!(taken.status, 202);
    assert_eq!((taken.status, &taken.body), (free.status, &free.body));
    // The taken address's owner is told; its password did not change.
    let (subject, body) = app.mails_to("deja@example.fr").pop().unwrap();
    assert!(subject.contains("inscription"), "{subject}");
    assert!(!body.contains("jeton="));
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "deja@example.fr", "password": "autre mot de passe"}),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "deja@example.fr", "password": "motdepasse"}),
        )
        .await;
    assert_eq!(r.status, 200);
    // The new account cannot log in before confirming (only someone with
    // the password learns that).
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "nouveau@example.fr", "password": "autre mot de passe"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "email_non_verifie"));
    let token = app.verification_token("nouveau@example.fr").unwrap();
    // A wrong or expired link opens nothing.
    let r = app
        .post("/api/auth/verify-email", &json!({"token": "pas-un-jeton"}))
        .await;
    assert_eq!((r.status, r.code()), (400, "lien_invalide"));
    app.advance(chrono::Duration::hours(49));
    let r = app
        .post("/api/auth/verify-email", &json!({"token": token}))
        .await;
    assert_eq!((r.status, r.code()), (400, "lien_invalide"));
    // Registering again sends a new link, which works once.
    let again = try_register("nouveau@example.fr").await;
    assert_eq!(again.status, 202);
    let token2 = app.verification_token("nouveau@example.fr").unwrap();
    assert_ne!(token, token2);
    let r = app
        .post("/api/auth/verify-email", &json!({"token": token2}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["token"].is_string());
    let r = app
        .post("/api/auth/verify-email", &json!({"token": token2}))
        .await;
    assert_eq!((r.status, r.code()), (400, "lien_invalide"));
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "nouveau@example.fr", "password": "autre mot de passe"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The registration form cannot mail-bomb an address: at most 3 e-mails per
/// address a day, with the same answer beyond.
#[tokio::test]
async fn registration_mails_per_address_are_limited() {
    let app = TestApp::init().build().await;
    for _ in 0..6 {
        let r = app
            .post(
                "/api/auth/register",
                &json!({"email": "cible@example.fr", "password": "motdepasse", "display_name": "Cible"}),
            )
            .await;
        assert_eq!(r.status, 202);
    }
    assert_eq!(app.mails_to("cible@example.fr").len(), 3);
    app.advance(chrono::Duration::hours(25));
    let r = app
        .post(
            "/api/auth/register",
            &json!({"email": "cible@example.fr", "password": "motdepasse", "display_name": "Cible"}),
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(app.mails_to("cible@example.fr").len(), 4);
}

/// Someone registers another person's address first, with a password of
/// their choosing: the owner registers again, follows the link it receives,
/// and the account takes the owner's password, not the squatter's.
#[tokio::test]
async fn a_squatted_address_takes_the_password_of_the_link_followed() {
    let app = TestApp::init().build().await;
    let register = |password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/auth/register",
                &json!({"email": "lea@example.fr", "password": password, "display_name": "Léa"}),
            )
            .await
        }
    };
    assert_eq!(register("mot de passe du squatteur").await.status, 202);
    let squatter_link = app.verification_token("lea@example.fr").unwrap();
    assert_eq!(register("mot de passe de Léa").await.status, 202);
    let lea_link = app.verification_token("lea@example.fr").unwrap();
    let r = app
        .post("/api/auth/verify-email", &json!({"token": lea_link}))
        .await;
    assert_eq!(r.status, 200);
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/auth/login",
                &json!({"email": "lea@example.fr", "password": password}),
            )
            .await
            .status
        }
    };
    assert_eq!(login("mot de passe du squatteur").await, 401);
    assert_eq!(login("mot de passe de Léa").await, 200);
    // The squatter's link (had it leaked) no longer works on a confirmed account.
    let r = app
        .post("/api/auth/verify-email", &json!({"token": squatter_link}))
        .await;
    assert_eq!((r.status, r.code()), (400, "lien_invalide"));
    assert_eq!(login("mot de passe de Léa").await, 200);
}
