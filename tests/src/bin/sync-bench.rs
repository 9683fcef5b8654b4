//! Offline sync benchmark against a local release server: a partner app
//! records 10,000 offline debits (setup, not timed), then pushes them; the
//! time until every item is acknowledged and marked synced is printed.
//!
//! `cargo build --release -p passregion-server -p passregion-tests && target/release/sync-bench [count]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use passregion_core::Money;
use passregion_core::client::{PartnerClient, ReqwestTransport};
use passregion_core::clock::SystemClock;
use passregion_core::credential::{AppCredential, SoftwareDeviceKey};
use passregion_tests::{TestServer, youth_with_card};
use serde_json::json;

#[tokio::main]
async fn main() {
    let count: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    // One credential allowed to carry the whole run (the defaults allow 3 debits).
    let server = TestServer::start(
        0,
        &[
            "--offline-allowance-cents",
            "20000",
            "--offline-per-tx-cents",
            "100",
            "--offline-max-count",
            "60000",
            "--partner-daily-cents",
            "10000000",
        ],
    );
    let etab = server.login("ampere@demo.passregion.fr").await;
    let (youth, _) = youth_with_card(&server, &etab, "Bench").await;
    let phone = SoftwareDeviceKey::from_seed(&[9; 32]).unwrap();
    let r = youth
        .post(
            "/api/youth/credentials",
            &json!({"device_public_key": phone.public_key().to_base64()}),
        )
        .await;
    let cred = AppCredential::from_base64(r.body["credential"].as_str().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = server.base.clone();
    let partner = tokio::task::spawn_blocking(move || {
        let transport = Arc::new(ReqwestTransport::new(Duration::from_secs(60)).unwrap());
        let p = PartnerClient::open(
            &dir.path().join("partner.db"),
            transport,
            Arc::new(SystemClock),
        )
        .unwrap();
        p.login(&base, "librairie@demo.passregion.fr", "demo1234")
            .unwrap();
        p.enrol("Caisse bench").unwrap();
        let price = Money::from_cents(1).unwrap();
        let t = Instant::now();
        for i in 1..=count {
            let qr = cred.dynamic_qr(&phone, Utc::now(), i).unwrap();
            p.debit_offline(&qr, "manuels_scolaires", price).unwrap();
        }
        println!(
            "recorded {count} offline debits in {:.1} s (setup)",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let report = p.push_outbox().unwrap();
        let secs = t.elapsed().as_secs_f64();
        println!("pushed and acknowledged {count} offline debits in {secs:.2} s ({report:?})");
        assert_eq!(p.pending_count().unwrap(), 0, "every item acknowledged");
        (p, dir)
    })
    .await
    .unwrap();
    drop(partner);
    let region = server.login("region@demo.passregion.fr").await;
    let check = region.get("/api/region/ledger/check").await;
    println!(
        "ledger check: inconsistencies {}, orphans {}",
        check.body["inconsistencies"], check.body["orphans"]
    );
}
