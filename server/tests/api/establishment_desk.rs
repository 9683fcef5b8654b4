//! The établissement's desk (issue 14): the head invites colleagues who see
//! only their établissement; the filters of the lists; the card's history;
//! the migration; the demo's class. The bulk actions are in
//! `establishment_bulk.rs`.

use chrono::Duration;
use serde_json::{Value, json};

use crate::common::{Client, TestApp, order_body};

/// A spring morning (revalidation for the 2027-2028 season is open).
pub(crate) const SPRING: &str = "2027-04-15T08:00:00Z";

/// The token of the last invitation link mailed to `to`.
fn invitation_token(app: &TestApp, to: &str) -> Option<String> {
    app.mails_to(to).into_iter().rev().find_map(|(_, body)| {
        let at = body.find("#/invitation?jeton=")? + "#/invitation?jeton=".len();
        Some(
            body[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect(),
        )
    })
}

/// A colleague invited by `head` who accepted: (client, account id).
async fn colleague(app: &TestApp, head: &Client, name: &str) -> (Client, String) {
    let email = format!("{name}-{}@example.org", uuid::Uuid::new_v4());
    let r = head
        .post(
            "/api/establishment/staff",
            &json!({"email": email, "display_name": name}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role"], "staff");
    assert_eq!(r.body["status"], "invited");
    let (subject, body) = app.mails_to(&email).pop().unwrap();
    assert!(subject.contains("Lycée Ampère"), "{subject}");
    assert!(body.contains("espace=etablissement"), "{body}");
    let token = invitation_token(app, &email).unwrap();
    let body = json!({"token": token, "password": "colleguesecret"});
    let a = app.post("/api/auth/invitation/accept", &body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // The link works once.
    let again = app.post("/api/auth/invitation/accept", &body).await;
    assert_eq!(again.code(), "invitation_invalide");
    assert_eq!(a.body["account"]["establishment_role"], "staff");
    let mut c = app.client();
    c.token = Some(a.body["token"].as_str().unwrap().to_owned());
    (c, r.body["account_id"].as_str().unwrap().to_owned())
}

/// A youth with a pending order at `etab` born on `birth`: the order id.
pub(crate) async fn pending_order(app: &TestApp, name: &str, birth: &str, etab: &str) -> String {
    let youth = app.youth(name).await;
    let mut body = order_body(name, birth);
    body["establishment_id"] = json!(etab);
    let r = youth.post("/api/youth/orders", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// A youth born on `birth` whose order `etab` validated: the card id.
pub(crate) async fn card_born(app: &TestApp, etab: &Client, name: &str, birth: &str) -> String {
    let id = pending_order(app, name, birth, "etab-ampere").await;
    let r = etab
        .post(
            &format!("/api/establishment/orders/{id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cards = etab.get("/api/establishment/cards").await.body;
    cards
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["first_name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn revalidate(c: &Client, key: &str, ids: &[String]) -> crate::common::Resp {
    c.post_idem(
        "/api/establishment/cards/revalidate",
        key,
        &json!({ "card_ids": ids }),
    )
    .await
}

pub(crate) fn card<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn the_head_invites_a_colleague_who_sees_only_its_establishment() {
    let app = TestApp::init().build().await;
    let head = app.establishment("etab-ampere", "Lycée Ampère").await;
    let other = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    let me = head.get("/api/me").await.body;
    assert_eq!(me["establishment_role"], "head");
    let (_, mine) = app.youth_with_card(&head, "Zoé").await;
    let (_, theirs) = app
        .youth_with_card_at(&other, "Yanis", "etab-champollion")
        .await;

    let (staff, staff_id) = colleague(&app, &head, "Camille").await;
    let me = staff.get("/api/me").await.body;
    assert_eq!(me["establishment_id"], "etab-ampere");
    assert_eq!(me["establishment_role"], "staff");
    // Only Lycée Ampère's cards and orders, and only its cards can be changed.
    let cards = staff.get("/api/establishment/cards").await.body;
    assert!(
        cards
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["establishment_id"] == "etab-ampere")
    );
    assert_eq!(
        card(&cards, mine["id"].as_str().unwrap())["first_name"],
        "Zoé"
    );
    let orders = staff.get("/api/establishment/orders").await.body;
    assert!(!orders.as_array().unwrap().is_empty());
    assert!(
        orders
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["establishment_id"] == "etab-ampere")
    );
    let r = staff
        .post(
            &format!(
                "/api/establishment/cards/{}/suspend",
                theirs["id"].as_str().unwrap()
            ),
            &json!({"reason": "Essai"}),
        )
        .await;
    assert_eq!(r.code(), "introuvable");
    let r = staff
        .get(&format!(
            "/api/establishment/cards/{}/history",
            theirs["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 404);

    // The staff's part is orders and cards; the team is the head's.
    for r in [
        staff.get("/api/establishment/staff").await,
        staff
            .post(
                "/api/establishment/staff",
                &json!({"email": "x@example.org", "display_name": "X"}),
            )
            .await,
        staff
            .delete(&format!(
                "/api/establishment/staff/{}",
                me["account_id"].as_str().unwrap()
            ))
            .await,
    ] {
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.code(), "reserve_au_chef_etablissement");
    }
    assert!(app.mails_to("x@example.org").is_empty());
    let r = staff
        .post(
            &format!(
                "/api/establishment/cards/{}/suspend",
                mine["id"].as_str().unwrap()
            ),
            &json!({"reason": "Carte perdue"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The head's list: itself first, then the colleague; not the other
    // établissement's head.
    let team = head.get("/api/establishment/staff").await.body;
    let roles: Vec<&str> = team
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["head", "staff"]);
    assert_eq!(team[1]["status"], "active");
    assert_eq!(team[1]["display_name"], "Camille");

    // An address with an account is not taken over; one cannot remove
    // oneself, nor another établissement's member.
    let r = head
        .post(
            "/api/establishment/staff",
            &json!({"email": team[0]["email"], "display_name": "Moi"}),
        )
        .await;
    assert_eq!(r.code(), "email_deja_utilise");
    let r = head
        .delete(&format!(
            "/api/establishment/staff/{}",
            team[0]["account_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.code(), "retrait_de_soi_impossible");
    let r = other
        .delete(&format!("/api/establishment/staff/{staff_id}"))
        .await;
    assert_eq!(r.code(), "introuvable");
    assert_eq!(staff.get("/api/me").await.status, 200);

    // Removed: cut off at once.
    let r = head
        .delete(&format!("/api/establishment/staff/{staff_id}"))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(staff.get("/api/establishment/cards").await.status, 401);
    let team = head.get("/api/establishment/staff").await.body;
    assert_eq!(team.as_array().unwrap().len(), 1);

    // A link not followed within 7 days no longer works.
    let r = head
        .post(
            "/api/establishment/staff",
            &json!({"email": "tardif@example.org", "display_name": "Tardif", "role": "head"}),
        )
        .await;
    assert_eq!((r.status, r.body["role"].as_str()), (201, Some("head")));
    let token = invitation_token(&app, "tardif@example.org").unwrap();
    app.advance(Duration::days(7) + Duration::minutes(1));
    let r = app
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "tardif-secret"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (410, "invitation_invalide"));
}

#[tokio::test]
async fn the_lists_filter_on_the_server_and_the_history_keeps_reasons() {
    let app = TestApp::init().build().await;
    let head = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, a) = app.youth_with_card(&head, "Zoé").await;
    let youth = app.youth("Inès").await;
    let mut body = order_body("Inès", "2008-02-01");
    body["track"] = json!("terminale");
    assert_eq!(youth.post("/api/youth/orders", &body).await.status, 201);
    let youth = app.youth("Noah").await;
    let mut body = order_body("Noah", "2009-02-01");
    body["track"] = json!("cap");
    assert_eq!(youth.post("/api/youth/orders", &body).await.status, 201);

    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|o| o["first_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = head.get("/api/establishment/orders").await.body;
    assert_eq!(names(&all).len(), 3);
    let r = head
        .get("/api/establishment/orders?status=en_attente&track=terminale")
        .await;
    assert_eq!(names(&r.body), ["Inès"]);
    let r = head
        .get("/api/establishment/orders?public=lyceen&track=cap")
        .await;
    assert_eq!(names(&r.body), ["Noah"]);
    let r = head.get("/api/establishment/orders?public=apprenti").await;
    assert!(names(&r.body).is_empty());
    let r = head.get("/api/establishment/orders?status=validee").await;
    assert_eq!(names(&r.body), ["Zoé"]);
    for (q, field) in [
        ("status=perdue", "status"),
        ("public=retraite", "public"),
        ("track=cm2", "track"),
    ] {
        let r = head.get(&format!("/api/establishment/orders?{q}")).await;
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (422, Some(field)),
            "{q}"
        );
    }

    // Suspended then reactivated: both in the history, newest first, with
    // the reason, the date and who.
    let id = a["id"].as_str().unwrap();
    let r = head
        .post(
            &format!("/api/establishment/cards/{id}/suspend"),
            &json!({"reason": "Manquement au règlement intérieur"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = head.get("/api/establishment/cards?status=suspendue").await;
    assert_eq!(names(&r.body), ["Zoé"]);
    assert!(
        names(
            &head
                .get("/api/establishment/cards?status=active")
                .await
                .body
        )
        .is_empty()
    );
    let r = head.get("/api/establishment/cards?status=perdue").await;
    assert_eq!(r.status, 422);
    app.advance(Duration::hours(2));
    let r = head
        .post(
            &format!("/api/establishment/cards/{id}/reactivate"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    let h = head
        .get(&format!("/api/establishment/cards/{id}/history"))
        .await
        .body;
    assert_eq!(h[0]["kind"], "reactivation");
    assert_eq!(h[0]["status"], "active");
    assert_eq!(h[1]["kind"], "suspension");
    assert_eq!(h[1]["status"], "suspendue");
    assert_eq!(h[1]["reason"], "Manquement au règlement intérieur");
    assert_eq!(h[1]["by"], "Secrétariat — Lycée Ampère");
    assert_eq!(h[1]["at"], json!(app.now() - Duration::hours(2)));
    assert_eq!(h[1]["season"], "2026-2027");
}

#[tokio::test]
async fn the_desk_migration_makes_existing_accounts_heads_and_keeps_the_history() {
    use passregion_server::platform::db::{MIGRATIONS, migrate};
    let dir = tempfile::tempdir().unwrap();
    let mut c = rusqlite::Connection::open(dir.path().join("v14.db")).unwrap();
    c.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let v14 = MIGRATIONS
        .iter()
        .position(|(name, _)| *name == "0015_establishment_desk")
        .unwrap();
    for (i, (_, sql)) in MIGRATIONS.iter().enumerate().take(v14) {
        let tx = c.transaction().unwrap();
        tx.execute_batch(sql).unwrap();
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .unwrap();
        tx.commit().unwrap();
    }
    c.execute_batch(
        "INSERT INTO establishments (id, name, kind, city, postal_code)
           VALUES ('e1', 'Lycée', 'lycee', 'Lyon', '69002');
         INSERT INTO accounts (id, email, password_hash, role, display_name, establishment_id,
           created_at) VALUES
           ('a1', 'e@example.org', 'h', 'establishment', 'E', 'e1', '2026-10-01T00:00:00Z'),
           ('a2', 'y@example.org', 'h', 'youth', 'Y', NULL, '2026-10-01T00:00:00Z');
         INSERT INTO orders (id, account_id, season, establishment_id, public, track, disabled,
           first_name, last_name, birth_date, address, postal_code, city, status, created_at)
           VALUES ('o1', 'a2', 2026, 'e1', 'lyceen', 'seconde', 0, 'Y', 'Z', '2010-01-01',
           '1 rue', '69002', 'Lyon', 'validee', '2026-10-01T00:00:00Z');
         INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status,
           public, track, disabled, first_name, last_name, birth_date, created_at)
           VALUES ('c1', '4000000000000002', 'a2', 'o1', 'e1', 2026, 'suspendue', 'lyceen',
           'seconde', 0, 'Y', 'Z', '2010-01-01', '2026-10-01T00:00:00Z');
         INSERT INTO card_status_events (card_id, status, reason, at)
           VALUES ('c1', 'suspendue', 'Ancien motif', '2026-10-02T00:00:00Z');",
    )
    .unwrap();
    migrate(&mut c).unwrap();
    let role: Option<String> = c
        .query_row(
            "SELECT establishment_role FROM accounts WHERE id = 'a1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(role.as_deref(), Some("head"));
    let role: Option<String> = c
        .query_row(
            "SELECT establishment_role FROM accounts WHERE id = 'a2'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(role, None);
    let old: (String, Option<String>, Option<String>) = c
        .query_row(
            "SELECT reason, kind, account_id FROM card_status_events WHERE card_id = 'c1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(old, ("Ancien motif".into(), None, None));
    // The role belongs to établissement accounts, head or staff only; the
    // history stays append-only.
    for bad in [
        "UPDATE accounts SET establishment_role = 'head' WHERE id = 'a2'",
        "UPDATE accounts SET establishment_role = 'principal' WHERE id = 'a1'",
        "UPDATE card_status_events SET reason = 'x'",
        "INSERT INTO card_status_events (card_id, status, at, kind)
           VALUES ('c1', 'active', '2026-10-03T00:00:00Z', 'autre')",
    ] {
        assert!(c.execute(bad, []).is_err(), "{bad}");
    }
    assert!(
        c.execute(
            "UPDATE accounts SET establishment_role = 'staff' WHERE id = 'a1'",
            []
        )
        .is_ok()
    );
}

#[tokio::test]
async fn the_demo_class_of_lycee_ampere_has_three_too_old_for_next_season() {
    let app = TestApp::init()
        .at("2027-04-20T08:00:00Z")
        .demo(1)
        .flags(&["--demo-ampere-youths", "20"])
        .build()
        .await;
    let head = app
        .login_with(
            "ampere@demo.passregion.fr",
            passregion_server::demo::DEMO_PASSWORD,
        )
        .await;
    assert_eq!(head.get("/api/me").await.body["establishment_role"], "head");
    let cards = head.get("/api/establishment/cards").await.body;
    let ids: Vec<String> = cards
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    // Léa, the 1re B (13) and the class of 20.
    assert_eq!(ids.len(), 34);
    let pending = head
        .get("/api/establishment/orders?status=en_attente")
        .await
        .body;
    assert_eq!(pending.as_array().unwrap().len(), 6);
    let r = revalidate(&head, "demo", &ids).await;
    assert_eq!(
        (r.body["done"].as_u64(), r.body["refused"].as_u64()),
        (Some(31), Some(3))
    );
    for i in r.body["items"].as_array().unwrap() {
        if i["status"] == "refused" {
            assert_eq!(i["code"], "age_depasse");
            assert!(
                i["message"]
                    .as_str()
                    .unwrap()
                    .contains("26 ans au 1er juin 2027")
            );
        }
    }
}
