//! The real server binary through its HTTP interface: the whole journey on
//! the demo region, concurrency over sockets, the layers of the served app
//! (body limit, CORS, security headers) and crash safety. The rules (roles,
//! idempotency, brute force, hostile input, seasons…) are tested in process,
//! in `server/tests/api/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use passregion_tests::{TestServer, remaining, youth_with_card};
use serde_json::json;

const LIBRAIRIE: &str = "librairie@demo.passregion.fr";
const LIBRAIRIE_2: &str = "librairie-2@demo.passregion.fr";
const AMPERE: &str = "ampere@demo.passregion.fr";
const REGION: &str = "region@demo.passregion.fr";

#[tokio::test]
async fn whole_journey_order_to_reimbursement() {
    let server = TestServer::start(2, &[]);
    let etab = server.login(AMPERE).await;
    let (youth, card) = youth_with_card(&server, &etab, "Zoé").await;
    assert_eq!(card["status"], "active");
    assert_eq!(remaining(&card, "lecture_loisir"), "15.00");
    assert_eq!(card["valid_until"], "2027-05-31");
    let number = card["number"].as_str().unwrap().to_owned();
    let partner = server.login(LIBRAIRIE).await;

    // Partial debit: 12,50 € from 15 €.
    let r = partner
        .debit(&json!({"card_number": number, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "12.50"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["debited"], "12.50");
    assert_eq!(r.body["reste_a_payer"], "0.00");
    assert_eq!(r.body["balance"], "2.50");
    assert_eq!(r.body["avantage_label"], "Lecture loisir");
    assert_eq!(r.body["season"], "2026-2027");
    let first = r.body["id"].as_str().unwrap().to_owned();

    // Price above the credit: the card goes to zero, the youth pays the rest.
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "10"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["debited"], "2.50");
    assert_eq!(r.body["reste_a_payer"], "7.50");
    assert_eq!(r.body["balance"], "0.00");
    assert_eq!(r.body["channel"], "qr");

    // Nothing left.
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!((r.status, r.code()), (409, "credit_epuise"));

    // The youth sees the balance and the history.
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "0.00");
    let h = youth.get("/api/youth/transactions").await;
    assert_eq!(h.body.as_array().unwrap().len(), 2);

    // Refund of the first debit, once.
    let r = partner
        .post_idem(
            &format!("/api/partner/transactions/{first}/refund"),
            "refund-1",
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["debited"], "12.50");
    assert_eq!(r.body["balance_after"], "12.50");
    let r = partner
        .post_idem(
            &format!("/api/partner/transactions/{first}/refund"),
            "refund-2",
            &json!({}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "deja_rembourse"));
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "12.50");

    // The Region sees every transaction at once, closes and pays the batch.
    let region = server.login(REGION).await;
    let all = region
        .get("/api/region/transactions?after=0&limit=500")
        .await;
    assert!(
        all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == first.as_str())
    );
    let before = partner.get("/api/partner/transactions?limit=500").await;
    let mine: Vec<_> = before.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["card"].as_str().unwrap().ends_with(&number[12..]))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 3);
    assert!(
        mine.iter()
            .all(|t| t["reimbursement_status"] == "en_attente")
    );
    let closed = region
        .post("/api/region/reimbursements/close", &json!({}))
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    let batch = closed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["partner_name"] == "Librairie du Parc")
        .cloned()
        .unwrap();
    let summary = partner.get("/api/partner/reimbursements").await;
    assert_eq!(summary.body["pending_total"], "0.00");
    let mine_now = |page: &serde_json::Value| -> Vec<serde_json::Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["card"].as_str().unwrap().ends_with(&number[12..]))
            .cloned()
            .collect()
    };
    let after = partner.get("/api/partner/transactions?limit=500").await;
    assert!(
        mine_now(&after.body)
            .iter()
            .all(|t| t["reimbursement_status"] == "en_cours_de_remboursement")
    );
    let paid = region
        .post(
            &format!(
                "/api/region/reimbursements/{}/pay",
                batch["id"].as_str().unwrap()
            ),
            &json!({"reference": "VIR-TEST-1"}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["status"], "rembourse");
    let again = region
        .post(
            &format!(
                "/api/region/reimbursements/{}/pay",
                batch["id"].as_str().unwrap()
            ),
            &json!({"reference": "VIR-TEST-1"}),
        )
        .await;
    assert_eq!(again.status, 422);
    let after = partner.get("/api/partner/transactions?limit=500").await;
    assert!(
        mine_now(&after.body)
            .iter()
            .all(|t| t["reimbursement_status"] == "rembourse")
    );
    let summary = partner.get("/api/partner/reimbursements").await;
    assert_eq!(summary.body["paid_total"], batch["total"]);

    // The ledger holds.
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
    assert_eq!(check.body["orphans"], 0);
}

