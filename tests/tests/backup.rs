//! Backups (docs/security.md): `passregion-server backup` taken during a debit
//! burst is a consistent snapshot, and `restore` brings it back; on
//! PostgreSQL (`--database-url`), `pg_dump` and `pg_restore`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use passregion_tests::{TestServer, binary, youth_with_card};
use serde_json::json;

#[tokio::test]
async fn a_backup_taken_during_a_debit_burst_restores_to_a_consistent_ledger() {
    if passregion_tests::on_postgres() {
        eprintln!("SKIPPED: the SQLite file's backup (on PostgreSQL, the pg_dump test below)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("live");
    let server = TestServer::start_in(&data, 2, &[]);
    let etab = server.login("ampere@demo.passregion.fr").await;
    let (_, card) = youth_with_card(&server, &etab, "Louis").await;
    let partner = server.login("librairie@demo.passregion.fr").await;
    let qr = card["qr"].as_str().unwrap().to_owned();
    let burst: Vec<_> = (0..200)
        .map(|i| {
            let p = partner.clone();
            let body = json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "manuels_scolaires", "price": "0.25"});
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(i)).await;
                p.post_idem("/api/partner/debits", &format!("b-{i}"), &body)
                    .await
                    .status
            })
        })
        .collect();
    // The backup runs in another process while the debits are written.
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    let out = dir.path().join("backup.db");
    let status = tokio::process::Command::new(binary("passregion-server"))
        .arg("--data-dir")
        .arg(&data)
        .arg("backup")
        .arg("--out")
        .arg(&out)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let mut applied = 0;
    for t in burst {
        if t.await.unwrap() == 201 {
            applied += 1;
        }
    }
    assert!(applied > 0);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    drop(server);

    // Restore into a new data directory and serve it.
    let restored = dir.path().join("restored");
    let status = std::process::Command::new(binary("passregion-server"))
        .arg("--data-dir")
        .arg(&restored)
        .arg("restore")
        .arg("--from")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let server = TestServer::start_in(&restored, 2, &[]);
    let region = server.login("region@demo.passregion.fr").await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert_eq!(check.body["inconsistencies"], json!([]));
    assert_eq!(check.body["orphans"], 0);
    // The snapshot holds the card and some of the burst (up to all of it).
    let partner = server.login("librairie@demo.passregion.fr").await;
    let list = partner.get("/api/partner/transactions?limit=500").await;
    let n = list.body["items"].as_array().unwrap().len();
    assert!(
        n <= applied + 20,
        "{n} transactions after restore, {applied} applied"
    );

    // A damaged backup is refused and changes nothing.
    let bad = dir.path().join("bad.db");
    std::fs::write(&bad, b"not a database").unwrap();
    let before = std::fs::metadata(restored.join("passregion.db"))
        .unwrap()
        .len();
    let status = std::process::Command::new(binary("passregion-server"))
        .arg("--data-dir")
        .arg(&restored)
        .arg("restore")
        .arg("--from")
        .arg(&bad)
        .status()
        .unwrap();
    assert!(!status.success());
    assert_eq!(
        std::fs::metadata(restored.join("passregion.db"))
            .unwrap()
            .len(),
        before
    );
}

/// `backup` and `restore` with `--database-url` (ADR 0036): `pg_dump` while
/// the server serves, then the data changed and later the whole schema
/// dropped, each time brought back by `restore`; the password never shown.
#[tokio::test]
async fn a_postgres_backup_brings_back_the_data_after_a_change_or_a_drop() {
    let Some(db) = passregion_tests::pg::Database::new("backup on PostgreSQL") else {
        return;
    };
    let url = db.url.as_str();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cli = |args: &[&str], url: &str| {
        std::process::Command::new(binary("passregion-server"))
            .args(args)
            .args(["--database-url", url])
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap()
    };
    let server = TestServer::start_in(&data, 2, &["--database-url", url]);
    let region = server.login("region@demo.passregion.fr").await;
    let accounts = db.scalar("SELECT COUNT(*) FROM accounts");
    let ledger = db.scalar("SELECT COUNT(*) FROM ledger");
    assert!(ledger > 0);
    let out = tmp.path().join("passregion.dump");
    let done = cli(&["backup", "--out", out.to_str().unwrap()], url);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    drop(region);
    drop(server);

    // A change, undone by the restore.
    db.execute(
        "UPDATE accounts SET display_name = 'Changé' WHERE email = 'lea@demo.passregion.fr'",
    );
    let done = cli(&["restore", "--from", out.to_str().unwrap()], url);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM accounts WHERE display_name = 'Changé'"),
        0
    );
    // Everything dropped, brought back.
    db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    let done = cli(&["restore", "--from", out.to_str().unwrap()], url);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM accounts"), accounts);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM ledger"), ledger);

    // The restored database serves: the demo's logins, a green ledger.
    let server = TestServer::start_in(&data, 2, &["--database-url", url]);
    let region = server.login("region@demo.passregion.fr").await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert_eq!(check.body["inconsistencies"], json!([]));
    assert_eq!(check.body["orphans"], 0);
    drop(server);

    // Failures: a clear French message, never the password.
    let missing = cli(&["restore", "--from", "/nonexistent.dump"], url);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("sauvegarde introuvable"));
    let wrong = format!(
        "postgres://nobody-here:wrong-secret-123@{}",
        url.rsplit_once('@').unwrap().1
    );
    let failed = cli(
        &[
            "backup",
            "--out",
            tmp.path().join("x.dump").to_str().unwrap(),
        ],
        &wrong,
    );
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "{err}");
    assert!(err.contains("pg_dump a échoué"), "{err}");
    assert!(!err.contains("wrong-secret-123"), "{err}");
}
