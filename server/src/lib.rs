//! # passregion-server
//!
//! The Region's source of truth: accounts, orders, cards, avantages, the
//! ledger, debits, refunds and reimbursements, over HTTP (axum) on embedded
//! SQLite. See `ARCHITECTURE.md` for the map and the flow of a debit.

pub mod auth;
pub mod collective;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod keys;
pub mod model;
pub mod onboarding;
pub mod qr;
pub mod store;
pub mod sync_check;
pub mod sync_store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, Duration, Utc};
use passregion_core::clock::OffsetClock;
use passregion_core::season::REGION_TZ;
use passregion_core::{Catalogue, Clock, RefundPolicy, SystemClock};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::db::Db;
use crate::http::{AppState, FailureWindow};
use crate::store::{Catalogues, Policy, SqliteStore};

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
    /// Seed the demo region if the database is empty.
    #[arg(long, env = "PASSREGION_DEMO")]
    pub demo: bool,
    /// Number of demo youths.
    #[arg(long, default_value_t = 300)]
    pub demo_youths: usize,
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
    /// Failed card look-ups (wrong number or birth date) allowed per IP and per
    /// partner account within 10 minutes.
    #[arg(long, default_value_t = 30)]
    pub max_lookup_failures: usize,
    /// Session lifetime in hours.
    #[arg(long, default_value_t = 12)]
    pub session_hours: i64,
    /// Days of the month (Region time) on which reimbursement batches close.
    #[arg(long, env = "PASSREGION_REIMBURSEMENT_DAYS", value_delimiter = ',', default_values_t = [1u32, 16])]
    pub reimbursement_days: Vec<u32>,
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
    /// Most a partner device accepts offline per day, in cents.
    #[arg(long, default_value_t = 30_000)]
    pub partner_daily_cents: i64,
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

/// The most recent reimbursement boundary (00:00 Region time on one of `days`)
/// at or before `now`.
pub fn last_boundary(now: DateTime<Utc>, days: &[u32]) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, TimeZone};
    let local = now.with_timezone(&REGION_TZ).date_naive();
    (0..62)
        .map(|back| local - Duration::days(back))
        .find(|d| days.contains(&d.day()))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|dt| REGION_TZ.from_local_datetime(&dt).earliest())
        .map(|dt| dt.with_timezone(&Utc))
}

/// A running server.
pub struct Server {
    /// The address actually bound.
    pub addr: SocketAddr,
    /// The state (for tests and tools).
    pub state: AppState,
    db: Arc<Db>,
    listener: tokio::net::TcpListener,
    web_dir: Option<PathBuf>,
    reimbursement_days: Vec<u32>,
    cors_origins: Vec<String>,
}

