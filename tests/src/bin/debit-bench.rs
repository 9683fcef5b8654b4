//! Online debit benchmark: for each storage set-up in turn (SQLite; then, on
//! PostgreSQL, one instance and two instances on one database, ADR 0036),
//! starts the release server on a temporary data directory, creates youths
//! with active cards, drives QR debits over HTTP from concurrent clients
//! (spread over the instances, each client on one) and prints debits/s,
//! p50/p99 latency, overdrafts and lost or doubled debits, and the CPU each
//! kind of process (servers, PostgreSQL, the clients) spent per debit; then the raw rate
//! of the same durable SQLite work, measured in the same run.
//!
//! `cargo build --release -p passregion-server -p passregion-tests && target/release/debit-bench [clients] [seconds] [sqlite,pg1,pg2] [bookshops, 1–6]`
//!
//! PostgreSQL runs on the cluster of `PASSREGION_TEST_DATABASE_URL`, or on a
//! throwaway one started with `scripts/pg-cluster.sh` for the run.
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

/// CPU seconds used so far (user + system) by the processes of this machine,
/// by kind: the server's (`passregion-…`), PostgreSQL's (`postgres`), and this
/// bench's own (its clients). Read from `/proc`: Linux only, zeros elsewhere.
fn cpu_seconds() -> [f64; 3] {
    let ticks: f64 = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0);
    let me = std::process::id().to_string();
    let mut sums = [0.0; 3];
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return sums;
    };
    for entry in dir.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let used = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // After the command: state (0) … utime (11), stime (12).
        let cpu = (used(11) + used(12)) / ticks;
        let kind = if pid == me {
            2
        } else if comm.starts_with("passregion-") {
            0
        } else if comm == "postgres" {
            1
        } else {
            continue;
        };
        sums[kind] += cpu;
    }
    sums
}

/// What one set-up measured.
struct Measured {
    name: &'static str,
    acknowledged: usize,
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
    overdrafts: usize,
    lost_or_doubled: i64,
    ledger_ok: bool,
    /// CPU milliseconds per acknowledged debit: servers, PostgreSQL, clients.
    cpu_ms: [f64; 3],
}

