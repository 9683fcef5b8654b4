//! Limits that parallel clients cannot bypass (docs/security.md): failure
//! budgets reserved before the slow work, and bounded password hashing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use passregion_tests::{TestServer, instances, on_postgres};
use serde_json::json;

const REGION: &str = "region@demo.passregion.fr";

/// 200 wrong logins on one account at once: at most the budget (30, per
/// instance on PostgreSQL) are checked and answered 401, the rest 429 (or
/// 503 when shed); the account's
/// owner gets in again once the window has passed (not tried here: 10 min),
/// and the server's memory stays bounded (argon2 runs at most 2 per core).
#[tokio::test]
async fn parallel_wrong_logins_cannot_exceed_the_budget() {
    let server = Arc::new(TestServer::start(0, &[]));
    let before = server.peak_rss_kib().unwrap_or(0);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let c = server.client();
            c.post(
                "/api/auth/login",
                &json!({"email": REGION, "password": format!("wrong-{i}")}),
            )
            .await
            .status
        }));
    }
    let mut counts = std::collections::BTreeMap::new();
    for t in tasks {
        *counts.entry(t.await.unwrap()).or_insert(0) += 1;
    }
    let unauthorized = counts.get(&401).copied().unwrap_or(0);
    assert!(unauthorized <= 30 * instances(), "{counts:?}");
    assert!(unauthorized >= 1, "{counts:?}");
    assert_eq!(
        counts
            .iter()
            .filter(|(s, _)| ![401, 429, 503].contains(*s))
            .count(),
        0,
        "{counts:?}"
    );
    // The budget is spent for that account, even with the right password.
    let r = server
        .client()
        .post(
            "/api/auth/login",
            &json!({"email": REGION, "password": "demo1234"}),
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.body["code"], "trop_de_tentatives");
    // Memory: at most a few argon2 instances (≈ 19 MiB each) at once, not 200.
    if let Some(after) = server.peak_rss_kib() {
        assert!(
            after < before + 400 * 1024,
            "peak RSS grew from {before} KiB to {after} KiB"
        );
    }
}

/// The same for card look-ups: parallel wrong birth dates from one partner
/// account spend at most the budget.
#[tokio::test]
async fn parallel_wrong_birth_dates_cannot_exceed_the_budget() {
    let server = Arc::new(TestServer::start(5, &["--max-birth-date-failures", "1000"]));
    let partner = Arc::new(server.login("librairie@demo.passregion.fr").await);
    let mut tasks = Vec::new();
    for i in 0..120u64 {
        let partner = partner.clone();
        // Well-formed numbers (Luhn key right) of cards that do not exist.
        let mut seed = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(17);
        let number = passregion_core::card::CardNumber::generate(move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            seed
        });
        tasks.push(tokio::spawn(async move {
            partner
                .post(
                    "/api/partner/cards/inspect",
                    &json!({"card_number": number.as_str(), "birth_date": "2001-01-01"}),
                )
                .await
        }));
    }
    let mut counts = std::collections::BTreeMap::new();
    for t in tasks {
        let r = t.await.unwrap();
        *counts
            .entry((r.status, r.body["code"].as_str().unwrap_or("").to_owned()))
            .or_insert(0) += 1;
    }
    let looked_up: usize = counts
        .iter()
        .filter(|((s, _), _)| *s != 429)
        .map(|(_, n)| *n)
        .sum();
    assert!(looked_up <= 30 * instances(), "{counts:?}");
    assert!(
        counts
            .keys()
            .any(|(s, c)| *s == 422 && c == "carte_ou_date_incorrecte"),
        "{counts:?}"
    );
}

/// Everything served carries the Content-Security-Policy (no inline script,
/// API calls to this origin only, no framing).
#[tokio::test]
async fn everything_served_carries_a_content_security_policy() {
    let server = TestServer::start(0, &[]);
    let r = reqwest::get(server.url("/health")).await.unwrap();
    let csp = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    for part in [
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing from {csp:?}");
    }
    assert!(!csp.contains("unsafe-eval"), "{csp}");
}

