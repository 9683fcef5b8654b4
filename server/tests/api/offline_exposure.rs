//! Issue 11, item 1: the Region's exposure to offline debits is bounded for
//! any number of credentials, devices and partners. Attacks: several
//! credentials for one card, a debit scanned after a suspension, partner caps
//! bypassed by a modified app, several partners draining an empty card, and
//! random interleavings of all of these (property test against the router).

use chrono::Duration;
use passregion_core::PartnerCategory;
use passregion_core::credential::{AppCredential, SoftwareDeviceKey};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::{Client, TestApp, remaining};
use crate::offline_push::{Device, credential, push};

async fn offline_total(region: &Client) -> (usize, i64) {
    let txs = region.get("/api/region/transactions?limit=500").await;
    let items: Vec<&Value> = txs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "offline")
        .collect();
    let cents = items
        .iter()
        .map(|t| cents(t["reimbursed_amount"].as_str().unwrap()))
        .sum();
    (items.len(), cents)
}

fn cents(s: &str) -> i64 {
    let (e, c) = s.split_once('.').unwrap_or((s, "0"));
    e.parse::<i64>().unwrap() * 100 + c.parse::<i64>().unwrap()
}

#[tokio::test]
async fn a_new_credential_revokes_the_earlier_ones_at_push() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Inès").await;
    let mut creds: Vec<(AppCredential, SoftwareDeviceKey)> = Vec::new();
    for seed in 1..=5 {
        creds.push(credential(&youth, seed).await);
        app.advance(Duration::seconds(1));
    }
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let pull = partner.get("/api/sync/pull?cursor=0").await;
    let revoked: Vec<String> = pull.body["revoked_credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    for (c, _) in &creds[..4] {
        assert!(revoked.contains(&c.claims().credential_id.to_string()));
    }
    assert!(!revoked.contains(&creds[4].0.claims().credential_id.to_string()));
    // A partner that has not pulled accepts the four old credentials
    // offline: each is refused at push, nothing moves.
    let mut dev = Device::enrol(&partner, 51).await;
    let now = app.now();
    let mut items = Vec::new();
    for (c, phone) in &creds[..4] {
        items.push(dev.debit(&c.dynamic_qr(phone, now, 1).unwrap(), 500, 500, now));
    }
    let (c, phone) = &creds[4];
    items.push(dev.debit(&c.dynamic_qr(phone, now, 1).unwrap(), 500, 500, now));
    let results = push(&partner, &items).await;
    for r in &results[..4] {
        assert_eq!(
            (r["status"].as_str(), r["code"].as_str()),
            (Some("rejected"), Some("qr_revoque")),
            "{r}"
        );
    }
    assert_eq!(results[4]["status"], "applied", "{}", results[4]);
    let card = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&card.body, "lecture_loisir"), "10.00");
    let region = app.region().await;
    assert_eq!(offline_total(&region).await, (1, 500));
}

