//! A partner's staff and devices (issue 13): a manager invites a cashier by
//! e-mail (a link valid 7 days, once), the cashier cashes in but cannot do
//! the manager's part, removing a member ends its session at once, and a
//! revoked device's offline debits are refused.

use chrono::Duration;
use passregion_core::PartnerCategory;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::offline_push::{Device, credential, push};

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

async fn invite(manager: &Client, email: &str, name: &str, role: &str) -> Value {
    let r = manager
        .post(
            "/api/partner/staff",
            &json!({"email": email, "display_name": name, "role": role}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn accept(app: &TestApp, token: &str, password: &str) -> (u16, Value) {
    let r = app
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": password}),
        )
        .await;
    (r.status, r.body)
}

/// A cashier of `manager`'s structure who accepted the invitation, logged in.
async fn cashier(app: &TestApp, manager: &Client, name: &str) -> (Client, String) {
    let email = format!("{name}-{}@example.org", uuid::Uuid::new_v4());
    let member = invite(manager, &email, name, "cashier").await;
    let token = invitation_token(app, &email).unwrap();
    let (status, body) = accept(app, &token, "caisse-secrete").await;
    assert_eq!(status, 200, "{body}");
    let mut c = app.client();
    c.token = Some(body["token"].as_str().unwrap().to_owned());
    (c, member["account_id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_manager_invites_a_cashier_who_cashes_in_but_cannot_manage() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Zoé").await;
    let manager = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let me = manager.get("/api/me").await;
    assert_eq!(me.body["partner_role"], "manager", "{}", me.body);

    let email = "camille@example.org";
    let member = invite(&manager, email, "Camille", "cashier").await;
    assert_eq!(
        (member["role"].as_str(), member["status"].as_str()),
        (Some("cashier"), Some("invited"))
    );
    let expires =
        (app.now() + Duration::days(7)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(member["invitation_expires_at"], json!(expires));
    // The mail names the structure and carries the link.
    let mails = app.mails_to(email);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].0.contains("Librairie du Parc"), "{}", mails[0].0);
    assert!(mails[0].1.contains("7 jours"), "{}", mails[0].1);
    let token = invitation_token(&app, email).unwrap();
    // Nobody can log in to the invited account before it accepts.
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": email, "password": crate::common::PASSWORD}),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "identifiants_invalides"));
    // A short password is refused and leaves the link usable.
    let (status, body) = accept(&app, &token, "court").await;
    assert_eq!((status, body["field"].as_str()), (422, Some("password")));
    let (status, body) = accept(&app, &token, "caisse-secrete").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["partner_role"], "cashier");
    assert_eq!(body["account"]["role"], "partner");
    // The link is single use.
    let (status, again) = accept(&app, &token, "autre-secret").await;
    assert_eq!(
        (status, again["code"].as_str()),
        (410, Some("invitation_invalide"))
    );

    let cashier = app.login_with(email, "caisse-secrete").await;
    let me = cashier.get("/api/me").await;
    assert_eq!(me.body["partner_role"], "cashier", "{}", me.body);
    // What a cashier does: debit and see the transactions.
    let r = cashier
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "5.00"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = cashier.get("/api/partner/transactions").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    // What a cashier may not do.
    let manager_only = [
        cashier.get("/api/partner/staff").await,
        cashier
            .post(
                "/api/partner/staff",
                &json!({"email": "x@example.org", "display_name": "X", "role": "cashier"}),
            )
            .await,
        cashier
            .post(
                "/api/partner/bons-plans",
                &json!({"title": "Lecture", "description": "Une lecture pour les porteurs du PASS."}),
            )
            .await,
        cashier
            .post("/api/partner/devices/any/revoke", &json!({}))
            .await,
        cashier.delete("/api/partner/staff/any").await,
    ];
    for r in manager_only {
        assert_eq!(
            (r.status, r.code()),
            (403, "reserve_au_responsable"),
            "{}",
            r.body
        );
        assert_eq!(
            r.body["message"],
            "Seul le responsable de la structure peut faire cela."
        );
    }
    assert!(app.mails_to("x@example.org").is_empty());
    // The manager still does.
    let r = manager
        .post(
            "/api/partner/bons-plans",
            &json!({"title": "Lecture", "description": "Une lecture pour les porteurs du PASS."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let staff = manager.get("/api/partner/staff").await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    let list = staff.body.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["role"], "manager");
    assert_eq!(list[1]["email"], email);
    assert_eq!(list[1]["status"], "active");
    assert_eq!(list[1]["invitation_expires_at"], Value::Null);
}

#[tokio::test]
async fn an_invitation_link_works_seven_days_and_a_new_one_voids_the_old() {
    // The manager's session outlives the week.
    let app = TestApp::init()
        .flags(&["--session-hours", "400"])
        .build()
        .await;
    let manager = app.partner(PartnerCategory::Cinema, "Cinéma Lumière").await;
    invite(&manager, "a@example.org", "Alice", "cashier").await;
    invite(&manager, "b@example.org", "Bruno", "manager").await;
    let (a, b) = (
        invitation_token(&app, "a@example.org").unwrap(),
        invitation_token(&app, "b@example.org").unwrap(),
    );
    app.advance(Duration::days(7) - Duration::minutes(1));
    let (status, body) = accept(&app, &a, "motdepasse-a").await;
    assert_eq!(status, 200, "{body}");
    app.advance(Duration::minutes(2));
    let (status, body) = accept(&app, &b, "motdepasse-b").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("invitation_invalide"))
    );
    // Still invited, its link expired.
    let staff = manager.get("/api/partner/staff").await;
    let bruno = staff
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "b@example.org")
        .unwrap()
        .clone();
    assert_eq!(bruno["status"], "invited");
    assert_eq!(bruno["invitation_expires_at"], Value::Null);
    // Invited again: a new link; the first one stays dead.
    invite(&manager, "b@example.org", "Bruno", "manager").await;
    let fresh = invitation_token(&app, "b@example.org").unwrap();
    assert_ne!(fresh, b);
    let (status, _) = accept(&app, &b, "motdepasse-b").await;
    assert_eq!(status, 410);
    // Two links pending: the later one voids the earlier.
    invite(&manager, "b@example.org", "Bruno", "manager").await;
    let latest = invitation_token(&app, "b@example.org").unwrap();
    let (status, _) = accept(&app, &fresh, "motdepasse-b").await;
    assert_eq!(status, 410);
    let (status, body) = accept(&app, &latest, "motdepasse-b").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["partner_role"], "manager");
    // An invited manager manages.
    let bruno = app.login_with("b@example.org", "motdepasse-b").await;
    assert_eq!(bruno.get("/api/partner/staff").await.status, 200);
    // Garbage tokens.
    let long = "y".repeat(300);
    for t in ["", "x", long.as_str()] {
        let (status, body) = accept(&app, t, "motdepasse-c").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (410, Some("invitation_invalide")),
            "{t}"
        );
    }
}

