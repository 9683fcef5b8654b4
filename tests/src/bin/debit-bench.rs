//! Online debit benchmark: starts the release server on a temporary data
//! directory, creates youths with active cards, then drives QR debits over
//! HTTP from concurrent clients and prints debits/s and p50/p99 latency, next
//! to the raw rate of the same durable SQLite work measured in the same run.
//!
//! `cargo build --release -p passregion-server && cargo run --release -p passregion-tests --bin debit-bench -- [clients] [seconds]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use passregion_tests::{TestServer, youth_with_card};
use serde_json::json;

fn raw_sqlite_rate(seconds: f64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE ledger (id INTEGER PRIMARY KEY, card TEXT NOT NULL, units INTEGER NOT NULL);
         CREATE INDEX ledger_card ON ledger(card);
         INSERT INTO ledger (card, units) VALUES ('c', 100000);",
    )
    .unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        let tx = conn.unchecked_transaction().unwrap();
        let balance: i64 = tx
            .query_row("SELECT SUM(units) FROM ledger WHERE card = 'c'", [], |r| {
                r.get(0)
            })
            .unwrap();
        tx.execute(
            "INSERT INTO ledger (card, units) VALUES ('c', ?1)",
            [-(balance % 7) - 1],
        )
        .unwrap();
        tx.commit().unwrap();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clients: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(64);
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let server = TestServer::start(0, &[]);
    println!(
        "server {} (release build expected), {clients} clients, {seconds} s",
        server.base
    );
    let etab = server.login("ampere@demo.passregion.fr").await;
    let mut cards = Vec::new();
    for i in 0..clients {
        let (_, card) = youth_with_card(&server, &etab, &format!("Bench{i}")).await;
        cards.push(card["qr"].as_str().unwrap().to_owned());
    }
    let partner = Arc::new(server.login("librairie@demo.passregion.fr").await);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let tasks: Vec<_> = cards
        .into_iter()
        .map(|qr| {
            let partner = partner.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                // A printed code is used online with the holder's birth date.
                let body = json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "manuels_scolaires", "price": "0.01"});
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let r = partner.debit(&body).await;
                    if r.status == 201 {
                        latencies.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let rate = all.len() as f64 / elapsed;
    println!(
        "online debits: {} acknowledged in {elapsed:.1} s = {rate:.0} debits/s; p50 {:.1} ms, p99 {:.1} ms; {errors} errors",
        all.len(),
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0,
    );
    let region = server.login("region@demo.passregion.fr").await;
    let check = region.get("/api/region/ledger/check").await;
    println!(
        "ledger check: {} lines, inconsistencies {}, orphans {}",
        check.body["lines_checked"], check.body["inconsistencies"], check.body["orphans"]
    );
    drop(server);
    let raw = raw_sqlite_rate(5.0);
    println!(
        "raw SQLite (select + insert per durable transaction, WAL, synchronous=FULL): {raw:.0} tx/s; HTTP debits reach {:.0} % of it",
        100.0 * rate / raw
    );
}