impl Server {
    /// Opens storage, seeds the demo if asked, binds the socket.
    pub async fn build(config: Config) -> anyhow::Result<(Server, Option<demo::DemoSummary>)> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
        let catalogues = Arc::new(load_catalogues(&config.catalogues)?);
        let db = Arc::new(
            Db::open(&config.data_dir.join("passregion.db")).context("cannot open the database")?,
        );
        let policy = Policy {
            refund: RefundPolicy {
                window: Duration::days(config.refund_days),
            },
            max_birth_date_failures: config.max_birth_date_failures.max(1),
            lockout: Duration::minutes(config.lockout_minutes),
            session_ttl: Duration::hours(config.session_hours),
        };
        let store = Arc::new(SqliteStore::new(
            db.clone(),
            catalogues.clone(),
            policy.clone(),
        ));
        let clock: Arc<dyn Clock> = match config.start_time {
            Some(t) => Arc::new(OffsetClock::new(SystemClock, t - Utc::now())),
            None => Arc::new(SystemClock),
        };
        let now = clock.now();
        let summary = if config.demo {
            let store = store.clone();
            let n = config.demo_youths;
            tokio::task::spawn_blocking(move || demo::seed(&store, n, now))
                .await
                .context("demo seeding failed")?
                .map_err(|e| anyhow::anyhow!("demo seeding failed: {e}"))?
        } else {
            None
        };
        let keys = Arc::new(keys::ServerKeys::load_or_create(&config.data_dir, now)?);
        let store_dyn: Arc<dyn store::Store> = store.clone();
        let state = AppState {
            qr: Arc::new(qr::CredentialResolver::new(keys.clone(), store_dyn)),
            keys,
            offline: store::OfflineDefaults {
                allowance_cents: config.offline_allowance_cents.max(0),
                per_transaction_max_cents: config.offline_per_tx_cents.max(0),
                max_count: config.offline_max_count,
                ..store::OfflineDefaults::default()
            },
            sync: store.clone(),
            partner_caps: passregion_core::sync::PartnerCaps {
                per_transaction_max: passregion_core::Money::from_cents(
                    config.partner_per_tx_cents,
                )
                .map_err(|e| anyhow::anyhow!("--partner-per-tx-cents: {e}"))?,
                daily_max: passregion_core::Money::from_cents(config.partner_daily_cents)
                    .map_err(|e| anyhow::anyhow!("--partner-daily-cents: {e}"))?,
            },
            onboarding: store.clone(),
            collective: store.clone(),
            sms: Arc::new(onboarding::FileSms::new(
                config.data_dir.join("sms-outbox.log"),
            )),
            store: store.clone(),
            clock,
            catalogues,
            failures: Arc::new(FailureWindow::new(
                config.max_lookup_failures.max(1),
                Duration::minutes(10),
            )),
            session_ttl: policy.session_ttl,
            sessions: Arc::new(http::SessionCache::default()),
        };
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        Ok((
            Server {
                addr,
                state,
                db,
                listener,
                web_dir: config.web_dir,
                cors_origins: config.cors_origins,
                reimbursement_days: config.reimbursement_days,
            },
            summary,
        ))
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish
    /// and closes the database after the queued writes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let mut app = http::router(self.state.clone());
        if let Some(dir) = &self.web_dir {
            app = app.fallback_service(ServeDir::new(dir).append_index_html_on_directories(true));
        }
        let app = app
            .layer(DefaultBodyLimit::max(64 * 1024))
            .layer(CatchPanicLayer::custom(|_| {
                use axum::response::IntoResponse;
                error::ApiError::from(error::ServiceError::Internal("panic".into())).into_response()
            }))
            .layer(cors(&self.cors_origins))
            .layer(SetResponseHeaderLayer::if_not_present(
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                axum::http::HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                axum::http::header::X_FRAME_OPTIONS,
                axum::http::HeaderValue::from_static("DENY"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                axum::http::header::REFERRER_POLICY,
                axum::http::HeaderValue::from_static("no-referrer"),
            ))
            .layer(TraceLayer::new_for_http());
        let ticker = tokio::spawn(background(
            self.state.clone(),
            self.reimbursement_days.clone(),
        ));
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        ticker.abort();
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.close()).await?;
        Ok(())
    }
}

fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([HeaderName::from_static("x-server-time")])
}

/// Once a minute: load the avantages of seasons that started, and close
/// reimbursement batches on the configured days.
async fn background(state: AppState, days: Vec<u32>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = state.clock.now();
        let store = state.store.clone();
        let days = days.clone();
        let res = tokio::task::spawn_blocking(move || -> Result<(), error::ServiceError> {
            store.prune(now, Duration::days(30))?;
            let loaded = store.load_due_seasons(now)?;
            if loaded > 0 {
                tracing::info!(loaded, "season avantages loaded");
            }
            if let Some(boundary) = last_boundary(now, &days)
                && store.last_period_end()?.is_none_or(|last| last < boundary)
            {
                let batches = store.close_reimbursements(boundary, now)?;
                if !batches.is_empty() {
                    tracing::info!(count = batches.len(), "reimbursement batches closed");
                }
            }
            Ok(())
        })
        .await;
        if let Ok(Err(e)) = res {
            tracing::warn!(error = %e, "background task failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_region_days() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 20 Nov 2026 → 16 Nov 00:00 Paris = 15 Nov 23:00 UTC.
        assert_eq!(
            last_boundary(t("2026-11-20T10:00:00Z"), &[1, 16]),
            Some(t("2026-11-15T23:00:00Z"))
        );
        // 1 Dec 00:30 Paris is 30 Nov 23:30 UTC: the boundary is that midnight.
        assert_eq!(
            last_boundary(t("2026-11-30T23:30:00Z"), &[1, 16]),
            Some(t("2026-11-30T23:00:00Z"))
        );
        assert_eq!(last_boundary(t("2026-11-20T10:00:00Z"), &[]), None);
    }
}
