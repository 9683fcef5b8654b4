//! `PartnersRepo`, `BankRepo` and `StaffRepo` on PostgreSQL: an application
//! from its draft to the Region's decision, the SMS codes (attempts bounded
//! and a code signing once across instances), bank-details changes and
//! payouts held, staff invitations used once.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::DateTime;
use chrono::Duration;
use chrono::TimeZone;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::partner::CodeError;
use passregion_core::partner::MAX_CODE_ATTEMPTS;
use passregion_core::status::PartnerRole;
use passregion_server::accounts::model::Principal;
use passregion_server::accounts::repo::AccountsRepo;
use passregion_server::error::ServiceError;
use passregion_server::partners::bank::repo::BankRepo;
use passregion_server::partners::convention::TerminatedBy;
use passregion_server::partners::error::PartnersError;
use passregion_server::partners::model::ApplicationDocument;
use passregion_server::partners::staff::repo::StaffRepo;
use passregion_server::partners::staff::service::NewInvitation;
use passregion_server::partners::store::PartnerFiles;
use passregion_server::partners::store::PartnersRepo;
use passregion_server::platform::store::PgStore;
use serde_json::json;

use super::de;
use super::js;
use crate::notify::instance;
use crate::test_db;

const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$contract";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn files() -> PartnerFiles {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    PartnerFiles {
        files: Arc::new(passregion_server::platform::files::DocumentStore::new(
            dir.path().join("documents"),
            10 * 1024 * 1024,
        )),
        required: Arc::new(Default::default()),
    }
}

fn login(store: &PgStore, account_id: &str, now: DateTime<Utc>) -> Principal {
    let token = format!("token-{}", uuid::Uuid::new_v4());
    store
        .create_session(
            token.clone(),
            account_id.to_owned(),
            now + Duration::hours(1),
        )
        .unwrap();
    store.principal(&token, now).unwrap().unwrap()
}

fn region(store: &PgStore) -> Principal {
    let id = store
        .create_account(passregion_server::accounts::repo::NewAccount {
            email: format!("region-{}@example.org", uuid::Uuid::new_v4()),
            password_hash: PHC.into(),
            role: passregion_server::accounts::model::Role::Region,
            display_name: "Région".into(),
            partner_id: None,
            establishment_id: None,
        })
        .unwrap();
    let mut who = login(store, &id, t0());
    who.region_role = Some(passregion_core::status::RegionRole::Admin);
    who
}

/// A partner that applied (address confirmed, draft filled, documents
/// given, sent: the code `123456` waits); its id and manager.
fn apply(store: &PgStore, name: &str, now: DateTime<Utc>) -> (String, Principal) {
    let email = format!("partner-{}@example.org", uuid::Uuid::new_v4());
    let token = format!("verif-{email}");
    store
        .register_account(
            &email,
            PHC,
            "Accueil",
            &token,
            now + Duration::hours(48),
            now,
            Some((name.to_owned(), PartnerCategory::Librairie)),
        )
        .unwrap();
    store.consume_verification(&token, now).unwrap().unwrap();
    let aid = store.account_by_email(&email).unwrap().unwrap().view.id;
    let who = login(store, &aid, now);
    let pf = files();
    store
        .ensure_cgp(passregion_server::partners::cgp::default_cgp(now), now)
        .unwrap();
    let view = js(&store
        .save_draft(
            &who,
            de(
                json!({"siret": "73282932000074", "address": "1 rue des Tests", "city": "Lyon",
                      "postal_code": "69001", "latitude": 45.76, "longitude": 4.83,
                      "phone": "06 12 34 56 78", "iban": "FR7630006000011234567890189",
                      "bic": "AGRIFRPP"}),
            ),
            &pf,
            now,
        )
        .unwrap());
    assert_eq!(view["stage"], "brouillon", "{view}");
    for kind in pf.required.of(PartnerCategory::Librairie) {
        store
            .add_document(
                &who,
                ApplicationDocument {
                    id: uuid::Uuid::now_v7().to_string(),
                    kind,
                    label: kind.label().into(),
                    filename: "piece.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: 10,
                    sha256: "0".repeat(64),
                    uploaded_at: now,
                },
            )
            .unwrap();
    }
    let version = store.cgp().unwrap().version;
    let phone = store
        .submit(&who, &version, false, "123456", &pf, now)
        .unwrap();
    assert_eq!(phone, "+33612345678");
    let pid = who.partner.clone().unwrap().0;
    (pid, who)
}

fn code_error(r: Result<(), ServiceError>) -> CodeError {
    match r {
        Err(ServiceError::Partners(PartnersError::Code(e))) => e,
        other => panic!("expected a code refusal, got {other:?}"),
    }
}

