//! One contract for every storage engine: what the repository traits promise,
//! checked by calling them directly (no HTTP). `storage_contract_tests!`
//! instantiates the whole suite for one implementation of `app::Storage`
//! (like matrix-rust-sdk's `statestore_integration_tests!`); it is invoked for
//! SQLite and for PostgreSQL (ADR 0036) at the bottom of this file. The
//! PostgreSQL run takes a fresh database per test on the cluster of
//! `PASSREGION_TEST_DATABASE_URL` (the test command starts a throwaway one);
//! without it, each PostgreSQL test prints SKIPPED and passes.
//!
//! Errors are compared by their public code (`email_deja_utilise`…), the
//! stable part of an error, rather than by the internal enum.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use passregion_server::state::Storage;

/// What the traits cannot do and a test needs: backend-specific setup.
pub trait Fixtures: Send + Sync {
    /// Creates an établissement (the Region's list is seeded, not created
    /// through the traits).
    fn establishment(&self, id: &str, name: &str);
}

/// Instantiates the storage contract for one engine.
///
/// `$factory` is a closure `|| -> Option<(Arc<dyn Storage>, Box<dyn Fixtures>)>`
/// returning a fresh, empty store (`None`: the engine is not available here,
/// the test is skipped loudly); the fixtures also keep whatever the store
/// needs alive (a temporary directory, a database…).
macro_rules! storage_contract_tests {
    ($name:ident, $factory:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn backend() -> Option<super::contract::Backend> {
                let factory: fn() -> Option<(
                    std::sync::Arc<dyn passregion_server::state::Storage>,
                    Box<dyn super::Fixtures>,
                )> = $factory;
                let (store, fixtures) = factory()?;
                Some(super::contract::Backend { store, fixtures })
            }

            storage_contract_tests!(@tests
                accounts_are_created_and_found_by_email_ignoring_case,
                a_duplicate_email_is_refused,
                sessions_resolve_until_they_expire_or_are_deleted,
                prune_removes_expired_sessions_and_old_idempotency_records,
                an_order_is_decided_and_its_card_activated,
                a_second_order_is_refused,
                an_order_is_decided_once_by_its_own_establishment,
                cards_are_suspended_and_reactivated_by_their_establishment,
                a_debit_moves_the_balance_and_the_ledger,
                a_refund_restores_the_balance_once,
                a_replayed_debit_returns_the_stored_answer,
                batches_close_before_the_period_end_and_are_paid_once,
                bons_plans_are_published_once_moderated,
                devices_are_enrolled_per_partner,
                the_change_cursor_reports_each_change_once,
            );
        }
    };
    (@tests $($test:ident),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                if let Some(backend) = backend() {
                    super::contract::$test(backend);
                }
            }
        )*
    };
}

/// The tests, written once against `dyn Storage`.
mod contract {
    use std::sync::Arc;

    use axum::response::IntoResponse;
    use chrono::DateTime;
    use chrono::Duration;
    use chrono::Utc;
    use passregion_core::PartnerCategory;
    use passregion_server::accounts::model::Principal;
    use passregion_server::accounts::model::Role;
    use passregion_server::accounts::repo::NewAccount;
    use passregion_server::cards::CardChange;
    use passregion_server::debits::card::CardRef;
    use passregion_server::debits::card::Channel;
    use passregion_server::debits::qr::ScannedCard;
    use passregion_server::platform::idempotency::Idempotency;
    use passregion_server::platform::idempotency::StoredResponse;
    use passregion_server::state::Storage;
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;
    use serde_json::json;

    use super::Fixtures;

    /// A fresh store and its fixtures.
    pub struct Backend {
        pub store: Arc<dyn Storage>,
        pub fixtures: Box<dyn Fixtures>,
    }

    const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$contract";