/// Drives `clients` concurrent debit loops for `seconds` on `server` (its
/// instances' own addresses, each client on one), then checks the ledger.
async fn measure(
    name: &'static str,
    server: &TestServer,
    clients: usize,
    seconds: u64,
    partners_count: usize,
) -> Measured {
    let etab = server.login("ampere@demo.passregion.fr").await;
    let mut cards = Vec::new();
    for i in 0..clients {
        let (youth, card) = youth_with_card(server, &etab, &format!("Bench{i}")).await;
        cards.push((youth, card["qr"].as_str().unwrap().to_owned()));
    }
    let urls = server.instance_urls().await;
    // The demo's bookshops: librairie@, librairie-2@ … librairie-6@.
    let mut partners = Vec::new();
    for k in 0..partners_count.clamp(1, 6) {
        let email = match k {
            0 => "librairie@demo.passregion.fr".to_owned(),
            k => format!("librairie-{}@demo.passregion.fr", k + 1),
        };
        partners.push(server.login(&email).await);
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let tasks: Vec<_> = cards
        .iter()
        .enumerate()
        .map(|(i, (_, qr))| {
            let partner = Arc::new(partners[i % partners.len()].at(&urls[i % urls.len()]));
            let qr = qr.clone();
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
    let mut per_card = Vec::new();
    for t in tasks {
        let (l, e) = t.await.unwrap();
        per_card.push(l.len());
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu_after = cpu_seconds();
    let per_debit = |k: usize| 1000.0 * (cpu_after[k] - cpu_before[k]) / all.len().max(1) as f64;
    let cpu_ms = [per_debit(0), per_debit(1), per_debit(2)];
    all.sort();
    // Each card's balance is its loaded credit minus exactly its acknowledged
    // debits: a lost debit leaves it higher, a doubled one lower; none is
    // ever below zero (an overdraft).
    let (mut lost_or_doubled, mut overdrafts) = (0i64, 0usize);
    for ((youth, _), acked) in cards.iter().zip(&per_card) {
        let card = youth.get("/api/youth/card").await.body;
        let b = card["balances"]
            .as_array()
            .and_then(|b| b.iter().find(|b| b["avantage"] == "manuels_scolaires"))
            .cloned()
            .unwrap_or_default();
        let cents = |v: &serde_json::Value| -> i64 {
            let s = v.as_str().unwrap_or("0");
            let (e, c) = s.split_once('.').unwrap_or((s, "0"));
            e.parse::<i64>().unwrap_or(0) * 100
                + format!("{c:0<2}")[..2].parse::<i64>().unwrap_or(0)
        };
        let (loaded, left) = (cents(&b["loaded"]), cents(&b["remaining"]));
        overdrafts += usize::from(left < 0);
        lost_or_doubled += ((loaded - left) - *acked as i64).abs();
    }
    let region = server.login("region@demo.passregion.fr").await;
    let check = region.get("/api/region/ledger/check").await;
    let ledger_ok = check.body["inconsistencies"] == json!([]) && check.body["orphans"] == 0;
    Measured {
        name,
        acknowledged: all.len(),
        rate: all.len() as f64 / elapsed,
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        errors,
        overdrafts,
        lost_or_doubled,
        ledger_ok,
        cpu_ms,
    }
}

/// Runs the bench again in a child process with a throwaway PostgreSQL
/// cluster (`scripts/pg-cluster.sh`) in its environment, and stops it.
fn with_throwaway_cluster() -> ! {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-cluster.sh");
    let dir = std::env::temp_dir().join(format!("debit-bench-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(&script)
        .arg("start")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(std::env::args().skip(1))
        .env(passregion_tests::pg::URL_VAR, url)
        .status();
    let _ = std::process::Command::new(&script)
        .arg("stop")
        .arg(&dir)
        .status();
    let _ = std::fs::remove_dir_all(&dir);
    std::process::exit(status.ok().and_then(|s| s.code()).unwrap_or(1));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clients: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(64);
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let setups = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "sqlite,pg1,pg2".into());
    let setups: Vec<&str> = setups.split(',').collect();
    let partners: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(1);
    if setups.iter().any(|s| s.starts_with("pg"))
        && std::env::var(passregion_tests::pg::URL_VAR).is_err()
    {
        with_throwaway_cluster();
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!(
        "{clients} clients, {seconds} s per set-up, {} bookshop(s) (release build expected)",
        partners.clamp(1, 6)
    );
    let mut results = Vec::new();
    for setup in setups {
        let (name, server) = match setup {
            "sqlite" => ("SQLite, 1 process", TestServer::start(0, &[])),
            "pg1" => (
                "PostgreSQL, 1 instance",
                TestServer::start_cluster(0, 1, &[]),
            ),
            "pg2" => (
                "PostgreSQL, 2 instances",
                TestServer::start_cluster(0, 2, &[]),
            ),
            other => panic!("unknown set-up {other} (sqlite, pg1, pg2)"),
        };
        let m = runtime.block_on(measure(name, &server, clients, seconds, partners));
        println!(
            "{:<24} {:>7} acknowledged = {:>6.0} debits/s; p50 {:>5.1} ms, p99 {:>5.1} ms; {} errors, {} overdrafts, {} lost or doubled, ledger {}",
            m.name,
            m.acknowledged,
            m.rate,
            m.p50.as_secs_f64() * 1000.0,
            m.p99.as_secs_f64() * 1000.0,
            m.errors,
            m.overdrafts,
            m.lost_or_doubled,
            if m.ledger_ok { "green" } else { "RED" }
        );
        println!(
            "{:<24} CPU per debit: server {:.2} ms, PostgreSQL {:.2} ms, bench clients {:.2} ms",
            "", m.cpu_ms[0], m.cpu_ms[1], m.cpu_ms[2]
        );
        results.push(m);
        drop(server);
    }
    if let (Some(sqlite), Some(pg2)) = (
        results.iter().find(|m| m.name.starts_with("SQLite")),
        results.iter().find(|m| m.name.ends_with("2 instances")),
    ) {
        println!(
            "PostgreSQL with 2 instances: {:.0} % of SQLite's acknowledged debits/s (target >= 60 %), p99 {:.1} ms (target < 50 ms)",
            100.0 * pg2.rate / sqlite.rate,
            pg2.p99.as_secs_f64() * 1000.0
        );
    }
    let raw = raw_sqlite_rate(5.0);
    println!(
        "raw SQLite (select + insert per durable transaction, WAL, synchronous=FULL): {raw:.0} tx/s"
    );
}
