//! In-process test harness: the server's state built with a fixed clock on a
//! temporary data directory, driven through `router::router` with
//! `tower::ServiceExt::oneshot` (no process, no port).
//!
//! ```ignore
//! let app = TestApp::init().build().await;
//! let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
//! let (youth, card) = app.youth_with_card(&etab, "Zoé").await;
//! let partner = app.partner(PartnerCategory::Librairie, "Librairie du Parc").await;
//! app.advance(Duration::days(8));
//! ```
//!
//! Setup goes through the HTTP API where the API offers it (register, order,
//! validate, activate) and through the storage traits otherwise (staff
//! accounts); what neither offers (an établissement row, a validated
//! partner) is inserted with SQL ([`TestApp::exec_sql`]).
//!
//! The engine is SQLite, or PostgreSQL with `PASSREGION_TEST_ENGINE=postgres`
//! (a database per app on the cluster of `PASSREGION_TEST_DATABASE_URL`): see
//! [`engine`].
//!
//! The clock does not move by itself: the server's 30-second session cache
//! and failure windows only expire with [`TestApp::advance`]. Nothing of
//! `Server::run` is here (background ticks, body limit, CORS, security
//! headers); `tests/tests/` checks those on the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod client;
mod engine;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::OnceLock;

use axum::Router;
use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use clap::Args;
use clap::FromArgMatches;
use passregion_core::Clock;
use passregion_core::PartnerCategory;
use passregion_core::clock::FixedClock;
use passregion_server::AppState;
use passregion_server::Config;
use passregion_server::Server;
use passregion_server::accounts::model::Role;
use passregion_server::accounts::repo::NewAccount;
use passregion_server::state::Storage;
use serde_json::Value;
use serde_json::json;

pub use self::client::Client;
pub use self::client::Resp;
use self::engine::Backing;
pub use self::engine::Engine;
pub use self::engine::SqlArg;
use self::engine::SqlTarget;
pub use self::engine::Statement;
use crate::sql_args;

/// The password of every account the builders create.
pub const PASSWORD: &str = "motdepasse";

/// The default instant: a Friday morning inside the 2026-2027 season.
pub const DEFAULT_NOW: &str = "2026-11-20T10:00:00Z";

/// The argon2 hash of [`PASSWORD`], computed once per test binary.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| passregion_server::accounts::password::hash_password(PASSWORD).unwrap())
        .clone()
}