    /// The instant of every test: inside the 2026-2027 season.
    /// The documents and PDFs of the contract's partners, in a directory of
    /// their own (the file store is not part of the storage engine).
    fn files() -> passregion_server::partners::store::PartnerFiles {
        static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
        passregion_server::partners::store::PartnerFiles {
            files: Arc::new(passregion_server::platform::files::DocumentStore::new(
                dir.path().join("documents"),
                10 * 1024 * 1024,
            )),
            required: Arc::new(Default::default()),
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// The établissement's order list filtered on the pending ones.
    fn pending_filter() -> passregion_server::cards::model::OrderFilter {
        passregion_server::cards::model::OrderFilter {
            status: Some("en_attente".into()),
            ..Default::default()
        }
    }

    /// A request or decision type, from its public JSON shape.
    fn de<T: DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    /// Any response type, as its public JSON.
    fn js<T: Serialize>(v: &T) -> Value {
        serde_json::to_value(v).unwrap()
    }

    /// The stored answer's status and JSON body.
    fn answer(r: &StoredResponse) -> (u16, Value) {
        (r.status, serde_json::from_str(&r.body).unwrap())
    }

    /// The public code of an expected error.
    fn code<T: std::fmt::Debug, E: IntoResponse>(r: Result<T, E>) -> String {
        let e = match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e,
        };
        let body = e.into_response().into_body();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt.block_on(axum::body::to_bytes(body, usize::MAX)).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        v["code"].as_str().unwrap().to_owned()
    }

    fn remaining(card: &Value, avantage: &str) -> (String, String) {
        let b = card["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["avantage"] == avantage)
            .unwrap();
        (
            b["loaded"].as_str().unwrap().to_owned(),
            b["remaining"].as_str().unwrap().to_owned(),
        )
    }

    fn idem(who: &Principal, key: &str, request: &str) -> Idempotency {
        Idempotency {
            account_id: who.account_id.clone(),
            key: key.to_owned(),
            request_hash: format!("hash-of-{request}"),
        }
    }

    impl Backend {
        fn account(
            &self,
            email: &str,
            role: Role,
            partner_id: Option<String>,
            establishment_id: Option<String>,
        ) -> String {
            self.store
                .create_account(NewAccount {
                    email: email.to_owned(),
                    password_hash: PHC.to_owned(),
                    role,
                    display_name: format!("Compte {email}"),
                    partner_id,
                    establishment_id,
                })
                .unwrap()
        }

        /// Opens a session for the account and resolves it: the caller as
        /// the handlers see it.
        fn login(&self, account_id: &str, now: DateTime<Utc>) -> Principal {
            let token = format!("token-{}", uuid::Uuid::new_v4());
            self.store
                .create_session(
                    token.clone(),
                    account_id.to_owned(),
                    now + Duration::hours(1),
                )
                .unwrap();
            self.store.principal(&token, now).unwrap().unwrap()
        }

        fn staff(&self, establishment_id: &str, name: &str) -> Principal {
            self.fixtures.establishment(establishment_id, name);
            let id = self.account(
                &format!("staff-{}@{establishment_id}.example", uuid::Uuid::new_v4()),
                Role::Establishment,
                None,
                Some(establishment_id.to_owned()),
            );
            self.login(&id, t0())
        }

        fn youth(&self, name: &str) -> Principal {
            let id = self.account(
                &format!("{name}-{}@example.org", uuid::Uuid::new_v4()),
                Role::Youth,
                None,
                None,
            );
            self.login(&id, t0())
        }

        fn order(&self, youth: &Principal, establishment_id: &str, now: DateTime<Utc>) -> Value {
            js(&self
                .store
                .create_order(
                    youth,
                    de(json!({
                        "first_name": "Zoé",
                        "last_name": "Contrat",
                        "birth_date": "2010-03-14",
                        "public": "lyceen",
                        "track": "seconde",
                        "establishment_id": establishment_id,
                        "address": "3 rue des Tests",
                        "postal_code": "69002",
                        "city": "Lyon"
                    })),
                    now,
                )
                .unwrap())
        }

        /// A youth whose order `staff` validated and who activated the card, at `now`.
        fn youth_with_card(&self, staff: &Principal, now: DateTime<Utc>) -> (Principal, Value) {
            let youth = self.youth("zoe");
            let eid = staff.establishment_id.clone().unwrap();
            let order = self.order(&youth, &eid, now);
            self.store
                .decide_order(
                    staff,
                    order["id"].as_str().unwrap(),
                    de(json!({"validate": true})),
                    now,
                )
                .unwrap();
            let card = js(&self.store.activate_card(&youth, now).unwrap());
            (youth, card)
        }

        /// A partner that applied, signed its convention and was validated.
        fn partner(&self, category: PartnerCategory, name: &str, now: DateTime<Utc>) -> Principal {
            let (pid, aid) = self.apply(category, name, now);
            let pending = self.login(&aid, now);
            self.store.sign(&pending, "123456", &files(), now).unwrap();
            self.store
                .decide(&pid, &de(json!({"validate": true})), now)
                .unwrap();
            let who = self.login(&aid, now);
            assert_eq!(who.partner, Some((pid, category, true)));
            who
        }

        /// A partner that applied (confirmed its address, filled its draft,
        /// gave its documents, sent it: the code `123456` waits).
        fn apply(
            &self,
            category: PartnerCategory,
            name: &str,
            now: DateTime<Utc>,
        ) -> (String, String) {
            use passregion_server::partners::model::ApplicationDocument;
            let email = format!("partner-{}@example.org", uuid::Uuid::new_v4());
            let token = format!("verif-{email}");
            self.store
                .register_account(
                    &email,
                    PHC,
                    "Accueil",
                    &token,
                    now + Duration::hours(48),
                    now,
                    Some((name.to_owned(), category)),
                )
                .unwrap();
            self.store
                .consume_verification(&token, now)
                .unwrap()
                .unwrap();
            let aid = self
                .store
                .account_by_email(&email)
                .unwrap()
                .unwrap()
                .view
                .id;
            let who = self.login(&aid, now);
            let pf = files();
            self.store
                .ensure_cgp(passregion_server::partners::cgp::default_cgp(now), now)
                .unwrap();
            self.store
                .save_draft(
                    &who,
                    de(json!({"siret": "73282932000074", "address": "1 rue des Tests", "city": "Lyon",
                              "postal_code": "69001", "latitude": 45.76, "longitude": 4.83,
                              "phone": "06 12 34 56 78", "iban": "FR7630006000011234567890189",
                              "bic": "AGRIFRPP"})),
                    &pf,
                    now,
                )
                .unwrap();
            for kind in pf.required.of(category) {
                self.store
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
            let version = self.store.cgp().unwrap().version;
            self.store
                .submit(&who, &version, false, "123456", &pf, now)
                .unwrap();
            let pid = who.partner.clone().unwrap().0;
            (pid, aid)
        }

        fn debit(
            &self,
            partner: &Principal,
            card_id: &str,
            price: &str,
            key: &str,
            now: DateTime<Utc>,
        ) -> Result<StoredResponse, impl IntoResponse + std::fmt::Debug + use<>> {
            self.store.debit(
                partner,
                CardRef::Scanned(ScannedCard {
                    card_version: None,
                    card_id: card_id.to_owned(),
                    used: None,
                }),
                de(json!({"avantage": "lecture_loisir", "price": price})),
                Channel::Qr,
                idem(partner, key, &format!("debit {card_id} {price}")),
                now,
            )
        }

        fn card_of(&self, youth: &Principal) -> Value {
            js(&self.store.my_card(youth, t0()).unwrap())
        }

        fn ledger_is_consistent(&self) -> i64 {
            let check = js(&self.store.check_ledger().unwrap());
            assert_eq!(check["inconsistencies"], json!([]), "{check}");
            assert_eq!(check["orphans"], 0, "{check}");
            check["lines_checked"].as_i64().unwrap()
        }
    }

    // ---- accounts and sessions ----

    pub fn accounts_are_created_and_found_by_email_ignoring_case(b: Backend) {
        b.fixtures.establishment("etab-ampere", "Lycée Ampère");
        let id = b.account(
            "secretariat@ampere.example",
            Role::Establishment,
            None,
            Some("etab-ampere".into()),
        );
        let found = b
            .store
            .account_by_email("Secretariat@AMPERE.example")
            .unwrap()
            .expect("found whatever the case");
        assert_eq!(found.view.id, id);
        assert_eq!(found.view.email, "secretariat@ampere.example");
        assert_eq!(found.view.role, Role::Establishment);
        assert_eq!(found.view.display_name, "Compte secretariat@ampere.example");
        assert_eq!(found.view.establishment_id.as_deref(), Some("etab-ampere"));
        assert_eq!(found.view.partner_id, None);
        assert_eq!(found.password_hash, PHC);
        assert!(
            b.store
                .account_by_email("personne@ampere.example")
                .unwrap()
                .is_none()
        );
    }

    pub fn a_duplicate_email_is_refused(b: Backend) {
        let first = b.account("zoe@example.org", Role::Youth, None, None);
        let again = b.store.create_account(NewAccount {
            email: "ZOE@example.org".into(),
            password_hash: PHC.into(),
            role: Role::Youth,
            display_name: "Autre".into(),
            partner_id: None,
            establishment_id: None,
        });
        assert_eq!(code(again), "email_deja_utilise");
        let found = b
            .store
            .account_by_email("zoe@example.org")
            .unwrap()
            .unwrap();
        assert_eq!(found.view.id, first);
        assert_eq!(found.view.display_name, "Compte zoe@example.org");
    }

    pub fn sessions_resolve_until_they_expire_or_are_deleted(b: Backend) {
        let id = b.account("zoe@example.org", Role::Youth, None, None);
        b.store
            .create_session("hash-a".into(), id.clone(), t0() + Duration::hours(1))
            .unwrap();
        b.store
            .create_session("hash-b".into(), id.clone(), t0() + Duration::hours(1))
            .unwrap();
        let who = b.store.principal("hash-a", t0()).unwrap().unwrap();
        assert_eq!(who.account_id, id);
        assert_eq!(who.role, Role::Youth);
        assert_eq!(who.partner, None);
        assert_eq!(who.establishment_id, None);
        let late = t0() + Duration::minutes(59);
        assert!(b.store.principal("hash-a", late).unwrap().is_some());
        assert!(
            b.store
                .principal("hash-a", t0() + Duration::hours(1))
                .unwrap()
                .is_none(),
            "expired at its expiry instant"
        );
        assert!(b.store.principal("unknown", t0()).unwrap().is_none());
        b.store.delete_session("hash-a".into()).unwrap();
        assert!(b.store.principal("hash-a", t0()).unwrap().is_none());
        assert!(
            b.store.principal("hash-b", t0()).unwrap().is_some(),
            "other sessions stay"
        );
    }

    pub fn prune_removes_expired_sessions_and_old_idempotency_records(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let old = t0() - Duration::days(40);
        let (_, card) = b.youth_with_card(&staff, old);
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", old);
        b.debit(&partner, card["id"].as_str().unwrap(), "1.00", "old", old)
            .unwrap();
        b.debit(&partner, card["id"].as_str().unwrap(), "1.00", "new", t0())
            .unwrap();
        let id = b.account("zoe@example.org", Role::Youth, None, None);
        b.store
            .create_session("expired".into(), id.clone(), t0() - Duration::minutes(1))
            .unwrap();
        b.store
            .create_session("live".into(), id, t0() + Duration::hours(1))
            .unwrap();
        // Due: four expired sessions ("expired" and the three the partner
        // helper opened 40 days ago for an hour: its draft, its signature,
        // its validated login) and the idempotency record of the debit
        // "old"; the staff's and the youth's sessions opened at t0 are live.
        let pruned = b.store.prune(t0(), Duration::days(30)).unwrap();
        assert_eq!(pruned, 5);
        assert_eq!(b.store.prune(t0(), Duration::days(30)).unwrap(), 0);
        assert!(b.store.principal("live", t0()).unwrap().is_some());
        // The recent debit is still an idempotent replay.
        let replay = b
            .debit(&partner, card["id"].as_str().unwrap(), "1.00", "new", t0())
            .unwrap();
        assert_eq!(answer(&replay).1["balance"], "13.00");
    }

    // ---- orders and cards ----

    pub fn an_order_is_decided_and_its_card_activated(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let youth = b.youth("zoe");
        let order = b.order(&youth, "etab-ampere", t0());
        assert_eq!(order["status"], "en_attente");
        assert_eq!(order["season"], "2026-2027");
        assert_eq!(order["establishment_id"], "etab-ampere");
        assert_eq!(order["first_name"], "Zoé");
        assert_eq!(order["birth_date"], "2010-03-14");
        let mine = js(&b.store.my_orders(&youth).unwrap());
        assert_eq!(mine.as_array().unwrap().len(), 1);
        assert_eq!(mine[0]["id"], order["id"]);
        let pending = js(&b
            .store
            .establishment_orders(&staff, &pending_filter())
            .unwrap());
        assert_eq!(pending.as_array().unwrap().len(), 1);
        assert_eq!(pending[0]["id"], order["id"]);
        let decided = js(&b
            .store
            .decide_order(
                &staff,
                order["id"].as_str().unwrap(),
                de(json!({"validate": true})),
                t0(),
            )
            .unwrap());
        assert_eq!(decided["status"], "validee");
        assert_eq!(decided["decided_at"], json!(t0()));
        assert!(
            js(&b
                .store
                .establishment_orders(&staff, &pending_filter())
                .unwrap())
            .as_array()
            .unwrap()
            .is_empty()
        );
        let issued = b.card_of(&youth);
        assert_eq!(issued["status"], "expediee");
        let card = js(&b.store.activate_card(&youth, t0()).unwrap());
        assert_eq!(card["id"], issued["id"]);
        assert_eq!(card["status"], "active");
        assert_eq!(card["season"], "2026-2027");
        assert_eq!(card["valid_until"], "2027-05-31");
        assert_eq!(card["number"].as_str().unwrap().len(), 16);
        assert_eq!(
            remaining(&card, "lecture_loisir"),
            ("15.00".into(), "15.00".into())
        );
        let listed = js(&b
            .store
            .establishment_cards(&staff, &Default::default(), t0())
            .unwrap());
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], card["id"]);
    }

    pub fn a_second_order_is_refused(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let youth = b.youth("zoe");
        let order = b.order(&youth, "etab-ampere", t0());
        let again = b.store.create_order(
            &youth,
            de(json!({
                "first_name": "Zoé", "last_name": "Contrat", "birth_date": "2010-03-14",
                "public": "lyceen", "track": "seconde", "establishment_id": "etab-ampere",
                "address": "3 rue des Tests", "postal_code": "69002", "city": "Lyon"
            })),
            t0(),
        );
        assert_eq!(code(again), "commande_existante");
        b.store
            .decide_order(
                &staff,
                order["id"].as_str().unwrap(),
                de(json!({"validate": true})),
                t0(),
            )
            .unwrap();
        let with_card = b.store.create_order(
            &youth,
            de(json!({
                "first_name": "Zoé", "last_name": "Contrat", "birth_date": "2010-03-14",
                "public": "lyceen", "track": "seconde", "establishment_id": "etab-ampere",
                "address": "3 rue des Tests", "postal_code": "69002", "city": "Lyon"
            })),
            t0(),
        );
        assert_eq!(code(with_card), "commande_existante");
        assert_eq!(
            js(&b.store.my_orders(&youth).unwrap())
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    pub fn an_order_is_decided_once_by_its_own_establishment(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let other = b.staff("etab-champollion", "Lycée Champollion");
        let youth = b.youth("zoe");
        let order = b.order(&youth, "etab-ampere", t0());
        let id = order["id"].as_str().unwrap();
        let theirs = b
            .store
            .decide_order(&other, id, de(json!({"validate": true})), t0());
        assert_eq!(code(theirs), "introuvable");
        assert!(
            js(&b
                .store
                .establishment_orders(&other, &Default::default())
                .unwrap())
            .as_array()
            .unwrap()
            .is_empty()
        );
        let refused = js(&b
            .store
            .decide_order(
                &staff,
                id,
                de(json!({"validate": false, "reason": "Inscription non confirmée."})),
                t0(),
            )
            .unwrap());
        assert_eq!(refused["status"], "refusee");
        assert_eq!(refused["reason"], "Inscription non confirmée.");
        let again = b
            .store
            .decide_order(&staff, id, de(json!({"validate": true})), t0());
        assert_eq!(code(again), "commande_deja_traitee");
        assert_eq!(code(b.store.my_card(&youth, t0())), "introuvable");
    }

    pub fn cards_are_suspended_and_reactivated_by_their_establishment(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let other = b.staff("etab-champollion", "Lycée Champollion");
        let (youth, card) = b.youth_with_card(&staff, t0());
        let id = card["id"].as_str().unwrap();
        let theirs =
            b.store
                .change_card(&other, id, CardChange::Suspend("Par erreur".into()), t0());
        assert_eq!(code(theirs), "introuvable");
        let suspended = js(&b
            .store
            .change_card(
                &staff,
                id,
                CardChange::Suspend("Manuels rendus abîmés".into()),
                t0(),
            )
            .unwrap());
        assert_eq!(suspended["status"], "suspendue");
        assert_eq!(suspended["status_reason"], "Manuels rendus abîmés");
        let seen = b.card_of(&youth);
        assert_eq!(seen["status"], "suspendue");
        assert_eq!(seen["status_reason"], "Manuels rendus abîmés");
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", t0());
        assert_eq!(
            code(b.debit(&partner, id, "1.00", "while-suspended", t0())),
            "carte_suspendue"
        );
        let twice = b
            .store
            .change_card(&staff, id, CardChange::Suspend("Encore".into()), t0());
        assert_eq!(code(twice), "changement_impossible");
        let back = js(&b
            .store
            .change_card(&staff, id, CardChange::Reactivate, t0())
            .unwrap());
        assert_eq!(back["status"], "active");
        assert_eq!(back["status_reason"], Value::Null);
        assert_eq!(
            remaining(&back, "lecture_loisir"),
            ("15.00".into(), "15.00".into())
        );
        assert!(b.debit(&partner, id, "1.00", "after", t0()).is_ok());
    }

    // ---- debits, refunds, the ledger ----

    pub fn a_debit_moves_the_balance_and_the_ledger(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let (youth, card) = b.youth_with_card(&staff, t0());
        let card_id = card["id"].as_str().unwrap();
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", t0());
        let lines = b.ledger_is_consistent();
        let (status, receipt) = answer(&b.debit(&partner, card_id, "12.50", "k1", t0()).unwrap());
        assert_eq!(status, 201);
        assert_eq!(receipt["debited"], "12.50");
        assert_eq!(receipt["price"], "12.50");
        assert_eq!(receipt["reste_a_payer"], "0.00");
        assert_eq!(receipt["balance"], "2.50");
        assert_eq!(receipt["avantage"], "lecture_loisir");
        assert_eq!(receipt["channel"], "qr");
        assert_eq!(
            remaining(&b.card_of(&youth), "lecture_loisir"),
            ("15.00".into(), "2.50".into())
        );
        // Above what is left: the card goes to zero, the youth pays the rest.
        let (_, second) = answer(&b.debit(&partner, card_id, "10.00", "k2", t0()).unwrap());
        assert_eq!(second["debited"], "2.50");
        assert_eq!(second["reste_a_payer"], "7.50");
        assert_eq!(second["balance"], "0.00");
        assert_eq!(
            code(b.debit(&partner, card_id, "1.00", "k3", t0())),
            "credit_epuise"
        );
        assert_eq!(
            b.ledger_is_consistent(),
            lines,
            "same lines, more movements"
        );
        let page = js(&b.store.partner_transactions(&partner, 0, 500).unwrap());
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert!(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["reimbursement_status"] == "en_attente")
        );
        assert_eq!(
            js(&b.store.my_transactions(&youth).unwrap())
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let all = js(&b.store.region_transactions(0, 500).unwrap());
        assert!(
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == receipt["id"])
        );
        let summary = js(&b.store.partner_reimbursements(&partner).unwrap());
        assert_eq!(summary["pending_total"], "15.00");
    }

    pub fn a_refund_restores_the_balance_once(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let (youth, card) = b.youth_with_card(&staff, t0());
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", t0());
        let other = b.partner(PartnerCategory::Librairie, "La Page Blanche", t0());
        let (_, receipt) = answer(
            &b.debit(&partner, card["id"].as_str().unwrap(), "12.50", "k1", t0())
                .unwrap(),
        );
        let tx = receipt["id"].as_str().unwrap();
        let later = t0() + Duration::hours(2);
        let stranger = b.store.refund(
            &other,
            tx,
            de(json!({})),
            idem(&other, "r0", "refund"),
            later,
        );
        assert_eq!(code(stranger), "introuvable");
        let (status, refund) = answer(
            &b.store
                .refund(
                    &partner,
                    tx,
                    de(json!({})),
                    idem(&partner, "r1", "refund"),
                    later,
                )
                .unwrap(),
        );
        assert_eq!(status, 201);
        assert_eq!(refund["debited"], "12.50");
        assert_eq!(refund["balance_after"], "15.00");
        assert_eq!(refund["refund_of"], tx);
        assert_eq!(
            remaining(&b.card_of(&youth), "lecture_loisir"),
            ("15.00".into(), "15.00".into())
        );
        let again = b.store.refund(
            &partner,
            tx,
            de(json!({})),
            idem(&partner, "r2", "refund"),
            later,
        );
        assert_eq!(code(again), "deja_rembourse");
        b.ledger_is_consistent();
        let page = js(&b.store.partner_transactions(&partner, 0, 500).unwrap());
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        let original = items.iter().find(|t| t["id"] == tx).unwrap();
        assert_eq!(original["refunded"], true);
        let summary = js(&b.store.partner_reimbursements(&partner).unwrap());
        assert_eq!(summary["pending_total"], "0.00");
        // Past the refund window (7 days by default): refused.
        let (_, late) = answer(
            &b.debit(&partner, card["id"].as_str().unwrap(), "1.00", "k2", t0())
                .unwrap(),
        );
        let too_late = b.store.refund(
            &partner,
            late["id"].as_str().unwrap(),
            de(json!({})),
            idem(&partner, "r3", "refund"),
            t0() + Duration::days(8),
        );
        assert_eq!(code(too_late), "delai_annulation_depasse");
    }

    pub fn a_replayed_debit_returns_the_stored_answer(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let (youth, card) = b.youth_with_card(&staff, t0());
        let card_id = card["id"].as_str().unwrap();
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", t0());
        let first = b
            .debit(&partner, card_id, "4.00", "same-key", t0())
            .unwrap();
        let replay = b
            .debit(
                &partner,
                card_id,
                "4.00",
                "same-key",
                t0() + Duration::minutes(5),
            )
            .unwrap();
        assert_eq!(answer(&first), answer(&replay), "the stored answer, again");
        assert_eq!(answer(&first).1["balance"], "11.00");
        assert_eq!(
            remaining(&b.card_of(&youth), "lecture_loisir").1,
            "11.00",
            "debited once"
        );
        let conflict = b.debit(&partner, card_id, "5.00", "same-key", t0());
        assert_eq!(code(conflict), "cle_idempotence_reutilisee");
        // Keys belong to an account: another partner's same key is another debit.
        let other = b.partner(PartnerCategory::Librairie, "La Page Blanche", t0());
        let theirs = b.debit(&other, card_id, "4.00", "same-key", t0()).unwrap();
        assert_ne!(answer(&theirs).1["id"], answer(&first).1["id"]);
        assert_eq!(remaining(&b.card_of(&youth), "lecture_loisir").1, "7.00");
        let page = js(&b.store.partner_transactions(&partner, 0, 500).unwrap());
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        b.ledger_is_consistent();
    }

    // ---- reimbursements ----

    pub fn batches_close_before_the_period_end_and_are_paid_once(b: Backend) {
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let before = t0() - Duration::days(10);
        let (_, card) = b.youth_with_card(&staff, before);
        let card_id = card["id"].as_str().unwrap();
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", before);
        let (pid, _, _) = partner.partner.clone().unwrap();
        b.debit(&partner, card_id, "4.00", "a", t0() - Duration::days(3))
            .unwrap();
        b.debit(&partner, card_id, "2.50", "b", t0() - Duration::days(2))
            .unwrap();
        b.debit(&partner, card_id, "1.00", "c", t0()).unwrap();
        assert_eq!(b.store.last_period_end().unwrap(), None);
        let period_end = t0() - Duration::days(1);
        let batches = js(&b.store.close_reimbursements(period_end, t0()).unwrap());
        let batches = batches.as_array().unwrap();
        assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        assert_eq!(batch["partner_id"], pid.as_str());
        assert_eq!(batch["partner_name"], "Librairie du Parc");
        assert_eq!(batch["total"], "6.50");
        assert_eq!(batch["transactions"], 2);
        assert_eq!(batch["status"], "en_cours");
        assert_eq!(batch["period_end"], json!(period_end));
        assert_eq!(b.store.last_period_end().unwrap(), Some(period_end));
        assert!(
            b.store
                .close_reimbursements(period_end, t0())
                .unwrap()
                .is_empty(),
            "nothing left before that end"
        );
        let summary = js(&b.store.partner_reimbursements(&partner).unwrap());
        assert_eq!(summary["pending_total"], "1.00");
        assert_eq!(summary["in_progress_total"], "6.50");
        assert_eq!(summary["paid_total"], "0.00");
        let id = batch["id"].as_str().unwrap();
        let paid_at = t0() + Duration::hours(3);
        let region = b.account(
            &format!("finance-{}@region.example", uuid::Uuid::new_v4()),
            Role::Region,
            None,
            None,
        );
        let region = b.login(&region, t0());
        let pay = |id: &str| {
            let req = passregion_server::reimbursements::model::ManualPayment {
                reference: "VIR-1".into(),
                paid_on: None,
            };
            b.store.pay_manually(&region, id, req, paid_at)
        };
        let paid = js(&pay(id).unwrap());
        assert_eq!(paid["status"], "rembourse");
        assert_eq!(paid["paid_at"], json!(paid_at));
        assert_eq!(paid["bank_reference"], "VIR-1");
        assert_eq!(code(pay(id)), "champ_invalide");
        assert_eq!(code(pay("no-such-batch")), "introuvable");
        let summary = js(&b.store.partner_reimbursements(&partner).unwrap());
        assert_eq!(summary["in_progress_total"], "0.00");
        assert_eq!(summary["paid_total"], "6.50");
        let page = js(&b.store.partner_transactions(&partner, 0, 500).unwrap());
        let statuses: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["reimbursement_status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == "rembourse").count(),
            2,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == "en_attente").count(),
            1,
            "{statuses:?}"
        );
        let all = js(&b.store.batches().unwrap());
        assert_eq!(all.as_array().unwrap().len(), 1);
        assert_eq!(all[0]["id"], id);
        // The next period takes the rest.
        let next = js(&b
            .store
            .close_reimbursements(t0() + Duration::days(1), t0())
            .unwrap());
        assert_eq!(next[0]["total"], "1.00");
    }

    // ---- bons plans ----

    pub fn bons_plans_are_published_once_moderated(b: Backend) {
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", t0());
        let plan = js(&b
            .store
            .submit_bon_plan(
                &partner,
                de(json!({"title": "Rencontre d'auteur", "description": "Sur inscription."})),
                t0(),
            )
            .unwrap());
        assert_eq!(plan["status"], "soumis");
        assert_eq!(plan["title"], "Rencontre d'auteur");
        assert_eq!(plan["partner_name"], "Librairie du Parc");
        let id = plan["id"].as_str().unwrap();
        let published = |category: Option<PartnerCategory>| -> Vec<Value> {
            js(&b.store.bons_plans(category, t0().date_naive()).unwrap())
                .as_array()
                .unwrap()
                .clone()
        };
        assert!(published(None).is_empty(), "not before moderation");
        let pending = js(&b.store.bons_plans_to_moderate().unwrap());
        assert_eq!(pending.as_array().unwrap().len(), 1);
        assert_eq!(pending[0]["id"], id);
        let own = js(&b.store.partner_bons_plans(&partner).unwrap());
        assert_eq!(own[0]["id"], id);
        let no_reason = b
            .store
            .moderate_bon_plan(id, de(json!({"validate": false})));
        assert_eq!(code(no_reason), "champ_invalide");
        let valid = js(&b
            .store
            .moderate_bon_plan(id, de(json!({"validate": true})))
            .unwrap());
        assert_eq!(valid["status"], "valide");
        let list = published(None);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["id"], id);
        assert_eq!(published(Some(PartnerCategory::Librairie)).len(), 1);
        assert!(published(Some(PartnerCategory::Cinema)).is_empty());
        assert!(
            js(&b.store.bons_plans_to_moderate().unwrap())
                .as_array()
                .unwrap()
                .is_empty()
        );
        let twice = b.store.moderate_bon_plan(id, de(json!({"validate": true})));
        assert_eq!(code(twice), "champ_invalide");
        // A refused one is never published.
        let other = js(&b
            .store
            .submit_bon_plan(
                &partner,
                de(json!({"title": "Soldes", "description": "Tout à -50 %."})),
                t0(),
            )
            .unwrap());
        let refused = js(&b
            .store
            .moderate_bon_plan(
                other["id"].as_str().unwrap(),
                de(json!({"validate": false, "reason": "Hors convention."})),
            )
            .unwrap());
        assert_eq!(refused["status"], "refuse");
        assert_eq!(refused["reason"], "Hors convention.");
        assert_eq!(published(None).len(), 1);
    }

