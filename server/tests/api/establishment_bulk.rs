//! The établissement's bulk actions (issue 14): orders decided and cards
//! revalidated for a whole selection, bounded, one result per item with its
//! French reason, nothing of another établissement, idempotent and applied
//! chunk by chunk.

use chrono::Duration;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::establishment_desk::{SPRING, card, card_born, pending_order, revalidate};

#[tokio::test]
async fn cards_are_revalidated_in_bulk_each_with_its_result() {
    let app = TestApp::init().at(SPRING).build().await;
    let head = app.establishment("etab-ampere", "Lycée Ampère").await;
    let other = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let (_, a) = app.youth_with_card(&head, "Zoé").await;
    let (_, b) = app.youth_with_card(&head, "Inès").await;
    // 25 today, 26 on 1 June 2027: too old for the next season.
    let old = card_born(&app, &head, "Hugo", "2001-06-01").await;
    let (_, theirs) = app
        .youth_with_card_at(&other, "Yanis", "etab-champollion")
        .await;
    let ids: Vec<String> = [
        a["id"].as_str().unwrap(),
        &old,
        theirs["id"].as_str().unwrap(),
        "no-such-card",
        b["id"].as_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();

    let r = revalidate(&head, "season-1", &ids).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["done"].as_u64(), r.body["refused"].as_u64()),
        (Some(2), Some(3))
    );
    let items = r.body["items"].as_array().unwrap();
    let got: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        ids.iter()
            .map(String::as_str)
            .zip(["done", "refused", "refused", "refused", "done"])
            .collect::<Vec<_>>()
    );
    assert_eq!(items[0]["season"], "2027-2028");
    assert_eq!(items[0]["name"], "Zoé Testeur");
    assert_eq!(items[1]["code"], "age_depasse");
    assert_eq!(items[1]["name"], "Hugo Testeur");
    let why = items[1]["message"].as_str().unwrap();
    assert!(why.contains("26 ans au 1er juin 2027"), "{why}");
    assert!(why.contains("25 ans") && why.contains("Lycéen"), "{why}");
    // Another établissement's card is answered as an unknown one: no name.
    for i in [&items[2], &items[3]] {
        assert_eq!(i["code"], "introuvable");
        assert_eq!(i["name"], "");
        assert_eq!(i["message"], "Carte introuvable.");
    }
    let cards = head.get("/api/establishment/cards").await.body;
    assert_eq!(
        card(&cards, a["id"].as_str().unwrap())["season"],
        "2027-2028"
    );
    assert_eq!(card(&cards, &old)["season"], "2026-2027");
    let cards = other.get("/api/establishment/cards").await.body;
    assert_eq!(
        card(&cards, theirs["id"].as_str().unwrap())["season"],
        "2026-2027"
    );

    // Already revalidated: said so (a new key, a new call).
    let r = revalidate(&head, "season-2", &ids[..1]).await;
    assert_eq!(r.body["items"][0]["code"], "deja_revalidee");
    assert_eq!(
        r.body["items"][0]["message"],
        "Carte déjà valable pour la saison 2027-2028."
    );
    // The revalidation is in the card's history, with who did it.
    let h = head
        .get(&format!(
            "/api/establishment/cards/{}/history",
            a["id"].as_str().unwrap()
        ))
        .await
        .body;
    assert_eq!(h.as_array().unwrap().len(), 1);
    assert_eq!(h[0]["kind"], "revalidation");
    assert_eq!(h[0]["season"], "2027-2028");
    assert_eq!(h[0]["by"], "Secrétariat — Lycée Ampère");

    // Outside spring, a card of the season is refused with the date it opens.
    let app = TestApp::init().build().await;
    let head = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, a) = app.youth_with_card(&head, "Zoé").await;
    let r = revalidate(&head, "k", &[a["id"].as_str().unwrap().to_owned()]).await;
    let why = r.body["items"][0]["message"].as_str().unwrap();
    assert!(why.contains("ouvre le 1er avril"), "{why}");
}

#[tokio::test]
async fn orders_are_decided_in_bulk_each_with_its_result() {
    let app = TestApp::init().build().await;
    let head = app.establishment("etab-ampere", "Lycée Ampère").await;
    let other = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let mut ids = Vec::new();
    for name in ["Zoé", "Inès", "Hugo"] {
        ids.push(pending_order(&app, name, "2010-03-14", "etab-ampere").await);
    }
    let decided = pending_order(&app, "Léo", "2010-03-14", "etab-ampere").await;
    let r = head
        .post(
            &format!("/api/establishment/orders/{decided}/decision"),
            &json!({"validate": false, "reason": "Doublon"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let theirs = pending_order(&app, "Yanis", "2010-03-14", "etab-champollion").await;

    // Refusing needs one reason.
    let body = json!({"order_ids": [ids[0]], "validate": false});
    let r = head
        .post_idem("/api/establishment/orders/decisions", "r0", &body)
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("reason")));
    let body = json!({"order_ids": [ids[0], ids[1], decided, theirs], "validate": true});
    let r = head
        .post_idem("/api/establishment/orders/decisions", "v1", &body)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let codes: Vec<Value> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].clone())
        .collect();
    assert_eq!(
        codes,
        [
            json!(null),
            json!(null),
            json!("commande_deja_traitee"),
            json!("introuvable")
        ]
    );
    assert_eq!(r.body["items"][3]["name"], "");
    let cards = head.get("/api/establishment/cards").await.body;
    assert_eq!(cards.as_array().unwrap().len(), 2);
    let pending = other
        .get("/api/establishment/orders?status=en_attente")
        .await
        .body;
    assert_eq!(pending[0]["id"], theirs.as_str());

    let body =
        json!({"order_ids": [ids[2]], "validate": false, "reason": "Inscription non confirmée"});
    let r = head
        .post_idem("/api/establishment/orders/decisions", "r1", &body)
        .await;
    assert_eq!(r.body["done"], 1);
    let refused = head
        .get("/api/establishment/orders?status=refusee")
        .await
        .body;
    let reasons: Vec<&str> = refused
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(reasons.contains(&"Inscription non confirmée"));
}

