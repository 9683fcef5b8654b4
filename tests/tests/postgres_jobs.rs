//! Background jobs on two live instances of one PostgreSQL database (issue
//! 17, ADR 0036): both tick at the same moment, and each job runs once. The
//! demo region runs on PostgreSQL, debits are made on both instances, then
//! both are restarted together past a reimbursement boundary: one batch per
//! partner, each debit in it once, one instance logs the closing, neither
//! logs a failure. The keys directory is shared with the root key online:
//! both publish the one list of `keys/trust-list.json`, and a key rotated
//! there is signed in by one instance and adopted by the other (a minute's
//! tick: the test takes about 70 s).
//! Needs `PASSREGION_TEST_DATABASE_URL`; without it the test says SKIPPED.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use passregion_tests::pg::Database;
use passregion_tests::{TestServer, youth_with_card};
use serde_json::json;

/// Two instances on `dir` and `url` at `start_time`, started at the same
/// moment, their logs kept.
fn start_together(dir: &std::path::Path, url: &str, start_time: &str) -> (TestServer, TestServer) {
    let args = ["--database-url", url, "--start-time", start_time];
    std::thread::scope(|s| {
        let a = s.spawn(|| TestServer::start_logged_in(dir, &args, "info"));
        let b = s.spawn(|| TestServer::start_logged_in(dir, &args, "info"));
        (a.join().unwrap(), b.join().unwrap())
    })
}

fn log_of(s: &TestServer) -> String {
    s.logs.as_ref().unwrap().lock().unwrap().clone()
}