#[tokio::test]
async fn an_address_that_has_an_account_cannot_be_invited() {
    let app = TestApp::init().build().await;
    let manager = app.partner(PartnerCategory::Cinema, "Cinéma Nord").await;
    let other = app.partner(PartnerCategory::Cinema, "Cinéma Sud").await;
    let youth_email = "lea-staff@example.org";
    app.register(youth_email, "motdepasse", "Léa").await;
    let (_, theirs) = cashier(&app, &other, "dominique").await;
    let staff = other.get("/api/partner/staff").await;
    let theirs_email = staff
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["account_id"] == theirs.as_str())
        .unwrap()["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let own_email = manager.get("/api/partner/staff").await.body[0]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    for email in [
        youth_email,
        theirs_email.as_str(),
        own_email.as_str(),
        "LEA-STAFF@example.org",
    ] {
        let r = manager
            .post(
                "/api/partner/staff",
                &json!({"email": email, "display_name": "Quelqu'un", "role": "cashier"}),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (409, "email_deja_utilise"),
            "{email}: {}",
            r.body
        );
    }
    // Invalid fields.
    for (body, field) in [
        (
            json!({"email": "pas-une-adresse", "display_name": "X", "role": "cashier"}),
            Some("email"),
        ),
        (
            json!({"email": "ok@example.org", "display_name": " ", "role": "cashier"}),
            Some("display_name"),
        ),
    ] {
        let r = manager.post("/api/partner/staff", &body).await;
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (422, field),
            "{}",
            r.body
        );
    }
    let r = manager
        .post(
            "/api/partner/staff",
            &json!({"email": "ok@example.org", "display_name": "X", "role": "owner"}),
        )
        .await;
    assert!(r.status == 400 || r.status == 422, "{}", r.body);
    // A registration with an invited address does not take the account
    // over: the owner gets a notice, not a confirmation link.
    invite(&manager, "invitee@example.org", "Invité", "cashier").await;
    let r = app
        .post(
            "/api/auth/register",
            &json!({"email": "invitee@example.org", "password": "motdepasse", "display_name": "Intrus"}),
        )
        .await;
    assert_eq!(r.status, 202);
    let mails = app.mails_to("invitee@example.org");
    assert_eq!(mails.len(), 2);
    assert!(!mails[1].1.contains("verifier-email"), "{}", mails[1].1);
    // The invitation still works.
    let token = invitation_token(&app, "invitee@example.org").unwrap();
    assert_eq!(accept(&app, &token, "motdepasse").await.0, 200);
}