/// Parses an instant written in RFC 3339.
pub fn instant(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

/// Builds a [`TestApp`].
pub struct TestAppBuilder {
    at: DateTime<Utc>,
    flags: Vec<String>,
    demo: Option<usize>,
}

impl TestAppBuilder {
    /// Starts the clock at this instant (RFC 3339) instead of [`DEFAULT_NOW`].
    pub fn at(mut self, rfc3339: &str) -> Self {
        self.at = instant(rfc3339);
        self
    }

    /// Extra server flags, as on the command line (`["--refund-days", "0"]`).
    pub fn flags(mut self, flags: &[&str]) -> Self {
        self.flags.extend(flags.iter().map(|f| (*f).to_owned()));
        self
    }

    /// Seeds the demo region (`youths` demo youths; logins `…@demo.passregion.fr`,
    /// password `demo1234`). Slower than the builders: only for tests about
    /// the demo's own data.
    pub fn demo(mut self, youths: usize) -> Self {
        self.demo = Some(youths);
        self
    }

    /// Builds the server state (database, keys, demo if asked) and its router.
    pub async fn build(self) -> TestApp {
        let backing = Arc::new(Backing::new(Engine::from_env()).await);
        let data_dir = backing.data_dir();
        let mut args: Vec<String> = vec![
            "passregion-server".into(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--bind".into(),
            "127.0.0.1:0".into(),
        ];
        args.extend(backing.storage_args());
        if let Some(n) = self.demo {
            args.extend(["--demo".into(), "--demo-youths".into(), n.to_string()]);
        }
        args.extend(self.flags);
        let clock = Arc::new(FixedClock::new(self.at));
        TestApp::start(args, clock, backing).await.unwrap()
    }
}

/// The server configuration from command-line style arguments (defaults as
/// for the binary).
pub fn parse_config(args: &[String]) -> Config {
    let cmd = Config::augment_args(clap::Command::new("passregion-server"));
    let matches = cmd.try_get_matches_from(args).unwrap();
    Config::from_arg_matches(&matches).unwrap()
}

/// A server in this process, at a fixed instant.
#[derive(Clone)]
pub struct TestApp {
    /// The state the handlers share (store, clock, keys…).
    pub state: AppState,
    /// The clock: only moves with [`TestApp::advance`] and [`TestApp::set_time`].
    pub clock: Arc<FixedClock>,
    /// The data directory (keys, SMS outbox; SQLite's database).
    pub data_dir: PathBuf,
    router: Router,
    /// The command line it was built with (for [`TestApp::restart`]).
    args: Vec<String>,
    /// The data directory and database, kept by every restart.
    backing: Arc<Backing>,
}

impl TestApp {
    /// A builder: `TestApp::init().at("2027-05-31T21:00:00Z").build().await`.
    pub fn init() -> TestAppBuilder {
        TestAppBuilder {
            at: instant(DEFAULT_NOW),
            flags: Vec::new(),
            demo: None,
        }
    }

    /// The server state of `args` (or why it refused to start) and its router.
    async fn start(
        args: Vec<String>,
        clock: Arc<FixedClock>,
        backing: Arc<Backing>,
    ) -> anyhow::Result<TestApp> {
        let config = parse_config(&args);
        let (server, _) = Server::build_with_clock(config, clock.clone()).await?;
        let state = server.state.clone();
        Ok(TestApp {
            router: passregion_server::router::router(state.clone()),
            state,
            clock,
            data_dir: backing.data_dir(),
            args,
            backing,
        })
    }

    /// A new server on the same data directory, database, flags and clock,
    /// as after a restart (or why it refused to start).
    pub async fn restart(&self) -> anyhow::Result<TestApp> {
        TestApp::start(self.args.clone(), self.clock.clone(), self.backing.clone()).await
    }

    /// A client of this server with the session of `other` (a client of the
    /// server before a restart).
    pub fn same_session(&self, other: &Client) -> Client {
        Client {
            token: other.token.clone(),
            ..self.client()
        }
    }

    /// The storage behind the handlers.
    pub fn store(&self) -> &Arc<dyn Storage> {
        &self.state.store
    }

    /// Calls the storage traits on a blocking thread, as the handlers do
    /// (PostgreSQL's synchronous client never runs on the runtime's thread):
    /// `app.with_store(move |s| s.payouts_held(&pid)).await`.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Storage) -> T + Send + 'static,
    ) -> T {
        let store = self.store().clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .unwrap()
    }

    /// The server's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Sets the clock (RFC 3339).
    pub fn set_time(&self, rfc3339: &str) {
        self.clock.set(instant(rfc3339));
    }

    /// The engine this app runs on.
    pub fn engine(&self) -> Engine {
        self.backing.engine
    }

    /// Whether this app runs on SQLite; otherwise prints that `test` (about
    /// `what` of SQLite) is skipped: `if !app.engine_is_sqlite("…", "…") { return; }`.
    pub fn engine_is_sqlite(&self, test: &str, what: &str) -> bool {
        let sqlite = self.engine() == Engine::Sqlite;
        if !sqlite {
            eprintln!(
                "SKIPPED {test} on {:?} ({what} is SQLite specific)",
                self.engine()
            );
        }
        sqlite
    }

    /// The SQLite database of this app: only for what is SQLite's own (its
    /// single writer's jobs), after [`TestApp::engine_is_sqlite`].
    pub fn db(&self) -> std::sync::Arc<passregion_server::platform::db::Db> {
        self.state
            .db
            .clone()
            .expect("app.db() is SQLite's: check app.engine_is_sqlite() first")
    }

    fn sql(&self) -> SqlTarget {
        self.backing.target(self.state.db.clone())
    }

    /// Runs one statement (SQLite's `?1` placeholders, SQL both engines
    /// accept) on this app's database; the rows it changed.
    pub async fn exec_sql(&self, sql: &str, args: Vec<SqlArg>) -> anyhow::Result<u64> {
        self.exec_sql_all(vec![(sql.to_owned(), args)]).await
    }

    /// Runs statements in one transaction (all or nothing); the rows they changed.
    pub async fn exec_sql_all(&self, statements: Vec<Statement>) -> anyhow::Result<u64> {
        self.sql().execute(statements).await
    }

    /// Runs the script written for this app's engine (DDL differs: triggers).
    pub async fn exec_script(&self, sqlite: &str, postgres: &str) -> anyhow::Result<()> {
        let script = match self.engine() {
            Engine::Sqlite => sqlite,
            Engine::Postgres => postgres,
        };
        self.sql().batch(script).await
    }

    /// The count (or any integer) that `query` returns.
    pub async fn sql_count(&self, query: &str) -> i64 {
        self.sql().query_i64(query).await.unwrap()
    }

    /// A client with no session.
    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            token: None,
        }
    }

    /// Anonymous GET.
    pub async fn get(&self, path: &str) -> Resp {
        self.client().get(path).await
    }

    /// Anonymous POST of JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.client().post(path, body).await
    }

    /// Anonymous POST of JSON with an `Idempotency-Key`.
    pub async fn post_idem(&self, path: &str, key: &str, body: &Value) -> Resp {
        self.client().post_idem(path, key, body).await
    }

    /// Logs in through `POST /api/auth/login` with [`PASSWORD`].
    pub async fn login(&self, email: &str) -> Client {
        self.login_with(email, PASSWORD).await
    }

    /// Logs in through `POST /api/auth/login`.
    pub async fn login_with(&self, email: &str, password: &str) -> Client {
        let mut c = self.client();
        let r = c
            .post(
                "/api/auth/login",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "login {email}: {}", r.body);
        c.token = Some(r.body["token"].as_str().unwrap().to_owned());
        c
    }

    /// Creates a staff account through the storage traits and logs it in.
    async fn staff(
        &self,
        email: &str,
        role: Role,
        display_name: &str,
        partner_id: Option<String>,
        establishment_id: Option<String>,
    ) -> Client {
        let store = self.store().clone();
        let account = NewAccount {
            email: email.to_owned(),
            password_hash: password_hash(),
            role,
            display_name: display_name.to_owned(),
            partner_id,
            establishment_id,
        };
        tokio::task::spawn_blocking(move || store.create_account(account))
            .await
            .unwrap()
            .unwrap();
        self.login(email).await
    }

    /// An agent of the Region (`region@test.passregion.fr`), logged in.
    pub async fn region(&self) -> Client {
        let email = format!("region-{}@test.passregion.fr", uuid::Uuid::new_v4());
        self.staff(&email, Role::Region, "Agent de la Région", None, None)
            .await
    }

    /// A lycée `id` named `name` (Lyon) and a new member of its staff, logged in.
    pub async fn establishment(&self, id: &str, name: &str) -> Client {
        self.establishment_of_kind(id, name, "lycee", "Lyon", "69002")
            .await
    }

    /// An établissement of any kind (`lycee`, `cfa`, `mission_locale`…) and a
    /// new member of its staff, logged in. The établissement is created once.
    pub async fn establishment_of_kind(
        &self,
        id: &str,
        name: &str,
        kind: &str,
        city: &str,
        postal_code: &str,
    ) -> Client {
        // Neither the API nor the storage traits create établissements (the
        // Region's list is seeded): one row, straight into the database.
        self.exec_sql(
            "INSERT INTO establishments (id, name, kind, city, postal_code)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            sql_args![id, name, kind, city, postal_code],
        )
        .await
        .unwrap();
        let email = format!(
            "{}-{}@test.passregion.fr",
            id.trim_start_matches("etab-"),
            uuid::Uuid::new_v4()
        );
        self.staff(
            &email,
            Role::Establishment,
            &format!("Secrétariat — {name}"),
            None,
            Some(id.to_owned()),
        )
        .await
    }

    /// A validated partner of `category` named `name` (applied, convention
    /// signed, validated by the Region: through the storage traits), with one
    /// member of staff, logged in.
    pub async fn partner(&self, category: PartnerCategory, name: &str) -> Client {
        self.partner_at(category, name, 45.764, 4.835).await
    }

    /// [`TestApp::partner`] at given coordinates.
    pub async fn partner_at(
        &self,
        category: PartnerCategory,
        name: &str,
        latitude: f64,
        longitude: f64,
    ) -> Client {
        let email = format!(
            "{}-{}@test.passregion.fr",
            category.code().replace('_', "-"),
            uuid::Uuid::new_v4()
        );
        let pid = uuid::Uuid::now_v7().to_string();
        let now = passregion_server::platform::sql::ts(self.now());
        self.exec_sql(
            "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
             longitude, status, convention_signed_at, created_at, siret, phone, contact_name,
             iban, bic, submitted_at) VALUES (?1, ?2, ?3, '1 rue des Tests', 'Lyon', '69001',
             ?4, ?5, 'validated', ?6, ?6, '73282932000074', '+33612345678', 'Accueil',
             'FR7630006000011234567890189', 'AGRIFRPP', ?6)",
            sql_args![
                pid.as_str(),
                name,
                category.code(),
                latitude,
                longitude,
                now
            ],
        )
        .await
        .unwrap();
        let store = self.store().clone();
        let account = NewAccount {
            email: email.clone(),
            password_hash: password_hash(),
            role: Role::Partner,
            display_name: "Accueil".into(),
            partner_id: Some(pid),
            establishment_id: None,
        };
        tokio::task::spawn_blocking(move || store.create_account(account))
            .await
            .unwrap()
            .unwrap();
        self.login(&email).await
    }

    /// A youth who registered through the API (no order yet).
    pub async fn youth(&self, name: &str) -> Client {
        let email = format!("{}-{}@example.org", name, uuid::Uuid::new_v4());
        self.register(&email, PASSWORD, name).await
    }

    /// Registers `email` through the API, follows the confirmation link
    /// mailed to it, and returns the logged-in client.
    pub async fn register(&self, email: &str, password: &str, name: &str) -> Client {
        let mut youth = self.client();
        let r = youth
            .post(
                "/api/auth/register",
                &json!({"email": email, "password": password, "display_name": name}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
        let token = self.verification_token(email).expect("a confirmation link");
        let r = youth
            .post("/api/auth/verify-email", &json!({"token": token}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        youth.token = Some(r.body["token"].as_str().unwrap().to_owned());
        youth
    }

    /// The token of the last confirmation link mailed to `to`.
    pub fn verification_token(&self, to: &str) -> Option<String> {
        passregion_tests::verification_token(&self.data_dir, to)
    }

    /// The e-mails mailed to `to`: (subject, body), oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<(String, String)> {
        passregion_tests::mails_to(&self.data_dir, to)
    }

    /// A new youth with an active card, through the API: registers, orders at
    /// `etab-ampere`, gets validated by `etab` and activates. Returns the
    /// youth client and the card JSON (plus `qr`: its signed `PR1:` text).
    pub async fn youth_with_card(&self, etab: &Client, name: &str) -> (Client, Value) {
        self.youth_with_card_at(etab, name, "etab-ampere").await
    }

    /// [`TestApp::youth_with_card`] at another établissement (`etab` must be its staff).
    pub async fn youth_with_card_at(
        &self,
        etab: &Client,
        name: &str,
        establishment_id: &str,
    ) -> (Client, Value) {
        let youth = self.youth(name).await;
        let mut order = order_body(name, "2010-03-14");
        order["establishment_id"] = json!(establishment_id);
        let r = youth.post("/api/youth/orders", &order).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let order_id = r.body["id"].as_str().unwrap().to_owned();
        let r = etab
            .post(
                &format!("/api/establishment/orders/{order_id}/decision"),
                &json!({"validate": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = youth.post("/api/youth/card/activate", &json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mut card = r.body;
        let qr = youth.get("/api/youth/card/qr").await;
        assert_eq!(qr.status, 200, "{}", qr.body);
        card["qr"] = qr.body["text"].clone();
        // The printed code is used online with the holder's birth date.
        card["birth_date"] = json!("2010-03-14");
        (youth, card)
    }

    /// Starts a partner application for `email` (structure `name`, a
    /// bookshop) and follows the link mailed; returns the applicant's
    /// client on its draft.
    pub async fn applicant(&self, email: &str, name: &str) -> Client {
        let mut c = self.client();
        let r = c
            .post(
                "/api/partners/applications",
                &json!({"name": name, "category": "librairie", "contact_name": "Claire Martin",
                        "email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
        let token = self.verification_token(email).expect("a confirmation link");
        let r = c
            .post("/api/auth/verify-email", &json!({"token": token}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        c.token = Some(r.body["token"].as_str().unwrap().to_owned());
        c
    }

    /// Fills an applicant's draft (a valid identity, the phone `phone`) and
    /// uploads a Kbis (PDF) and a RIB (JPEG).
    pub async fn fill_application(&self, c: &Client, phone: &str) {
        let r = c
            .put(
                "/api/partner/application",
                &json!({"siret": "73282932000074", "address": "12 rue d'Austerlitz", "city": "Lyon",
                        "postal_code": "69004", "latitude": 45.774, "longitude": 4.832,
                        "phone": phone, "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        for (kind, name, bytes) in [
            ("kbis_statuts", "kbis.pdf", tiny_pdf()),
            ("rib", "rib.jpg", tiny_jpeg()),
        ] {
            let r = c
                .upload(
                    &format!("/api/partner/application/documents?kind={kind}&filename={name}"),
                    bytes,
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
    }

    /// Sends an applicant's application under the current CGP (the code
    /// goes to the SMS outbox).
    pub async fn submit_application(&self, c: &Client) -> Resp {
        let version = self.get("/api/cgp").await.body["version"].clone();
        c.post(
            "/api/partner/application/submit",
            &json!({"cgp_version": version}),
        )
        .await
    }

    /// A partner that applied, signed and was validated by the Region
    /// (`region`); returns its client and id.
    pub async fn validated_applicant(&self, email: &str, region: &Client) -> (Client, String) {
        let c = self.applicant(email, "Librairie des Canuts").await;
        self.fill_application(&c, "06 12 34 56 78").await;
        let r = self.submit_application(&c).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = c
            .post(
                "/api/partner/convention/sign",
                &json!({"code": self.last_sms_code()}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let pid = r.body["partner_id"].as_str().unwrap().to_owned();
        let r = region
            .post(
                &format!("/api/region/partners/{pid}/decision"),
                &json!({"validate": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // A fresh session sees the new standing at once.
        (self.login(email).await, pid)
    }

    /// The last code written to the SMS outbox.
    pub fn last_sms_code(&self) -> String {
        let log = std::fs::read_to_string(self.data_dir.join("sms-outbox.log")).unwrap();
        let line = log.lines().last().unwrap();
        line.split_whitespace()
            .find(|w| {
                w.len() == 7 && w.ends_with('.') && w[..6].bytes().all(|b| b.is_ascii_digit())
            })
            .map(|w| w[..6].to_owned())
            .expect("a code in the SMS")
    }
}

/// A small PDF (its header and its end marker).
pub fn tiny_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A small JPEG (start and end markers around a JFIF header).
pub fn tiny_jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// The JSON helpers are the spawned-binary tests' own.
pub use passregion_tests::{order_body, remaining};
