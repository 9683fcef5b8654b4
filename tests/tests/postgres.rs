//! The real server binary on PostgreSQL (issue 17, ADR 0036): `init` and two
//! instances on one database, sharing the data directory's keys with the
//! root key offline. Requests are spread across both: what one writes, the
//! other serves at once (accounts, sessions, links, orders, cards); the
//! établissements are imported with `--database-url`. A partner
//! applies and signs through the API, then debits spread over both instances
//! while one is killed are each applied once (retried on the survivor with
//! their idempotency keys).
//! Needs `PASSREGION_TEST_DATABASE_URL` (the test command starts a throwaway
//! cluster); without it the test says SKIPPED and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use passregion_tests::pg::{Database, off_runtime};
use passregion_tests::{Client, TestServer, binary, order_body, verification_token};
use r2d2_postgres::postgres::{Client as Pg, NoTls};
use serde_json::json;

#[tokio::test]
async fn two_instances_on_one_postgres_database_serve_one_region() {
    let Some(db) = Database::new("postgres") else {
        return;
    };
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
    // The établissement, imported into the PostgreSQL database (no SQLite
    // file made).
    let etabs = tmp.path().join("etablissements.csv");
    std::fs::write(
        &etabs,
        "uai;nom;type;commune;code_postal\n0690026D;Lycée Ampère;lycee;Lyon;69002\n",
    )
    .unwrap();
    let imported = Command::new(binary("passregion-server"))
        .args(["import-establishments", "--database-url", url, "--file"])
        .arg(&etabs)
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(!dir.join("passregion.db").exists());
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM establishments WHERE id = '0690026D'"),
        1
    );

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
    let region = b
        .login_with("admin@region.example.fr", "admin-secret-1")
        .await;
    assert_eq!(region.get("/api/me").await.body["region_role"], "admin");
    // The session works on both instances.
    assert_eq!(region.on(&a).get("/api/me").await.status, 200);

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
    let head = a.login_with("chef@ampere.example", "chef-secret-1").await;

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
    let youth = b.login_with("ines@exemple.fr", "ines-secret-1").await;
    let mut order = order_body("Inès", "2010-03-14");
    order["establishment_id"] = json!("0690026D");
    let r = youth.post("/api/youth/orders", &order).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // The same order twice, on the other instance: refused.
    let again = youth.on(&a).post("/api/youth/orders", &order).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let r = head
        .post(
            &format!("/api/establishment/orders/{id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let card = youth.on(&a).get("/api/youth/card").await;
    assert_eq!(card.status, 200, "{}", card.body);
    assert_eq!(card.body["status"], "expediee");
    // The Region sees it in its print queue from either instance.
    let queue = region.on(&a).get("/api/region/print-queue").await;
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
        let r = region.on(&a).get(path).await;
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

/// A bookshop that applied on `server`, signed with the SMS code and was
/// validated by `region`: its manager's client.
async fn partner_in_force(server: &TestServer, region: &Client, dir: &std::path::Path) -> Client {
    let email = "gerant@parc.example";
    let r = server
        .client()
        .post(
            "/api/partners/applications",
            &json!({"name": "Librairie du Parc", "category": "librairie", "contact_name": "Mme Blanc",
                    "email": email, "password": "gerant-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let token = verification_token(dir, email).expect("a confirmation link");
    let r = server
        .client()
        .post("/api/auth/verify-email", &json!({"token": token}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut c = server.client();
    c.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let r = c
        .put(
            "/api/partner/application",
            &json!({"siret": "73282932000074", "address": "3 rue du Parc", "city": "Lyon",
                    "postal_code": "69006", "latitude": 45.77, "longitude": 4.85,
                    "phone": "06 12 34 56 78", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pdf =
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
            .to_vec();
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    jpeg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    for (kind, name, bytes) in [("kbis_statuts", "kbis.pdf", pdf), ("rib", "rib.jpg", jpeg)] {
        let r = c
            .post_raw(
                &format!("/api/partner/application/documents?kind={kind}&filename={name}"),
                "application/octet-stream",
                bytes,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let version = server.client().get("/api/cgp").await.body["version"].clone();
    let r = c
        .post(
            "/api/partner/application/submit",
            &json!({"cgp_version": version}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let log = std::fs::read_to_string(dir.join("sms-outbox.log")).unwrap();
    let code = log
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .find(|w| w.len() == 7 && w.ends_with('.') && w[..6].bytes().all(|b| b.is_ascii_digit()))
        .map(|w| w[..6].to_owned())
        .expect("a code in the SMS");
    let r = c
        .post("/api/partner/convention/sign", &json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pid = r.body["partner_id"].as_str().unwrap().to_owned();
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.login_with(email, "gerant-secret-1").await
}

/// POSTs a debit with its key; `None` when the instance cannot be reached
/// (killed) or answers 503 (the client then retries with the same key).
async fn try_debit(
    http: &reqwest::Client,
    server: &str,
    token: &str,
    key: &str,
    body: &serde_json::Value,
) -> Option<(u16, serde_json::Value)> {
    let r = http
        .post(format!("{server}/api/partner/debits"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    if status == 503 {
        return None;
    }
    Some((status, r.json().await.unwrap_or_default()))
}

#[tokio::test]
async fn debits_spread_over_two_instances_one_killed_are_each_applied_once() {
    let Some(db) = Database::new("postgres") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let url = db.url.as_str();
    let init = Command::new(binary("passregion-server"))
        .args(["init", "--admin-email", "admin@region.example.fr"])
        .args(["--database-url", url, "--root-key-out"])
        .arg(tmp.path().join("root.pk8"))
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(init.status.success());
    let admin_token =
        passregion_tests::smtp::token_in(&String::from_utf8_lossy(&init.stdout)).unwrap();
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
    let mut b = TestServer::start_without_demo(&dir, &["--database-url", url]);
    a.client()
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": admin_token, "password": "admin-secret-1"}),
        )
        .await;
    let region = a
        .login_with("admin@region.example.fr", "admin-secret-1")
        .await;
    region
        .post(
            "/api/region/establishments/0690026D/staff",
            &json!({"email": "chef@ampere.example", "display_name": "Mme Durand", "role": "head"}),
        )
        .await;
    let token = verification_token(&dir, "chef@ampere.example").unwrap();
    b.client()
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "chef-secret-1"}),
        )
        .await;
    let head = b.login_with("chef@ampere.example", "chef-secret-1").await;
    let partner = partner_in_force(&b, &region.on(&b), &dir).await;
    // A youth with an active card (15 € of lecture loisir).
    b.client()
        .post(
            "/api/auth/register",
            &json!({"email": "ines@exemple.fr", "password": "ines-secret-1", "display_name": "Inès"}),
        )
        .await;
    let confirm = verification_token(&dir, "ines@exemple.fr").unwrap();
    a.client()
        .post("/api/auth/verify-email", &json!({"token": confirm}))
        .await;
    let youth = a.login_with("ines@exemple.fr", "ines-secret-1").await;
    let mut order = order_body("Inès", "2010-03-14");
    order["establishment_id"] = json!("0690026D");
    let id = youth.post("/api/youth/orders", &order).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    head.post(
        &format!("/api/establishment/orders/{id}/decision"),
        &json!({"validate": true}),
    )
    .await;
    let card = youth
        .post("/api/youth/card/activate", &json!({}))
        .await
        .body;
    let number = card["number"].as_str().unwrap().replace(' ', "");
    assert_eq!(
        passregion_tests::remaining(&card, "lecture_loisir"),
        "15.00"
    );

    // 12 debits of 1 €, half sent to each instance: 4 at once, then b is
    // killed (those still in flight on it are answered or lost), then 8 more.
    // A debit whose instance is gone is retried on the other with the same
    // key, as the apps do.
    let http = reqwest::Client::new();
    let token = partner.token.clone().unwrap();
    let body = json!({"card_number": number, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"});
    let (ua, ub) = (a.base.clone(), b.base.clone());
    let send = |i: usize| {
        let (http, token, body) = (http.clone(), token.clone(), body.clone());
        let (first, other) = if i.is_multiple_of(2) {
            (ub.clone(), ua.clone())
        } else {
            (ua.clone(), ub.clone())
        };
        tokio::spawn(async move {
            let key = format!("burst-{i}");
            let mut tries = 0;
            for _ in 0..20 {
                for server in [&first, &other] {
                    tries += 1;
                    if let Some(answer) = try_debit(&http, server, &token, &key, &body).await {
                        return (key, answer, tries);
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("{key}: no instance answered");
        })
    };
    let mut tasks: Vec<_> = (0..4).map(send).collect();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    b.kill();
    tasks.extend((4..12).map(send));
    let (mut acknowledged, mut retried) = (Vec::new(), 0);
    for t in tasks {
        let (key, (status, answer), tries) = t.await.unwrap();
        assert_eq!(status, 201, "{key}: {answer}");
        acknowledged.push(answer["id"].as_str().unwrap().to_owned());
        retried += usize::from(tries > 1);
    }
    // The debits sent to b after its death went to a, with their keys.
    assert!(retried >= 4, "{retried} retried");
    // Every acknowledged debit is in the ledger once, and nothing else.
    acknowledged.sort();
    acknowledged.dedup();
    assert_eq!(acknowledged.len(), 12, "one transaction per key");
    let card = youth.on(&a).get("/api/youth/card").await.body;
    assert_eq!(passregion_tests::remaining(&card, "lecture_loisir"), "3.00");
    let mine = partner
        .on(&a)
        .get("/api/partner/transactions?after=0&limit=100")
        .await;
    let listed = mine.body["items"]
        .as_array()
        .or_else(|| mine.body.as_array())
        .map(Vec::len);
    assert_eq!(listed, Some(12), "{}", mine.body);
    // A retry of an acknowledged key on the surviving instance replays it.
    let again = try_debit(&http, &ua, &token, "burst-0", &body)
        .await
        .unwrap();
    assert_eq!(again.0, 201);
    let card = youth.on(&a).get("/api/youth/card").await.body;
    assert_eq!(passregion_tests::remaining(&card, "lecture_loisir"), "3.00");
    let check = region.on(&a).get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    assert_eq!(check.body["orphans"], 0, "{}", check.body);
}

/// The trust list an instance publishes: (version, issuer key count).
async fn published(server: &TestServer) -> (u64, usize) {
    use passregion_core::credential::{PublicKey, SignedTrustList};
    let root = server.client().get("/api/trust-root").await;
    let root = PublicKey::from_base64(root.body["root_public_key"].as_str().unwrap()).unwrap();
    let text = reqwest::get(server.url("/api/trust-list"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let list = SignedTrustList::from_json(&text)
        .unwrap()
        .verify(&root, 0)
        .unwrap();
    (list.version, list.keys.len())
}

#[tokio::test]
async fn a_key_rotated_in_the_shared_directory_is_published_by_both_instances() {
    let Some(db) = Database::new("postgres") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let root_key = tmp.path().join("root.pk8");
    let url = db.url.as_str();
    let run = |args: &[&str]| {
        let out = Command::new(binary("passregion-server"))
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "init",
        "--admin-email",
        "admin@region.example.fr",
        "--database-url",
        url,
        "--root-key-out",
        root_key.to_str().unwrap(),
    ]);
    let a = TestServer::start_without_demo(&dir, &["--database-url", url]);
    let b = TestServer::start_without_demo(&dir, &["--database-url", url]);
    let before = published(&a).await;
    assert_eq!(published(&b).await, before, "one list for both");
    assert_eq!(before.1, 1);
    // The operator rotates the issuer key and signs the next list with the
    // root key kept offline, on the directory both instances share.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run(&["rotate-issuer-key"]);
    run(&["sign-trust-list", "--root-key", root_key.to_str().unwrap()]);
    // Each instance picks it up at its next minute's check.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(150);
    let (mut seen_a, mut seen_b) = (before, before);
    while (seen_a.1 < 2 || seen_b.1 < 2) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        seen_a = published(&a).await;
        seen_b = published(&b).await;
    }
    assert_eq!(seen_a.1, 2, "a publishes the old and the new issuer keys");
    assert_eq!(seen_a, seen_b, "both publish the same list");
    assert!(seen_a.0 > before.0, "a newer version");
}
