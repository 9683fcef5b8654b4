//! The Region's statistics (issue 15, ADR 0033): activity made through the
//! API (two départements, three publics, four partners of three categories,
//! online, entries and offline debits, a refund, an overspend flag, bons
//! plans), then every transaction figure recomputed here from the paged
//! feed and compared with `/api/region/stats`, for the region and for one
//! département; the CSV carries the same numbers; youths and partners get 403.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use passregion_core::{PartnerCategory, SignedMoney};
use serde_json::{Value, json};

use crate::common::{Client, TestApp, order_body};
use crate::offline_push::{Device, credential, push};
use crate::region_desk::{debit, me, refund};

/// A youth of `public`/`track` who orders at `etab_id`; validated by `etab`
/// when `validate`, activated when `activate`. Returns the youth and the
/// card JSON (with `qr` and `birth_date`) when activated.
async fn youth(
    app: &TestApp,
    etab: &Client,
    etab_id: &str,
    name: &str,
    public: &str,
    track: Option<&str>,
    (validate, activate): (bool, bool),
) -> (Client, Value) {
    let youth = app.youth(name).await;
    let mut order = order_body(name, "2008-03-14");
    order["establishment_id"] = json!(etab_id);
    order["public"] = json!(public);
    order["track"] = json!(track);
    let r = youth.post("/api/youth/orders", &order).await;
    assert_eq!(r.status, 201, "{}", r.body);
    if !validate {
        return (youth, Value::Null);
    }
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = etab
        .post(
            &format!("/api/establishment/orders/{id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    if !activate {
        return (youth, Value::Null);
    }
    let r = youth.post("/api/youth/card/activate", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut card = r.body;
    card["qr"] = youth.get("/api/youth/card/qr").await.body["text"].clone();
    card["birth_date"] = json!("2008-03-14");
    (youth, card)
}

/// Every transaction of the feed, paged back with its cursor (3 a page).
async fn feed(region: &Client) -> Vec<Value> {
    let (mut all, mut before) = (Vec::new(), None::<i64>);
    loop {
        let q = before.map(|b| format!("&before={b}")).unwrap_or_default();
        let r = region.get(&format!("/api/region/feed?limit=3{q}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        all.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["older_cursor"].as_i64() {
            Some(c) => before = Some(c),
            None => return all,
        }
    }
}

fn cents(v: &Value) -> i64 {
    SignedMoney::parse(v.as_str().unwrap()).unwrap().cents()
}

/// What the stats must say about transactions, from the feed alone.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    /// avantage → (debits, refunds, net cents)
    by_avantage: BTreeMap<String, (i64, i64, i64)>,
    by_category: BTreeMap<String, (i64, i64, i64)>,
    by_channel: BTreeMap<String, (i64, i64, i64)>,
    by_partner: BTreeMap<String, (i64, i64, i64)>,
    monthly: BTreeMap<(String, String), i64>,
    uptake: BTreeMap<String, i64>,
}

fn expected(
    items: &[Value],
    category: &HashMap<String, String>,
    cards: &BTreeSet<String>,
) -> Expected {
    let mut e = Expected::default();
    let mut used = BTreeSet::new();
    for t in items
        .iter()
        .filter(|t| cards.contains(t["card"].as_str().unwrap()))
    {
        let (kind, amount) = (t["kind"].as_str().unwrap(), cents(&t["reimbursed_amount"]));
        let av = t["avantage"].as_str().unwrap().to_owned();
        let cat = category[t["partner_id"].as_str().unwrap()].clone();
        let keys = [
            (&mut e.by_avantage, av.clone()),
            (&mut e.by_category, cat),
            (&mut e.by_channel, t["channel"].as_str().unwrap().to_owned()),
            (
                &mut e.by_partner,
                t["partner_id"].as_str().unwrap().to_owned(),
            ),
        ];
        for (map, key) in keys {
            let row = map.entry(key).or_default();
            if kind == "debit" {
                row.0 += 1;
            } else {
                row.1 += 1;
            }
            row.2 += amount;
        }
        let month = t["created_at"].as_str().unwrap()[..7].to_owned();
        *e.monthly.entry((month, av.clone())).or_default() += amount;
        if kind == "debit" {
            used.insert((t["card"].as_str().unwrap().to_owned(), av));
        }
    }
    for (_, av) in used {
        *e.uptake.entry(av).or_default() += 1;
    }
    e
}

fn spend_map(rows: &Value) -> BTreeMap<String, (i64, i64, i64)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = r["key"]
                .as_str()
                .or(r["partner_id"].as_str())
                .unwrap()
                .to_owned();
            (
                key,
                (
                    r["debits"].as_i64().unwrap(),
                    r["refunds"].as_i64().unwrap(),
                    cents(&r["net"]),
                ),
            )
        })
        .collect()
}

