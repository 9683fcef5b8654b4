//! The trust list never lapses (docs/security.md): renewed in the background
//! well before its 30-day expiry, published to partner apps on pull, and a
//! stale list shows on `/health`. The root key can be kept offline: the
//! server then publishes a list signed in advance, and `/health` says when it
//! needs a new signature.

use chrono::Duration;
use passregion_core::PartnerCategory;
use passregion_core::credential::{AppCredential, RootKey, SoftwareDeviceKey};
use passregion_server::background::renew_trust_list;
use passregion_server::platform::keys::ServerKeys;
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
    let inspect = json!({"qr": card["qr"], "birth_date": card["birth_date"]});
    let first = app.get("/health").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let v0 = first.body["trust_list"]["version"].as_u64().unwrap();
    // Forty days of uptime, with the background tick as the server runs it.
    let mut versions = vec![v0];
    for day in 1..=40 {
        app.advance(Duration::days(1));
        renew_trust_list(&app.state, app.now()).await;
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
    renew_trust_list(&app.state, app.now()).await;
    let h = app.get("/health").await;
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")));
}

#[tokio::test]
async fn the_root_key_can_stay_offline() {
    let app = TestApp::init()
        .flags(&["--session-hours", "2000"])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Nour").await;
    let pinned = app.get("/api/trust-root").await.body["root_public_key"].clone();
    assert!(pinned.is_string());
    let h = app.get("/health").await;
    assert_eq!(
        h.body["trust_list"]["automatic_renewal"], true,
        "the default"
    );

    // The operator moves the root key to removable media.
    let keys = app.data_dir.join("keys");
    let media = tempfile::tempdir().unwrap();
    let root = media.path().join("root.pk8");
    std::fs::rename(keys.join("root.pk8"), &root).unwrap();
    let list = keys.join("trust-list.json");
    if app.engine() != crate::common::Engine::Sqlite {
        // Instances sharing the keys (PostgreSQL, ADR 0036) wrote the list
        // they signed with the root key online: without it, that very list
        // goes on being published (until a new one is signed offline).
        let published = app.get("/api/trust-list").await.body;
        let server = app.restart().await.unwrap();
        let h = server.get("/health").await;
        assert_eq!(
            h.body["trust_list"]["automatic_renewal"], false,
            "{}",
            h.body
        );
        assert_eq!(server.get("/api/trust-list").await.body, published);
        drop(server);
        std::fs::remove_file(&list).unwrap();
    }
    // Without a list signed in advance the server refuses to start (rather
    // than make a root key that no app trusts).
    let refused = app.restart().await.err().expect("refused to start");
    assert!(
        format!("{refused:#}").contains("sign-trust-list"),
        "{refused:#}"
    );
    assert!(!keys.join("root.pk8").exists(), "no new root key");
    // Another root key cannot sign for this server.
    let stranger = media.path().join("other.pk8");
    let other = RootKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    std::fs::write(&stranger, other.to_pkcs8()).unwrap();
    let wrong = ServerKeys::sign_trust_list(
        &app.data_dir,
        &stranger,
        &list,
        app.now(),
        Duration::days(60),
    );
    assert!(wrong.is_err() && !list.exists());
    // Signed offline, valid 60 days.
    let signed =
        ServerKeys::sign_trust_list(&app.data_dir, &root, &list, app.now(), Duration::days(60))
            .unwrap();
    let server = app.restart().await.unwrap();
    assert!(
        !keys.join("root.pk8").exists(),
        "the root private key is not on disk"
    );
    let h = server.get("/health").await;
    assert_eq!(
        (h.status, h.body["status"].as_str()),
        (200, Some("ok")),
        "{}",
        h.body
    );
    assert_eq!(h.body["trust_list"]["automatic_renewal"], false);
    assert_eq!(h.body["trust_list"]["version"], signed.version);
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(h.body["trust_list"]["expires_at"].clone()).unwrap();
    assert_eq!(expires, app.now() + Duration::days(60));
    // The apps keep the same root, and get the list that was signed offline.
    assert_eq!(
        server.get("/api/trust-root").await.body["root_public_key"],
        pinned
    );
    let published = server.get("/api/trust-list").await;
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&list).unwrap()).unwrap();
    assert_eq!(published.body, file);

    // QR debits work: the printed code and an app code issued after the restart.
    let partner = server
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "2.00"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let youth = server.same_session(&youth);
    let phone = SoftwareDeviceKey::from_seed(&[51; 32]).unwrap();
    let c = youth
        .post(
            "/api/youth/credentials",
            &json!({"device_public_key": phone.public_key().to_base64()}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    let cred = AppCredential::from_base64(c.body["credential"].as_str().unwrap()).unwrap();
    let qr = cred.dynamic_qr(&phone, server.now(), 1).unwrap();
    let r = partner
        .debit(&json!({"qr": qr, "avantage": "lecture_loisir", "price": "1.00"}))
        .await;
    assert_eq!(
        (r.status, r.body["balance"].as_str()),
        (201, Some("12.00")),
        "{}",
        r.body
    );

    // The server cannot renew the list by itself: 47 days later (13 left),
    // `/health` says a new signature is needed before it expires.
    server.advance(Duration::days(47));
    renew_trust_list(&server.state, server.now()).await;
    let h = server.get("/health").await;
    assert_eq!(
        (h.status, h.body["status"].as_str()),
        (503, Some("degraded")),
        "{}",
        h.body
    );
    assert_eq!(h.body["trust_list"]["stale"], true);
    assert_eq!(
        h.body["trust_list"]["version"], signed.version,
        "not renewed"
    );
    // A list signed again offline is picked up by the next tick, without a restart.
    let again = ServerKeys::sign_trust_list(
        &server.data_dir,
        &root,
        &list,
        server.now(),
        Duration::days(60),
    )
    .unwrap();
    renew_trust_list(&server.state, server.now()).await;
    let h = server.get("/health").await;
    assert_eq!(
        (h.status, h.body["status"].as_str()),
        (200, Some("ok")),
        "{}",
        h.body
    );
    assert_eq!(h.body["trust_list"]["version"], again.version);
    assert!(again.version > signed.version);
    assert!(!keys.join("root.pk8").exists());
}

#[tokio::test]
async fn a_nearly_full_disk_shows_on_health() {
    // A threshold above any disk: degraded, with the numbers.
    let app = TestApp::init()
        .flags(&["--min-free-disk-mib", "17592186044415"])
        .build()
        .await;
    let h = app.get("/health").await;
    assert_eq!(
        (h.status, h.body["status"].as_str()),
        (503, Some("degraded")),
        "{}",
        h.body
    );
    assert_eq!(h.body["disk"]["low"], true);
    assert_eq!(h.body["writer"], true);
    assert_eq!(
        h.body["trust_list"]["stale"], false,
        "only the disk is wrong"
    );
    let available = h.body["disk"]["available_bytes"].as_u64().unwrap();
    assert!(available > 0);
    assert!(available < h.body["disk"]["threshold_bytes"].as_u64().unwrap());
    // No threshold: ok.
    let app = TestApp::init()
        .flags(&["--min-free-disk-mib", "0"])
        .build()
        .await;
    let h = app.get("/health").await;
    assert_eq!(
        (h.status, h.body["status"].as_str()),
        (200, Some("ok")),
        "{}",
        h.body
    );
    assert_eq!(h.body["disk"]["low"], false);
    assert_eq!(h.body["disk"]["threshold_bytes"], 0);
}
