//! The server side of the sync protocol, driven with hand-built offline debits:
//! per-item results (applied, duplicate, conflict, reused, rejected), the hash
//! chain, the credential limits, overspend across two partners, pull deltas.
//! (Moved from `tests/tests/offline_push.rs`; the codes are made at the
//! server's fixed instant instead of the wall clock.)

use base64::Engine;
use chrono::{DateTime, Utc};
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::credential::{AppCredential, DeviceSigner, SoftwareDeviceKey};
use passregion_core::sync::{GENESIS_HASH, OfflineDebit};
use serde_json::{Value, json};

use crate::common::{Client, TestApp, remaining};

pub(crate) struct Device {
    id: String,
    key: SoftwareDeviceKey,
    seq: u64,
    prev: String,
}

impl Device {
    pub(crate) async fn enrol(partner: &Client, seed: u8) -> Device {
        let key = SoftwareDeviceKey::from_seed(&[seed; 32]).unwrap();
        let r = partner
            .post(
                "/api/partner/devices",
                &json!({"device_public_key": key.public_key().to_base64(), "label": "Caisse 1"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(r.body["root_public_key"].is_string());
        Device {
            id: r.body["device_id"].as_str().unwrap().to_owned(),
            key,
            seq: 0,
            prev: GENESIS_HASH.to_owned(),
        }
    }

    pub(crate) fn debit(
        &mut self,
        qr: &str,
        price: i64,
        debited: i64,
        at: DateTime<Utc>,
    ) -> OfflineDebit {
        self.seq += 1;
        let mut d = OfflineDebit {
            id: uuid::Uuid::now_v7(),
            device_id: self.id.clone(),
            seq: self.seq,
            qr: qr.to_owned(),
            avantage: "lecture_loisir".into(),
            price: Money::from_cents(price).unwrap(),
            debited: Money::from_cents(debited).unwrap(),
            reste_a_payer: Money::from_cents(price - debited).unwrap(),
            scanned_at: at,
            prev_hash: self.prev.clone(),
            signature: String::new(),
        };
        d.signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.key.sign(&d.signing_bytes()).unwrap());
        self.prev = d.hash();
        d
    }
}

pub(crate) async fn push(partner: &Client, items: &[OfflineDebit]) -> Vec<Value> {
    let r = partner
        .post("/api/sync/push", &json!({"items": items}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["results"].as_array().unwrap().clone()
}

pub(crate) async fn credential(youth: &Client, seed: u8) -> (AppCredential, SoftwareDeviceKey) {
    let key = SoftwareDeviceKey::from_seed(&[seed; 32]).unwrap();
    let r = youth
        .post(
            "/api/youth/credentials",
            &json!({"device_public_key": key.public_key().to_base64()}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    (
        AppCredential::from_base64(r.body["credential"].as_str().unwrap()).unwrap(),
        key,
    )
}

#[tokio::test]
async fn push_results_are_per_item_and_idempotent() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Hugo").await;
    let (cred, phone) = credential(&youth, 11).await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let mut device = Device::enrol(&partner, 21).await;
    let now = app.now();
    let a = device.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 500, 500, now);
    let b = device.debit(&cred.dynamic_qr(&phone, now, 2).unwrap(), 2000, 1000, now);
    // Pushed out of order: both apply.
    let res = push(&partner, &[b.clone(), a.clone()]).await;
    assert_eq!(res[0]["status"], "applied", "{res:?}");
    assert_eq!(res[1]["status"], "applied", "{res:?}");
    // The same batch again: duplicates with the stored result.
    let again = push(&partner, &[a.clone(), b.clone()]).await;
    assert_eq!(again[0]["status"], "duplicate");
    assert_eq!(again[0]["transaction_id"], res[1]["transaction_id"]);
    assert_eq!(again[1]["http_status"], 200);
    let card = youth.get("/api/youth/card").await;
    assert_eq!(
        remaining(&card.body, "lecture_loisir"),
        "0.00",
        "15 − 5 − 10"
    );
    // Same id, another body: conflict, nothing applied.
    let mut changed = a.clone();
    changed.price = Money::from_cents(600).unwrap();
    changed.reste_a_payer = Money::from_cents(100).unwrap();
    changed.signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(device.key.sign(&changed.signing_bytes()).unwrap());
    let r = push(&partner, &[changed]).await;
    assert_eq!(
        (r[0]["status"].as_str(), r[0]["http_status"].as_u64()),
        (Some("conflict"), Some(422))
    );
    // A forged signature, an inconsistent amount, a static card offline.
    let mut forged = device.debit(&cred.dynamic_qr(&phone, now, 3).unwrap(), 100, 100, now);
    forged.price = Money::from_cents(90).unwrap();
    forged.debited = Money::from_cents(90).unwrap();
    let r = push(&partner, &[forged]).await;
    assert_eq!(r[0]["code"], "signature_invalide");
    let static_qr = youth.get("/api/youth/card/qr").await.body["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut device2 = Device::enrol(&partner, 22).await;
    let s = device2.debit(&static_qr, 100, 100, now);
    let r = push(&partner, &[s]).await;
    assert_eq!(r[0]["code"], "carte_statique_hors_ligne");
    // Another partner's device id is unknown here.
    let other = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let mut foreign = Device::enrol(&other, 23).await;
    let f = foreign.debit(&cred.dynamic_qr(&phone, now, 9).unwrap(), 100, 100, now);
    let r = push(&partner, &[f]).await;
    assert_eq!(r[0]["code"], "appareil_inconnu");
    // The ledger holds.
    let region = app.region().await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
    assert_eq!(check.body["orphans"], 0);
    let txs = region.get("/api/region/transactions?limit=500").await;
    let offline = txs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "offline")
        .count();
    assert_eq!(offline, 2);
}

#[tokio::test]
async fn reused_codes_broken_chains_and_limits() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Lina").await;
    let (cred, phone) = credential(&youth, 12).await;
    let p1 = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let p2 = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let mut d1 = Device::enrol(&p1, 31).await;
    let mut d2 = Device::enrol(&p2, 32).await;
    let now = app.now();
    // The same screenshot at two partners: the second is evidence, not paid.
    let qr = cred.dynamic_qr(&phone, now, 1).unwrap();
    let r = push(&p1, &[d1.debit(&qr, 300, 300, now)]).await;
    assert_eq!(r[0]["status"], "applied");
    let r = push(&p2, &[d2.debit(&qr, 300, 300, now)]).await;
    assert_eq!(
        (r[0]["status"].as_str(), r[0]["http_status"].as_u64()),
        (Some("reused"), Some(409))
    );
    // Above the per-transaction maximum (15 €): refused.
    let r = push(
        &p1,
        &[d1.debit(&cred.dynamic_qr(&phone, now, 2).unwrap(), 1600, 1600, now)],
    )
    .await;
    assert_eq!(r[0]["code"], "hors_limites");
    // A record whose prev_hash is not the previous one: broken chain.
    let mut bad = d1.debit(&cred.dynamic_qr(&phone, now, 3).unwrap(), 100, 100, now);
    bad.prev_hash = "f".repeat(64);
    bad.signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(d1.key.sign(&bad.signing_bytes()).unwrap());
    let r = push(&p1, &[bad]).await;
    assert_eq!(r[0]["code"], "chaine_rompue");
    // Too many items in one push.
    let many: Vec<Value> = (0..501).map(|_| json!({})).collect();
    let r = p1.post("/api/sync/push", &json!({"items": many})).await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn overspend_at_two_offline_partners_is_paid_flagged_and_revoked() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Noah").await;
    let (cred, phone) = credential(&youth, 13).await;
    let p1 = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let p2 = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let mut d1 = Device::enrol(&p1, 41).await;
    let mut d2 = Device::enrol(&p2, 42).await;
    let now = app.now();
    let pull0 = p1.get("/api/sync/pull?cursor=0").await;
    assert!(pull0.body["trust_list"].is_string());
    let cursor = pull0.body["cursor"].as_i64().unwrap();
    // 12 € at each bookshop while offline: each is within the 30 € allowance,
    // together they exceed the 15 € lecture loisir balance.
    let r1 = push(
        &p1,
        &[d1.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 1200, 1200, now)],
    )
    .await;
    let r2 = push(
        &p2,
        &[d2.debit(&cred.dynamic_qr(&phone, now, 2).unwrap(), 1200, 1200, now)],
    )
    .await;
    assert_eq!(r1[0]["status"], "applied");
    assert_eq!(r2[0]["status"], "applied");
    assert_eq!(r2[0]["overspend"], true);
    // Both partners are paid what they accepted.
    let region = app.region().await;
    let txs = region.get("/api/region/transactions?limit=500").await;
    let paid: Vec<&Value> = txs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "offline")
        .collect();
    assert_eq!(paid.len(), 2);
    assert!(paid.iter().all(|t| t["reimbursed_amount"] == "12.00"));
    // The card holds nothing more than it had; the Region carries 9 €.
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "0.00");
    let flags = region.get("/api/region/flags").await;
    let flag = flags
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["card_id"] == card["id"])
        .cloned()
        .unwrap();
    assert_eq!(flag["amount"], "9.00");
    // The credential is revoked (pulled by partners), and no new one is issued.
    let pull = p1.get(&format!("/api/sync/pull?cursor={cursor}")).await;
    let revoked: Vec<String> = pull.body["revoked_credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(revoked.contains(&cred.claims().credential_id.to_string()));
    assert!(
        pull.body["revoked_cards"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == &card["id"])
    );
    let key = SoftwareDeviceKey::from_seed(&[14; 32]).unwrap();
    let r = youth
        .post(
            "/api/youth/credentials",
            &json!({"device_public_key": key.public_key().to_base64()}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "carte_signalee"));
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
    assert_eq!(check.body["orphans"], 0);
    // Every response carries the server time.
    let raw = app.get("/health").await;
    assert!(raw.headers.get("x-server-time").is_some());
}