fn actual(s: &Value) -> Expected {
    Expected {
        by_avantage: spend_map(&s["spend_by_avantage"]),
        by_category: spend_map(&s["spend_by_category"]),
        by_channel: spend_map(&s["channels"]["by_channel"]),
        by_partner: spend_map(&s["top_partners"]),
        monthly: s["monthly_by_avantage"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    (
                        m["month"].as_str().unwrap().to_owned(),
                        m["key"].as_str().unwrap().to_owned(),
                    ),
                    cents(&m["net"]),
                )
            })
            .collect(),
        uptake: s["uptake"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["used"].as_i64().unwrap() > 0)
            .map(|u| {
                (
                    u["avantage"].as_str().unwrap().to_owned(),
                    u["used"].as_i64().unwrap(),
                )
            })
            .collect(),
    }
}

fn count(rows: &Value, key: &str) -> [i64; 4] {
    let r = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {rows}"));
    ["ordered", "validated", "cards", "active"].map(|f| r[f].as_i64().unwrap())
}

async fn stats(region: &Client, q: &str) -> Value {
    let r = region.get(&format!("/api/region/stats{q}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

#[tokio::test]
async fn the_statistics_match_the_feed_for_the_region_and_a_departement() {
    let app = TestApp::init().build().await;
    let lyon = app.establishment("etab-ampere", "Lycée Ampère").await;
    let annecy = app
        .establishment_of_kind(
            "etab-berthollet",
            "=Lycée Berthollet",
            "lycee",
            "Annecy",
            "74000",
        )
        .await;
    let (y1, c1) = youth(
        &app,
        &lyon,
        "etab-ampere",
        "Noah",
        "lyceen",
        Some("seconde"),
        (true, true),
    )
    .await;
    let (_y2, c2) = youth(
        &app,
        &lyon,
        "etab-ampere",
        "Lina",
        "lyceen",
        Some("premiere"),
        (true, true),
    )
    .await;
    let (_y3, c3) = youth(
        &app,
        &annecy,
        "etab-berthollet",
        "Emma",
        "bts",
        None,
        (true, true),
    )
    .await;
    // Ordered, not validated; validated, not activated.
    youth(
        &app,
        &annecy,
        "etab-berthollet",
        "Jade",
        "bts",
        None,
        (false, false),
    )
    .await;
    youth(
        &app,
        &lyon,
        "etab-ampere",
        "Hugo",
        "lyceen",
        Some("seconde"),
        (true, false),
    )
    .await;

    let books = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let books2 = app
        .partner(PartnerCategory::Librairie, "La Page Blanche")
        .await;
    let cinema = app.partner(PartnerCategory::Cinema, "Cinéma Le Zola").await;
    let museum = app
        .partner(PartnerCategory::Musee, "Musée des Confluences")
        .await;
    let mut category = HashMap::new();
    let mut ids = Vec::new();
    for (p, cat) in [
        (&books, "librairie"),
        (&books2, "librairie"),
        (&cinema, "cinema"),
        (&museum, "musee"),
    ] {
        let id = me(p).await["partner_id"].as_str().unwrap().to_owned();
        category.insert(id.clone(), cat.to_owned());
        ids.push(id);
    }

    // Online: books at Lyon and Annecy, one refunded; cinema entries; a museum.
    debit(&books, &c2, "4.50").await;
    let t = debit(&books, &c3, "7.00").await;
    refund(&books, &t).await;
    let r = cinema
        .debit(&json!({"qr": c3["qr"], "birth_date": c3["birth_date"], "avantage": "cinema", "entries": 2}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = museum
        .debit(&json!({"qr": c2["qr"], "birth_date": c2["birth_date"], "avantage": "spectacles", "price": "12.30"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Offline at two bookshops: 24 € on a 15 € balance, a flag of 9 €.
    let (cred, phone) = credential(&y1, 61).await;
    let (mut d1, mut d2) = (
        Device::enrol(&books, 62).await,
        Device::enrol(&books2, 63).await,
    );
    let now = app.now();
    push(
        &books,
        &[d1.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 1200, 1200, now)],
    )
    .await;
    let r = push(
        &books2,
        &[d2.debit(&cred.dynamic_qr(&phone, now, 2).unwrap(), 1200, 1200, now)],
    )
    .await;
    assert_eq!(r[0]["overspend"], true);
    // Bons plans: two validated for the first bookshop, one refused for the cinema.
    let region = app.region().await;
    for (p, title, ok) in [
        (&books, "Dédicace", true),
        (&books, "Club lecture", true),
        (&cinema, "Avant-première", false),
    ] {
        let r = p
            .post(
                "/api/partner/bons-plans",
                &json!({"title": title, "description": "Samedi."}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap();
        let body = if ok {
            json!({"validate": true})
        } else {
            json!({"validate": false, "reason": "Hors sujet."})
        };
        let r = region
            .post(&format!("/api/region/bons-plans/{id}/decision"), &body)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    let last4 = |c: &Value| {
        let digits: String = c["number"]
            .as_str()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        digits[digits.len() - 4..].to_owned()
    };
    let (l1, l2, l3) = (last4(&c1), last4(&c2), last4(&c3));
    let feed_cards = |c: &str| format!("•••• {c}");
    let all_cards: BTreeSet<String> = [&l1, &l2, &l3].into_iter().map(|c| feed_cards(c)).collect();
    assert_eq!(all_cards.len(), 3, "distinct last digits");
    let items = feed(&region).await;
    assert_eq!(items.len(), 7, "{items:?}");
    let sample = items[0]["card"].as_str().unwrap();
    assert!(all_cards.contains(sample), "the feed shows {sample}");

    // The region.
    let s = stats(&region, "").await;
    let want = expected(&items, &category, &all_cards);
    assert_eq!(actual(&s), want);
    assert_eq!(s["cards"]["ordered"], 5);
    assert_eq!(s["cards"]["validated"], 4);
    assert_eq!(s["cards"]["cards"], 4);
    assert_eq!(s["cards"]["active"], 3);
    assert_eq!(count(&s["by_public"], "lyceen"), [3, 3, 3, 2]);
    assert_eq!(count(&s["by_public"], "bts"), [2, 1, 1, 1]);
    assert_eq!(count(&s["by_track"], "seconde"), [2, 2, 2, 1]);
    assert_eq!(count(&s["by_track"], ""), [2, 1, 1, 1]);
    assert_eq!(count(&s["by_departement"], "69"), [3, 3, 3, 2]);
    assert_eq!(count(&s["by_departement"], "74"), [2, 1, 1, 1]);
    assert_eq!(
        count(&s["by_establishment"], "etab-berthollet"),
        [2, 1, 1, 1]
    );
    let lecture = s["uptake"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["avantage"] == "lecture_loisir")
        .unwrap();
    assert_eq!(
        (lecture["used"].as_i64(), lecture["cards"].as_i64()),
        (Some(3), Some(4))
    );
    assert_eq!(lecture["percent"], "75.0");
    let offline = want.by_channel["offline"].0;
    let debits: i64 = want.by_channel.values().map(|v| v.0).sum();
    assert_eq!((offline, debits), (2, 6));
    assert_eq!(s["channels"]["offline_debits"], offline);
    assert_eq!(s["channels"]["debits"], debits);
    assert_eq!(s["channels"]["offline_percent"], "33.3");
    assert_eq!(
        s["flags"],
        json!({"flags": 1, "cards": 1, "amount": "9.00"})
    );
    // Top partners: by net spend, largest first.
    let top: Vec<&str> = s["top_partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partner_id"].as_str().unwrap())
        .collect();
    assert_eq!(top[0], ids[0], "the first bookshop: 12 + 4.50 + 7 − 7");
    // Bons plans against the minimum of 2.
    assert_eq!(s["bons_plans_minimum"], 2);
    let bp: HashMap<&str, (i64, bool)> = s["bons_plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["partner_id"].as_str().unwrap(),
                (
                    b["validated"].as_i64().unwrap(),
                    b["below_minimum"].as_bool().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(bp.len(), 4, "{}", s["bons_plans"]);
    assert_eq!(bp[ids[0].as_str()], (2, false));
    assert_eq!(
        bp[ids[2].as_str()],
        (0, true),
        "a refused one does not count"
    );
    assert_eq!(stats(&region, "?season=2026-2027").await, s);
    assert_eq!(
        stats(
            &region,
            &format!("?season={}", &s["season"].as_str().unwrap()[..4])
        )
        .await,
        s
    );

    // One département: the Annecy card only.
    let d = stats(&region, "?departement=74").await;
    let only = [feed_cards(&l3)].into_iter().collect();
    let want74 = expected(&items, &category, &only);
    assert_eq!(actual(&d), want74);
    assert_eq!(
        want74.by_avantage["lecture_loisir"].1, 1,
        "the refund is in 74"
    );
    assert_eq!(d["cards"]["ordered"], 2);
    assert_eq!(d["cards"]["active"], 1);
    assert_eq!(d["by_departement"].as_array().unwrap().len(), 1);
    assert_eq!(d["flags"]["flags"], 0);
    assert_eq!(d["channels"]["offline_debits"], 0);
    let d69 = stats(&region, "?departement=69").await;
    assert_eq!(d69["flags"]["amount"], "9.00");
    assert_eq!(
        actual(&d69),
        expected(
            &items,
            &category,
            &[feed_cards(&l1), feed_cards(&l2)].into_iter().collect()
        )
    );

    // The CSV: the same numbers, a BOM, `;`, the formula-like name defused.
    let r = region.get("/api/region/stats.csv?departement=74").await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.bytes.clone()).unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM");
    assert!(text.contains("Section;Clé;Libellé;Mesure;Valeur"), "{text}");
    assert!(
        text.contains("Établissement;etab-berthollet;'=Lycée Berthollet;Commandes;2"),
        "{text}"
    );
    assert!(
        text.contains("Total;total;Total;Cartes actives;1"),
        "{text}"
    );
    assert!(
        text.contains("Dépense par avantage;cinema;Cinéma;Montant net (€);13,00"),
        "{text}"
    );
    assert!(
        text.contains("Dépense par avantage;lecture_loisir;Lecture loisir;Remboursements;1"),
        "{text}"
    );
    assert!(!text.contains(";=Lycée"), "{text}");

    // Bad filters are refused; youths and partners are not the Region.
    assert_eq!(
        region
            .get("/api/region/stats?season=2026-2028")
            .await
            .status,
        422
    );
    assert_eq!(
        region
            .get("/api/region/stats?departement=6%3B9")
            .await
            .status,
        422
    );
    for c in [&y1, &books] {
        assert_eq!(c.get("/api/region/stats").await.status, 403);
        assert_eq!(c.get("/api/region/stats.csv").await.status, 403);
    }
    assert_eq!(app.client().get("/api/region/stats").await.status, 401);
}
