//! Configuration (flags and environment) and the policy structs built from it.

use anyhow::Context;
use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::Catalogue;
use passregion_core::RefundPolicy;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::platform::catalogues::Catalogues;

/// Server configuration (flags and environment, see `main.rs`).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Directory holding the database and the keys.
    #[arg(
        long,
        env = "PASSREGION_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "PASSREGION_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// SMTP relay for e-mail (`smtp://user:pass@host:587`, STARTTLS;
    /// `smtps://…:465`; `smtp://host:25?tls=none` on the same machine).
    /// Without it, mails are written to `DATA_DIR/mail-outbox/` (the demo).
    #[arg(long, env = "PASSREGION_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Documents asked of applicants per partner category: a JSON file
    /// `{"librairie": ["kbis_statuts", "rib"], …}` (default: the core's list).
    #[arg(long, env = "PASSREGION_REQUIRED_DOCUMENTS")]
    pub required_documents: Option<PathBuf>,
    /// Seasons after the last season of a youth's card before her personal
    /// data is removed (the ledger stays, under pseudonymous ids).
    #[arg(long, env = "PASSREGION_RETENTION_YEARS", default_value_t = 3)]
    pub retention_years: u32,
    /// The FAQ of the help screen (numbered questions, each followed by its
    /// answer; default: the shipped FAQ).
    #[arg(long, env = "PASSREGION_FAQ")]
    pub faq: Option<PathBuf>,
    /// The support phone number shown in the apps.
    #[arg(long, env = "PASSREGION_SUPPORT_PHONE", default_value = "0810 559 559")]
    pub support_phone: String,
    /// When support answers.
    #[arg(
        long,
        env = "PASSREGION_SUPPORT_HOURS",
        default_value = "du lundi au vendredi, de 9 h à 18 h"
    )]
    pub support_hours: String,
    /// Sender of the e-mails.
    #[arg(
        long,
        env = "PASSREGION_MAIL_FROM",
        default_value = "PASS'Région <ne-pas-repondre@passregion.fr>"
    )]
    pub mail_from: String,
    /// SMS gateway: each message is POSTed to this URL (`https://…`; `http://`
    /// only to this machine). Without it, SMS are written to
    /// `DATA_DIR/sms-outbox.log` (the demo).
    #[arg(long, env = "PASSREGION_SMS_URL")]
    pub sms_url: Option<String>,
    /// The gateway's credentials: `basic:USER:PASSWORD` or `bearer:TOKEN`.
    #[arg(long, env = "PASSREGION_SMS_AUTH")]
    pub sms_auth: Option<String>,
    /// Body of a gateway request: `{to}` (the +33… number) and `{text}` are
    /// replaced by the values escaped for `--sms-content-type`.
    #[arg(long, env = "PASSREGION_SMS_TEMPLATE", default_value = crate::partners::sms::DEFAULT_TEMPLATE)]
    pub sms_template: String,
    /// Content type of a gateway request: `application/json` (or `…+json`)
    /// or `application/x-www-form-urlencoded`.
    #[arg(
        long,
        env = "PASSREGION_SMS_CONTENT_TYPE",
        default_value = "application/json"
    )]
    pub sms_content_type: String,
    /// Largest document a partner may upload (Kbis, RIB, insurance), in MiB.
    #[arg(long, env = "PASSREGION_MAX_DOCUMENT_MIB", default_value_t = crate::platform::files::DEFAULT_MAX_DOCUMENT_MIB)]
    pub max_document_mib: usize,
    /// Public base URL of the web app, for links in e-mails (default
    /// `http://localhost:PORT`, the port bound).
    #[arg(long, env = "PASSREGION_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seed the demo region if the database is empty.
    #[arg(long, env = "PASSREGION_DEMO")]
    pub demo: bool,
    /// Number of demo youths.
    #[arg(long, default_value_t = 300)]
    pub demo_youths: usize,
    /// A class of this many more demo youths at Lycée Ampère, each with an
    /// active card, 3 of them too old for the next season (the desk's bulk
    /// revalidation), and 6 orders waiting.
    #[arg(long, default_value_t = 0)]
    pub demo_ampere_youths: usize,
    /// Extra catalogue files (TOML), replacing the built-in one of the same season.
    #[arg(
        long = "catalogue",
        env = "PASSREGION_CATALOGUES",
        value_delimiter = ','
    )]
    pub catalogues: Vec<PathBuf>,
    /// Days after a debit during which the partner may cancel it.
    #[arg(long, env = "PASSREGION_REFUND_DAYS", default_value_t = 7)]
    pub refund_days: i64,
    /// Wrong birth dates before a card is locked.
    #[arg(long, default_value_t = 5)]
    pub max_birth_date_failures: i64,
    /// Minutes a card stays locked.
    #[arg(long, default_value_t = 15)]
    pub lockout_minutes: i64,
    /// Failed logins and card look-ups (wrong number or birth date) allowed
    /// per account within 10 minutes.
    #[arg(long, default_value_t = 30)]
    pub max_lookup_failures: usize,
    /// Failed logins, card look-ups and partner applications allowed per
    /// client address within 10 minutes (a separate budget: many people may
    /// share one address).
    #[arg(long, env = "PASSREGION_MAX_SOURCE_FAILURES", default_value_t = 100)]
    pub max_source_failures: usize,
    /// Longest time a request may take, in milliseconds; then 503
    /// `delai_depasse` (a write already queued still completes: its
    /// `Idempotency-Key` makes the retry safe).
    #[arg(long, env = "PASSREGION_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Requests served at once; more are refused at once with 503
    /// `serveur_occupe` rather than queued without bound.
    #[arg(
        long,
        env = "PASSREGION_MAX_CONCURRENT_REQUESTS",
        default_value_t = 512
    )]
    pub max_concurrent_requests: usize,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` header gives the
    /// client address (comma-separated IP addresses). Without them the TCP
    /// peer is the client, and those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "PASSREGION_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Bearer token that opens `/metrics` to clients other than this
    /// machine (at least 16 characters). Without it, only loopback clients
    /// that did not come through a `--trusted-proxy` may read it; anyone
    /// else gets 404.
    #[arg(long, env = "PASSREGION_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Free space (MiB) on the data directory's disk below which `/health`
    /// reports `degraded` (503).
    #[arg(long, env = "PASSREGION_MIN_FREE_DISK_MIB", default_value_t = 512)]
    pub min_free_disk_mib: u64,
    /// Offline debits of one push applied per writer job (other writes run
    /// between two jobs; each item keeps its own savepoint).
    #[arg(long, env = "PASSREGION_PUSH_CHUNK", default_value_t = PUSH_CHUNK)]
    pub push_chunk: usize,
    /// Session lifetime in hours.
    #[arg(long, default_value_t = 12)]
    pub session_hours: i64,
    /// How long a resolved session is kept in this instance's memory, in
    /// seconds (a change of role or of a partner's status made through
    /// another instance is seen within it). Default: 30 on SQLite (one
    /// process, which forgets the entries it changes), 0 on PostgreSQL
    /// (every request reads its session from the shared database).
    #[arg(long, env = "PASSREGION_SESSION_CACHE_SECONDS")]
    pub session_cache_seconds: Option<i64>,
    /// Days of the month (Region time) on which reimbursement batches close.
    #[arg(long, env = "PASSREGION_REIMBURSEMENT_DAYS", value_delimiter = ',', default_values_t = [1u32, 16])]
    pub reimbursement_days: Vec<u32>,
    /// IBAN of the Region's account partners are paid from: the debtor of
    /// the SEPA credit transfer files of payment runs. With `--debtor-bic`
    /// and `--debtor-name` (all three or none, checked at startup); without
    /// them, payment runs are refused (409 `compte_debiteur_non_configure`).
    #[arg(long, env = "PASSREGION_DEBTOR_IBAN")]
    pub debtor_iban: Option<String>,
    /// BIC of the Region's bank (see `--debtor-iban`).
    #[arg(long, env = "PASSREGION_DEBTOR_BIC")]
    pub debtor_bic: Option<String>,
    /// Holder of the Region's account, as the bank knows it (see `--debtor-iban`).
    #[arg(long, env = "PASSREGION_DEBTOR_NAME")]
    pub debtor_name: Option<String>,
    /// Offline allowance of a new app credential, in cents (capped by the card's credit).
    #[arg(
        long,
        env = "PASSREGION_OFFLINE_ALLOWANCE_CENTS",
        default_value_t = 3000
    )]
    pub offline_allowance_cents: i64,
    /// Largest offline debit of an app credential, in cents.
    #[arg(long, env = "PASSREGION_OFFLINE_PER_TX_CENTS", default_value_t = 1500)]
    pub offline_per_tx_cents: i64,
    /// Most offline debits per app credential and partner.
    #[arg(long, env = "PASSREGION_OFFLINE_MAX_COUNT", default_value_t = 3)]
    pub offline_max_count: u16,
    /// Largest offline debit a partner device accepts, in cents.
    #[arg(long, default_value_t = 1500)]
    pub partner_per_tx_cents: i64,
    /// Most a partner accepts offline per day (all its devices), in cents.
    #[arg(long, default_value_t = 30_000)]
    pub partner_daily_cents: i64,
    /// The card's offline guarantee per season, in cents: the most the Region
    /// pays partners for offline debits beyond what the card paid (ADR 0020).
    #[arg(
        long,
        env = "PASSREGION_OFFLINE_GUARANTEE_CENTS",
        default_value_t = 3000
    )]
    pub offline_guarantee_cents: i64,
    /// Highest price per youth of a collective booking, in cents (euro value
    /// for entries); the avantage's season amount caps it too.
    #[arg(
        long,
        env = "PASSREGION_COLLECTIVE_PER_YOUTH_CENTS",
        default_value_t = 10_000
    )]
    pub collective_per_youth_cents: i64,
    /// Highest total of one collective booking (price × youths), in cents.
    #[arg(
        long,
        env = "PASSREGION_COLLECTIVE_PER_BOOKING_CENTS",
        default_value_t = 300_000
    )]
    pub collective_per_booking_cents: i64,
    /// Most an établissement may request in collective bookings per day
    /// (Region time; requested and confirmed bookings count), in cents.
    #[arg(
        long,
        env = "PASSREGION_COLLECTIVE_PER_DAY_CENTS",
        default_value_t = 600_000
    )]
    pub collective_per_day_cents: i64,
    /// Run on PostgreSQL (ADR 0036) instead of the embedded SQLite file:
    /// `postgres://user:password@host:5432/passregion`. Several instances may
    /// share one database (keep the root key offline and `DATA_DIR/keys` on a
    /// path they share). The demo, the CSV imports and `backup`/`restore`
    /// (`pg_dump`/`pg_restore`) run on it too.
    #[arg(long, env = "PASSREGION_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Connections of this instance's PostgreSQL pool.
    #[arg(long, env = "PASSREGION_DATABASE_POOL", default_value_t = 16)]
    pub database_pool: u32,
    /// Run the clock from this instant instead of now (tests and demos of
    /// season changes); it then advances in real time.
    #[arg(long, env = "PASSREGION_START_TIME")]
    pub start_time: Option<DateTime<Utc>>,
    /// Origins allowed to call the API from another origin (the Tauri app's
    /// webview); the web apps served by this server need none.
    #[arg(long = "cors-origin", env = "PASSREGION_CORS_ORIGINS", value_delimiter = ',',
          default_values_t = ["tauri://localhost".to_owned(), "http://tauri.localhost".to_owned(), "https://tauri.localhost".to_owned()])]
    pub cors_origins: Vec<String>,
    /// Directory of the web apps to serve at `/` (built frontend).
    #[arg(long, env = "PASSREGION_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
}

