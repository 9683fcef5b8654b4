//! Refunds after payout (issue 11, item 5): a refund of a debit whose batch
//! was already paid makes the partner's next batch negative; the deficit is
//! carried (clawed back) from its next batches, never shown as 0,00 €, never
//! paid below zero, and the partner is never paid more than the net of its
//! debits and refunds. Through the HTTP API, at fixed instants.

use chrono::Duration;
use passregion_core::PartnerCategory;
use passregion_core::SignedMoney;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

fn cents(v: &Value) -> i64 {
    SignedMoney::parse(v.as_str().unwrap_or_else(|| panic!("an amount: {v}")))
        .unwrap()
        .cents()
}

async fn debit(partner: &Client, card: &Value, avantage: &str, price: &str) -> Value {
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": avantage, "price": price}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn refund(partner: &Client, tx: &Value, body: Value) -> Value {
    let id = tx["id"].as_str().unwrap();
    let r = partner
        .post_idem(
            &format!("/api/partner/transactions/{id}/refund"),
            &uuid::Uuid::new_v4().to_string(),
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// Closes the batches up to now (one second later, so that what was just
/// written is included) and returns the batch of `partner_name`, if any.
async fn close(app: &TestApp, region: &Client, partner_name: &str) -> Option<Value> {
    app.advance(Duration::seconds(1));
    let r = region
        .post("/api/region/reimbursements/close", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["partner_name"] == partner_name)
        .cloned()
}

async fn pay(region: &Client, batch: &Value) -> Value {
    let id = batch["id"].as_str().unwrap();
    let r = region
        .post(
            &format!("/api/region/reimbursements/{id}/pay"),
            &json!({"reference": "VIR-TEST-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn amounts(b: &Value) -> [&str; 4] {
    ["total", "carried_in", "payable", "carried_out"].map(|k| b[k].as_str().unwrap())
}

async fn ledger_reconciles(region: &Client) -> i64 {
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    assert_eq!(check.body["orphans"], 0);
    check.body["batches_checked"].as_i64().unwrap()
}

#[tokio::test]
async fn a_refund_after_payout_is_carried_to_the_next_batches() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Inès").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let region = app.region().await;
    // 12,50 € debited; the batch closes and is paid.
    let tx = debit(&partner, &card, "lecture_loisir", "12.50").await;
    let b1 = close(&app, &region, "Librairie du Parc").await.unwrap();
    assert_eq!(amounts(&b1), ["12.50", "0.00", "12.50", "0.00"]);
    assert_eq!(b1["status"], "en_cours");
    assert_eq!(pay(&region, &b1).await["status"], "rembourse");
    // Refunded after the payout: the next batch is −12,50 €, not 0,00 €;
    // nothing to pay, the deficit is carried.
    let r = refund(&partner, &tx, json!({})).await;
    assert_eq!(r["reimbursed_amount"], "-12.50");
    let b2 = close(&app, &region, "Librairie du Parc").await.unwrap();
    assert_eq!(amounts(&b2), ["-12.50", "0.00", "0.00", "-12.50"]);
    assert_eq!(b2["status"], "compense");
    let id = b2["id"].as_str().unwrap();
    let r = region
        .post(
            &format!("/api/region/reimbursements/{id}/pay"),
            &json!({"reference": "VIR-TEST-1"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "champ_invalide"), "{}", r.body);
    assert!(r.body["message"].as_str().unwrap().contains("compensation"));
    let s = partner.get("/api/partner/reimbursements").await.body;
    assert_eq!(s["carried_total"], "-12.50");
    assert_eq!(s["paid_total"], "12.50");
    assert_eq!(s["batches"][0]["total"], "-12.50");
    // 5 € of new debits do not cover it: 7,50 € carried again.
    debit(&partner, &card, "lecture_loisir", "5.00").await;
    let b3 = close(&app, &region, "Librairie du Parc").await.unwrap();
    assert_eq!(amounts(&b3), ["5.00", "-12.50", "0.00", "-7.50"]);
    assert_eq!(b3["carried_from"], b2["id"]);
    assert_eq!(b3["status"], "compense");
    // 20 € more: 12,50 € paid, nothing left owing.
    debit(&partner, &card, "manuels_scolaires", "20.00").await;
    let b4 = close(&app, &region, "Librairie du Parc").await.unwrap();
    assert_eq!(amounts(&b4), ["20.00", "-7.50", "12.50", "0.00"]);
    assert_eq!(b4["carried_from"], b3["id"]);
    assert_eq!(b4["status"], "en_cours");
    let s = partner.get("/api/partner/reimbursements").await.body;
    assert_eq!(
        (
            &s["carried_total"],
            &s["in_progress_total"],
            &s["paid_total"]
        ),
        (&json!("0.00"), &json!("12.50"), &json!("12.50"))
    );
    pay(&region, &b4).await;
    // The Region sees the same amounts; the books reconcile: paid 25 € for
    // 12,50 − 12,50 + 5 + 20 = 25 € of net debits.
    let all = region.get("/api/region/reimbursements").await.body;
    let mine: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["partner_name"] == "Librairie du Parc")
        .collect();
    assert_eq!(mine.len(), 4);
    assert_eq!(mine.iter().map(|b| cents(&b["payable"])).sum::<i64>(), 2500);
    assert_eq!(ledger_reconciles(&region).await, 4);
    // The lines of the offset batch say so.
    let page = partner
        .get("/api/partner/transactions?limit=500")
        .await
        .body;
    let refund_line = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "refund")
        .unwrap()
        .clone();
    assert_eq!(refund_line["reimbursement_status"], "compense");
}

#[tokio::test]
async fn refunds_beyond_several_batches_are_carried_repeatedly() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Noé").await;
    let (_, card2) = app.youth_with_card(&etab, "Lou").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let region = app.region().await;
    let name = "Librairie du Parc";
    let a = debit(&partner, &card, "manuels_scolaires", "60.00").await;
    let b = debit(&partner, &card, "lecture_loisir", "15.00").await;
    let b1 = close(&app, &region, name).await.unwrap();
    assert_eq!(amounts(&b1), ["75.00", "0.00", "75.00", "0.00"]);
    pay(&region, &b1).await;
    // Both refunded after the payout, in two periods, with small new debits.
    refund(&partner, &a, json!({})).await;
    debit(&partner, &card, "manuels_scolaires", "5.00").await;
    let b2 = close(&app, &region, name).await.unwrap();
    assert_eq!(amounts(&b2), ["-55.00", "0.00", "0.00", "-55.00"]);
    refund(&partner, &b, json!({})).await;
    debit(&partner, &card, "manuels_scolaires", "5.00").await;
    let b3 = close(&app, &region, name).await.unwrap();
    assert_eq!(amounts(&b3), ["-10.00", "-55.00", "0.00", "-65.00"]);
    debit(&partner, &card, "manuels_scolaires", "5.00").await;
    let b4 = close(&app, &region, name).await.unwrap();
    assert_eq!(amounts(&b4), ["5.00", "-65.00", "0.00", "-60.00"]);
    // A period without any transaction of the partner closes no batch: the
    // deficit waits for the next one.
    assert!(close(&app, &region, name).await.is_none());
    let s = partner.get("/api/partner/reimbursements").await.body;
    assert_eq!(s["carried_total"], "-60.00");
    debit(&partner, &card2, "manuels_scolaires", "70.00").await;
    let b5 = close(&app, &region, name).await.unwrap();
    assert_eq!(amounts(&b5), ["70.00", "-60.00", "10.00", "0.00"]);
    assert_eq!(b5["carried_from"], b4["id"]);
    // 75 + 10 paid for 75 − 60 + 5 − 15 + 5 + 5 + 70 = 85 € net.
    let s = partner.get("/api/partner/reimbursements").await.body;
    assert_eq!(
        cents(&s["paid_total"]) + cents(&s["in_progress_total"]),
        8500
    );
    assert_eq!(s["carried_total"], "0.00");
    assert_eq!(ledger_reconciles(&region).await, 5);
}

/// A small deterministic generator (xorshift64*), so that a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// For a partner, from its own API: (Σ payable of its batches, what it owes,
/// Σ debits − refunds of its batched transactions, Σ of its unbatched ones,
/// whether its newest batch pays nothing).
async fn books(partner: &Client) -> (i64, i64, i64, i64, bool) {
    let s = partner.get("/api/partner/reimbursements").await.body;
    let batches = s["batches"].as_array().unwrap();
    let payable = batches.iter().map(|b| cents(&b["payable"])).sum();
    let newest_pays_nothing = batches.first().is_none_or(|b| cents(&b["payable"]) == 0);
    let page = partner
        .get("/api/partner/transactions?limit=500")
        .await
        .body;
    let (mut batched, mut pending) = (0, 0);
    for t in page["items"].as_array().unwrap() {
        let a = cents(&t["reimbursed_amount"]);
        if t["reimbursement_status"] == "en_attente" {
            pending += a;
        } else {
            batched += a;
        }
    }
    assert_eq!(cents(&s["pending_total"]), pending);
    (
        payable,
        -cents(&s["carried_total"]),
        batched,
        pending,
        newest_pays_nothing,
    )
}

/// Random sequences of debits, refunds (before and after payout, full or
/// partial), closings and payments at two partners: after every step, each
/// partner's `Σ payable − owed = Σ (debits − refunds)` of its batched
/// transactions, nothing is payable while it owes, what is paid never
/// exceeds what is payable, and the Region's check reconciles. Once new
/// debits cover what is owed, it has been paid exactly its net.
#[tokio::test]
async fn random_debits_refunds_closings_and_payments_never_overpay_a_partner() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let mut cards = Vec::new();
    for name in ["Ana", "Bao", "Cyd", "Dan"] {
        cards.push(app.youth_with_card(&etab, name).await.1);
    }
    let names = ["Librairie du Parc", "La Page Blanche"];
    let partners = [
        app.partner(PartnerCategory::Librairie, names[0]).await,
        app.partner(PartnerCategory::Librairie, names[1]).await,
    ];
    let region = app.region().await;
    // Steps at which a partner owed something (the sequences must reach it).
    let mut owing_steps = 0;
    for seed in [0x9E37_79B9_7F4A_7C15_u64, 0xD1B5_4A32_D192_ED03] {
        let mut rng = Rng(seed);
        // (partner index, debit JSON) of debits not yet refunded.
        let mut debits: Vec<(usize, Value)> = Vec::new();
        for step in 0..45 {
            app.advance(Duration::seconds(1));
            match rng.below(10) {
                0..=3 => {
                    let p = rng.below(2) as usize;
                    let card = &cards[rng.below(cards.len() as u64) as usize];
                    let avantage = ["lecture_loisir", "manuels_scolaires"][rng.below(2) as usize];
                    let price = format!("{}.{:02}", 1 + rng.below(8), rng.below(100));
                    let r = partners[p]
                        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": avantage, "price": price}))
                        .await;
                    if r.status == 201 {
                        debits.push((p, r.body));
                    } else {
                        assert_eq!(r.code(), "credit_epuise", "{}", r.body);
                    }
                }
                4..=5 if !debits.is_empty() => {
                    let (p, tx) = debits.swap_remove(rng.below(debits.len() as u64) as usize);
                    let body = if rng.below(2) == 0 {
                        json!({})
                    } else {
                        let c = cents(&tx["debited"]);
                        let part = 1 + rng.below(c as u64) as i64;
                        json!({"amount": SignedMoney::from_cents(part).unwrap().to_string()})
                    };
                    refund(&partners[p], &tx, body).await;
                }
                6..=7 => {
                    let r = region
                        .post("/api/region/reimbursements/close", &json!({}))
                        .await;
                    assert_eq!(r.status, 200, "{}", r.body);
                }
                _ => {
                    let all = region.get("/api/region/reimbursements").await.body;
                    let open: Vec<&Value> = all
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|b| b["status"] == "en_cours")
                        .collect();
                    if !open.is_empty() {
                        pay(&region, open[rng.below(open.len() as u64) as usize]).await;
                    }
                }
            }
            for (p, partner) in partners.iter().enumerate() {
                let (payable, owed, batched, _, newest_pays_nothing) = books(partner).await;
                let ctx = format!("seed {seed:x}, step {step}, {}", names[p]);
                assert!(owed >= 0, "{ctx}");
                assert_eq!(payable - owed, batched, "{ctx}");
                assert!(owed == 0 || newest_pays_nothing, "{ctx}");
                owing_steps += usize::from(owed > 0);
            }
            ledger_reconciles(&region).await;
        }
        // Everything refundable refunded or not, new debits cover what is owed.
        for partner in &partners {
            let (_, owed, _, pending, _) = books(partner).await;
            let mut need = owed - pending;
            for card in &cards {
                if need <= 0 {
                    break;
                }
                for avantage in ["manuels_scolaires", "lecture_loisir"] {
                    if need <= 0 {
                        break;
                    }
                    let price = SignedMoney::from_cents(need).unwrap().to_string();
                    let r = partner
                        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": avantage, "price": price}))
                        .await;
                    if r.status == 201 {
                        need -= cents(&r.body["reimbursed_amount"]);
                    }
                }
            }
            assert!(need <= 0, "the cards could not cover what is owed");
        }
        app.advance(Duration::seconds(1));
        region
            .post("/api/region/reimbursements/close", &json!({}))
            .await;
        for partner in &partners {
            let (payable, owed, batched, pending, _) = books(partner).await;
            assert_eq!((owed, pending), (0, 0));
            assert_eq!(payable, batched, "paid exactly the net");
        }
    }
    assert!(owing_steps > 0, "no sequence carried a deficit");
}