#[tokio::test]
async fn jobs_ticking_on_two_instances_at_once_run_once() {
    let Some(db) = Database::new("postgres_jobs") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let url = db.url.as_str();
    // The demo, seeded on PostgreSQL by the first instance; the second one
    // finds it there.
    let mut a = TestServer::start_in(
        &dir,
        2,
        &[
            "--database-url",
            url,
            "--start-time",
            "2026-11-20T10:00:00Z",
        ],
    );
    let mut b = TestServer::start_in(
        &dir,
        2,
        &[
            "--database-url",
            url,
            "--start-time",
            "2026-11-20T10:00:00Z",
        ],
    );
    let etab = a.login("ampere@demo.passregion.fr").await;
    let (_youth, card) = youth_with_card(&b, &etab.on(&b), "Lina").await;
    let partner = a.login("librairie@demo.passregion.fr").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let on = if i % 2 == 0 { &a } else { &b };
        let r = partner
            .on(on)
            .debit(
                &json!({"card_number": card["number"], "birth_date": "2010-03-14",
                            "avantage": "lecture_loisir", "price": "1"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let partner_id: String = partner.get("/api/me").await.body["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.kill();
    b.kill();

    // 1 December, 08:00 UTC: the boundary of 1 December (Paris midnight) has
    // passed. Both instances start together, so their first ticks meet.
    let (a, b) = start_together(&dir, url, "2026-12-01T08:00:00Z");
    let mut closed = Vec::new();
    for _ in 0..100 {
        closed = db.ints(&format!(
            "SELECT COUNT(*) FROM reimbursement_items i
               JOIN transactions t ON t.id = i.transaction_id
              WHERE t.id IN ({})",
            ids.iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(",")
        ));
        if closed == [6] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(closed, [6], "each debit in a batch");
    // Give the slower tick time to finish (or fail).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let batches = db.ints(&format!(
        "SELECT COUNT(*) FROM reimbursement_batches
          WHERE partner_id = '{partner_id}' AND period_end >= '2026-11-30T23:00'"
    ));
    assert_eq!(batches, [1], "one batch for the period");
    let doubled = db.ints(
        "SELECT COUNT(*) FROM (SELECT partner_id, period_end FROM reimbursement_batches
           GROUP BY 1, 2 HAVING COUNT(*) > 1) d",
    );
    assert_eq!(doubled, [0], "no partner has two batches for one period");
    let (la, lb) = (log_of(&a), log_of(&b));
    let closings = la.matches("reimbursement batches closed").count()
        + lb.matches("reimbursement batches closed").count();
    assert_eq!(closings, 1, "one instance closed the batches\n{la}\n{lb}");
    for log in [&la, &lb] {
        assert!(!log.contains("background task failed"), "{log}");
    }
    // Both show the partner the same batch, and the ledger is consistent
    // (a new session: the old one ended with the days gone by).
    let partner = a.login("librairie@demo.passregion.fr").await;
    let mine = partner.on(&a).get("/api/partner/reimbursements").await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(
        mine.body,
        partner.on(&b).get("/api/partner/reimbursements").await.body
    );
    let region = a.login("region@demo.passregion.fr").await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    // The root key is online and shared: both publish the one list. A key
    // rotated in the shared directory is signed into it by one instance at
    // its next tick (under the database's lock, off the async threads), and
    // the other adopts it.
    let list = |s: &TestServer| {
        let c = s.client();
        async move { c.get("/api/trust-list").await.body }
    };
    assert_eq!(list(&a).await, list(&b).await);
    let before = list(&a).await;
    let rotate = std::process::Command::new(passregion_tests::binary("passregion-server"))
        .arg("rotate-issuer-key")
        .arg("--data-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        rotate.status.success(),
        "{}",
        String::from_utf8_lossy(&rotate.stderr)
    );
    let mut lists = (before.clone(), before.clone());
    for _ in 0..150 {
        lists = (list(&a).await, list(&b).await);
        if lists.0 != before && lists.1 != before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_ne!(
        lists.0,
        before,
        "a publishes the new list\n{}\n{}",
        log_of(&a),
        log_of(&b)
    );
    assert_eq!(lists.0, lists.1, "both publish the same list");
    let (la, lb) = (log_of(&a), log_of(&b));
    let signed = la.matches("trust list signed").count() + lb.matches("trust list signed").count();
    assert_eq!(signed, 1, "one instance signed\n{la}\n{lb}");
    assert!(!format!("{la}{lb}").contains("panicked"), "{la}\n{lb}");
}

/// What one instance changes holds at once on the other (sessions are read
/// from the shared database on PostgreSQL: `--session-cache-seconds` is 0
/// there): a partner suspended through one is refused on the other at its
/// next request, and a logout on one ends the session on both.
#[tokio::test]
async fn a_suspension_and_a_logout_hold_on_both_instances_at_once() {
    let Some(db) = Database::new("postgres_jobs sessions") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let a = TestServer::start_in(&dir, 2, &["--database-url", &db.url]);
    let b = TestServer::start_in(&dir, 2, &["--database-url", &db.url]);
    let etab = a.login("ampere@demo.passregion.fr").await;
    let (_youth, card) = youth_with_card(&a, &etab, "Nina").await;
    let body = json!({"card_number": card["number"], "birth_date": "2010-03-14",
                      "avantage": "lecture_loisir", "price": "1"});
    // The partner debits on b: its session is now resolved there.
    let partner = b.login("librairie@demo.passregion.fr").await;
    assert_eq!(partner.debit(&body).await.status, 201);
    let partner_id = partner.get("/api/me").await.body["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The Region suspends it on a; its next debit on b is refused at once.
    let region = a.login("region@demo.passregion.fr").await;
    let r = region
        .post(
            &format!("/api/region/partners/{partner_id}/suspend"),
            &json!({"reason": "Contrôle en cours"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let refused = partner.debit(&body).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    // A logout on a ends the session on b too.
    let youth = b.login("lea@demo.passregion.fr").await;
    assert_eq!(youth.get("/api/youth/card").await.status, 200);
    let out = youth.on(&a).post("/api/auth/logout", &json!({})).await;
    assert_eq!(out.status, 204, "{}", out.body);
    assert_eq!(youth.get("/api/youth/card").await.status, 401);
}