#[test]
fn an_application_is_sent_signed_once_and_decided() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let (pid, who) = apply(&store, "Librairie du Parc", t0());
    let pf = files();
    let view = js(&store.application(&pid, &pf, t0()).unwrap());
    assert_eq!(view["stage"], "envoyee", "{view}");
    assert!(store.convention_pdf(&pid).unwrap().len() == 64);
    // A sent application is not a draft any more.
    assert!(
        store
            .save_draft(&who, de(json!({"city": "Lyon"})), &pf, t0())
            .is_err()
    );
    assert_eq!(
        code_error(store.sign(&who, "654321", &pf, t0())),
        CodeError::Wrong
    );
    store.sign(&who, " 123456 ", &pf, t0()).unwrap();
    assert!(
        store.sign(&who, "123456", &pf, t0()).is_err(),
        "a code signs once"
    );
    let status = js(&store.my_status(&who, t0()).unwrap());
    assert_eq!(status["stage"], "signee", "{status}");
    let listed = store.partners_for_region(Some("pending"), t0()).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        store
            .partners_for_region(Some("validated"), t0())
            .unwrap()
            .is_empty()
    );
    let record = js(&store.region_record(&pid, &pf, t0()).unwrap());
    assert_eq!(record["siret_valid"], true, "{record}");
    assert_eq!(record["iban_valid"], true);
    assert!(record["email"].as_str().unwrap().starts_with("partner-"));
    store.start_instruction(&pid, t0()).unwrap();
    let (decided, message) = store
        .decide(&pid, &de(json!({"validate": true})), t0())
        .unwrap();
    assert_eq!(decided.status, "validated");
    assert!(!message.is_empty());
    let manager = login(&store, &who.account_id, t0());
    assert_eq!(
        manager.partner,
        Some((pid.clone(), PartnerCategory::Librairie, true))
    );
    // Documents: the Region's instruction reads them, another partner not.
    let doc = js(&store.application(&pid, &pf, t0()).unwrap())["documents"][0]["id"]
        .as_str()
        .map(str::to_owned);
    if let Some(doc) = doc {
        assert_eq!(
            store.document(&region(&store), &doc).unwrap().partner_id,
            pid
        );
        let (_, other) = apply(&store, "Autre", t0());
        assert!(matches!(
            store.document(&other, &doc),
            Err(ServiceError::NotFound(_))
        ));
    }
    // Suspended, reinstated, then terminated by the Region.
    assert!(
        !store
            .suspend(&pid, Some("Contrôle".into()), t0())
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        js(&store.my_status(&manager, t0()).unwrap())["standing"],
        "suspendu"
    );
    store.suspend(&pid, None, t0()).unwrap();
    assert_eq!(
        js(&store.my_status(&manager, t0()).unwrap())["standing"],
        "en_vigueur"
    );
    let on = t0().date_naive() + Duration::days(30);
    store
        .terminate(
            &pid,
            TerminatedBy::Region,
            de(json!({"reason": "Fin d'activité.", "effective_on": on})),
            t0(),
        )
        .unwrap();
    let record = js(&store.region_record(&pid, &pf, t0()).unwrap());
    assert_eq!(
        record["application"]["terminates_on"],
        on.to_string(),
        "{record}"
    );
    assert_eq!(
        record["application"]["notices"].as_array().unwrap().len(),
        4
    );
    let (email, phone) = store.contacts(&pid).unwrap();
    assert!(email.unwrap().starts_with("partner-"));
    assert_eq!(phone.as_deref(), Some("+33612345678"));
}

#[test]
fn wrong_codes_from_two_instances_stay_within_the_bound() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<_> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    let (pid, who) = apply(&stores[0], "Librairie", t0());
    let per_thread = 3;
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (store, who, barrier) = (stores[i % 2].clone(), who.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..per_thread)
                    .map(|_| code_error(store.sign(&who, "000000", &files(), t0())))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let errors: Vec<CodeError> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let wrong = errors.iter().filter(|e| **e == CodeError::Wrong).count();
    assert_eq!(wrong as u32, MAX_CODE_ATTEMPTS, "{errors:?}");
    let attempts: i64 = db
        .client()
        .query_one(
            "SELECT attempts FROM convention_codes WHERE partner_id = $1",
            &[&pid],
        )
        .unwrap()
        .get(0);
    assert_eq!(attempts, (threads * per_thread) as i64, "every try counted");
    // The right code is refused now: a new one must be asked for.
    assert_eq!(
        code_error(stores[1].sign(&who, "123456", &files(), t0())),
        CodeError::TooManyAttempts
    );
}

