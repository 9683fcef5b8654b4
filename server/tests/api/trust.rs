//! The trust list never lapses (docs/security.md): renewed in the background
//! well before its 30-day expiry, published to partner apps on pull, and a
//! stale list shows on `/health`.

use chrono::Duration;
use passregion_core::PartnerCategory;
use passregion_server::background::renew_trust_list;
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn the_trust_list_is_renewed_before_it_lapses() {
    // Sessions that outlive the forty days tried here.
    let app = TestApp::init()
        .flags(&["--session-hours", "2000"])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_youth, card) = app.youth_with_card(&etab, "Inès").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let inspect = json!({"qr": card["qr"]});
    let first = app.get("/health").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let v0 = first.body["trust_list"]["version"].as_u64().unwrap();
    // Forty days of uptime, with the background tick as the server runs it.
    let mut versions = vec![v0];
    for day in 1..=40 {
        app.advance(Duration::days(1));
        renew_trust_list(&app.state, app.now());
        let h = app.get("/health").await;
        assert_eq!(h.status, 200, "day {day}: {}", h.body);
        assert_eq!(h.body["trust_list"]["stale"], false, "day {day}");
        versions.push(h.body["trust_list"]["version"].as_u64().unwrap());
        let r = partner.post("/api/partner/cards/inspect", &inspect).await;
        assert_eq!(r.status, 200, "day {day}: {}", r.body);
    }
    // Renewed about weekly, each version newer than the last.
    let distinct: std::collections::BTreeSet<_> = versions.iter().collect();
    assert!(distinct.len() >= 5, "{versions:?}");
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    // Partner apps get the current list on any pull.
    let pull = partner.get("/api/sync/pull?cursor=1").await;
    let text = pull.body["trust_list"].as_str().unwrap();
    let published = app.get("/api/trust-list").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(text).unwrap(),
        published.body
    );
}

#[tokio::test]
async fn a_list_that_is_not_renewed_shows_on_health() {
    let app = TestApp::init().build().await;
    // No renewal for 20 days: less than 14 days left.
    app.advance(Duration::days(20));
    let h = app.get("/health").await;
    assert_eq!(h.status, 503, "{}", h.body);
    assert_eq!(h.body["status"], "degraded");
    assert_eq!(h.body["trust_list"]["stale"], true);
    assert_eq!(h.body["writer"], true);
    // One tick renews it.
    renew_trust_list(&app.state, app.now());
    let h = app.get("/health").await;
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")));
}
