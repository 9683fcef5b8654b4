//! The support look-up (Region only, audited, bounded) and the live feed
//! (past 50 pages of 100, polling what is new).

use passregion_core::PartnerCategory;
use passregion_core::card::CardNumber;
use serde_json::json;

use super::{debit, me, urlencode};
use crate::common::TestApp;
use crate::sql_args;

/// Youths with cards straight into the database (the look-up's bounds need
/// many), named `first last`.
async fn seed_cards(app: &TestApp, names: &[(&str, &str)]) -> Vec<(String, String)> {
    let names: Vec<(String, String)> = names
        .iter()
        .map(|(f, l)| ((*f).to_owned(), (*l).to_owned()))
        .collect();
    let now = passregion_server::platform::sql::ts(app.now());
    let mut out = Vec::new();
    let mut statements = Vec::new();
    for (first, last) in &names {
        let (account, order, card) = (
            uuid::Uuid::now_v7().to_string(),
            uuid::Uuid::now_v7().to_string(),
            uuid::Uuid::now_v7().to_string(),
        );
        let seed = uuid::Uuid::new_v4().as_u128() as u64;
        let number = CardNumber::generate(|| seed).as_str().to_owned();
        statements.push((
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at, email_verified_at)
             VALUES (?1, ?2, 'x', 'youth', ?3, ?4, ?4)".to_owned(),
            sql_args![&account, format!("seed-{account}@example.org"), first, &now],
        ));
        statements.push((
            "INSERT INTO orders (id, account_id, season, establishment_id, public, disabled, first_name,
             last_name, birth_date, address, postal_code, city, status, created_at)
             VALUES (?1, ?2, 2026, 'etab-ampere', 'lyceen', FALSE, ?3, ?4, '2010-03-14', '1 rue', '69001', 'Lyon', 'validee', ?5)".to_owned(),
            sql_args![&order, &account, first, last, &now],
        ));
        statements.push((
            "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status, public,
             disabled, first_name, last_name, birth_date, created_at)
             VALUES (?1, ?2, ?3, ?4, 'etab-ampere', 2026, 'active', 'lyceen', FALSE, ?5, ?6, '2010-03-14', ?7)".to_owned(),
            sql_args![&card, &number, &account, &order, first, last, &now],
        ));
        out.push((card, number));
    }
    app.exec_sql_all(statements).await.unwrap();
    out
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
    let refused = app.exec_sql("DELETE FROM lookup_audit", vec![]).await;
    assert!(refused.is_err());
    // A look-up whose audit cannot be written shows nothing.
    app.exec_script(
        "CREATE TRIGGER no_audit BEFORE INSERT ON lookup_audit
         BEGIN SELECT RAISE(ABORT, 'audit down'); END;",
        "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'audit down'; END $$;
         CREATE TRIGGER no_audit BEFORE INSERT ON lookup_audit
         FOR EACH ROW EXECUTE FUNCTION no_audit();",
    )
    .await
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
    let (pid, acc) = (
        p["partner_id"].as_str().unwrap().to_owned(),
        p["account_id"].as_str().unwrap().to_owned(),
    );
    let now = passregion_server::platform::sql::ts(app.now());
    let mut statements = vec![(
        "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
         loaded_total, debited_total, refunded_total, created_at)
         VALUES (?1, 2026, 'lecture_loisir', 'credit', 'load', 100000, NULL, 100000, 0, 0, ?2)"
            .to_owned(),
        sql_args![&card_id, &now],
    )];
    for i in 1..=LEDGER_ROWS {
        let tx = uuid::Uuid::now_v7().to_string();
        statements.push((
            "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
             unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
             VALUES (?1, 'debit', ?2, ?3, ?4, 2026, 'lecture_loisir', 'credit', 1, 1, 0, 1, 'web', ?5)"
                .to_owned(),
            sql_args![&tx, &card_id, &pid, &acc, &now],
        ));
        statements.push((
            "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
             loaded_total, debited_total, refunded_total, created_at)
             VALUES (?1, 2026, 'lecture_loisir', 'credit', 'debit', 1, ?2, 100000, ?3, 0, ?4)"
                .to_owned(),
            sql_args![&card_id, &tx, i, &now],
        ));
    }
    app.exec_sql_all(statements).await.unwrap();
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
    let card_id = card["id"].as_str().unwrap().to_owned();
    let (partner_id, account) = (
        p["partner_id"].as_str().unwrap().to_owned(),
        p["account_id"].as_str().unwrap().to_owned(),
    );
    let now = passregion_server::platform::sql::ts(app.now());
    let statements = (0..SEEDED)
        .map(|_| {
            (
                "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
                 unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
                 VALUES (?1, 'debit', ?2, ?3, ?4, 2026, 'lecture_loisir', 'credit', 1, 1, 0, 1, 'web', ?5)"
                    .to_owned(),
                sql_args![
                    uuid::Uuid::now_v7().to_string(),
                    &card_id,
                    &partner_id,
                    &account,
                    &now
                ],
            )
        })
        .collect();
    app.exec_sql_all(statements).await.unwrap();
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