#[tokio::test]
async fn a_debit_scanned_after_a_suspension_is_refused_at_push() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Malo").await;
    let (cred, phone) = credential(&youth, 7).await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let mut dev = Device::enrol(&partner, 52).await;
    let before = app.now();
    let first = dev.debit(
        &cred.dynamic_qr(&phone, before, 1).unwrap(),
        400,
        400,
        before,
    );
    app.advance(Duration::minutes(10));
    let id = card["id"].as_str().unwrap();
    let r = etab
        .post(
            &format!("/api/establishment/cards/{id}/suspend"),
            &json!({"reason": "Carte perdue"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.advance(Duration::minutes(10));
    let after = app.now();
    let second = dev.debit(&cred.dynamic_qr(&phone, after, 2).unwrap(), 400, 400, after);
    // Reactivated before the push: the debit scanned during the suspension
    // stays refused, the one scanned before it stands.
    let r = etab
        .post(
            &format!("/api/establishment/cards/{id}/reactivate"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let results = push(&partner, &[first, second]).await;
    assert_eq!(results[0]["status"], "applied", "{}", results[0]);
    assert_eq!(results[1]["status"], "rejected");
    // Suspension revoked the credential too: either refusal is right, both
    // say the card could not be used.
    assert!(
        ["carte_suspendue", "qr_revoque"].contains(&results[1]["code"].as_str().unwrap()),
        "{}",
        results[1]
    );
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "11.00");
}

#[tokio::test]
async fn partner_caps_are_checked_again_at_push() {
    // The server's caps are lower than what the credential allows: a
    // modified partner app that ignores them is refused at push.
    let app = TestApp::init()
        .flags(&[
            "--partner-per-tx-cents",
            "800",
            "--partner-daily-cents",
            "1500",
            "--session-hours",
            "200",
        ])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let mut dev = Device::enrol(&partner, 53).await;
    let now = app.now();
    let mut items = Vec::new();
    for (i, name) in ["Ana", "Bilal", "Chloé"].iter().enumerate() {
        let (youth, _) = app.youth_with_card(&etab, name).await;
        let (cred, phone) = credential(&youth, 60 + i as u8).await;
        let debited = if i == 0 { 900 } else { 700 };
        items.push(dev.debit(
            &cred.dynamic_qr(&phone, now, 1).unwrap(),
            debited,
            debited,
            now,
        ));
    }
    let results = push(&partner, &items).await;
    // 9 € > 8 € per debit; 7 € passes; the next 7 € would make 14 €, within
    // 15 €; a fourth would not.
    assert_eq!(results[0]["code"], "plafond_partenaire", "{}", results[0]);
    assert_eq!(results[1]["status"], "applied");
    assert_eq!(results[2]["status"], "applied");
    let (youth, _) = app.youth_with_card(&etab, "Dina").await;
    let (cred, phone) = credential(&youth, 70).await;
    let r = push(
        &partner,
        &[dev.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 200, 200, now)],
    )
    .await;
    assert_eq!(r[0]["code"], "plafond_partenaire", "{}", r[0]);
    // The next Region day, the cap is fresh.
    app.advance(Duration::days(1));
    let later = app.now();
    let r = push(
        &partner,
        &[dev.debit(&cred.dynamic_qr(&phone, later, 2).unwrap(), 200, 200, later)],
    )
    .await;
    assert_eq!(r[0]["status"], "applied", "{}", r[0]);
    let region = app.region().await;
    assert_eq!(offline_total(&region).await, (3, 1600));
}

#[tokio::test]
async fn the_region_covers_an_empty_card_only_up_to_its_guarantee() {
    let app = TestApp::init()
        .flags(&["--offline-guarantee-cents", "500"])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Noé").await;
    let (cred, phone) = credential(&youth, 9).await;
    let now = app.now();
    // Three bookshops, offline, 12 € each on a 15 € lecture loisir credit;
    // they sync later, one after the other.
    let mut held = Vec::new();
    for (i, name) in ["Librairie A", "Librairie B", "Librairie C"]
        .iter()
        .enumerate()
    {
        let p = app.partner(PartnerCategory::Librairie, name).await;
        let mut d = Device::enrol(&p, 80 + i as u8).await;
        let qr = cred.dynamic_qr(&phone, now, i as u32 + 1).unwrap();
        let item = d.debit(&qr, 1200, 1200, now);
        held.push((p, item));
    }
    app.advance(Duration::minutes(30));
    let mut results = Vec::new();
    for (p, item) in &held {
        results.push(push(p, std::slice::from_ref(item)).await.remove(0));
    }
    assert_eq!(results[0]["status"], "applied");
    assert!(results[0]["code"].is_null());
    // 3 € on the card + 5 € of guarantee; 4 € unpaid, said so.
    assert_eq!(results[1]["status"], "applied");
    assert_eq!(results[1]["code"], "garantie_partielle", "{}", results[1]);
    assert_eq!(results[2]["code"], "garantie_epuisee", "{}", results[2]);
    let region = app.region().await;
    assert_eq!(offline_total(&region).await, (2, 1200 + 800));
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "0.00");
    let flags = region.get("/api/region/flags").await;
    assert!(
        flags
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["card_id"] == card["id"])
    );
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
}

/// One step of the random interleaving.
#[derive(Clone, Debug)]
enum Op {
    /// The youth gets a credential on a new phone (the live one is revoked).
    NewCredential,
    /// Partner `p` accepts offline, with credential `c` (any shown so far).
    Accept { p: usize, c: usize, cents: i64 },
    /// Partner `p` pushes everything it holds.
    Push { p: usize },
    /// The établissement suspends (or reactivates) the card.
    ToggleSuspension,
    /// Time passes.
    Wait { minutes: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::NewCredential),
        5 => (0usize..3, 0usize..4, 100i64..1500).prop_map(|(p, c, cents)| Op::Accept { p, c, cents }),
        3 => (0usize..3).prop_map(|p| Op::Push { p }),
        1 => Just(Op::ToggleSuspension),
        1 => (1i64..600).prop_map(|minutes| Op::Wait { minutes }),
    ]
}