/// Loads the built-in catalogues plus the configured files.
pub fn load_catalogues(files: &[PathBuf]) -> anyhow::Result<Catalogues> {
    let mut list = Catalogue::builtin()
        .map_err(|(name, e)| anyhow::anyhow!("built-in catalogue {name}: {e}"))?;
    for f in files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read catalogue {}", f.display()))?;
        let cat = Catalogue::parse(&text)
            .map_err(|e| anyhow::anyhow!("catalogue {}: {e}", f.display()))?;
        list.retain(|c| c.season != cat.season);
        list.push(cat);
    }
    Ok(Catalogues::new(list))
}

/// Tunable rules of the server.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Refund window.
    pub refund: RefundPolicy,
    /// Wrong birth dates before a card is locked.
    pub max_birth_date_failures: i64,
    /// How long a card stays locked.
    pub lockout: Duration,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// The partners' offline caps, re-checked when offline debits are pushed.
    pub partner_caps: passregion_core::sync::PartnerCaps,
    /// The card's offline guarantee per season (cents): the most the Region
    /// covers beyond what the card paid, whatever the credentials and devices.
    pub offline_guarantee_cents: i64,
    /// Offline debits of one push applied per writer job.
    pub push_chunk: usize,
    /// Caps of collective bookings.
    pub collective: CollectiveCaps,
    /// The Region's account of the SEPA transfer files (none: no payment run).
    pub debtor: Option<crate::reimbursements::pain001::DebtorAccount>,
}

