//! The Region's desk (issue 14, ADR 0028): the fraud and anomalies desk
//! (an offline overspend from a real push, card and account locks, refund
//! rates and odd hours with their thresholds attacked), the support look-up
//! (Region only, every look-up audited, no query text in the audit), and the
//! live feed paging past 50 × 100 rows.

use chrono::Duration;
use passregion_core::PartnerCategory;
use passregion_core::anomaly::{REFUND_RATE_MIN_DEBITS, REFUND_RATE_WINDOW_DAYS};
use passregion_core::card::CardNumber;
use serde_json::{Value, json};

use crate::common::{Client, PASSWORD, TestApp};
use crate::offline_push::{Device, credential, push};

mod look_up_and_feed;

pub(crate) async fn anomalies(region: &Client, query: &str) -> Vec<Value> {
    let r = region.get(&format!("/api/region/anomalies{query}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

pub(crate) async fn of_kind(region: &Client, kind: &str) -> Vec<Value> {
    anomalies(region, &format!("?kind={kind}")).await
}

pub(crate) async fn me(c: &Client) -> Value {
    let r = c.get("/api/me").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

pub(crate) async fn handle(region: &Client, id: &str, note: &str) -> crate::common::Resp {
    region
        .post(
            &format!("/api/region/anomalies/{}/handled", urlencode(id)),
            &json!({ "note": note }),
        )
        .await
}

/// Percent-encodes a query or path value (everything but unreserved ASCII).
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) async fn debit(partner: &Client, card: &Value, price: &str) -> Value {
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": price}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

pub(crate) async fn refund(partner: &Client, tx: &Value) {
    let id = tx["id"].as_str().unwrap();
    let r = partner
        .post_idem(
            &format!("/api/partner/transactions/{id}/refund"),
            &uuid::Uuid::new_v4().to_string(),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn an_offline_overspend_from_a_push_is_on_the_desk_and_is_handled_once() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Noah").await;
    let (cred, phone) = credential(&youth, 51).await;
    let p1 = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let p2 = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let mut d1 = Device::enrol(&p1, 52).await;
    let mut d2 = Device::enrol(&p2, 53).await;
    let region = app.region().await;
    assert!(of_kind(&region, "depassement_hors_ligne").await.is_empty());
    // 12 € at each bookshop while offline: together above the 15 € balance.
    let now = app.now();
    let r1 = push(
        &p1,
        &[d1.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 1200, 1200, now)],
    )
    .await;
    assert_eq!(r1[0]["overspend"], false);
    app.advance(Duration::seconds(5));
    let second = d2.debit(&cred.dynamic_qr(&phone, now, 2).unwrap(), 1200, 1200, now);
    let d2_id = second.device_id.clone();
    let r2 = push(&p2, &[second]).await;
    assert_eq!(r2[0]["overspend"], true);

    let items = of_kind(&region, "depassement_hors_ligne").await;
    assert_eq!(items.len(), 1, "{items:?}");
    let a = &items[0];
    assert_eq!(a["card_id"], card["id"]);
    assert_eq!(a["amount"], "9.00", "the Region carries 24 − 15");
    assert!(a["card"].as_str().unwrap().starts_with("•••• "));
    assert_eq!(a["handled"], Value::Null);
    assert!(a["outcome"].as_str().unwrap().contains("9,00"));
    // Both devices, the amounts, what each partner is paid, and which push
    // raised the flag.
    let debits = a["offline_debits"].as_array().unwrap();
    assert_eq!(debits.len(), 2, "{debits:?}");
    let p2_id = me(&p2).await["partner_id"].clone();
    let trigger: Vec<&Value> = debits.iter().filter(|d| d["triggered"] == true).collect();
    assert_eq!(trigger.len(), 1);
    assert_eq!(trigger[0]["partner_id"], p2_id);
    assert_eq!(trigger[0]["device_id"], json!(d2_id));
    assert_eq!(trigger[0]["device_label"], "Caisse 1");
    assert!(
        debits
            .iter()
            .all(|d| d["debited"] == "12.00" && d["paid"] == "12.00")
    );
    assert_eq!(a["partner_id"], p2_id, "the partner whose push raised it");

    // Only the Region sees the desk or marks it.
    let id = a["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("depassement_hors_ligne:"));
    assert_eq!(p1.get("/api/region/anomalies").await.status, 403);
    assert_eq!(handle(&p1, &id, "non").await.status, 403);
    // A note is required.
    let r = handle(&region, &id, "  ").await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("note")));
    assert!(of_kind(&region, "depassement_hors_ligne").await[0]["handled"].is_null());
    // Marked handled once: who, when, the note.
    let r = handle(&region, &id, "Famille contactée, carte réactivée demain.").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let h = &r.body["handled"];
    assert_eq!(h["by_account_id"], me(&region).await["account_id"]);
    assert_eq!(h["by_name"], "Agent de la Région");
    assert_eq!(h["note"], "Famille contactée, carte réactivée demain.");
    assert_eq!(h["at"], json!(app.now()));
    let again = handle(&region, &id, "Deuxième fois").await;
    assert_eq!((again.status, again.code()), (409, "anomalie_deja_traitee"));
    // Another agent cannot mark it again either.
    let other = app.region().await;
    assert_eq!(handle(&other, &id, "Moi aussi").await.status, 409);
    assert_eq!(
        of_kind(&region, "depassement_hors_ligne").await[0]["handled"]["note"],
        "Famille contactée, carte réactivée demain."
    );
    // The handled filter.
    let open = anomalies(&region, "?handled=false").await;
    assert!(open.iter().all(|x| x["id"] != json!(id)));
    let done = anomalies(&region, "?handled=true").await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["id"], json!(id));
    // Unknown ids and kinds.
    assert_eq!(
        handle(&region, "depassement_hors_ligne:999", "x")
            .await
            .status,
        404
    );
    assert_eq!(handle(&region, "nimporte:1", "x").await.status, 404);
    assert_eq!(
        region.get("/api/region/anomalies?kind=autre").await.status,
        422
    );
    // Handlings are append-only in the database.
    let refused = app
        .exec_sql("UPDATE anomaly_handlings SET note = 'x'", vec![])
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn birth_date_locks_are_listed_with_their_card_or_as_a_guessed_number() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Inès").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let region = app.region().await;
    let number = card["number"].as_str().unwrap().to_owned();
    let unknown = CardNumber::generate(|| 4_242).as_str().to_owned();
    assert_ne!(unknown, number);
    for n in [&number, &unknown] {
        for i in 0..5 {
            let r = partner
                .post(
                    "/api/partner/cards/inspect",
                    &json!({"card_number": n, "birth_date": "2001-01-01"}),
                )
                .await;
            let want = if i < 4 {
                "carte_ou_date_incorrecte"
            } else {
                "carte_bloquee"
            };
            assert_eq!(r.code(), want, "{}", r.body);
        }
    }
    let items = of_kind(&region, "carte_verrouillee").await;
    assert_eq!(items.len(), 2, "{items:?}");
    let real = items.iter().find(|a| a["card_id"] == card["id"]).unwrap();
    assert!(real["summary"].as_str().unwrap().contains(&number[12..]));
    assert!(
        real["outcome"]
            .as_str()
            .unwrap()
            .starts_with("Saisie du numéro bloquée")
    );
    let guessed = items.iter().find(|a| a["card_id"].is_null()).unwrap();
    assert!(
        guessed["summary"]
            .as_str()
            .unwrap()
            .starts_with("Numéro sans carte")
    );
    assert!(
        !guessed.to_string().contains(&unknown),
        "no number for a guess"
    );
    // After the lock: shown as lifted, still listed (each lock is kept).
    app.advance(Duration::minutes(16));
    let items = of_kind(&region, "carte_verrouillee").await;
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|a| a["outcome"].as_str().unwrap().starts_with("Verrou levé"))
    );
    let id = real["id"].as_str().unwrap();
    assert_eq!(handle(&region, id, "Titulaire rappelé").await.status, 200);
}