#[test]
fn one_code_signs_once_from_two_instances() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<_> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    for round in 0..4 {
        let (pid, who) = apply(&stores[0], &format!("Librairie {round}"), t0());
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (store, who, barrier) = (stores[i % 2].clone(), who.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.sign(&who, "123456", &files(), t0())
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
        let signed: i64 = db
            .client()
            .query_one(
                "SELECT COUNT(*) FROM conventions WHERE partner_id = $1 AND signed_at IS NOT NULL",
                &[&pid],
            )
            .unwrap()
            .get(0);
        assert_eq!(signed, 1);
    }
}

#[test]
fn renewal_reminders_are_told_once_per_term_from_two_instances() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<_> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    let (pid, who) = apply(&stores[0], "Librairie", t0());
    stores[0].sign(&who, "123456", &files(), t0()).unwrap();
    stores[0]
        .decide(&pid, &de(json!({"validate": true})), t0())
        .unwrap();
    let ends: String = db
        .client()
        .query_one(
            "SELECT convention_ends_on FROM partners WHERE id = $1",
            &[&pid],
        )
        .unwrap()
        .get(0);
    let ends = chrono::NaiveDate::parse_from_str(&ends, "%Y-%m-%d").unwrap();
    assert!(
        stores[0].due_renewal_reminders(t0()).unwrap().is_empty(),
        "not yet"
    );
    let late = ends.and_hms_opt(8, 0, 0).unwrap().and_utc() - Duration::days(20);
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = stores
        .iter()
        .map(|s| {
            let (s, barrier) = (s.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                s.due_renewal_reminders(late).unwrap()
            })
        })
        .collect();
    let told: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, pid);
    assert!(told[0].1.contains(&ends.format("%d/%m/%Y").to_string()));
    assert!(stores[1].due_renewal_reminders(late).unwrap().is_empty());
    let notices: i64 = db
        .client()
        .query_one(
            "SELECT COUNT(*) FROM partner_notices WHERE partner_id = $1 AND message LIKE 'Votre convention%'",
            &[&pid],
        )
        .unwrap()
        .get(0);
    assert_eq!(notices, 1);
}

#[test]
fn a_bank_change_is_confirmed_by_code_holds_payouts_and_is_decided() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<_> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    let store = &stores[0];
    let (pid, who) = apply(store, "Librairie", t0());
    store.sign(&who, "123456", &files(), t0()).unwrap();
    store
        .decide(&pid, &de(json!({"validate": true})), t0())
        .unwrap();
    let manager = login(store, &who.account_id, t0());
    let req = || de(json!({"iban": "FR7630004000031234567890143", "bic": "BNPAFRPP"}));
    let (first, phone) = store
        .request_bank_change(&manager, req(), "111111", t0())
        .unwrap();
    assert_eq!(phone, "+33612345678");
    // Asked again before confirming: the first is replaced.
    let (id, _) = store
        .request_bank_change(&manager, req(), "222222", t0())
        .unwrap();
    assert_ne!(first, id);
    assert!(!store.payouts_held(&pid).unwrap());
    // Wrong codes from two instances at once: never past the bound.
    let barrier = Arc::new(Barrier::new(6));
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (s, m, b) = (stores[i % 2].clone(), manager.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                s.confirm_bank_change(&m, "111111", t0()).err()
            })
        })
        .collect();
    let wrong = handles
        .into_iter()
        .filter_map(|h| h.join().unwrap())
        .filter(|e| {
            matches!(
                e,
                ServiceError::Partners(PartnersError::Code(CodeError::Wrong))
            )
        })
        .count();
    assert_eq!(wrong as u32, MAX_CODE_ATTEMPTS);
    assert!(matches!(
        store.confirm_bank_change(&manager, "222222", t0()),
        Err(ServiceError::Partners(PartnersError::Code(
            CodeError::TooManyAttempts
        )))
    ));
    // A new request, confirmed: payouts held until the Region decides.
    let (id, _) = store
        .request_bank_change(&manager, req(), "333333", t0())
        .unwrap();
    let confirmed = store.confirm_bank_change(&manager, "333333", t0()).unwrap();
    assert_eq!(confirmed.id, id);
    assert!(store.payouts_held(&pid).unwrap());
    assert!(matches!(
        store.request_bank_change(&manager, req(), "444444", t0()),
        Err(ServiceError::Partners(PartnersError::BankChangePending))
    ));
    assert_eq!(store.bank_changes_to_decide().unwrap().len(), 1);
    assert_eq!(store.my_bank_changes(&manager).unwrap().len(), 3);
    let agent = region(store).account_id;
    let refused = stores[1].decide_bank_change(&id, de(json!({"approve": false})), &agent, t0());
    assert!(matches!(
        refused,
        Err(ServiceError::Invalid {
            field: "reason",
            ..
        })
    ));
    let (decided, message) = stores[1]
        .decide_bank_change(&id, de(json!({"approve": true})), &agent, t0())
        .unwrap();
    assert_eq!(
        decided.decision.as_deref(),
        Some("approuvee"),
        "{decided:?}"
    );
    assert!(message.contains("validées"));
    assert!(!store.payouts_held(&pid).unwrap());
    assert!(store.bank_changes_to_decide().unwrap().is_empty());
    assert!(
        stores[0]
            .decide_bank_change(&id, de(json!({"approve": true})), &agent, t0())
            .is_err(),
        "decided once"
    );
    let iban: String = db
        .client()
        .query_one("SELECT iban FROM partners WHERE id = $1", &[&pid])
        .unwrap()
        .get(0);
    assert_eq!(iban, "FR7630004000031234567890143");
}

