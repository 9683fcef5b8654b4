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