#[tokio::test]
async fn locked_accounts_are_known_from_memory_only() {
    let app = TestApp::init()
        .flags(&["--max-lookup-failures", "3"])
        .build()
        .await;
    let zoe = app.register("zoe@example.org", PASSWORD, "Zoé").await;
    let zoe_id = me(&zoe).await["account_id"].clone();
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let partner_account = me(&partner).await["account_id"].clone();
    let region = app.region().await;
    assert!(of_kind(&region, "compte_verrouille").await.is_empty());
    // Two wrong passwords: not yet locked.
    for _ in 0..2 {
        let r = app
            .post(
                "/api/auth/login",
                &json!({"email": "Zoe@Example.org", "password": "faux"}),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    assert!(of_kind(&region, "compte_verrouille").await.is_empty());
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "zoe@example.org", "password": "faux"}),
        )
        .await;
    assert_eq!(r.status, 401);
    // The partner's card look-ups fail three times.
    for _ in 0..3 {
        let r = partner
            .post(
                "/api/partner/cards/inspect",
                &json!({"card_number": CardNumber::generate(|| 7).as_str(), "birth_date": "2001-01-01"}),
            )
            .await;
        assert_eq!(r.code(), "carte_ou_date_incorrecte", "{}", r.body);
    }
    let items = of_kind(&region, "compte_verrouille").await;
    assert_eq!(items.len(), 2, "{items:?}");
    let z = items.iter().find(|a| a["account_id"] == zoe_id).unwrap();
    assert!(z["summary"].as_str().unwrap().contains("Zoé"));
    assert!(
        !z.to_string().contains("zoe@example.org"),
        "no e-mail on the desk item"
    );
    assert!(z["outcome"].as_str().unwrap().contains("redémarrage"));
    let p = items
        .iter()
        .find(|a| a["account_id"] == partner_account)
        .unwrap();
    assert!(
        p["summary"]
            .as_str()
            .unwrap()
            .contains("recherches de cartes")
    );
    // Handled while in memory; the handling itself is stored.
    let id = z["id"].as_str().unwrap().to_owned();
    assert_eq!(
        handle(&region, &id, "Mot de passe réinitialisé")
            .await
            .status,
        200
    );
    // The window frees it.
    app.advance(Duration::minutes(11));
    assert!(of_kind(&region, "compte_verrouille").await.is_empty());
    // A restart forgets the budgets.
    for _ in 0..3 {
        app.post(
            "/api/auth/login",
            &json!({"email": "zoe@example.org", "password": "faux"}),
        )
        .await;
    }
    assert_eq!(of_kind(&region, "compte_verrouille").await.len(), 1);
    let after = app.restart().await.unwrap();
    let region = after.same_session(&region);
    assert!(of_kind(&region, "compte_verrouille").await.is_empty());
}

