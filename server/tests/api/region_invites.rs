//! The Region invites the head of an établissement (issue 16): the account
//! is created, the link mailed, the head sets a password and runs its desk.

use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn the_region_invites_a_head_who_then_invites_a_colleague() {
    let app = TestApp::init().build().await;
    let region = app.region().await;
    // The établissement exists (imported, or the fixture's).
    app.establishment("etab-vaugelas", "Lycée Vaugelas").await;
    let r = region
        .post(
            "/api/region/establishments/etab-vaugelas/staff",
            &json!({"email": "chef@vaugelas.example", "display_name": "Mme Durand", "role": "head"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = app
        .verification_token("chef@vaugelas.example")
        .expect("an invitation");
    let mut head = app.client();
    let r = head
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "chef-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    head.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let r = head
        .post(
            "/api/establishment/staff",
            &json!({"email": "cpe@vaugelas.example", "display_name": "M. Roux", "role": "staff"}),
        )
        .await;
    assert_eq!(
        r.status, 201,
        "the invited head manages its team: {}",
        r.body
    );
    // Only the Region invites across établissements; an unknown one is 404.
    let r = head
        .post(
            "/api/region/establishments/etab-vaugelas/staff",
            &json!({"email": "x@vaugelas.example", "display_name": "X", "role": "head"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = region
        .post(
            "/api/region/establishments/nulle-part/staff",
            &json!({"email": "y@example.org", "display_name": "Y", "role": "head"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}
