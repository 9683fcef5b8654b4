//! Backups (docs/security.md): `passregion-server backup` taken during a debit
//! burst is a consistent snapshot, and `restore` brings it back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use passregion_tests::{TestServer, binary, youth_with_card};
use serde_json::json;

#[tokio::test]
async fn a_backup_taken_during_a_debit_burst_restores_to_a_consistent_ledger() {
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
