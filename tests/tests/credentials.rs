//! Card QR codes and app credentials through the server: printed `PR1:` codes,
//! dynamic `PD1:` codes signed by a device key, replays, expiry, forgery,
//! the published trust list and key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use passregion_core::clock::FixedClock;
use passregion_core::credential::{
    AppCredential, DenyList, MemoryReplayState, PublicKey, SignedTrustList, SoftwareDeviceKey,
    Verified, verify,
};
use passregion_tests::{TestServer, youth_with_card};
use serde_json::json;

fn device_key(seed: u8) -> SoftwareDeviceKey {
    SoftwareDeviceKey::from_seed(&[seed; 32]).unwrap()
}

fn luma_of_png(bytes: &[u8]) -> (Vec<u8>, u32, u32) {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .unwrap()
        .to_luma8();
    let (w, h) = img.dimensions();
    (img.into_raw(), w, h)
}

#[tokio::test]
async fn dynamic_qr_debits_once_and_expires() {
    let server = TestServer::start(2, &[]);
    let etab = server.login("ampere@demo.passregion.fr").await;
    let (youth, card) = youth_with_card(&server, &etab, "Jade").await;
    let key = device_key(7);
    let r = youth
        .post("/api/youth/credentials", &json!({"device_public_key": passregion_core::credential::DeviceSigner::public_key(&key).to_base64()}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["allowance"], "30.00");
    assert_eq!(r.body["per_transaction_max"], "15.00");
    assert_eq!(r.body["card_id"], card["id"]);
    let cred = AppCredential::from_base64(r.body["credential"].as_str().unwrap()).unwrap();
    let now = Utc::now();
    let qr1 = cred.dynamic_qr(&key, now, 1).unwrap();
    assert!(qr1.starts_with("PD1:"));

    let partner = server.login("librairie@demo.passregion.fr").await;
    // Inspecting does not consume the code; the debit does.
    let r = partner
        .post("/api/partner/cards/inspect", &json!({"qr": qr1}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["holder"], "Jade T.");
    assert_eq!(r.body["usable"], true);
    let body = |qr: &str| json!({"qr": qr, "avantage": "lecture_loisir", "price": "3.00"});
    let r = partner.debit(&body(&qr1)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // A screenshot of the same code cannot debit again.
    let r = partner.debit(&body(&qr1)).await;
    assert_eq!((r.status, r.code()), (409, "qr_deja_utilise"));
    let other = server.login("librairie-2@demo.passregion.fr").await;
    let r = other.debit(&body(&qr1)).await;
    assert_eq!(r.code(), "qr_deja_utilise");
    // The next code shown by the app works.
    let qr2 = cred.dynamic_qr(&key, Utc::now(), 2).unwrap();
    assert_eq!(partner.debit(&body(&qr2)).await.status, 201);
    // A refused debit does not burn the code.
    let qr3 = cred.dynamic_qr(&key, Utc::now(), 3).unwrap();
    let r = partner
        .debit(&json!({"qr": qr3, "avantage": "licence_sportive", "price": "3.00"}))
        .await;
    assert_eq!(r.code(), "avantage_non_autorise");
    assert_eq!(partner.debit(&body(&qr3)).await.status, 201);
    // A code from ten minutes ago has expired.
    let old = cred
        .dynamic_qr(&key, now - Duration::minutes(10), 50)
        .unwrap();
    let r = partner.debit(&body(&old)).await;
    assert_eq!((r.status, r.code()), (422, "qr_expire"));
    // A code signed by another device is refused.
    let forged = cred.dynamic_qr(&device_key(8), Utc::now(), 60).unwrap();
    assert_eq!(partner.debit(&body(&forged)).await.code(), "qr_invalide");
    // One altered character is refused.
    let mut tampered = qr2.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(partner.debit(&body(&tampered)).await.code(), "qr_invalide");
    let c = youth.get("/api/youth/card").await;
    assert_eq!(
        passregion_tests::remaining(&c.body, "lecture_loisir"),
        "6.00"
    );
    // Bad device keys are refused with a clear error.
    let r = youth
        .post(
            "/api/youth/credentials",
            &json!({"device_public_key": "abc"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (422, Some("device_public_key"))
    );
}

#[tokio::test]
async fn printed_qr_scans_and_verifies_against_the_published_trust_list() {
    let server = TestServer::start(2, &[]);
    let etab = server.login("ampere@demo.passregion.fr").await;
    let (youth, card) = youth_with_card(&server, &etab, "Rayan").await;
    // The trust list verifies with the published root key.
    let root = server.client().get("/api/trust-root").await;
    let root = PublicKey::from_base64(root.body["root_public_key"].as_str().unwrap()).unwrap();
    let text = reqwest::get(server.url("/api/trust-list"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let trust = SignedTrustList::from_json(&text)
        .unwrap()
        .verify(&root, 0)
        .unwrap();
    assert_eq!(trust.keys.len(), 1);
    // The PNG served for the youth decodes with the project's scanner to the
    // same signed text, which verifies offline.
    let png = reqwest::Client::new()
        .get(server.url("/api/youth/card/qr.png"))
        .bearer_auth(youth.token.as_ref().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (luma, w, h) = luma_of_png(&png);
    let texts = passregion_core::qr::scan_luma(&luma, w, h).unwrap();
    assert_eq!(texts, vec![card["qr"].as_str().unwrap().to_owned()]);
    let verified = verify(
        &texts[0],
        &trust,
        &DenyList::default(),
        &mut MemoryReplayState::new(),
        &FixedClock::new(Utc::now()),
    )
    .unwrap();
    match verified {
        Verified::Card(c) => assert_eq!(c.card_id.to_string(), card["id"].as_str().unwrap()),
        other => panic!("{other:?}"),
    }
    // The établissement prints its own cards only.
    let r = reqwest::Client::new()
        .get(server.url(&format!(
            "/api/establishment/cards/{}/qr.png",
            card["id"].as_str().unwrap()
        )))
        .bearer_auth(etab.token.as_ref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let other = server.login("champollion@demo.passregion.fr").await;
    let r = other
        .get(&format!(
            "/api/establishment/cards/{}/qr.png",
            card["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn key_rotation_keeps_printed_cards_working() {
    let dir = tempfile::tempdir().unwrap();
    let (old_qr, new_qr);
    {
        let server = TestServer::start_in(dir.path(), 2, &[]);
        let etab = server.login("ampere@demo.passregion.fr").await;
        let (_, card) = youth_with_card(&server, &etab, "Sarah").await;
        old_qr = card["qr"].as_str().unwrap().to_owned();
    }
    let status = std::process::Command::new(passregion_tests::server_binary())
        .arg("rotate-issuer-key")
        .arg("--data-dir")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let server = TestServer::start_in(dir.path(), 2, &[]);
    let root = server.client().get("/api/trust-root").await;
    let root = PublicKey::from_base64(root.body["root_public_key"].as_str().unwrap()).unwrap();
    let text = reqwest::get(server.url("/api/trust-list"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let trust = SignedTrustList::from_json(&text)
        .unwrap()
        .verify(&root, 0)
        .unwrap();
    assert_eq!(trust.keys.len(), 2, "old and new issuer keys");
    let youth = server.login("lea@demo.passregion.fr").await;
    new_qr = youth.get("/api/youth/card/qr").await.body["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner = server.login("librairie@demo.passregion.fr").await;
    for qr in [&old_qr, &new_qr] {
        let r = partner
            .debit(&json!({"qr": qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

#[tokio::test]
async fn a_debit_queued_with_an_old_scan_time_is_refused_online() {
    let dir = tempfile::tempdir().unwrap();
    let cred;
    let key = device_key(17);
    let card_number;
    {
        let server = TestServer::start_in(dir.path(), 2, &[]);
        let etab = server.login("ampere@demo.passregion.fr").await;
        let (youth, card) = youth_with_card(&server, &etab, "Manon").await;
        card_number = card["number"].as_str().unwrap().to_owned();
        let r = youth
            .post("/api/youth/credentials", &json!({"device_public_key": passregion_core::credential::DeviceSigner::public_key(&key).to_base64()}))
            .await;
        cred = AppCredential::from_base64(r.body["credential"].as_str().unwrap()).unwrap();
    }
    // The code was read 5 minutes after it was issued, and the request that
    // carries it reaches the server 15 minutes later: online, the code is
    // decided at the server's clock, whatever scan time is sent (a past scan
    // time is accepted only from an enrolled device, through sync).
    let scanned = Utc::now() + Duration::minutes(5);
    let qr = cred.dynamic_qr(&key, scanned, 1).unwrap();
    let later = (Utc::now() + Duration::minutes(20)).to_rfc3339();
    let server = TestServer::start_in(dir.path(), 2, &["--start-time", &later]);
    let partner = server.login("librairie@demo.passregion.fr").await;
    let r = partner
        .debit(&json!({"qr": qr, "avantage": "lecture_loisir", "price": "1.00"}))
        .await;
    assert_eq!(r.code(), "qr_expire", "{}", r.body);
    let r = partner
        .debit(&json!({"qr": qr, "avantage": "lecture_loisir", "price": "1.00", "scanned_at": scanned}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (422, "scan_trop_ancien"),
        "{}",
        r.body
    );
    assert_eq!(r.body["field"], "scanned_at");
    // Nothing moved.
    let r = partner
        .post(
            "/api/partner/cards/inspect",
            &json!({"card_number": card_number, "birth_date": "2010-03-14"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        passregion_tests::remaining(&r.body, "lecture_loisir"),
        "15.00"
    );
}