#[tokio::test]
async fn concurrent_debits_never_overdraw() {
    let server = TestServer::start(2, &[]);
    let etab = server.login(AMPERE).await;
    let (youth, card) = youth_with_card(&server, &etab, "Lina").await;
    let p1 = server.login(LIBRAIRIE).await;
    let p2 = server.login(LIBRAIRIE_2).await;
    let futures: Vec<_> = (0..200)
        .map(|i| {
            let p = if i % 2 == 0 { p1.clone() } else { p2.clone() };
            let body = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "0.10"});
            async move { p.debit(&body).await }
        })
        .collect();
    let results = futures::future::join_all(futures).await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    let empty = results
        .iter()
        .filter(|r| r.code() == "credit_epuise")
        .count();
    assert_eq!(ok, 150, "15,00 € / 0,10 €");
    assert_eq!(empty, 50);
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "0.00");
    let region = server.login(REGION).await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
}

#[tokio::test]
async fn killed_during_a_debit_burst_loses_no_acknowledged_debit() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(dir.path(), 2, &[]);
    let etab = server.login(AMPERE).await;
    let (_, card) = youth_with_card(&server, &etab, "Louis").await;
    let partner = server.login(LIBRAIRIE).await;
    let card_id = card["qr"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let p = partner.clone();
            let body = json!({"qr": card_id, "birth_date": "2010-03-14", "avantage": "manuels_scolaires", "price": "0.25"});
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(i)).await;
                let key = format!("burst-{i}");
                let r = p.post_idem("/api/partner/debits", &key, &body).await;
                (key, r)
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    server.kill();
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Ok((key, r)) = t.await
            && r.status == 201
        {
            acknowledged.push((key, r.body["id"].as_str().unwrap().to_owned()));
        }
    }
    let server = TestServer::start_in(dir.path(), 2, &[]);
    let partner = server.login(LIBRAIRIE).await;
    let list = partner.get("/api/partner/transactions?limit=500").await;
    let stored: std::collections::HashSet<String> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    for (_, id) in &acknowledged {
        assert!(stored.contains(id), "acknowledged debit {id} lost");
    }
    // Retrying every request with its key applies each debit exactly once.
    let body = json!({"qr": card_id, "birth_date": "2010-03-14", "avantage": "manuels_scolaires", "price": "0.25"});
    for i in 0..300 {
        let r = partner
            .post_idem("/api/partner/debits", &format!("burst-{i}"), &body)
            .await;
        assert_eq!(r.status, 201);
        if let Some((_, id)) = acknowledged
            .iter()
            .find(|(k, _)| *k == format!("burst-{i}"))
        {
            assert_eq!(r.body["id"].as_str().unwrap(), id);
        }
    }
    let region = server.login(REGION).await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
    assert_eq!(check.body["orphans"], 0);
    let inspect = partner
        .post(
            "/api/partner/cards/inspect",
            &json!({"qr": card_id, "birth_date": "2010-03-14"}),
        )
        .await;
    let manuels = inspect.body["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["avantage"] == "manuels_scolaires")
        .unwrap()
        .clone();
    assert_eq!(manuels["remaining"], "25.00", "100 € − 300 × 0,25 €");
}

/// What `Server::run` adds around the router (the in-process tests drive the
/// bare router): the 64 KiB body limit, CORS for the Tauri webview, the
/// security headers. (From the former hostile-input and public-endpoint tests.)
#[tokio::test]
async fn the_served_app_limits_bodies_and_sets_cors_and_security_headers() {
    let server = TestServer::start(2, &[]);
    let partner = server.login(LIBRAIRIE).await;
    let huge = vec![b' '; 100 * 1024];
    let r = partner
        .post_raw("/api/partner/debits", "application/json", huge)
        .await;
    assert_eq!((r.status, r.code()), (413, "corps_trop_volumineux"));
    // The Tauri webview (another origin) may call the API; other origins may not.
    let pre = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, server.url("/api/partner/debits"))
        .header("Origin", "tauri://localhost")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        pre.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("tauri://localhost")
    );
    let other = reqwest::Client::new()
        .get(server.url("/health"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert_eq!(
        other.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    assert_eq!(other.headers().get("x-frame-options").unwrap(), "DENY");
}