    // ---- sync ----

    pub fn devices_are_enrolled_per_partner(b: Backend) {
        let partner = b.partner(PartnerCategory::Librairie, "Librairie du Parc", t0());
        let other = b.partner(PartnerCategory::Librairie, "La Page Blanche", t0());
        let (pid, _, _) = partner.partner.clone().unwrap();
        let (other_pid, _, _) = other.partner.clone().unwrap();
        let req = de(json!({"device_public_key": "cle-publique-1", "label": "Caisse 1"}));
        let id = b.store.enrol_device(&partner, &req, t0()).unwrap();
        let second = b
            .store
            .enrol_device(
                &partner,
                &de(json!({"device_public_key": "cle-publique-2", "label": "Caisse 2"})),
                t0(),
            )
            .unwrap();
        assert_ne!(id, second);
        let mut devices = b.store.partner_devices(&pid).unwrap();
        devices.sort();
        let mut expected = vec![
            (id, "cle-publique-1".to_owned(), false),
            (second, "cle-publique-2".to_owned(), false),
        ];
        expected.sort();
        assert_eq!(devices, expected);
        assert!(b.store.partner_devices(&other_pid).unwrap().is_empty());
        // Only a validated partner enrols devices.
        let (_, aid) = b.apply(PartnerCategory::Cinema, "Cinéma en instruction", t0());
        let pending = b.login(&aid, t0());
        assert_eq!(
            code(b.store.enrol_device(&pending, &req, t0())),
            "partenariat_inactif"
        );
    }