#[tokio::test]
async fn removing_a_member_ends_its_session_at_once() {
    let app = TestApp::init().build().await;
    let manager = app
        .partner(PartnerCategory::Librairie, "Librairie Nord")
        .await;
    let other = app
        .partner(PartnerCategory::Librairie, "Librairie Sud")
        .await;
    let (cashier, id) = cashier(&app, &manager, "sacha").await;
    // The session is cached by this call.
    assert_eq!(cashier.get("/api/partner/transactions").await.status, 200);
    let email = manager.get("/api/partner/staff").await.body[1]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    // Neither a cashier, another structure, nor oneself.
    let manager_id = manager.get("/api/me").await.body["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = cashier
        .delete(&format!("/api/partner/staff/{manager_id}"))
        .await;
    assert_eq!((r.status, r.code()), (403, "reserve_au_responsable"));
    let r = other.delete(&format!("/api/partner/staff/{id}")).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = manager
        .delete(&format!("/api/partner/staff/{manager_id}"))
        .await;
    assert_eq!((r.status, r.code()), (409, "retrait_de_soi_impossible"));
    assert_eq!(cashier.get("/api/partner/transactions").await.status, 200);

    let r = manager.delete(&format!("/api/partner/staff/{id}")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    // At once: no clock moved past the session cache.
    let r = cashier.get("/api/partner/transactions").await;
    assert_eq!((r.status, r.code()), (401, "non_authentifie"));
    let r = app
        .post(
            "/api/auth/login",
            &json!({"email": email, "password": "caisse-secrete"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "identifiants_invalides"));
    // No reset link for a removed member either.
    let before = app.mails_to(&email).len();
    let r = app
        .post("/api/auth/password-reset", &json!({"email": email}))
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(app.mails_to(&email).len(), before);
    let staff = manager.get("/api/partner/staff").await;
    assert_eq!(staff.body.as_array().unwrap().len(), 1);
    let r = manager.delete(&format!("/api/partner/staff/{id}")).await;
    assert_eq!(r.status, 404);
    // Invited again by its structure, the address comes back through a new link.
    invite(&manager, &email, "Sacha", "cashier").await;
    let token = invitation_token(&app, &email).unwrap();
    let (status, body) = accept(&app, &token, "nouveau-secret").await;
    assert_eq!(status, 200, "{body}");
    app.login_with(&email, "nouveau-secret").await;
}

#[tokio::test]
async fn devices_are_listed_and_a_revoked_one_cannot_push() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Hugo").await;
    let (cred, phone) = credential(&youth, 51).await;
    let manager = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let other = app
        .partner(PartnerCategory::Librairie, "Autre Librairie")
        .await;
    let (cashier, _) = cashier(&app, &manager, "noa").await;
    let mut counter_device = Device::enrol(&cashier, 61).await;
    let mut office = Device::enrol(&manager, 62).await;
    let now = app.now();
    let item = counter_device.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 200, 200, now);
    let res = push(&cashier, &[item]).await;
    assert_eq!(res[0]["status"], "applied", "{res:?}");

    // Every member sees the devices.
    let list = cashier.get("/api/partner/devices").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let list = list.body.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["enrolled_by"], "noa");
    assert_eq!(list[0]["label"], "Caisse 1");
    assert!(list[0]["last_push_at"].is_string(), "{list:?}");
    assert_eq!(list[1]["last_push_at"], Value::Null);
    assert_eq!(list[1]["revoked_at"], Value::Null);
    let device_id = list[0]["id"].as_str().unwrap().to_owned();
    assert!(
        other
            .get("/api/partner/devices")
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );

    let path = format!("/api/partner/devices/{device_id}/revoke");
    let r = cashier.post(&path, &json!({})).await;
    assert_eq!((r.status, r.code()), (403, "reserve_au_responsable"));
    let r = other.post(&path, &json!({})).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = manager.post(&path, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let revoked_at = r.body["revoked_at"].clone();
    assert!(revoked_at.is_string());
    app.advance(Duration::minutes(5));
    let r = manager.post(&path, &json!({})).await;
    assert_eq!((r.status, &r.body["revoked_at"]), (200, &revoked_at));

    // Its offline debits are refused, whoever pushes them; the other device's are not.
    let now = app.now();
    let refused = counter_device.debit(&cred.dynamic_qr(&phone, now, 2).unwrap(), 100, 100, now);
    let accepted = office.debit(&cred.dynamic_qr(&phone, now, 3).unwrap(), 100, 100, now);
    for pusher in [&cashier, &manager] {
        let res = push(pusher, std::slice::from_ref(&refused)).await;
        assert_eq!(res[0]["status"], "rejected", "{res:?}");
        assert_eq!(res[0]["code"], "appareil_revoque");
        assert!(res[0]["message"].as_str().unwrap().contains("révoqué"));
    }
    let res = push(&manager, &[accepted]).await;
    assert_eq!(res[0]["status"], "applied", "{res:?}");
    let list = manager.get("/api/partner/devices").await.body;
    assert_eq!(list[0]["revoked_at"], revoked_at);
}

/// A push checked before a revocation and applied after it: the writer's
/// own check refuses it (the request's check saw the device in use).
#[tokio::test]
async fn a_revocation_during_a_push_still_refuses_it() {
    use passregion_core::credential::PublicKey;
    use passregion_core::status::PartnerRole;
    use passregion_server::accounts::model::{Principal, Role};
    use passregion_server::sync::apply::PushItem;

    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Inès").await;
    let (cred, phone) = credential(&youth, 71).await;
    let manager = app
        .partner(PartnerCategory::Librairie, "Librairie Est")
        .await;
    let mut device = Device::enrol(&manager, 72).await;
    let me = manager.get("/api/me").await.body;
    let partner_id = me["partner_id"].as_str().unwrap().to_owned();
    let store = app.store().clone();
    let pid = partner_id.clone();
    let known = tokio::task::spawn_blocking(move || store.partner_devices(&pid))
        .await
        .unwrap()
        .unwrap();
    let (device_id, key, _) = known[0].clone();
    let devices = std::collections::HashMap::from([(
        device_id.clone(),
        Some(PublicKey::from_base64(&key).unwrap()),
    )]);
    let now = app.now();
    let item = device.debit(&cred.dynamic_qr(&phone, now, 1).unwrap(), 300, 300, now);
    let checked = passregion_server::sync::check::check(item, &devices, &app.state.keys, now);
    assert!(matches!(checked, PushItem::Checked(_)));

    let r = manager
        .post(
            &format!("/api/partner/devices/{device_id}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let who = Principal {
        account_id: me["account_id"].as_str().unwrap().to_owned(),
        role: Role::Partner,
        partner: Some((partner_id, PartnerCategory::Librairie, true)),
        partner_role: Some(PartnerRole::Manager),
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    };
    let store = app.store().clone();
    let results =
        tokio::task::spawn_blocking(move || store.apply_offline(&who, vec![checked], now))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        results[0].code.as_deref(),
        Some("appareil_revoque"),
        "{results:?}"
    );
    let card = youth.get("/api/youth/card").await;
    assert_eq!(
        crate::common::remaining(&card.body, "lecture_loisir"),
        "15.00"
    );
}