/// What a push of 500 items applied in chunks of `chunk` answered and left.
struct ChunkedRun {
    /// Per item, in order: status, HTTP status, code, overspend, paid.
    results: Vec<Value>,
    /// The two cards' lecture loisir balances, and the offline transactions.
    state: Value,
    /// Writer jobs the push took (SQLite's single writer; `None` on PostgreSQL).
    jobs: Option<u64>,
}

async fn pushed_in_chunks(chunk: usize) -> ChunkedRun {
    let app = TestApp::init()
        .flags(&[
            "--push-chunk",
            &chunk.to_string(),
            "--offline-max-count",
            "1000",
        ])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (y1, _) = app.youth_with_card(&etab, "Chloé").await;
    let (y2, _) = app.youth_with_card(&etab, "Adam").await;
    let creds = [credential(&y1, 61).await, credential(&y2, 62).await];
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let mut device = Device::enrol(&partner, 63).await;
    let now = app.now();
    let sign = |d: &mut OfflineDebit, key: &SoftwareDeviceKey| {
        d.signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(key.sign(&d.signing_bytes()).unwrap());
    };
    // 5 cents each, alternating between the two cards, and a last 15 € that
    // the first card cannot pay in full (an overspend, covered by the card's
    // offline guarantee); one record breaks the chain.
    let mut items = Vec::new();
    for k in 0..497u32 {
        let (cred, phone) = &creds[k as usize % 2];
        let cents = if k == 496 { 1500 } else { 5 };
        let mut d = device.debit(
            &cred.dynamic_qr(phone, now, k + 1).unwrap(),
            cents,
            cents,
            now,
        );
        if k == 200 {
            d.prev_hash = "f".repeat(64);
            sign(&mut d, &device.key);
            device.prev = d.hash();
        }
        items.push(d);
    }
    // The same item twice in the push, and an id reused for another body.
    let duplicate = items[100].clone();
    items.insert(300, duplicate);
    let mut changed = items[50].clone();
    changed.price = Money::from_cents(10).unwrap();
    changed.debited = Money::from_cents(10).unwrap();
    sign(&mut changed, &device.key);
    items.insert(400, changed);
    assert_eq!(items.len(), 499);
    let last = items[498].clone();
    items.push(last);

    let before = app
        .engine_is_sqlite(
            "a_push_is_applied_in_chunks_with_the_same_results: its writer jobs",
            "the single writer's job count",
        )
        .then(|| app.db().write_jobs());
    let results = push(&partner, &items).await;
    let jobs = before.map(|before| app.db().write_jobs() - before);
    assert_eq!(results.len(), items.len());
    for (r, item) in results.iter().zip(&items) {
        assert_eq!(r["id"], item.id.to_string(), "in order");
    }
    let region = app.region().await;
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]));
    let txs = region.get("/api/region/transactions?limit=1000").await;
    let offline: Vec<Value> = txs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "offline")
        .map(|t| {
            json!([
                t["debited"],
                t["reste_a_payer"],
                t["balance_after"],
                t["reimbursed_amount"]
            ])
        })
        .collect();
    let balance = |c: Value| remaining(&c, "lecture_loisir");
    ChunkedRun {
        results: results
            .iter()
            .map(|r| {
                json!([
                    r["status"],
                    r["http_status"],
                    r["code"],
                    r["overspend"],
                    r["transaction_id"].is_string()
                ])
            })
            .collect(),
        state: json!([
            balance(y1.get("/api/youth/card").await.body),
            balance(y2.get("/api/youth/card").await.body),
            offline,
        ]),
        jobs,
    }
}