/// Runs the interleaving against the router; returns (Region's cover, what
/// the card paid, what partners accepted, what they were paid), in cents.
async fn run(ops: Vec<Op>, guarantee: i64) -> (i64, i64, i64, i64) {
    let g = guarantee.to_string();
    let app = TestApp::init()
        .flags(&["--offline-guarantee-cents", &g, "--session-hours", "200"])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Lou").await;
    let start = cents(&remaining(
        &youth.get("/api/youth/card").await.body,
        "lecture_loisir",
    ));
    let card_id = card["id"].as_str().unwrap().to_owned();
    let mut creds = vec![credential(&youth, 1).await];
    let mut counters = vec![0u32];
    let mut partners = Vec::new();
    for (i, name) in ["Librairie A", "Librairie B", "Librairie C"]
        .iter()
        .enumerate()
    {
        let p = app.partner(PartnerCategory::Librairie, name).await;
        let d = Device::enrol(&p, 90 + i as u8).await;
        partners.push((p, d, Vec::new()));
    }
    let (mut suspended, mut accepted) = (false, 0i64);
    for op in ops {
        match op {
            Op::NewCredential => {
                let seed = u8::try_from(creds.len() + 1).unwrap();
                let r = youth
                    .post(
                        "/api/youth/credentials",
                        &json!({"device_public_key": SoftwareDeviceKey::from_seed(&[seed; 32]).unwrap().public_key().to_base64()}),
                    )
                    .await;
                // Refused once the card is flagged or suspended.
                if r.status == 201 {
                    creds.push((
                        AppCredential::from_base64(r.body["credential"].as_str().unwrap()).unwrap(),
                        SoftwareDeviceKey::from_seed(&[seed; 32]).unwrap(),
                    ));
                    counters.push(0);
                }
            }
            Op::Accept { p, c, cents } => {
                let c = c % creds.len();
                let (cred, phone) = &creds[c];
                let now = app.now();
                if cred.claims().expires_at <= now {
                    continue;
                }
                // A modified partner app: it accepts whatever it is shown,
                // whatever the limits; the server decides at push.
                let (_, dev, held) = &mut partners[p];
                counters[c] += 1;
                let qr = cred.dynamic_qr(phone, now, counters[c]).unwrap();
                held.push(dev.debit(&qr, cents, cents, now));
                accepted += cents;
            }
            Op::Push { p } => {
                let (client, _, held) = &mut partners[p];
                if !held.is_empty() {
                    let items = std::mem::take(held);
                    push(client, &items).await;
                }
            }
            Op::ToggleSuspension => {
                let action = if suspended { "reactivate" } else { "suspend" };
                let r = etab
                    .post(
                        &format!("/api/establishment/cards/{card_id}/{action}"),
                        &json!({"reason": "Contrôle"}),
                    )
                    .await;
                if r.status == 200 {
                    suspended = !suspended;
                }
            }
            Op::Wait { minutes } => app.advance(Duration::minutes(minutes)),
        }
    }
    for (client, _, held) in &mut partners {
        let items = std::mem::take(held);
        if !items.is_empty() {
            push(client, &items).await;
        }
    }
    let region = app.region().await;
    let (_, paid) = offline_total(&region).await;
    let left = cents(&remaining(
        &youth.get("/api/youth/card").await.body,
        "lecture_loisir",
    ));
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
    let on_card = start - left;
    (paid - on_card, on_card, accepted, paid)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn the_region_loss_per_card_never_exceeds_the_guarantee(
        ops in proptest::collection::vec(op(), 1..40),
        guarantee in 0i64..2000,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (cover, on_card, accepted, paid) = rt.block_on(run(ops, guarantee));
        prop_assert!(cover >= 0, "cover {cover}");
        prop_assert!(cover <= guarantee, "cover {cover} > guarantee {guarantee}");
        prop_assert!(on_card >= 0);
        prop_assert!(paid <= accepted, "paid {paid} > accepted {accepted}");
    }
}