#[tokio::test]
async fn client_addresses_are_not_on_the_desk() {
    // Both budgets spent by three wrong passwords: only the account shows.
    let app = TestApp::init()
        .flags(&["--max-lookup-failures", "3", "--max-source-failures", "3"])
        .build()
        .await;
    let region = app.region().await;
    app.register("ines@example.org", PASSWORD, "Inès").await;
    for _ in 0..3 {
        let r = app
            .post(
                "/api/auth/login",
                &json!({"email": "ines@example.org", "password": "faux"}),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": "ines@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 429, "the address is spent too");
    let items = anomalies(&region, "").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["kind"], "compte_verrouille");
    let text = serde_json::to_string(&items).unwrap();
    assert!(!text.contains("127.0.0.1") && !text.contains("ines@example.org"));
}

#[tokio::test]
async fn the_refund_rate_needs_volume_and_a_share_above_20_percent_over_30_days() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Lou").await;
    let a = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let b = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let region = app.region().await;
    let kind = "taux_remboursement_inhabituel";
    // A: 10 debits of 1 €, 2 refunded: exactly 20 %, not above.
    let mut txs = Vec::new();
    for _ in 0..REFUND_RATE_MIN_DEBITS {
        txs.push(debit(&a, &card, "1.00").await);
    }
    refund(&a, &txs[0]).await;
    refund(&a, &txs[1]).await;
    assert!(
        of_kind(&region, kind).await.is_empty(),
        "20 % is the threshold, not above it"
    );
    // B: 9 debits all refunded: below the volume, says nothing.
    for _ in 0..REFUND_RATE_MIN_DEBITS - 1 {
        let t = debit(&b, &card, "0.50").await;
        refund(&b, &t).await;
    }
    assert!(
        of_kind(&region, kind).await.is_empty(),
        "below the minimum volume"
    );
    // A third refund at A: 30 %.
    refund(&a, &txs[2]).await;
    let items = of_kind(&region, kind).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let a_id = me(&a).await["partner_id"].clone();
    assert_eq!(items[0]["partner_id"], a_id);
    assert_eq!(items[0]["amount"], "3.00");
    assert!(items[0]["summary"].as_str().unwrap().contains("30 %"));
    // Handled; it stays handled while nothing new happens…
    let id = items[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(handle(&region, &id, "Partenaire appelé").await.status, 200);
    assert!(!of_kind(&region, kind).await[0]["handled"].is_null());
    // …and a new refund while the rate is high is a new item.
    refund(&a, &txs[3]).await;
    let items = of_kind(&region, kind).await;
    assert_eq!(items.len(), 1);
    assert_ne!(items[0]["id"], json!(id));
    assert!(items[0]["handled"].is_null());
    // Beyond the window, the debits and refunds no longer count.
    app.advance(Duration::days(REFUND_RATE_WINDOW_DAYS) + Duration::minutes(1));
    let region = app.region().await;
    assert!(of_kind(&region, kind).await.is_empty());
}

