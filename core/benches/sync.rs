//! Client sync benchmarks (prints numbers, asserts nothing):
//! - push 10,000 queued offline debits and mark them acknowledged;
//! - pull a 20,000-partner directory into the local store;
//! - open the store and read the home screen (card, balances, last 20).
//!
//! The server is an in-process fake that acknowledges every item (so this
//! measures the client: outbox reads, serialisation, per-item marking, store
//! writes), not the network or the real server's checks.
//!
//! `cargo bench -p passregion-core --bench sync --features client`
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::api::accounts::{AccountView, LoginResponse, Role};
use passregion_core::api::cards::{Balance, CardView};
use passregion_core::api::debits::Transaction;
use passregion_core::client::{
    HttpRequest, HttpResponse, PartnerClient, Store, Transport, TransportError, YouthClient,
};
use passregion_core::clock::SystemClock;
use passregion_core::credential::{
    AppCredential, AppCredentialClaims, IssuerKey, OfflineLimits, RootKey, SoftwareDeviceKey,
    TrustList, TrustedKey,
};
use passregion_core::debit::AvantageKind;
use passregion_core::sync::{
    DirectoryEntry, EnrolResponse, ItemResult, ItemStatus, PartnerCaps, PullResponse, PushRequest,
    PushResponse,
};
use uuid::Uuid;

const PUSHED: usize = 10_000;
const DIRECTORY: usize = 20_000;
const PAGE: usize = 5_000;

struct Fake {
    root: RootKey,
    trust: String,
}

fn json(v: &impl serde::Serialize) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: 200,
        headers: vec![],
        body: serde_json::to_vec(v).unwrap(),
    })
}

impl Transport for Fake {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let path = req.path().to_owned();
        let body = req.body.unwrap_or_default();
        let role = if path.contains("youth") {
            "youth"
        } else {
            "partner"
        };
        match path.split('?').next().unwrap_or("") {
            "/api/auth/login" => {
                let youth = body.windows(5).any(|w| w == b"youth") || role == "youth";
                json(&LoginResponse {
                    token: "t".into(),
                    expires_at: Utc::now() + Duration::days(1),
                    account: AccountView {
                        id: "a".into(),
                        email: "a@example.org".into(),
                        role: if youth { Role::Youth } else { Role::Partner },
                        display_name: "A".into(),
                        partner_id: (!youth).then(|| "p-1".into()),
                        partner_category: (!youth).then_some(PartnerCategory::Librairie),
                        establishment_id: None,
                        partner_role: None,
                        establishment_role: None,
                        region_role: None,
                    },
                    device_token: None,
                })
            }
            "/api/partner/devices" => json(&EnrolResponse {
                device_id: "dev-1".into(),
                partner_id: "p-1".into(),
                category: passregion_core::PartnerCategory::Librairie,
                caps: PartnerCaps {
                    per_transaction_max: Money::from_cents(1500).unwrap(),
                    daily_max: Money::from_cents(9_000_000).unwrap(),
                },
                root_public_key: self.root.public_key().to_base64(),
                server_time: Utc::now(),
            }),
            "/api/trust-list" => Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: self.trust.clone().into_bytes(),
            }),
            "/api/sync/push" => {
                let r: PushRequest = serde_json::from_slice(&body).unwrap();
                json(&PushResponse {
                    results: r
                        .items
                        .iter()
                        .map(|i| ItemResult {
                            id: i.id,
                            status: ItemStatus::Applied,
                            http_status: 201,
                            code: None,
                            message: None,
                            transaction_id: Some(i.id.to_string()),
                            overspend: false,
                        })
                        .collect(),
                    server_time: Utc::now(),
                })
            }
            "/api/sync/pull" => {
                let cursor: usize = path
                    .split("cursor=")
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let end = (cursor + PAGE).min(DIRECTORY);
                let partners = (cursor..end)
                    .map(|i| DirectoryEntry {
                        id: format!("partner-{i:05}"),
                        name: format!("Partenaire {i}"),
                        category: passregion_core::PartnerCategory::ALL[i % 7],
                        address: format!("{i} rue de la République"),
                        city: "Lyon".into(),
                        postal_code: "69002".into(),
                        latitude: 45.0 + (i % 1000) as f64 / 1000.0,
                        longitude: 4.0 + (i / 1000) as f64 / 100.0,
                        active: true,
                    })
                    .collect();
                json(&PullResponse {
                    cursor: end as i64,
                    more: end < DIRECTORY,
                    partners,
                    revoked_cards: vec![],
                    revoked_credentials: vec![],
                    restored_cards: vec![],
                    card_versions: vec![],
                    trust_list: None,
                    server_time: Utc::now(),
                })
            }
            "/api/youth/card" => json(&CardView {
                id: "c".into(),
                number: "1234".into(),
                status: passregion_core::CardStatus::Active,
                status_reason: None,
                season: "2026-2027".into(),
                valid_until: chrono::NaiveDate::from_ymd_opt(2027, 5, 31).unwrap(),
                first_name: "Léa".into(),
                last_name: "Martin".into(),
                establishment_id: "e-1".into(),
                balances: (0..15)
                    .map(|i| Balance {
                        avantage: format!("a{i}"),
                        label: "L".into(),
                        kind: AvantageKind::Credit,
                        loaded: "15.00".into(),
                        remaining: "10.00".into(),
                        categories: vec![PartnerCategory::Librairie],
                    })
                    .collect(),
                posted_at: None,
                renewal: None,
            }),
            "/api/youth/transactions" => json(
                &(0..500)
                    .map(|i| Transaction {
                        id: format!("t{i}"),
                        seq: i,
                        kind: "debit".into(),
                        partner_id: "p-1".into(),
                        partner_name: "Librairie".into(),
                        card: "1234".into(),
                        avantage: "a1".into(),
                        avantage_label: "A1".into(),
                        season: "2026-2027".into(),
                        unit_kind: AvantageKind::Credit,
                        price: "1.00".into(),
                        debited: "1.00".into(),
                        reste_a_payer: "0.00".into(),
                        balance_after: None,
                        reimbursed_amount: "1.00".into(),
                        refund_of: None,
                        refunded: false,
                        channel: "qr".into(),
                        booking_id: None,
                        booking_label: None,
                        reimbursement_status: "en_attente".into(),
                        created_at: Utc::now() - Duration::minutes(i),
                    })
                    .collect::<Vec<_>>(),
            ),
            _ => Ok(HttpResponse {
                status: 404,
                headers: vec![],
                body: b"{}".to_vec(),
            }),
        }
    }
}

