//! Test helper: a partner app process that records one offline debit in its
//! store and dies (abort) before pushing it. Used to show that a debit
//! written before a crash reaches the server exactly once.
//!
//! `passregion-offline-partner STORE QR AVANTAGE PRICE`

use std::path::PathBuf;
use std::sync::Arc;

use passregion_core::Money;
use passregion_core::client::{PartnerClient, ReqwestTransport};
use passregion_core::clock::SystemClock;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, store, qr, avantage, price] = args.as_slice() else {
        eprintln!("usage: passregion-offline-partner STORE QR AVANTAGE PRICE");
        std::process::exit(2);
    };
    let Ok(price) = Money::parse(price) else {
        std::process::exit(2);
    };
    let Ok(transport) = ReqwestTransport::new(std::time::Duration::from_secs(2)) else {
        std::process::exit(3);
    };
    let client = match PartnerClient::open(
        &PathBuf::from(store),
        Arc::new(transport),
        Arc::new(SystemClock),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("open: {e}");
            std::process::exit(4);
        }
    };
    match client.debit_offline(qr, avantage, price) {
        Ok(r) => println!("{} {}", r.id, r.debited),
        Err(e) => {
            eprintln!("debit: {e}");
            std::process::exit(5);
        }
    }
    // Die before any push, as a crash or a killed app would.
    std::process::abort();
}
