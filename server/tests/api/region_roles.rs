//! The Region's roles (issue 16): administration, instruction, finances.
//! Each role against one endpoint of each desk (allowed, or 403 with its
//! code), the invitation of an agent (mailed link → password → login with
//! the role), the last administrator kept, and the loss of access at once
//! when an agent is removed or its role changes.

use serde_json::json;

use crate::common::{Client, TestApp};

/// An agent invited by `admin` with `role`, who follows the mailed link and
/// sets a password: its session.
async fn agent(app: &TestApp, admin: &Client, email: &str, role: &str) -> Client {
    let r = admin
        .post(
            "/api/region/staff",
            &json!({"email": email, "display_name": format!("Agent {role}"), "role": role}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role"], role);
    assert_eq!(r.body["status"], "invited");
    let token = app.verification_token(email).expect("an invitation");
    let mut c = app.client();
    let r = c
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "agent-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["account"]["region_role"], role);
    c.token = Some(r.body["token"].as_str().unwrap().to_owned());
    c
}

/// One endpoint of each desk: (path, the desk's refusal code, or "" for
/// the desks every agent uses).
const DESKS: [(&str, &str); 10] = [
    ("/api/region/stats", ""),
    ("/api/region/feed", ""),
    ("/api/region/flags", ""),
    ("/api/region/partners", "reserve_a_l_instruction"),
    ("/api/region/print-queue", "reserve_a_l_instruction"),
    ("/api/region/reimbursements", "reserve_aux_finances"),
    ("/api/region/bank-changes", "reserve_aux_finances"),
    ("/api/region/staff", "reserve_a_l_administration"),
    ("/api/region/lookup-audit", "reserve_a_l_instruction"),
    (
        "/api/region/accounting-journal?from=2026-10-01&to=2026-10-31",
        "reserve_aux_finances",
    ),
];

#[tokio::test]
async fn each_region_role_opens_only_its_desks() {
    let app = TestApp::init().build().await;
    let admin = app.region().await;
    let instruction = agent(&app, &admin, "instruction@region.example", "instruction").await;
    let finance = agent(&app, &admin, "finances@region.example", "finance").await;
    let youth = app.youth("Léa").await;
    for (path, code) in DESKS {
        let r = admin.get(path).await;
        assert_eq!(r.status, 200, "admin {path}: {}", r.body);
        for (who, c, allowed) in [
            ("instruction", &instruction, code != "reserve_aux_finances"),
            ("finance", &finance, code != "reserve_a_l_instruction"),
        ] {
            let allowed = allowed && code != "reserve_a_l_administration";
            let r = c.get(path).await;
            if allowed {
                assert_eq!(r.status, 200, "{who} {path}: {}", r.body);
            } else {
                assert_eq!(r.status, 403, "{who} {path}: {}", r.body);
                assert_eq!(r.code(), code, "{who} {path}");
                assert!(
                    r.body["message"].as_str().unwrap().starts_with("Seul"),
                    "a French message: {}",
                    r.body
                );
            }
        }
        let r = youth.get(path).await;
        assert_eq!((r.status, r.code()), (403, "acces_refuse"), "youth {path}");
    }
    // Writes too: an instruction agent cannot close batches, a finance agent
    // cannot publish CGP nor invite an établissement's head; neither manages
    // the staff.
    let r = instruction
        .post("/api/region/reimbursements/close", &json!({}))
        .await;
    assert_eq!(r.code(), "reserve_aux_finances", "{}", r.body);
    let r = finance
        .post("/api/region/cgp", &json!({"version": "9", "text": "x"}))
        .await;
    assert_eq!(r.code(), "reserve_a_l_instruction", "{}", r.body);
    app.establishment("etab-vaugelas", "Lycée Vaugelas").await;
    let head =
        json!({"email": "chef@vaugelas.example", "display_name": "Mme Durand", "role": "head"});
    let r = finance
        .post("/api/region/establishments/etab-vaugelas/staff", &head)
        .await;
    assert_eq!(r.code(), "reserve_a_l_instruction", "{}", r.body);
    let r = instruction
        .post("/api/region/establishments/etab-vaugelas/staff", &head)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for c in [&instruction, &finance] {
        let r = c
            .post(
                "/api/region/staff",
                &json!({"email": "x@region.example", "display_name": "X", "role": "admin"}),
            )
            .await;
        assert_eq!((r.status, r.code()), (403, "reserve_a_l_administration"));
    }
    assert!(app.verification_token("x@region.example").is_none());
}

#[tokio::test]
async fn an_invited_agent_logs_in_with_its_role() {
    let app = TestApp::init().build().await;
    let admin = app.region().await;
    let me = admin.get("/api/me").await;
    assert_eq!(
        me.body["region_role"], "admin",
        "existing agents are admins"
    );
    let r = admin
        .post(
            "/api/region/staff",
            &json!({"email": " Fanny@Region.example ", "display_name": "Fanny", "role": "finance"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mails = app.mails_to("fanny@region.example");
    let (subject, body) = mails.last().expect("an invitation mail");
    assert!(subject.contains("espace Région"), "{subject}");
    assert!(body.contains("Finances"), "{body}");
    assert!(body.contains("&espace=region"), "{body}");
    // Before the link is followed, the account cannot log in.
    let r = app
        .client()
        .post(
            "/api/auth/login",
            &json!({"email": "fanny@region.example", "password": "agent-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    let token = app.verification_token("fanny@region.example").unwrap();
    let r = app
        .client()
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "agent-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Once only.
    let r = app
        .client()
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "agent-secret-2"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (410, "invitation_invalide"));
    let fanny = app
        .login_with("fanny@region.example", "agent-secret-1")
        .await;
    let me = fanny.get("/api/me").await.body;
    assert_eq!(
        (me["role"].clone(), me["region_role"].clone()),
        (json!("region"), json!("finance"))
    );
    let list = admin.get("/api/region/staff").await.body;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "fanny@region.example")
        .unwrap();
    assert_eq!(
        (row["role"].clone(), row["status"].clone()),
        (json!("finance"), json!("active"))
    );
    // Bad input changes nothing: an unknown role, a taken address.
    let r = admin
        .post(
            "/api/region/staff",
            &json!({"email": "z@region.example", "display_name": "Z", "role": "region"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = admin
        .post(
            "/api/region/staff",
            &json!({"email": "fanny@region.example", "display_name": "F", "role": "admin"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "email_deja_utilise"),
        "an active agent is not re-invited"
    );
    assert_eq!(app.mails_to("z@region.example").len(), 0);
}

#[tokio::test]
async fn the_region_always_keeps_an_active_administrator() {
    let app = TestApp::init().build().await;
    let admin = app.region().await;
    let me = admin.get("/api/me").await.body["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = |r: &crate::common::Resp| (r.status, r.code().to_owned());
    let conflict = (409, "dernier_administrateur".to_owned());
    let r = admin.delete(&format!("/api/region/staff/{me}")).await;
    assert_eq!(last(&r), conflict, "{}", r.body);
    let r = admin
        .put(
            &format!("/api/region/staff/{me}/role"),
            &json!({"role": "finance"}),
        )
        .await;
    assert_eq!(last(&r), conflict, "{}", r.body);
    // An administrator invited but not yet active does not count.
    let r = admin
        .post(
            "/api/region/staff",
            &json!({"email": "second@region.example", "display_name": "Second", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = admin.delete(&format!("/api/region/staff/{me}")).await;
    assert_eq!(last(&r), conflict, "{}", r.body);
    // Once it is active, the first may step down; its session ends.
    let token = app.verification_token("second@region.example").unwrap();
    let mut second = app.client();
    let r = second
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "second-secret-1"}),
        )
        .await;
    second.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let r = admin
        .put(
            &format!("/api/region/staff/{me}/role"),
            &json!({"role": "instruction"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["role"], "instruction");
    assert_eq!(admin.get("/api/me").await.status, 401);
    // Now the second is the last.
    let id = second.get("/api/me").await.body["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = second.delete(&format!("/api/region/staff/{id}")).await;
    assert_eq!(last(&r), conflict, "{}", r.body);
    let r = second
        .put(
            &format!("/api/region/staff/{id}/role"),
            &json!({"role": "finance"}),
        )
        .await;
    assert_eq!(last(&r), conflict, "{}", r.body);
    // Keeping one's role is no change.
    let r = second
        .put(
            &format!("/api/region/staff/{id}/role"),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(second.get("/api/me").await.status, 200);
    // Someone who is not an agent is not found.
    let r = second.delete("/api/region/staff/nobody").await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn a_removed_or_moved_agent_loses_its_access_at_once() {
    let app = TestApp::init().build().await;
    let admin = app.region().await;
    let finance = agent(&app, &admin, "f@region.example", "finance").await;
    let instruction = agent(&app, &admin, "i@region.example", "instruction").await;
    // Both sessions are warm in the session cache.
    assert_eq!(finance.get("/api/region/reimbursements").await.status, 200);
    assert_eq!(instruction.get("/api/region/partners").await.status, 200);
    let id = |c: &Client| {
        let c = c.clone();
        async move {
            c.get("/api/me").await.body["account_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (fid, iid) = (id(&finance).await, id(&instruction).await);
    let r = admin.delete(&format!("/api/region/staff/{fid}")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = finance.get("/api/region/reimbursements").await;
    assert_eq!((r.status, r.code()), (401, "non_authentifie"));
    let r = app
        .client()
        .post(
            "/api/auth/login",
            &json!({"email": "f@region.example", "password": "agent-secret-1"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "identifiants_invalides"));
    // A moved agent: its old session ends, its next login has the new role.
    let r = admin
        .put(
            &format!("/api/region/staff/{iid}/role"),
            &json!({"role": "finance"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(instruction.get("/api/region/partners").await.status, 401);
    let moved = app.login_with("i@region.example", "agent-secret-1").await;
    let r = moved.get("/api/region/partners").await;
    assert_eq!(r.code(), "reserve_a_l_instruction");
    assert_eq!(moved.get("/api/region/reimbursements").await.status, 200);
    // The removed agent is no longer listed; it may be invited again.
    let list = admin.get("/api/region/staff").await.body;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|m| m["email"] != "f@region.example")
    );
    let again = agent(&app, &admin, "f@region.example", "instruction").await;
    assert_eq!(again.get("/api/region/partners").await.status, 200);
}

#[tokio::test]
async fn the_demo_has_one_agent_per_region_role() {
    let app = TestApp::init().demo(1).build().await;
    for (email, role) in [
        ("region@demo.passregion.fr", "admin"),
        ("instruction@demo.passregion.fr", "instruction"),
        ("finances@demo.passregion.fr", "finance"),
    ] {
        let c = app.login_with(email, "demo1234").await;
        assert_eq!(c.get("/api/me").await.body["region_role"], role, "{email}");
    }
}