    pub fn the_change_cursor_reports_each_change_once(b: Backend) {
        let start = b.store.changes(0, 500).unwrap().cursor;
        let (pid, aid) = b.apply(PartnerCategory::Librairie, "Librairie du Parc", t0());
        let page = b.store.changes(start, 500).unwrap();
        assert!(page.cursor > start);
        assert!(!page.more);
        let entry = page.partners.iter().find(|p| p.id == pid).unwrap();
        assert!(!entry.active, "pending: not in the directory");
        let after_apply = page.cursor;
        let quiet = b.store.changes(after_apply, 500).unwrap();
        assert_eq!(quiet.cursor, after_apply);
        assert!(quiet.partners.is_empty() && quiet.revoked_cards.is_empty());
        let pending = b.login(&aid, t0());
        b.store.sign(&pending, "123456", &files(), t0()).unwrap();
        b.store
            .decide(&pid, &de(json!({"validate": true})), t0())
            .unwrap();
        let page = b.store.changes(after_apply, 500).unwrap();
        let entries: Vec<_> = page.partners.iter().filter(|p| p.id == pid).collect();
        assert_eq!(entries.len(), 1, "one entry per changed partner");
        assert!(entries[0].active);
        // A suspended card is revoked, a reactivated one restored.
        let staff = b.staff("etab-ampere", "Lycée Ampère");
        let (_, card) = b.youth_with_card(&staff, t0());
        let card_id = card["id"].as_str().unwrap();
        let card_uuid = uuid::Uuid::parse_str(card_id).unwrap();
        let before = b.store.changes(0, 500).unwrap().cursor;
        b.store
            .change_card(&staff, card_id, CardChange::Suspend("Perdue".into()), t0())
            .unwrap();
        let page = b.store.changes(before, 500).unwrap();
        assert_eq!(page.revoked_cards, vec![card_uuid]);
        assert!(page.restored_cards.is_empty());
        b.store
            .change_card(&staff, card_id, CardChange::Reactivate, t0())
            .unwrap();
        let page2 = b.store.changes(page.cursor, 500).unwrap();
        assert_eq!(page2.restored_cards, vec![card_uuid]);
        assert!(page2.revoked_cards.is_empty());
        // Paging: a limit of one change at a time still reaches the end.
        let mut cursor = 0;
        let mut pages = 0;
        loop {
            let p = b.store.changes(cursor, 1).unwrap();
            pages += 1;
            if p.cursor == cursor {
                break;
            }
            cursor = p.cursor;
            assert!(pages < 100);
        }
        assert_eq!(cursor, page2.cursor);
    }
}