#[tokio::test]
async fn a_push_is_applied_in_chunks_with_the_same_results() {
    let reference = pushed_in_chunks(500).await;
    if let Some(jobs) = reference.jobs {
        assert_eq!(jobs, 1, "one writer job for the whole push");
    }
    // The push holds every kind of answer.
    let count = |status: &str| reference.results.iter().filter(|r| r[0] == status).count();
    assert_eq!(count("applied"), 496, "{:?}", reference.results);
    assert_eq!(
        count("duplicate"),
        2,
        "the repeated item and the repeated last one"
    );
    assert_eq!(count("conflict"), 1);
    assert_eq!(count("rejected"), 1);
    assert_eq!(
        reference.results[200][2], "chaine_rompue",
        "{}",
        reference.results[200]
    );
    assert_eq!(reference.results[300][0], "duplicate");
    assert_eq!(reference.results[400][2], "cle_idempotence_reutilisee");
    assert!(
        reference.results.iter().any(|r| r[3] == true),
        "the cards overspend"
    );
    // Cut into writer jobs of 1, 7 and 50 items: the same answers, in the
    // same order, and the same balances, ledger and payments.
    for chunk in [1usize, 7, 50] {
        let run = pushed_in_chunks(chunk).await;
        if let Some(jobs) = run.jobs {
            assert_eq!(jobs, 500u64.div_ceil(chunk as u64), "chunk {chunk}");
        }
        assert_eq!(run.results, reference.results, "chunk {chunk}");
        assert_eq!(run.state, reference.state, "chunk {chunk}");
    }
}