/// Data at rest (docs/security.md): the data directory the server creates is
/// 0700, the database (and its WAL), the keys and the SMS outbox 0600.
#[cfg(unix)]
#[tokio::test]
async fn data_at_rest_is_private_to_the_server_user() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fresh");
    let server = TestServer::start_in(&dir, 2, &[]);
    // A partner's application: a mail (the confirmation link), a document
    // (the file store), the convention's PDF and an SMS (the code), and the WAL.
    let mut c = server.client();
    let email = "pentes@test.passregion.fr";
    let r = c
        .post(
            "/api/partners/applications",
            &json!({"name": "Librairie des Pentes", "category": "librairie",
                    "contact_name": "Camille Martin", "email": email, "password": "motdepasse-solide"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let token = passregion_tests::verification_token(&server.data_dir, email).unwrap();
    let r = c
        .post("/api/auth/verify-email", &json!({"token": token}))
        .await;
    c.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let r = c
        .put(
            "/api/partner/application",
            &json!({"siret": "73282932000074", "address": "1 rue de la République", "city": "Lyon",
                    "postal_code": "69001", "phone": "0612345678",
                    "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pdf = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n".to_vec();
    for kind in ["kbis_statuts", "rib"] {
        let r = c
            .post_raw(
                &format!("/api/partner/application/documents?kind={kind}&filename=piece.pdf"),
                "application/octet-stream",
                pdf.clone(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let version = c.get("/api/cgp").await.body["version"].clone();
    let r = c
        .post(
            "/api/partner/application/submit",
            &json!({"cgp_version": version}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mode = |p: std::path::PathBuf| {
        std::fs::metadata(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(dir.clone()), 0o700);
    assert_eq!(mode(dir.join("keys")), 0o700);
    assert_eq!(mode(dir.join("documents")), 0o700);
    assert_eq!(mode(dir.join("mail-outbox")), 0o700);
    // Every stored document and mail is the server user's only.
    for sub in ["documents", "mail-outbox"] {
        let mut stack = vec![dir.join(sub)];
        let mut files = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    assert_eq!(mode(p.clone()), 0o700, "{}", p.display());
                    stack.push(p);
                } else {
                    assert_eq!(mode(p.clone()), 0o600, "{}", p.display());
                    files += 1;
                }
            }
        }
        assert!(files > 0, "{sub} holds files");
    }
    let sqlite: &[&str] = if on_postgres() {
        &[]
    } else {
        &["passregion.db", "passregion.db-wal"]
    };
    for f in sqlite.iter().chain(&["sms-outbox.log", "keys/root.pk8"]) {
        assert_eq!(mode(dir.join(f)), 0o600, "{f}");
    }
    drop(server);
}

async fn login_from(server: &TestServer, forwarded_for: &str, email: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(server.url("/api/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Behind a trusted reverse proxy every client shares the proxy's address:
/// budgets follow the forwarded client address, and one attacker spending its
/// budget (and an account's) does not block anyone else.
#[tokio::test]
async fn behind_a_trusted_proxy_one_attacker_does_not_block_the_others() {
    let server = TestServer::start(
        0,
        &[
            "--trusted-proxy",
            "127.0.0.1",
            "--max-source-failures",
            "40",
        ],
    );
    let attacker = "203.0.113.7";
    // The balancer sends one request in `instances()` to each instance.
    let n = instances();
    for i in 0..30 * n {
        let s = login_from(&server, attacker, REGION, &format!("wrong-{i}")).await;
        assert_eq!(s, 401, "attempt {i}");
    }
    // The Region account's budget is spent…
    assert_eq!(login_from(&server, attacker, REGION, "demo1234").await, 429);
    // …but another client behind the same proxy logs in to another account.
    let other = "198.51.100.9";
    let partner = "librairie@demo.passregion.fr";
    assert_eq!(login_from(&server, other, partner, "demo1234").await, 200);
    // The attacker's own budget (40) runs out on other accounts too.
    for i in 0..10 * n {
        let email = format!("nobody-{i}@test.passregion.fr");
        assert_eq!(login_from(&server, attacker, &email, "x").await, 401, "{i}");
    }
    let email = "nobody-x@test.passregion.fr";
    assert_eq!(login_from(&server, attacker, email, "x").await, 429);
    assert_eq!(login_from(&server, other, partner, "demo1234").await, 200);
}

/// Without a trusted proxy, forwarding headers are ignored: rotating them
/// gives no fresh budget.
#[tokio::test]
async fn a_client_cannot_choose_its_address() {
    let server = TestServer::start(0, &["--max-source-failures", "5"]);
    for i in 0..5 * instances() {
        let email = format!("nobody-{i}@test.passregion.fr");
        let s = login_from(&server, &format!("203.0.113.{i}"), &email, "x").await;
        assert_eq!(s, 401, "{i}");
    }
    let s = login_from(&server, "198.51.100.1", "nobody-9@test.passregion.fr", "x").await;
    assert_eq!(s, 429);
}

/// Every request is bounded in time and in number (docs/security.md): past
/// the timeout, 503 `delai_depasse`; past the concurrency limit, 503
/// `serveur_occupe` at once, not an unbounded queue.
#[tokio::test]
async fn requests_are_bounded_in_time_and_number() {
    // A login (an argon2 verification) takes longer than 1 ms.
    let server = TestServer::start(0, &["--request-timeout-ms", "1"]);
    let r = server
        .client()
        .post(
            "/api/auth/login",
            &json!({"email": REGION, "password": "demo1234"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (503, "delai_depasse"), "{}", r.body);
    drop(server);

    let server = Arc::new(TestServer::start(0, &["--max-concurrent-requests", "1"]));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let r = server
                .client()
                .post(
                    "/api/auth/login",
                    &json!({"email": format!("n{i}@test.passregion.fr"), "password": "x"}),
                )
                .await;
            (r.status, r.code().to_owned())
        }));
    }
    let mut busy = 0;
    for t in tasks {
        let (status, code) = t.await.unwrap();
        assert!(
            status == 401 || (status, code.as_str()) == (503, "serveur_occupe"),
            "{status} {code}"
        );
        if status == 503 {
            busy += 1;
        }
    }
    assert!(
        busy > 0,
        "20 parallel logins with one slot: some must be refused"
    );
}