#[tokio::test]
async fn debits_from_23_to_5_paris_time_are_grouped_by_partner_and_night() {
    // 21:30 UTC on a November evening is 22:30 in Paris (winter time).
    let app = TestApp::init()
        .at("2026-11-20T21:30:00Z")
        .flags(&["--session-hours", "100"])
        .build()
        .await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Jade").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Le Noctambule")
        .await;
    let region = app.region().await;
    let kind = "horaire_inhabituel";
    debit(&partner, &card, "1.00").await; // 22:30 Paris: not odd
    assert!(
        of_kind(&region, kind).await.is_empty(),
        "22:30 is not night"
    );
    app.set_time("2026-11-20T22:00:00Z"); // 23:00 Paris
    debit(&partner, &card, "1.00").await;
    app.set_time("2026-11-21T03:59:00Z"); // 04:59 Paris, the same night
    debit(&partner, &card, "2.00").await;
    app.set_time("2026-11-21T04:00:00Z"); // 05:00 Paris: day again
    debit(&partner, &card, "1.00").await;
    let items = of_kind(&region, kind).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let pid = me(&partner).await["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        items[0]["id"],
        json!(format!("horaire_inhabituel:{pid}:2026-11-20"))
    );
    assert_eq!(items[0]["amount"], "3.00", "the 23:00 and 04:59 debits");
    assert!(items[0]["summary"].as_str().unwrap().contains("2 débits"));
    assert_eq!(items[0]["partner_name"], "Le Noctambule");
    // (Summer time is the core rule's, attacked in `core::anomaly`.)
    app.advance(Duration::days(31));
    let region = app.region().await;
    assert!(of_kind(&region, kind).await.is_empty(), "beyond 30 days");
}