fn invitation(pid: &str, email: &str, token: &str) -> NewInvitation {
    NewInvitation {
        partner_id: pid.into(),
        email: email.into(),
        display_name: "Caissier".into(),
        role: PartnerRole::Cashier,
        placeholder_hash: "!".into(),
        token_hash: token.into(),
        created_at: t0(),
        expires_at: t0() + Duration::days(7),
    }
}

#[test]
fn staff_are_invited_their_link_used_once_and_removed() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<_> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    let store = &stores[0];
    let (pid, who) = apply(store, "Librairie", t0());
    let (member, partner) = store
        .invite_staff(invitation(&pid, "Caisse@Example.org", "tok1"))
        .unwrap();
    assert_eq!(partner, "Librairie");
    assert_eq!(js(&member)["status"], "invited", "{}", js(&member));
    // The manager's own address is taken.
    let taken = store.invite_staff(invitation(
        &pid,
        &js(&store.staff(&pid, t0()).unwrap())[0]["email"]
            .as_str()
            .unwrap()
            .to_uppercase(),
        "tok0",
    ));
    assert!(taken.is_err());
    // Invited again: the first link is void.
    store
        .invite_staff(invitation(&pid, "caisse@example.org", "tok2"))
        .unwrap();
    assert_eq!(store.accept_invitation("tok1", PHC, t0()).unwrap(), None);
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (s, b) = (stores[i % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                s.accept_invitation("tok2", PHC, t0()).unwrap()
            })
        })
        .collect();
    let used: Vec<_> = handles
        .into_iter()
        .filter_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(used, ["Caisse@Example.org"], "the link is used once");
    let staff = js(&store.staff(&pid, t0()).unwrap());
    assert_eq!(staff.as_array().unwrap().len(), 2);
    assert_eq!(staff[0]["role"], "manager", "managers first: {staff}");
    assert_eq!(staff[1]["status"], "active");
    let cashier = staff[1]["account_id"].as_str().unwrap().to_owned();
    assert!(matches!(
        store.remove_staff("autre", &cashier, t0()),
        Err(ServiceError::NotFound(_))
    ));
    store.remove_staff(&pid, &cashier, t0()).unwrap();
    assert_eq!(store.staff(&pid, t0()).unwrap().len(), 1);
    assert!(store.devices(&pid).unwrap().is_empty());
    let mut c = db.client();
    c.execute(
        "INSERT INTO partner_devices (id, partner_id, account_id, public_key, label, created_at)
         VALUES ('d1', $1, $2, 'cle', 'Caisse 1', '2026-11-01T00:00:00.000000Z')",
        &[&pid, &who.account_id],
    )
    .unwrap();
    assert_eq!(store.devices(&pid).unwrap().len(), 1);
    assert!(matches!(
        store.revoke_device("autre", "d1", t0()),
        Err(ServiceError::NotFound(_))
    ));
    let revoked = store.revoke_device(&pid, "d1", t0()).unwrap();
    assert_eq!(revoked.revoked_at, Some(t0()));
    let again = stores[1]
        .revoke_device(&pid, "d1", t0() + Duration::hours(1))
        .unwrap();
    assert_eq!(again.revoked_at, Some(t0()), "revoked once");
}

#[test]
fn an_invitation_link_is_used_once_from_two_instances() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<_> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    let (pid, _) = apply(&stores[0], "Librairie", t0());
    for round in 0..10 {
        let token = format!("tok-{round}");
        stores[0]
            .invite_staff(invitation(
                &pid,
                &format!("caisse{round}@example.org"),
                &token,
            ))
            .unwrap();
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (s, b, token) = (stores[i % 2].clone(), barrier.clone(), token.clone());
                std::thread::spawn(move || {
                    b.wait();
                    s.accept_invitation(&token, &format!("{PHC}{i}"), t0())
                        .unwrap()
                })
            })
            .collect();
        let used = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .count();
        assert_eq!(used, 1, "round {round}: the link is used once");
    }
}
