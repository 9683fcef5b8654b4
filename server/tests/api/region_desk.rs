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

async fn anomalies(region: &Client, query: &str) -> Vec<Value> {
    let r = region.get(&format!("/api/region/anomalies{query}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

async fn of_kind(region: &Client, kind: &str) -> Vec<Value> {
    anomalies(region, &format!("?kind={kind}")).await
}

async fn me(c: &Client) -> Value {
    let r = c.get("/api/me").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn handle(region: &Client, id: &str, note: &str) -> crate::common::Resp {
    region
        .post(
            &format!("/api/region/anomalies/{}/handled", urlencode(id)),
            &json!({ "note": note }),
        )
        .await
}

/// Percent-encodes a query or path value (everything but unreserved ASCII).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn debit(partner: &Client, card: &Value, price: &str) -> Value {
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": price}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn refund(partner: &Client, tx: &Value) {
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
    let db = app.state.db.clone();
    let refused = tokio::task::spawn_blocking(move || {
        db.write(|c| Ok(c.execute("UPDATE anomaly_handlings SET note = 'x'", [])?))
    })
    .await
    .unwrap();
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

/// Youths with cards straight into the database (the look-up's bounds need
/// many), named `first last`.
async fn seed_cards(app: &TestApp, names: &[(&str, &str)]) -> Vec<(String, String)> {
    let names: Vec<(String, String)> = names
        .iter()
        .map(|(f, l)| ((*f).to_owned(), (*l).to_owned()))
        .collect();
    let db = app.state.db.clone();
    let now = passregion_server::platform::sql::ts(app.now());
    tokio::task::spawn_blocking(move || {
        db.write(move |c| {
            let mut out = Vec::new();
            for (first, last) in &names {
                let (account, order, card) = (
                    uuid::Uuid::now_v7().to_string(),
                    uuid::Uuid::now_v7().to_string(),
                    uuid::Uuid::now_v7().to_string(),
                );
                let seed = uuid::Uuid::new_v4().as_u128() as u64;
                let number = CardNumber::generate(|| seed).as_str().to_owned();
                c.execute(
                    "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at, email_verified_at)
                     VALUES (?1, ?2, 'x', 'youth', ?3, ?4, ?4)",
                    rusqlite::params![account, format!("seed-{account}@example.org"), first, now],
                )?;
                c.execute(
                    "INSERT INTO orders (id, account_id, season, establishment_id, public, disabled, first_name,
                     last_name, birth_date, address, postal_code, city, status, created_at)
                     VALUES (?1, ?2, 2026, 'etab-ampere', 'lyceen', 0, ?3, ?4, '2010-03-14', '1 rue', '69001', 'Lyon', 'validee', ?5)",
                    rusqlite::params![order, account, first, last, now],
                )?;
                c.execute(
                    "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status, public,
                     disabled, first_name, last_name, birth_date, created_at)
                     VALUES (?1, ?2, ?3, ?4, 'etab-ampere', 2026, 'active', 'lyceen', 0, ?5, ?6, '2010-03-14', ?7)",
                    rusqlite::params![card, number, account, order, first, last, now],
                )?;
                out.push((card, number));
            }
            Ok(out)
        })
    })
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn the_look_up_is_for_the_region_only_and_every_look_up_is_audited() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, card) = app.youth_with_card(&etab, "Léa").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    debit(&partner, &card, "2.50").await;
    let region = app.region().await;
    let number = card["number"].as_str().unwrap().to_owned();
    // Other roles: refused, and nothing is audited.
    for c in [&youth, &partner, &etab] {
        let r = c.get(&format!("/api/region/lookup?q={number}")).await;
        assert_eq!(r.status, 403);
        assert_eq!(c.get("/api/region/lookup-audit").await.status, 403);
    }
    let audit = region.get("/api/region/lookup-audit").await;
    assert_eq!(audit.body["items"], json!([]));
    // By number (grouped by 4 as printed): the card, holder, balances, ledger.
    let grouped = format!(
        "{} {} {} {}",
        &number[..4],
        &number[4..8],
        &number[8..12],
        &number[12..]
    );
    let r = region
        .get(&format!("/api/region/lookup?q={}", urlencode(&grouped)))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["kind"], "numero_carte");
    let found = &r.body["cards"][0];
    assert_eq!(found["card_id"], card["id"]);
    assert_eq!(found["first_name"], "Léa");
    assert_eq!(found["birth_date"], "2010-03-14");
    assert!(
        found["email"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with("léa-")
    );
    assert_eq!(found["establishment_name"], "Lycée Ampère");
    let lecture = found["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["avantage"] == "lecture_loisir")
        .unwrap();
    assert_eq!(lecture["remaining"], "12.50");
    let ledger = found["ledger"].as_array().unwrap();
    assert_eq!(ledger[0]["movement"], "debit", "newest first");
    assert_eq!(ledger[0]["units"], "2.50");
    assert_eq!(ledger[0]["balance_after"], "12.50");
    assert_eq!(ledger[0]["partner_name"], "Librairie du Parc");
    assert_eq!(ledger[0]["channel"], "qr");
    assert!(ledger.iter().any(|l| l["movement"] == "load"));
    // By e-mail (any case) and by name; by card id (the desk's links).
    let mail = found["email"].as_str().unwrap().to_uppercase();
    let r = region
        .get(&format!("/api/region/lookup?q={}", urlencode(&mail)))
        .await;
    assert_eq!(
        (
            r.body["kind"].as_str(),
            r.body["cards"].as_array().unwrap().len()
        ),
        (Some("email"), 1)
    );
    let r = region.get("/api/region/lookup?q=l%C3%A9a").await;
    assert_eq!(r.body["kind"], "nom");
    assert_eq!(r.body["cards"][0]["card_id"], card["id"]);
    let r = region
        .get(&format!(
            "/api/region/lookup?card_id={}",
            card["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.body["cards"][0]["card_id"], card["id"]);
    // Nothing found is audited too; refused queries show nothing and are not.
    let r = region.get("/api/region/lookup?q=personne").await;
    assert_eq!(r.body["cards"], json!([]));
    assert_eq!(region.get("/api/region/lookup?q=ab").await.status, 422);
    assert_eq!(region.get("/api/region/lookup?q=1234").await.status, 422);
    assert_eq!(region.get("/api/region/lookup").await.status, 422);
    let audit = region.get("/api/region/lookup-audit").await;
    assert_eq!(audit.status, 200);
    let items = audit.body["items"].as_array().unwrap();
    let kinds: Vec<&str> = items
        .iter()
        .map(|e| e["query_kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["nom", "identifiant_carte", "nom", "email", "numero_carte"]
    );
    let region_id = me(&region).await["account_id"].clone();
    assert!(items.iter().all(|e| e["account_id"] == region_id));
    assert!(
        items
            .iter()
            .all(|e| e["account_name"] == "Agent de la Région")
    );
    assert_eq!(items[0]["results"], 0);
    assert_eq!(items[4]["card_ids"], json!([card["id"]]));
    // No query text, number or e-mail in the audit; the same query, the
    // same keyed hash.
    let text = audit.body.to_string().to_lowercase();
    for secret in [number.as_str(), "léa", &mail.to_lowercase(), "personne"] {
        assert!(!text.contains(secret), "{secret} in the audit");
    }
    region.get("/api/region/lookup?q=personne").await;
    let again = region.get("/api/region/lookup-audit?limit=1").await;
    assert_eq!(again.body["items"][0]["query_hash"], items[0]["query_hash"]);
    assert_ne!(items[0]["query_hash"], items[2]["query_hash"]);
    // Paged, newest first.
    let older = again.body["older_cursor"].as_i64().unwrap();
    let r = region
        .get(&format!("/api/region/lookup-audit?before={older}&limit=2"))
        .await;
    assert_eq!(r.body["items"][0]["id"], items[0]["id"]);
    // Append-only.
    let db = app.state.db.clone();
    let refused = tokio::task::spawn_blocking(move || {
        db.write(|c| Ok(c.execute("DELETE FROM lookup_audit", [])?))
    })
    .await
    .unwrap();
    assert!(refused.is_err());
    // A look-up whose audit cannot be written shows nothing.
    let db = app.state.db.clone();
    tokio::task::spawn_blocking(move || {
        db.write(|c| {
            c.execute_batch(
                "CREATE TRIGGER no_audit BEFORE INSERT ON lookup_audit
                 BEGIN SELECT RAISE(ABORT, 'audit down'); END;",
            )?;
            Ok(())
        })
    })
    .await
    .unwrap()
    .unwrap();
    let r = region.get(&format!("/api/region/lookup?q={number}")).await;
    assert_eq!(r.status, 500);
    assert!(!r.body.to_string().contains("Léa"), "{}", r.body);
    assert!(!r.body.to_string().contains(&number[12..]));
}

#[tokio::test]
async fn a_name_look_up_returns_at_most_20_cards() {
    let app = TestApp::init().build().await;
    app.establishment("etab-ampere", "Lycée Ampère").await;
    let names: Vec<(String, String)> = (0..21)
        .map(|i| (format!("Camille{i:02}"), "Dupont".to_owned()))
        .collect();
    let refs: Vec<(&str, &str)> = names
        .iter()
        .map(|(f, l)| (f.as_str(), l.as_str()))
        .collect();
    seed_cards(&app, &refs[..20]).await;
    let region = app.region().await;
    let r = region.get("/api/region/lookup?q=dupont").await;
    assert_eq!(r.body["cards"].as_array().unwrap().len(), 20);
    assert_eq!(r.body["truncated"], false, "exactly 20");
    seed_cards(&app, &refs[20..]).await;
    let r = region.get("/api/region/lookup?q=dupont").await;
    assert_eq!(r.body["cards"].as_array().unwrap().len(), 20);
    assert_eq!(r.body["truncated"], true);
    // At most 200 ledger movements per card, newest first.
    let (card_id, _) = seed_cards(&app, &[("Basile", "Ledger")]).await.remove(0);
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let p = me(&partner).await;
    let (db, pid, acc) = (
        app.state.db.clone(),
        p["partner_id"].as_str().unwrap().to_owned(),
        p["account_id"].as_str().unwrap().to_owned(),
    );
    let now = passregion_server::platform::sql::ts(app.now());
    let cid = card_id.clone();
    tokio::task::spawn_blocking(move || {
        db.write(move |c| {
            c.execute(
                "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
                 loaded_total, debited_total, refunded_total, created_at)
                 VALUES (?1, 2026, 'lecture_loisir', 'credit', 'load', 100000, NULL, 100000, 0, 0, ?2)",
                rusqlite::params![cid, now],
            )?;
            for i in 1..=LEDGER_ROWS {
                let tx = uuid::Uuid::now_v7().to_string();
                c.execute(
                    "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
                     unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
                     VALUES (?1, 'debit', ?2, ?3, ?4, 2026, 'lecture_loisir', 'credit', 1, 1, 0, 1, 'web', ?5)",
                    rusqlite::params![tx, cid, pid, acc, now],
                )?;
                c.execute(
                    "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
                     loaded_total, debited_total, refunded_total, created_at)
                     VALUES (?1, 2026, 'lecture_loisir', 'credit', 'debit', 1, ?2, 100000, ?3, 0, ?4)",
                    rusqlite::params![cid, tx, i, now],
                )?;
            }
            Ok(())
        })
    })
    .await
    .unwrap()
    .unwrap();
    const LEDGER_ROWS: i64 = 200;
    let r = region
        .get(&format!("/api/region/lookup?card_id={card_id}"))
        .await;
    let ledger = r.body["cards"][0]["ledger"].as_array().unwrap();
    assert_eq!(ledger.len(), 200);
    assert_eq!(
        r.body["cards"][0]["ledger_truncated"], true,
        "201 movements"
    );
    assert_eq!(ledger[0]["balance_after"], "998.00", "the newest first");
    // A LIKE wildcard is a character, not a pattern.
    let r = region.get("/api/region/lookup?q=%25%25%25").await;
    assert_eq!(r.body["cards"], json!([]));
    let audit = region.get("/api/region/lookup-audit").await;
    assert_eq!(audit.body["items"][2]["results"], 20);
}

#[tokio::test]
async fn the_feed_pages_past_50_pages_of_100_and_polls_what_is_new() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Tom").await;
    let partner = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let p = me(&partner).await;
    // 5 050 rows through the storage layer (one write job).
    const SEEDED: usize = 5_050;
    let (db, card_id) = (
        app.state.db.clone(),
        card["id"].as_str().unwrap().to_owned(),
    );
    let (partner_id, account) = (
        p["partner_id"].as_str().unwrap().to_owned(),
        p["account_id"].as_str().unwrap().to_owned(),
    );
    let now = passregion_server::platform::sql::ts(app.now());
    tokio::task::spawn_blocking(move || {
        db.write(move |c| {
            let mut stmt = c.prepare(
                "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
                 unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
                 VALUES (?1, 'debit', ?2, ?3, ?4, 2026, 'lecture_loisir', 'credit', 1, 1, 0, 1, 'web', ?5)",
            )?;
            for _ in 0..SEEDED {
                stmt.execute(rusqlite::params![
                    uuid::Uuid::now_v7().to_string(),
                    card_id,
                    partner_id,
                    account,
                    now
                ])?;
            }
            Ok(())
        })
    })
    .await
    .unwrap()
    .unwrap();
    let region = app.region().await;
    // Newest first, 100 a page, down to the first row.
    let first = region.get("/api/region/feed?limit=100").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let newest = first.body["newest_cursor"].as_i64().unwrap();
    let mut seqs: Vec<i64> = Vec::new();
    let mut page = first.body;
    let mut pages = 1;
    loop {
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 100);
        seqs.extend(items.iter().map(|t| t["seq"].as_i64().unwrap()));
        let Some(older) = page["older_cursor"].as_i64() else {
            break;
        };
        let r = region
            .get(&format!("/api/region/feed?before={older}&limit=100"))
            .await;
        assert_eq!(r.status, 200);
        page = r.body;
        pages += 1;
    }
    assert_eq!(seqs.len(), SEEDED);
    assert!(pages > 50, "{pages} pages");
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeat"
    );
    assert_eq!(seqs[0], newest);
    // Nothing new yet.
    let r = region
        .get(&format!("/api/region/feed?after={newest}"))
        .await;
    assert_eq!(r.body["items"], json!([]));
    assert_eq!(r.body["newest_cursor"], newest);
    assert_eq!(r.body["more_newer"], false);
    // A real debit appears in the poll, with its channel and label.
    let t = debit(&partner, &card, "1.50").await;
    let r = region
        .get(&format!("/api/region/feed?after={newest}"))
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], t["id"]);
    assert_eq!(items[0]["channel"], "qr");
    assert_eq!(r.body["newest_cursor"], items[0]["seq"]);
    // A burst larger than a page: the oldest first, and `more_newer`.
    for _ in 0..3 {
        debit(&partner, &card, "0.10").await;
    }
    let newest = r.body["newest_cursor"].as_i64().unwrap();
    let r = region
        .get(&format!("/api/region/feed?after={newest}&limit=2"))
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["more_newer"], true);
    let next = r.body["newest_cursor"].as_i64().unwrap();
    assert_eq!(next, newest + 2);
    let r = region
        .get(&format!("/api/region/feed?after={next}&limit=2"))
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["more_newer"], false);
    // One way at a time; the Region only.
    assert_eq!(
        region.get("/api/region/feed?before=5&after=2").await.status,
        422
    );
    assert_eq!(partner.get("/api/region/feed").await.status, 403);
}