/// An offline debit accepted beyond the card's balance: the partner is paid
/// what it accepted, the Region covers the shortfall. Refunded, the partner
/// gives back all it was paid (none of it stays with the partner), the
/// Region recovers its shortfall first and the card gets back only what it
/// paid.
#[tokio::test]
async fn an_offline_debit_beyond_the_balance_is_refunded_with_all_the_partner_was_paid() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Maël").await;
    let (youth2, card2) = app.youth_with_card(&etab, "Sacha").await;
    let (cred, phone) = credential(&youth, 15).await;
    let (cred2, phone2) = credential(&youth2, 16).await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let mut device = Device::enrol(&partner, 51).await;
    let now = app.now();
    // Online, 10 € of the 15 € (the other card: all 15 €); then offline,
    // 12 € accepted: the first card pays 5 €, the second nothing.
    for (c, price) in [(&card, "10.00"), (&card2, "15.00")] {
        let r = partner
            .debit(&json!({"qr": c["qr"], "birth_date": c["birth_date"], "avantage": "lecture_loisir", "price": price}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let items = [
        device.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 1200, 1200, now),
        device.debit(&cred2.dynamic_qr(&phone2, now, 1).unwrap(), 1200, 1200, now),
    ];
    let res = push(&partner, &items).await;
    assert!(res.iter().all(|r| r["status"] == "applied"), "{res:?}");
    let ids: Vec<&str> = res
        .iter()
        .map(|r| r["transaction_id"].as_str().unwrap())
        .collect();
    let refund = |id: &str, body: Value| {
        let (partner, id) = (partner.clone(), id.to_owned());
        async move {
            partner
                .post_idem(
                    &format!("/api/partner/transactions/{id}/refund"),
                    &uuid::Uuid::new_v4().to_string(),
                    &body,
                )
                .await
        }
    };
    // In full: the partner returns 12 €; the card gets its 5 € back.
    let r = refund(ids[0], json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["reimbursed_amount"], "-12.00");
    assert_eq!(r.body["debited"], "5.00");
    let c = youth.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "5.00");
    // In part, on the card that paid nothing: 5 € back from the partner, all
    // of it the Region's; nothing to the card.
    let r = refund(ids[1], json!({"amount": "5.00"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["reimbursed_amount"], "-5.00");
    assert_eq!(r.body["debited"], "0.00");
    let c = youth2.get("/api/youth/card").await;
    assert_eq!(remaining(&c.body, "lecture_loisir"), "0.00");
    // The partner is owed 10 + 15 + 12 + 12 − 12 − 5 = 32 €.
    let region = app.region().await;
    app.advance(chrono::Duration::seconds(1));
    let r = region
        .post("/api/region/reimbursements/close", &json!({}))
        .await;
    assert_eq!(r.body[0]["total"], "32.00", "{}", r.body);
    assert_eq!(r.body[0]["payable"], "32.00");
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    assert_eq!(check.body["orphans"], 0);
}
