//! The demo region on PostgreSQL (ADR 0036): two instances started at the
//! same moment with `--demo --database-url` on one empty database seed it
//! once (the check and the seeding under an advisory lock; the second finds
//! it seeded), the demo logins work on both, the ledger check is green, and
//! `--demo-ampere-youths` adds its class once.
//! Needs `PASSREGION_TEST_DATABASE_URL`; without it the test says SKIPPED.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use passregion_tests::TestServer;
use passregion_tests::pg::Database;
use serde_json::json;

/// Demo youths asked per instance.
const YOUTHS: usize = 6;
/// The class of `--demo-ampere-youths` (plus its 6 orders waiting).
const CLASS: usize = 10;

#[tokio::test]
async fn two_instances_started_together_with_the_demo_on_postgres_seed_it_once() {
    let Some(db) = Database::new("demo on PostgreSQL") else {
        return;
    };
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let class = CLASS.to_string();
                TestServer::start(
                    YOUTHS,
                    &["--database-url", &url, "--demo-ampere-youths", &class],
                )
            })
        })
        .collect();
    let servers: Vec<TestServer> = starts.into_iter().map(|t| t.join().unwrap()).collect();

    // One seeding: the demo's youths, the 1re B (13) and the class once.
    let one = |sql: &str| db.scalar(sql);
    assert_eq!(
        one("SELECT COUNT(*) FROM accounts WHERE email = 'region@demo.passregion.fr'"),
        1
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM accounts WHERE role = 'youth'"),
        (YOUTHS + 13 + CLASS + 6) as i64
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM accounts WHERE email LIKE 'classe%'"),
        (CLASS + 6) as i64
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM partners WHERE name = 'Cinéma Les Alizés'"),
        1
    );
    assert!(one("SELECT COUNT(*) FROM transactions") > 0);

    for s in &servers {
        let region = s.login("region@demo.passregion.fr").await;
        let check = region.get("/api/region/ledger/check").await;
        assert_eq!(check.status, 200, "{}", check.body);
        assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
        assert_eq!(check.body["orphans"], 0, "{}", check.body);
        let youth = s.login("lea@demo.passregion.fr").await;
        let card = youth.get("/api/youth/card").await;
        assert_eq!(card.status, 200, "{}", card.body);
        assert_eq!(card.body["status"], "active");
        s.login("ampere@demo.passregion.fr").await;
        s.login("librairie@demo.passregion.fr").await;
    }
    drop(servers);

    // A restart on the seeded database seeds nothing more.
    let again = TestServer::start(YOUTHS, &["--database-url", &db.url]);
    again.login("region@demo.passregion.fr").await;
    assert_eq!(
        one("SELECT COUNT(*) FROM accounts WHERE role = 'youth'"),
        (YOUTHS + 13 + CLASS + 6) as i64
    );
}

/// A start that fails after the PostgreSQL pool is open (here: the port is
/// taken) reports its error and exits with status 1; the pool's clients
/// are not closed on the async runtime (that aborted the process, the
/// error unreported).
#[test]
fn a_start_that_fails_on_postgres_reports_its_error() {
    let Some(db) = Database::new("failed start on PostgreSQL") else {
        return;
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(passregion_tests::binary("passregion-server"))
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .args(["--database-url", &db.url, "--demo", "--demo-youths", "2"])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot listen on"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