// ---- the engines ----

mod sqlite_fixtures {
    use std::sync::Arc;

    use passregion_server::config::Policy;
    use passregion_server::config::load_catalogues;
    use passregion_server::platform::db::Db;
    use passregion_server::platform::store::SqliteStore;

    use super::Fixtures;
    use super::Storage;

    struct SqliteFixtures {
        store: Arc<SqliteStore>,
        _dir: tempfile::TempDir,
    }

    impl Fixtures for SqliteFixtures {
        fn establishment(&self, id: &str, name: &str) {
            let (id, name) = (id.to_owned(), name.to_owned());
            self.store
                .db()
                .write(move |c| {
                    c.execute(
                        "INSERT OR IGNORE INTO establishments (id, name, kind, city, postal_code)
                         VALUES (?1, ?2, 'lycee', 'Lyon', '69002')",
                        [id, name],
                    )?;
                    Ok(())
                })
                .unwrap();
        }
    }

    /// A fresh SQLite store in a temporary directory.
    pub fn sqlite() -> (Arc<dyn Storage>, Box<dyn Fixtures>) {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(&dir.path().join("passregion.db")).unwrap());
        let catalogues = Arc::new(load_catalogues(&[]).unwrap());
        let store = Arc::new(SqliteStore::new(db, catalogues, Policy::default()));
        (store.clone(), Box::new(SqliteFixtures { store, _dir: dir }))
    }
}

