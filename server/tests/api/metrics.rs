//! `/metrics` (ADR 0034): what a debit, a refused debit, a refund, an offline
//! push and pulls add to the scraped counters; labels without personal data;
//! who may read it (this machine, not through the proxy, or the token).
//!
//! The recorder is process-wide and the other tests of this binary run in
//! parallel: counters are compared before and after (they only grow, so a
//! delta is at least what this test did), and the scrapes of this file are
//! serialised (a scrape sets the outbox gauges from its own app).

use chrono::Duration;
use passregion_core::PartnerCategory;
use serde_json::json;

use crate::common::{Client, TestApp, parse_config};
use crate::offline_push::{Device, credential, push};

static SCRAPES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const TOKEN: &str = "jeton-de-supervision-0123456789";

/// The Prometheus text, read as a local client.
async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    String::from_utf8(r.bytes).unwrap()
}

/// The sum of the samples of `name` whose labels include all of `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            (n == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| v.parse::<f64>().ok())?
        })
        .sum()
}

#[tokio::test]
async fn debits_refunds_pushes_and_pulls_show_in_the_scraped_counters() {
    let _one = SCRAPES.lock().await;
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Inès").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let (cred, phone) = credential(&youth, 41).await;
    let mut device = Device::enrol(&partner, 42).await;
    let before = scrape(&app).await;

    // One debit accepted (a scanned code), two refused: a bad code, a wrong
    // birth date with the typed number.
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "4"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let tx_id = r.body["id"].as_str().unwrap().to_owned();
    let r = partner
        .debit(&json!({"qr": "PR1:garbage", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.code(), "qr_invalide");
    let number = card["number"].as_str().unwrap().replace(' ', "");
    let r = partner
        .debit(&json!({"card_number": number, "birth_date": "2001-01-01", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!(r.code(), "carte_ou_date_incorrecte");
    // A refund of the accepted debit.
    let r = partner
        .post_idem(
            &format!("/api/partner/transactions/{tx_id}/refund"),
            &uuid::Uuid::new_v4().to_string(),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // An offline debit scanned ten minutes ago, pushed now, then pushed again
    // (a duplicate is not counted twice).
    let scanned = app.now();
    let item = device.debit(
        &cred.dynamic_qr(&phone, scanned, 1).unwrap(),
        300,
        300,
        scanned,
    );
    app.advance(Duration::minutes(10));
    let res = push(&partner, std::slice::from_ref(&item)).await;
    assert_eq!(res[0]["status"], "applied", "{res:?}");
    let res = push(&partner, &[item]).await;
    assert_eq!(res[0]["status"], "duplicate", "{res:?}");
    // Pulls by both apps.
    assert_eq!(youth.get("/api/sync/pull").await.status, 200);
    assert_eq!(partner.get("/api/sync/pull").await.status, 200);

    let after = scrape(&app).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let debits = "passregion_debits_total";
    assert!(delta(debits, &[("channel", "scan"), ("outcome", "accepted")]) >= 1.0);
    assert!(delta(debits, &[("channel", "scan"), ("outcome", "qr_invalide")]) >= 1.0);
    assert!(
        delta(
            debits,
            &[
                ("channel", "number"),
                ("outcome", "carte_ou_date_incorrecte")
            ]
        ) >= 1.0
    );
    assert!(delta(debits, &[("channel", "offline"), ("outcome", "accepted")]) >= 1.0);
    assert!(delta("passregion_refunds_total", &[]) >= 1.0);
    // The sync lag of the pushed debit: at least its ten minutes.
    assert!(delta("passregion_sync_lag_seconds_count", &[]) >= 1.0);
    assert!(delta("passregion_sync_lag_seconds_sum", &[]) >= 600.0);
    assert!(delta("passregion_sync_pulls_total", &[("role", "youth")]) >= 1.0);
    assert!(delta("passregion_sync_pulls_total", &[("role", "partner")]) >= 1.0);
    // HTTP, by route template and status class, timed.
    let debit_route = [("method", "POST"), ("route", "/api/partner/debits")];
    let requests = "passregion_http_requests_total";
    assert!(
        delta(
            requests,
            &[debit_route[0], debit_route[1], ("status", "2xx")]
        ) >= 1.0
    );
    assert!(
        delta(
            requests,
            &[debit_route[0], debit_route[1], ("status", "4xx")]
        ) >= 2.0
    );
    assert!(
        delta(
            requests,
            &[
                ("route", "/api/partner/transactions/{id}/refund"),
                ("status", "2xx")
            ]
        ) >= 1.0
    );
    assert!(
        delta(
            "passregion_http_request_duration_seconds_count",
            &[("route", "/api/sync/push")]
        ) >= 2.0
    );
    // No 5xx on what this test called.
    for route in [
        "/api/partner/debits",
        "/api/partner/transactions/{id}/refund",
        "/api/sync/push",
        "/api/sync/pull",
    ] {
        assert_eq!(
            delta(requests, &[("route", route), ("status", "5xx")]),
            0.0,
            "{route}"
        );
    }
    // The writer: every write above went through it.
    if app.engine_is_sqlite(
        "debits_refunds_pushes_and_pulls_show_in_the_scraped_counters: the writer's metrics",
        "the single writer's metrics",
    ) {
        assert!(delta("passregion_writer_group_size_count", &[]) >= 5.0);
        assert!(delta("passregion_writer_job_duration_seconds_count", &[]) >= 5.0);
        assert!(after.contains("\npassregion_writer_queue_depth "));
    }
    // The debit's receipt waits in the outbox; the sender empties it.
    assert!(value(&after, "passregion_notifications_pending", &[]) >= 1.0);
    let store = app.state.store.clone();
    let mailer = app.state.mailer.clone();
    let now = app.now();
    let sent = tokio::task::spawn_blocking(move || {
        passregion_server::accounts::notify::send_pending(&*store, &*mailer, now)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(sent >= 1);
    let drained = scrape(&app).await;
    assert_eq!(
        value(&drained, "passregion_notifications_pending", &[]),
        0.0
    );
    assert!(
        value(
            &drained,
            "passregion_notifications_total",
            &[("result", "sent")]
        ) - value(
            &after,
            "passregion_notifications_total",
            &[("result", "sent")]
        ) >= 1.0
    );

    // No personal data nor id in any label: the route templates only.
    let card_id = card["id"].as_str().unwrap();
    for secret in [
        number.as_str(),
        card["number"].as_str().unwrap(),
        card_id,
        &tx_id,
        "example.org",
        "PR1:",
        "@",
    ] {
        assert!(!drained.contains(secret), "{secret} in the metrics");
    }
}

/// A client of `app` whose requests the proxy on this machine forwarded for
/// `forwarded_for`, with `token` as bearer when given.
async fn through_proxy(app: &TestApp, forwarded_for: Option<&str>, token: Option<&str>) -> u16 {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
    if let Some(a) = forwarded_for {
        headers.push(("x-forwarded-for", a));
    }
    if let Some(b) = &bearer {
        headers.push(("authorization", b.as_str()));
    }
    let client: Client = app.client();
    let r = client.get_with("/metrics", &headers).await;
    if r.status == 404 {
        // The same answer as an unknown route: nothing tells it exists.
        let unknown = client.get_with("/nothing-here", &headers).await;
        assert_eq!(r.body, unknown.body);
    }
    r.status
}

#[tokio::test]
async fn metrics_are_for_this_machine_or_the_token_and_404_for_anyone_else() {
    let _one = SCRAPES.lock().await;
    // No proxy: a client on this machine reads them.
    let local = TestApp::init().build().await;
    assert_eq!(through_proxy(&local, None, None).await, 200);

    // Behind the proxy on this machine: a forwarded request is not local.
    let proxied = TestApp::init()
        .flags(&["--trusted-proxy", "127.0.0.1", "--metrics-token", TOKEN])
        .build()
        .await;
    let far = Some("203.0.113.7");
    assert_eq!(through_proxy(&proxied, far, None).await, 404);
    assert_eq!(
        through_proxy(&proxied, far, Some("jeton-de-supervision-0123456788")).await,
        404
    );
    assert_eq!(through_proxy(&proxied, far, Some("")).await, 404);
    assert_eq!(through_proxy(&proxied, far, Some(TOKEN)).await, 200);
    // Claiming a local address through the proxy, or forwarding none.
    assert_eq!(through_proxy(&proxied, Some("127.0.0.1"), None).await, 404);
    assert_eq!(through_proxy(&proxied, None, None).await, 404);
    // A session's bearer is not the token.
    let region = proxied.region().await;
    let r = region
        .get_with("/metrics", &[("x-forwarded-for", "203.0.113.7")])
        .await;
    assert_eq!(r.status, 404);

    // Without a token, nobody through the proxy.
    let no_token = TestApp::init()
        .flags(&["--trusted-proxy", "127.0.0.1"])
        .build()
        .await;
    assert_eq!(through_proxy(&no_token, far, None).await, 404);
    assert_eq!(through_proxy(&no_token, far, Some(TOKEN)).await, 404);

    // A short token is refused at start.
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<String> = [
        "passregion-server",
        "--data-dir",
        &dir.path().display().to_string(),
        "--bind",
        "127.0.0.1:0",
        "--metrics-token",
        "court",
    ]
    .map(str::to_owned)
    .to_vec();
    let clock = std::sync::Arc::new(passregion_core::clock::FixedClock::new(local.now()));
    let built = passregion_server::Server::build_with_clock(parse_config(&args), clock).await;
    let err = built.err().expect("a short token is refused");
    assert!(err.to_string().contains("--metrics-token"), "{err}");
}
