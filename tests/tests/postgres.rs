//! The real server binary on PostgreSQL (issue 17, ADR 0036): `init` and two
//! instances on one database, sharing the data directory's keys with the
//! root key offline. Requests are spread across both: what one writes, the
//! other serves at once (accounts, sessions, links, orders, cards); the
//! commands that still use SQLite only refuse `--database-url`.
//! Needs `PASSREGION_TEST_DATABASE_URL` (the test command starts a throwaway
//! cluster); without it the test says SKIPPED and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use passregion_tests::{Client, TestServer, binary, order_body, verification_token};
use r2d2_postgres::postgres::{Client as Pg, NoTls};
use serde_json::json;

/// Runs `f` on a thread of its own: the synchronous PostgreSQL client may
/// not run on the test's async runtime.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// A database made for this test on the cluster, dropped at the end.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    fn new() -> Option<Database> {
        let Ok(admin) = std::env::var("PASSREGION_TEST_DATABASE_URL") else {
            eprintln!("SKIPPED postgres: PASSREGION_TEST_DATABASE_URL is unset");
            return None;
        };
        let name = format!("s_{}", uuid::Uuid::new_v4().simple());
        off_runtime(|| {
            Pg::connect(&admin, NoTls)
                .unwrap()
                .batch_execute(&format!(
                    "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'
                     LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C'"
                ))
                .unwrap()
        });
        let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
        let host_end = base.find("://").map_or(0, |i| i + 3);
        let slash = base[host_end..]
            .find('/')
            .map_or(base.len(), |j| host_end + j);
        let mut url = format!("{}/{name}", &base[..slash]);
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        Some(Database { admin, name, url })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        off_runtime(|| {
            if let Ok(mut c) = Pg::connect(&self.admin, NoTls) {
                let _ = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        });
    }
}

async fn login(server: &TestServer, email: &str, password: &str) -> Client {
    let r = server
        .client()
        .post(
            "/api/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(r.status, 200, "{email}: {}", r.body);
    let mut c = server.client();
    c.token = Some(r.body["token"].as_str().unwrap().to_owned());
    c
}

/// `client`'s session, used on `server` (the other instance).
fn on(server: &TestServer, client: &Client) -> Client {
    let mut c = server.client();
    c.token = client.token.clone();
    c
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_serve_one_region() {
    let Some(db) = Database::new() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let media = tmp.path().join("root.pk8");
    let url = db.url.as_str();

    // init on PostgreSQL, the root key moved off (several instances must not
    // each sign a trust list).
    let init = Command::new(binary("passregion-server"))
        .args(["init", "--admin-email", "admin@region.example.fr"])
        .args(["--database-url", url, "--root-key-out"])
        .arg(&media)
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let admin_token = passregion_tests::smtp::token_in(&String::from_utf8_lossy(&init.stdout))
        .expect("a setup link");
    assert!(
        !dir.join("passregion.db").exists(),
        "no SQLite file on PostgreSQL"
    );
    // The SQLite-only commands refuse rather than fill a file nobody reads.
    let etabs = tmp.path().join("etablissements.csv");
    std::fs::write(
        &etabs,
        "uai;nom;type;commune;code_postal\n0690026D;Lycée Ampère;lycee;Lyon;69002\n",
    )
    .unwrap();
    let refused = Command::new(binary("passregion-server"))
        .args(["import-establishments", "--database-url", url, "--file"])
        .arg(&etabs)
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--database-url"));
    // The établissement, as the national directory would give it.
    off_runtime(|| {
        Pg::connect(url, NoTls)
            .unwrap()
            .execute(
                "INSERT INTO establishments (id, name, kind, city, postal_code)
                 VALUES ('0690026D', 'Lycée Ampère', 'lycee', 'Lyon', '69002')",
                &[],
            )
            .unwrap()
    });

    let a = TestServer::start_without_demo(&dir, &["--database-url", url]);
    let b = TestServer::start_without_demo(&dir, &["--database-url", url]);
    for s in [&a, &b] {
        let h = s.client().get("/health").await;
        assert_eq!(h.status, 200, "{}", h.body);
    }
    // The setup link followed on one instance, the login on the other.
    let r = a
        .client()
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": admin_token, "password": "admin-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let region = login(&b, "admin@region.example.fr", "admin-secret-1").await;
    assert_eq!(region.get("/api/me").await.body["region_role"], "admin");
    // The session works on both instances.
    assert_eq!(on(&a, &region).get("/api/me").await.status, 200);

    // A head of établissement invited on one, accepted on the other.
    let r = region
        .post(
            "/api/region/establishments/0690026D/staff",
            &json!({"email": "chef@ampere.example", "display_name": "Mme Durand", "role": "head"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = verification_token(&dir, "chef@ampere.example").expect("an invitation");
    let r = a
        .client()
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "chef-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let head = login(&a, "chef@ampere.example", "chef-secret-1").await;

    // A youth registers on b, confirms on a, orders on b; the head validates on a.
    let r = b
        .client()
        .post(
            "/api/auth/register",
            &json!({"email": "ines@exemple.fr", "password": "ines-secret-1", "display_name": "Inès"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let confirm = verification_token(&dir, "ines@exemple.fr").expect("a confirmation link");
    let r = a
        .client()
        .post("/api/auth/verify-email", &json!({"token": confirm}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let youth = login(&b, "ines@exemple.fr", "ines-secret-1").await;
    let mut order = order_body("Inès", "2010-03-14");
    order["establishment_id"] = json!("0690026D");
    let r = youth.post("/api/youth/orders", &order).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // The same order twice, on the other instance: refused.
    let again = on(&a, &youth).post("/api/youth/orders", &order).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let r = head
        .post(
            &format!("/api/establishment/orders/{id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let card = on(&a, &youth).get("/api/youth/card").await;
    assert_eq!(card.status, 200, "{}", card.body);
    assert_eq!(card.body["status"], "expediee");
    // The Region sees it in its print queue from either instance.
    let queue = on(&a, &region).get("/api/region/print-queue").await;
    assert_eq!(
        queue.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        queue.body
    );
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    // The Region's other desks answer from PostgreSQL too.
    for path in [
        "/api/region/stats",
        "/api/region/feed",
        "/api/region/anomalies",
        "/api/region/partners",
        "/api/region/staff",
    ] {
        let r = on(&a, &region).get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    // /metrics (this machine) counts the outbox from the database.
    let text = reqwest::get(b.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("passregion_notifications_pending"), "{text}");
}