/// The caps of collective bookings (FAQ §14), in cents of euro: per youth
/// (on top of the avantage's season amount), per booking, per établissement
/// and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectiveCaps {
    /// Highest price per youth (euro value for entries).
    pub per_youth_cents: i64,
    /// Highest total of one booking.
    pub per_booking_cents: i64,
    /// Most requested by one établissement in one day (Region time).
    pub per_day_cents: i64,
}

impl CollectiveCaps {
    /// The caps from amounts in cents (a negative one counts as zero).
    pub fn from_cents(per_youth: i64, per_booking: i64, per_day: i64) -> CollectiveCaps {
        CollectiveCaps {
            per_youth_cents: per_youth.max(0),
            per_booking_cents: per_booking.max(0),
            per_day_cents: per_day.max(0),
        }
    }
}

impl Default for CollectiveCaps {
    fn default() -> Self {
        CollectiveCaps::from_cents(10_000, 300_000, 600_000)
    }
}

/// Offline debits of one push applied per writer job by default: a push of
/// 500 holds the writer for 50 at a time.
pub const PUSH_CHUNK: usize = 50;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            refund: RefundPolicy::default(),
            max_birth_date_failures: 5,
            lockout: Duration::minutes(15),
            session_ttl: Duration::hours(12),
            partner_caps: passregion_core::sync::PartnerCaps::default(),
            offline_guarantee_cents: 3000,
            push_chunk: PUSH_CHUNK,
            collective: CollectiveCaps::default(),
            debtor: None,
        }
    }
}