#[tokio::test]
async fn a_bulk_call_carries_at_most_1000_ids_each_once() {
    let app = TestApp::init().at(SPRING).build().await;
    let head = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, a) = app.youth_with_card(&head, "Zoé").await;
    let mut ids: Vec<String> = (1..1001).map(|i| format!("inconnue-{i}")).collect();
    ids[500] = a["id"].as_str().unwrap().to_owned();

    // 1001: refused before anything is read or written.
    let mut over = ids.clone();
    over.push("inconnue-1001".into());
    let r = revalidate(&head, "over", &over).await;
    assert_eq!((r.status, r.code()), (422, "trop_d_elements"));
    let body = json!({"order_ids": over, "validate": true});
    let r = head
        .post_idem("/api/establishment/orders/decisions", "over-orders", &body)
        .await;
    assert_eq!((r.status, r.code()), (422, "trop_d_elements"));
    let cards = head.get("/api/establishment/cards").await.body;
    assert_eq!(cards[0]["season"], "2026-2027");

    // Each once, at least one, a key.
    let r = revalidate(&head, "dup", &[ids[500].clone(), ids[500].clone()]).await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (422, Some("card_ids"))
    );
    let r = revalidate(&head, "none", &[]).await;
    assert_eq!(r.status, 422);
    let r = head
        .post(
            "/api/establishment/cards/revalidate",
            &json!({"card_ids": [ids[500]]}),
        )
        .await;
    assert_eq!(r.code(), "cle_idempotence_manquante");
    // Only établissements.
    let youth = app.youth("Curieux").await;
    let r = revalidate(&youth, "y", &ids[..1]).await;
    assert_eq!(r.status, 403);

    // 1000: accepted, applied 100 per writer job (on SQLite).
    let jobs = app
        .engine_is_sqlite(
            "a_bulk_call_carries_at_most_1000_ids_each_once: its writer jobs",
            "the single writer's job count",
        )
        .then(|| app.db().write_jobs());
    let r = revalidate(&head, "full", &ids).await;
    assert_eq!(r.status, 200, "{}", r.body);
    if let Some(jobs) = jobs {
        assert_eq!(app.db().write_jobs() - jobs, 10);
    }
    assert_eq!(
        (r.body["done"].as_u64(), r.body["refused"].as_u64()),
        (Some(1), Some(999))
    );
    assert_eq!(r.body["items"][500]["status"], "done");
}

#[tokio::test]
async fn a_retried_bulk_call_answers_the_same_and_does_nothing_twice() {
    let app = TestApp::init().at(SPRING).build().await;
    let head = app.establishment("etab-ampere", "Lycée Ampère").await;
    let mut ids = Vec::new();
    for i in 0..130 {
        let (_, c) = app.youth_with_card(&head, &format!("Jeune{i:03}")).await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let events = async |app: &TestApp| {
        app.sql_count("SELECT COUNT(*) FROM card_status_events WHERE kind = 'revalidation'")
            .await
    };
    // The second chunk fails once (storage): the first stays applied.
    let failing = &ids[120];
    app.exec_script(
        &format!(
            "CREATE TRIGGER fail_once BEFORE UPDATE ON cards WHEN NEW.id = '{failing}'
             BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
        ),
        &format!(
            "CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
             CREATE TRIGGER fail_once BEFORE UPDATE ON cards FOR EACH ROW
             WHEN (NEW.id = '{failing}') EXECUTE FUNCTION fail_once();"
        ),
    )
    .await
    .unwrap();
    let r = revalidate(&head, "new-season", &ids).await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(events(&app).await, 100);
    app.exec_script("DROP TRIGGER fail_once", "DROP TRIGGER fail_once ON cards")
        .await
        .unwrap();

    // The retry: the first chunk replayed, the second applied.
    let first = revalidate(&head, "new-season", &ids).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["done"], 130);
    assert_eq!(events(&app).await, 130);
    // Once more: the same answer, nothing done again.
    app.advance(Duration::minutes(5));
    let again = revalidate(&head, "new-season", &ids).await;
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(events(&app).await, 130);
    // The same key for another request is refused.
    let r = revalidate(&head, "new-season", &ids[..10]).await;
    assert_eq!((r.status, r.code()), (422, "cle_idempotence_reutilisee"));
    // Another key is another call: each card says it is already revalidated.
    let r = revalidate(&head, "new-season-2", &ids[..10]).await;
    assert_eq!(r.body["refused"], 10);
    assert_eq!(events(&app).await, 130);
}
