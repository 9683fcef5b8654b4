//! Référents on request (issue 14, ADR 0027): an établissement declares,
//! edits and removes its référents; a partner in force sees their theme,
//! établissement and name, asks for a contact, and gets the e-mail and phone
//! only while the référent's établissement grants it. Each test attacks the
//! rule that no contact leaves without a grant.

use passregion_core::PartnerCategory;
use serde_json::Value;
use serde_json::json;

use crate::common::{Client, TestApp};

const EMAIL: &str = "garnier@ampere.example";
const PHONE: &str = "04 72 00 00 00";

/// Whether the contact's e-mail or phone is anywhere in a response.
fn leaks(body: &Value) -> bool {
    let text = body.to_string();
    text.contains(EMAIL) || text.contains(PHONE)
}

/// The partner's view of one référent.
async fn seen_by(partner: &Client, referent_id: &str) -> Value {
    let r = partner.get("/api/partner/referents?theme=sport").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == referent_id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Lycée Ampère with a sport référent (e-mail and phone); a club in force.
async fn setup(app: &TestApp) -> (Client, String, Client) {
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let r = etab
        .post(
            "/api/establishment/referents",
            &json!({"theme": "sport", "name": "Mme Garnier", "email": EMAIL, "phone": PHONE}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let club = app
        .partner(PartnerCategory::ClubSportif, "AS Lyon Basket")
        .await;
    (etab, id, club)
}

async fn ask(partner: &Client, referent_id: &str) -> crate::common::Resp {
    partner
        .post(
            "/api/partner/referent-requests",
            &json!({"referent_id": referent_id, "message": "Une découverte du basket pour vos élèves ?"}),
        )
        .await
}

async fn act(etab: &Client, request_id: &str, action: &str) -> crate::common::Resp {
    etab.post(
        &format!("/api/establishment/referent-requests/{request_id}/{action}"),
        &json!({}),
    )
    .await
}

#[tokio::test]
async fn no_contact_before_a_grant_the_contact_after_and_a_withdrawal_hides_it_again() {
    let app = TestApp::init().build().await;
    let (etab, rid, club) = setup(&app).await;
    let theatre = app
        .partner(PartnerCategory::SalleDeSpectacle, "Théâtre des Célestins")
        .await;
    // The directory and the partner's list: who and where, no contact.
    let dir = club.get("/api/referents?theme=sport").await;
    assert!(
        dir.body
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == rid.as_str() && r["name"] == "Mme Garnier")
    );
    assert!(!leaks(&dir.body), "{}", dir.body);
    let seen = seen_by(&club, &rid).await;
    assert_eq!(seen["establishment_name"], "Lycée Ampère");
    assert_eq!(
        (&seen["email"], &seen["phone"], &seen["request"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    // Asked: still no contact, the status instead; one open request at a time.
    let r = ask(&club, &rid).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "demandee");
    assert!(!leaks(&r.body));
    let qid = r.body["id"].as_str().unwrap().to_owned();
    let again = ask(&club, &rid).await;
    assert_eq!((again.status, again.code()), (409, "demande_deja_en_cours"));
    let seen = seen_by(&club, &rid).await;
    assert_eq!(seen["request"]["status"], "demandee");
    assert_eq!(
        seen["request"]["status_label"],
        "en attente de l'établissement"
    );
    assert!(!leaks(&seen), "{seen}");
    // The établissement sees the request, with the partner's message.
    let list = etab.get("/api/establishment/referent-requests").await;
    assert_eq!(list.body[0]["id"], qid.as_str());
    assert_eq!(list.body[0]["partner_name"], "AS Lyon Basket");
    assert_eq!(
        list.body[0]["message"],
        "Une découverte du basket pour vos élèves ?"
    );
    // Granted: the club gets the contact; the theatre, which did not ask, not.
    let r = act(&etab, &qid, "grant").await;
    assert_eq!((r.status, &r.body["status"]), (200, &json!("accordee")));
    assert!(r.body["decided_by"].is_string());
    let seen = seen_by(&club, &rid).await;
    assert_eq!(
        (seen["email"].as_str(), seen["phone"].as_str()),
        (Some(EMAIL), Some(PHONE))
    );
    // The partner is not told who at the établissement decided.
    assert_eq!(seen["request"]["decided_by"], Value::Null);
    assert!(!leaks(
        &theatre.get("/api/partner/referents?theme=sport").await.body
    ));
    assert!(!leaks(&club.get("/api/referents?theme=sport").await.body));
    let twice = act(&etab, &qid, "grant").await;
    assert_eq!((twice.status, twice.code()), (409, "demande_deja_traitee"));
    // An edit reaches the partner it is granted to.
    let r = etab
        .put(
            &format!("/api/establishment/referents/{rid}"),
            &json!({"theme": "sport", "name": "Mme Garnier", "email": "eps@ampere.example", "phone": PHONE}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        seen_by(&club, &rid).await["email"],
        json!("eps@ampere.example")
    );
    // Withdrawn: hidden again; a second withdrawal is refused.
    let r = act(&etab, &qid, "withdraw").await;
    assert_eq!(r.body["status"], "retiree", "{}", r.body);
    let seen = seen_by(&club, &rid).await;
    assert_eq!(seen["request"]["status"], "retiree");
    assert_eq!(
        (&seen["email"], &seen["phone"]),
        (&Value::Null, &Value::Null)
    );
    assert!(!seen.to_string().contains("eps@ampere.example"));
    let r = act(&etab, &qid, "withdraw").await;
    assert_eq!((r.status, r.code()), (409, "demande_deja_traitee"));
    // Asked again and declined with a reason: still nothing.
    let r = ask(&club, &rid).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let q2 = r.body["id"].as_str().unwrap().to_owned();
    let r = etab
        .post(
            &format!("/api/establishment/referent-requests/{q2}/decline"),
            &json!({"reason": "Projet déjà couvert cette année."}),
        )
        .await;
    assert_eq!(r.body["status"], "refusee", "{}", r.body);
    let seen = seen_by(&club, &rid).await;
    assert_eq!(
        seen["request"]["reason"],
        "Projet déjà couvert cette année."
    );
    assert_eq!(seen["email"], Value::Null);
    // A declined request cannot be granted afterwards.
    assert_eq!(
        act(&etab, &q2, "grant").await.code(),
        "demande_deja_traitee"
    );
    // Removed: gone from every list, with its requests.
    let r = etab
        .delete(&format!("/api/establishment/referents/{rid}"))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(seen_by(&club, &rid).await, Value::Null);
    assert_eq!(
        etab.get("/api/establishment/referent-requests").await.body,
        json!([])
    );
    assert_eq!(
        etab.get("/api/establishment/referents").await.body,
        json!([])
    );
    assert_eq!(ask(&club, &rid).await.status, 404);
}

#[tokio::test]
async fn another_establishment_cannot_grant_edit_or_remove() {
    let app = TestApp::init().build().await;
    let (etab, rid, club) = setup(&app).await;
    let qid = ask(&club, &rid).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app
        .establishment("etab-champollion", "Lycée Champollion")
        .await;
    for action in ["grant", "decline", "withdraw"] {
        let r = act(&other, &qid, action).await;
        assert_eq!((r.status, r.code()), (404, "introuvable"), "{action}");
    }
    assert_eq!(
        other.get("/api/establishment/referent-requests").await.body,
        json!([])
    );
    // Its own list and the directory it sees: its own référents only, no contact.
    assert_eq!(
        other.get("/api/establishment/referents").await.body,
        json!([])
    );
    assert!(!leaks(&other.get("/api/referents").await.body));
    let r = other
        .put(
            &format!("/api/establishment/referents/{rid}"),
            &json!({"theme": "sport", "name": "X", "email": "x@y.example"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = other
        .delete(&format!("/api/establishment/referents/{rid}"))
        .await;
    assert_eq!(r.status, 404);
    // Neither the partner nor a youth nor the Region may grant.
    assert_eq!(act(&club, &qid, "grant").await.status, 403);
    assert_eq!(
        act(&app.youth("Léa").await, &qid, "grant").await.status,
        403
    );
    assert_eq!(act(&app.region().await, &qid, "grant").await.status, 403);
    // The Region's directory has no contact either.
    assert!(!leaks(&app.region().await.get("/api/referents").await.body));
    // Nothing granted: no contact; the référent is unchanged.
    assert!(!leaks(&seen_by(&club, &rid).await));
    let own = etab.get("/api/establishment/referents").await;
    assert_eq!(own.body[0]["email"], EMAIL);
    assert_eq!(own.body[0]["name"], "Mme Garnier");
    // The owner still can.
    assert_eq!(act(&etab, &qid, "grant").await.status, 200);
}

#[tokio::test]
async fn a_partner_not_in_force_cannot_request_nor_see_a_granted_contact() {
    let app = TestApp::init().build().await;
    let (etab, rid, club) = setup(&app).await;
    // A structure still applying sees no référent and cannot ask.
    let applicant = app
        .applicant("candidat@club.example", "Club candidat")
        .await;
    let r = ask(&applicant, &rid).await;
    assert_eq!((r.status, r.code()), (403, "partenariat_inactif"));
    let r = applicant.get("/api/partner/referents").await;
    assert_eq!((r.status, r.code()), (403, "partenariat_inactif"));
    assert_eq!(applicant.get("/api/referents").await.status, 403);
    // A youth neither.
    assert_eq!(ask(&app.youth("Léa").await, &rid).await.status, 403);
    // A granted club, then suspended by the Region: the contact stops at once.
    let qid = ask(&club, &rid).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(act(&etab, &qid, "grant").await.status, 200);
    assert_eq!(seen_by(&club, &rid).await["email"], EMAIL);
    let pid = club.get("/api/me").await.body["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let region = app.region().await;
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/suspend"),
            &json!({"reason": "Contrôle en cours"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = club.get("/api/partner/referents").await;
    assert_eq!((r.status, r.code()), (403, "partenariat_inactif"));
    assert!(!leaks(&r.body));
    // Bounds of a request: a message, at most 500 characters; a known référent.
    let r = region
        .post(&format!("/api/region/partners/{pid}/reinstate"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let theatre = app
        .partner(PartnerCategory::SalleDeSpectacle, "Théâtre")
        .await;
    for message in [String::new(), "x".repeat(501)] {
        let r = theatre
            .post(
                "/api/partner/referent-requests",
                &json!({"referent_id": rid, "message": message}),
            )
            .await;
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some("message")));
    }
    let r = theatre
        .post(
            "/api/partner/referent-requests",
            &json!({"referent_id": "inconnu", "message": "Bonjour"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "introuvable"));
    assert_eq!(
        etab.get("/api/establishment/referent-requests")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
