//! Test helper: a partner app process on the core client.
//!
//! - `passregion-offline-partner STORE QR AVANTAGE PRICE`: records one offline
//!   debit in the store and dies (abort) before pushing it. Used to show that
//!   a debit written before a crash reaches the server exactly once.
//! - `passregion-offline-partner login STORE URL EMAIL PASSWORD`: logs in,
//!   enrols the device and pulls the trust and deny lists (a second partner
//!   device in the Tauri window tests).
//! - `passregion-offline-partner record STORE QR AVANTAGE PRICE`: records one
//!   offline debit and exits normally.
//! - `passregion-offline-partner sync STORE`: pushes the outbox; prints
//!   `applied refused`.

use std::path::PathBuf;
use std::sync::Arc;

use passregion_core::Money;
use passregion_core::client::{PartnerClient, ReqwestTransport};
use passregion_core::clock::SystemClock;

fn open(store: &str) -> PartnerClient {
    let Ok(transport) = ReqwestTransport::new(std::time::Duration::from_secs(2)) else {
        std::process::exit(3);
    };
    match PartnerClient::open(
        &PathBuf::from(store),
        Arc::new(transport),
        Arc::new(SystemClock),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("open: {e}");
            std::process::exit(4);
        }
    }
}

fn record(client: &PartnerClient, qr: &str, avantage: &str, price: &str) {
    let Ok(price) = Money::parse(price) else {
        std::process::exit(2);
    };
    match client.debit_offline(qr, avantage, price) {
        Ok(r) => println!("{} {}", r.id, r.debited),
        Err(e) => {
            eprintln!("debit: {e}");
            std::process::exit(5);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.as_slice() {
        [_, cmd, store, url, email, password] if cmd == "login" => {
            let client = open(store);
            let done = client
                .login(url, email, password)
                .and_then(|()| client.enrol("Deuxième caisse").map(|_| ()))
                .and_then(|()| client.pull().map(|_| ()));
            if let Err(e) = done {
                eprintln!("login: {e}");
                std::process::exit(6);
            }
        }
        [_, cmd, store, qr, avantage, price] if cmd == "record" => {
            record(&open(store), qr, avantage, price);
        }
        [_, cmd, store] if cmd == "sync" => match open(store).push_outbox() {
            Ok(r) => println!("{} {}", r.applied, r.refused),
            Err(e) => {
                eprintln!("sync: {e}");
                std::process::exit(7);
            }
        },
        [_, store, qr, avantage, price] => {
            record(&open(store), qr, avantage, price);
            // Die before any push, as a crash or a killed app would.
            std::process::abort();
        }
        _ => {
            eprintln!(
                "usage: passregion-offline-partner [login STORE URL EMAIL PASSWORD | record STORE QR AVANTAGE PRICE | sync STORE | STORE QR AVANTAGE PRICE]"
            );
            std::process::exit(2);
        }
    }
}