fn main() {
    let issuer = IssuerKey::from_seed(&[2; 32]).unwrap();
    let root = RootKey::from_seed(&[1; 32]).unwrap();
    let now = Utc::now();
    let list = TrustList {
        version: 1,
        issued_at: now - Duration::days(1),
        expires_at: now + Duration::days(30),
        keys: vec![TrustedKey::for_issuer(
            &issuer,
            now - Duration::days(1),
            now + Duration::days(30),
        )],
    };
    let fake = Arc::new(Fake {
        trust: list.sign(&root).unwrap().to_json(),
        root,
    });
    let dir = tempfile::tempdir().unwrap();

    // 1. Push 10,000 queued offline debits.
    let p = PartnerClient::open(
        &dir.path().join("partner.db"),
        fake.clone(),
        Arc::new(SystemClock),
    )
    .unwrap();
    p.login("http://fake", "librairie", "x").unwrap();
    p.enrol("Caisse").unwrap();
    let key = SoftwareDeviceKey::from_seed(&[9; 32]).unwrap();
    let t = Instant::now();
    let mut made = 0;
    let mut i = 0u128;
    while made < PUSHED {
        i += 1;
        let claims = AppCredentialClaims {
            credential_id: Uuid::from_u128(i),
            card_id: Uuid::from_u128(1_000_000 + i),
            device_key: key.public_key(),
            limits: OfflineLimits {
                allowance_cents: 3000,
                per_transaction_max_cents: 1500,
                max_count: 3,
            },
            issued_at: now - Duration::hours(1),
            expires_at: now + Duration::hours(71),
        };
        let cred = AppCredential::issue(&issuer, &claims).unwrap();
        for counter in 1..=3 {
            if made == PUSHED {
                break;
            }
            let qr = cred.dynamic_qr(&key, Utc::now(), counter).unwrap();
            p.debit_offline(&qr, "lecture_loisir", Money::from_cents(500).unwrap())
                .unwrap();
            made += 1;
        }
    }
    let record = t.elapsed();
    let t = Instant::now();
    let report = p.push_outbox().unwrap();
    let push = t.elapsed();
    assert_eq!(report.applied, PUSHED);
    println!(
        "record {PUSHED} offline debits (one durable transaction each): {:.2} s ({:.0}/s)",
        record.as_secs_f64(),
        PUSHED as f64 / record.as_secs_f64()
    );
    println!(
        "push + acknowledge {PUSHED} queued debits ({} batches): {:.3} s",
        report.requests,
        push.as_secs_f64()
    );

    // 2. Pull a 20,000-partner directory.
    let y = YouthClient::open(
        &dir.path().join("youth.db"),
        fake.clone(),
        Arc::new(SystemClock),
    )
    .unwrap();
    y.login("http://fake", "youth", "x").unwrap();
    let t = Instant::now();
    let s = y.pull().unwrap();
    let pull = t.elapsed();
    assert_eq!(s.partners, DIRECTORY);
    println!(
        "pull {DIRECTORY} partners into the store ({} pages): {:.3} s",
        s.pages,
        pull.as_secs_f64()
    );
    let t = Instant::now();
    let hits = y
        .search_partners(&passregion_core::client::PartnerQuery {
            near: Some((45.5, 4.05)),
            radius_km: Some(5.0),
            ..Default::default()
        })
        .unwrap();
    println!(
        "search {DIRECTORY} partners by distance: {:.1} ms ({} hits)",
        t.elapsed().as_secs_f64() * 1000.0,
        hits.len()
    );

    // 3. Open the store and read the home screen.
    y.refresh().unwrap();
    drop(y);
    let path = dir.path().join("youth.db");
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let store = Arc::new(Store::open(&path).unwrap());
        let y = YouthClient::with_store(store, fake.clone(), Arc::new(SystemClock), None).unwrap();
        let home = y.home().unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(home.recent.len(), 20);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "open store + home screen (card, 15 balances, last 20 of 500): median {:.2} ms, max {:.2} ms",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