storage_contract_tests!(sqlite, || Some(sqlite_fixtures::sqlite()));

/// A fresh database per test (`support::TestDb`, shared with the
/// PostgreSQL engine's own tests).
#[path = "pg/support.rs"]
#[allow(dead_code)] // its schema helpers serve the PostgreSQL engine's own tests
mod support;

mod pg_fixtures {
    use std::sync::Arc;

    use passregion_server::config::Policy;
    use passregion_server::config::load_catalogues;
    use passregion_server::platform::store::PgStore;

    use super::Fixtures;
    use super::Storage;
    use super::support::TestDb;

    struct PgFixtures {
        db: TestDb,
    }

    impl Fixtures for PgFixtures {
        fn establishment(&self, id: &str, name: &str) {
            self.db
                .client()
                .execute(
                    "INSERT INTO establishments (id, name, kind, city, postal_code)
                     VALUES ($1, $2, 'lycee', 'Lyon', '69002') ON CONFLICT DO NOTHING",
                    &[&id, &name],
                )
                .unwrap();
        }
    }

    /// A fresh, migrated PostgreSQL store, or `None` (said) without a cluster.
    pub fn postgres() -> Option<(Arc<dyn Storage>, Box<dyn Fixtures>)> {
        let db = TestDb::new("storage_contract::postgres")?;
        let pool = db.pool(4);
        pool.migrate().unwrap();
        let store = Arc::new(PgStore::new(
            pool,
            Arc::new(load_catalogues(&[]).unwrap()),
            Policy::default(),
        ));
        Some((store, Box::new(PgFixtures { db })))
    }
}

storage_contract_tests!(postgres, pg_fixtures::postgres);
