//! The application: shared state, building and running the server, the layers.

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use chrono::Duration;
use chrono::Utc;
use passregion_core::Clock;
use passregion_core::RefundPolicy;
use passregion_core::SystemClock;
use passregion_core::clock::OffsetClock;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::accounts::session_cache::SessionCache;
use crate::config::Config;
use crate::config::Policy;
use crate::config::load_catalogues;
use crate::platform::db::Db;
use crate::platform::keys::ServerKeys;
use crate::platform::keys::SigningLock;
use crate::platform::store::EngineHealth;
use crate::platform::store::PgStore;
use crate::platform::store::SqliteStore;
use crate::state::{AppState, Storage};
use crate::web::limits::FailureWindow;

/// A running server.
pub struct Server {
    /// The address actually bound.
    pub addr: SocketAddr,
    guard: crate::web::limits::RequestGuard,
    /// The state (for tests and tools).
    pub state: AppState,
    engine: Arc<dyn EngineHealth>,
    listener: tokio::net::TcpListener,
    web_dir: Option<PathBuf>,
    reimbursement_days: Vec<u32>,
    cors_origins: Vec<String>,
}

impl Server {
    /// Opens storage, seeds the demo if asked, binds the socket. The clock is
    /// the system's, shifted to `--start-time` when given.
    pub async fn build(
        config: Config,
    ) -> anyhow::Result<(Server, Option<crate::demo::DemoSummary>)> {
        let clock: Arc<dyn Clock> = match config.start_time {
            Some(t) => Arc::new(OffsetClock::new(SystemClock, t - Utc::now())),
            None => Arc::new(SystemClock),
        };
        Server::build_with_clock(config, clock).await
    }

    /// Like [`Server::build`], with the given clock (tests use a fixed or
    /// manually advanced clock so that time rules are tried at set instants).
    pub async fn build_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<(Server, Option<crate::demo::DemoSummary>)> {
        crate::platform::private_dir(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
        let catalogues = Arc::new(load_catalogues(&config.catalogues)?);
        let partner_caps = passregion_core::sync::PartnerCaps {
            per_transaction_max: passregion_core::Money::from_cents(config.partner_per_tx_cents)
                .map_err(|e| anyhow::anyhow!("--partner-per-tx-cents: {e}"))?,
            daily_max: passregion_core::Money::from_cents(config.partner_daily_cents)
                .map_err(|e| anyhow::anyhow!("--partner-daily-cents: {e}"))?,
        };
        let policy = Policy {
            refund: RefundPolicy {
                window: Duration::days(config.refund_days),
            },
            max_birth_date_failures: config.max_birth_date_failures.max(1),
            lockout: Duration::minutes(config.lockout_minutes),
            session_ttl: Duration::hours(config.session_hours),
            partner_caps,
            offline_guarantee_cents: config.offline_guarantee_cents.max(0),
            push_chunk: config.push_chunk.max(1),
            collective: crate::config::CollectiveCaps::from_cents(
                config.collective_per_youth_cents,
                config.collective_per_booking_cents,
                config.collective_per_day_cents,
            ),
            debtor: crate::reimbursements::pain001::DebtorAccount::from_flags(
                config.debtor_iban.as_deref(),
                config.debtor_bic.as_deref(),
                config.debtor_name.as_deref(),
            )
            .map_err(|e| anyhow::anyhow!(e))?,
        };
        let (demo_store, db, engine, shared_keys) =
            open_storage(&config, &catalogues, &policy).await?;
        let store = demo_store.clone();
        let now = clock.now();
        let summary = if config.demo {
            let store = demo_store;
            let (n, class) = (config.demo_youths, config.demo_ampere_youths);
            tokio::task::spawn_blocking(move || {
                crate::demo::desk_class::seed_with_class(&*store, n, class, now)
            })
            .await
            .context("demo seeding failed")?
            .map_err(|e| anyhow::anyhow!("demo seeding failed: {e}"))?
        } else {
            None
        };
        let keys = {
            let data_dir = config.data_dir.clone();
            Arc::new(
                tokio::task::spawn_blocking(move || match shared_keys {
                    Some(lock) => ServerKeys::load_shared(&data_dir, now, lock),
                    None => ServerKeys::load_or_create(&data_dir, now),
                })
                .await
                .context("key loading failed")??,
            )
        };
        {
            let (store, cgp) = (store.clone(), crate::partners::cgp::default_cgp(now));
            tokio::task::spawn_blocking(move || store.ensure_cgp(cgp, now))
                .await
                .context("CGP setup failed")?
                .map_err(|e| anyhow::anyhow!("CGP setup failed: {e}"))?;
        }
        let required = match &config.required_documents {
            Some(path) => crate::partners::application::RequiredDocuments::from_json(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            )
            .with_context(|| format!("bad --required-documents {}", path.display()))?,
            None => Default::default(),
        };
        let partner_files = crate::partners::store::PartnerFiles {
            files: Arc::new(crate::platform::files::DocumentStore::new(
                config.data_dir.join("documents"),
                config.max_document_mib.max(1) * 1024 * 1024,
            )),
            required: Arc::new(required),
        };
        let store_dyn: Arc<dyn Storage> = store.clone();
        let help = Arc::new(crate::help::load(
            config.faq.as_deref(),
            &config.support_phone,
            &config.support_hours,
        )?);
        crate::platform::metrics::install();
        let metrics = crate::web::metrics::MetricsAccess {
            token: match config.metrics_token.as_deref().map(str::trim) {
                Some(t) if t.chars().count() < 16 => {
                    anyhow::bail!("--metrics-token: at least 16 characters")
                }
                Some(t) => Some(t.into()),
                None => None,
            },
        };
        let state = AppState {
            metrics,
            retention_years: config.retention_years.max(1),
            help,
            partner_files,
            qr: Arc::new(crate::debits::qr::CredentialResolver::new(
                keys.clone(),
                store_dyn,
            )),
            keys,
            offline: crate::cards::credentials::OfflineDefaults {
                allowance_cents: config.offline_allowance_cents.max(0),
                per_transaction_max_cents: config.offline_per_tx_cents.max(0),
                max_count: config.offline_max_count,
                ..crate::cards::credentials::OfflineDefaults::default()
            },
            partner_caps,
            mailer: mailer(&config)?,
            public_url: config.public_url.clone().unwrap_or_default(),
            sms: sms_sender(&config)?,
            store: store.clone(),
            clock,
            catalogues,
            budgets: Arc::new(crate::web::limits::Budgets {
                account: FailureWindow::new(
                    config.max_lookup_failures.max(1),
                    Duration::minutes(10),
                ),
                source: FailureWindow::new(
                    config.max_source_failures.max(1),
                    Duration::minutes(10),
                ),
                mails: FailureWindow::new(3, Duration::hours(24)),
            }),
            trusted_proxies: crate::web::limits::TrustedProxies(Arc::new(
                config.trusted_proxies.clone(),
            )),
            session_ttl: policy.session_ttl,
            sessions: Arc::new(SessionCache::with_ttl(Duration::seconds(
                config
                    .session_cache_seconds
                    .unwrap_or(if config.database_url.is_some() { 0 } else { 30 }),
            ))),
            passwords: Arc::new(crate::accounts::password::PasswordWork::for_this_machine()),
            db: db.clone(),
            engine: engine.clone(),
            disk: crate::platform::disk::DiskWatch {
                dir: config.data_dir.clone(),
                threshold_bytes: config.min_free_disk_mib.saturating_mul(1024 * 1024),
            },
        };
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        let mut state = state;
        if state.public_url.is_empty() {
            state.public_url = format!("http://localhost:{}", addr.port());
        }
        Ok((
            Server {
                addr,
                guard: crate::web::limits::RequestGuard::new(
                    config.max_concurrent_requests,
                    std::time::Duration::from_millis(config.request_timeout_ms.max(1)),
                ),
                state,
                engine,
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
        let mut app = crate::router::router(self.state.clone());
        if let Some(dir) = &self.web_dir {
            app = app.fallback_service(ServeDir::new(dir).append_index_html_on_directories(true));
        }
        let app = app
            .layer(DefaultBodyLimit::max(64 * 1024))
            .layer(axum::middleware::from_fn_with_state(
                self.guard.clone(),
                crate::web::limits::guard_requests,
            ))
            .layer(CatchPanicLayer::custom(|_| {
                use axum::response::IntoResponse;
                crate::platform::metrics::http_refused("panic");
                crate::web::problem::ApiError::from(crate::error::ServiceError::Internal(
                    "panic".into(),
                ))
                .into_response()
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
            .layer(SetResponseHeaderLayer::if_not_present(
                axum::http::header::CONTENT_SECURITY_POLICY,
                axum::http::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ))
            .layer(TraceLayer::new_for_http());
        let ticker = tokio::spawn(crate::background::background(
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
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || engine.close()).await?;
        Ok(())
    }
}

/// The storage of the configuration: PostgreSQL with `--database-url`
/// (migrated at start, under an advisory lock: instances starting together
/// migrate once), else the SQLite file `DATA_DIR/passregion.db`. Returns the
/// store (with the demo's seeding), the SQLite handle (`None` on
/// PostgreSQL), the engine's health and, on PostgreSQL, the lock the
/// instances sharing `DATA_DIR/keys` take.
async fn open_storage(
    config: &Config,
    catalogues: &Arc<crate::platform::catalogues::Catalogues>,
    policy: &Policy,
) -> anyhow::Result<OpenStorage> {
    if let Some(url) = &config.database_url {
        let (url, size) = (url.clone(), config.database_pool);
        let pool = tokio::task::spawn_blocking(move || {
            let pool = crate::platform::pg::PgPool::connect(&url, size)?;
            pool.migrate()?;
            Ok::<_, crate::error::ServiceError>(pool)
        })
        .await
        .context("PostgreSQL setup failed")?
        .map_err(|e| anyhow::anyhow!("cannot open the PostgreSQL database: {e}"))?;
        let store = Arc::new(PgStore::new(pool, catalogues.clone(), policy.clone()));
        return Ok((store.clone(), None, store.clone(), Some(store)));
    }
    let db_path = config.data_dir.join("passregion.db");
    crate::platform::private_file(&db_path)
        .with_context(|| format!("cannot create {}", db_path.display()))?;
    let db = Arc::new(Db::open(&db_path).context("cannot open the database")?);
    let store = Arc::new(SqliteStore::new(
        db.clone(),
        catalogues.clone(),
        policy.clone(),
    ));
    Ok((store, Some(db.clone()), db, None))
}

/// What [`open_storage`] opens.
type OpenStorage = (
    Arc<dyn crate::demo::DemoStore>,
    Option<Arc<Db>>,
    Arc<dyn EngineHealth>,
    Option<Arc<dyn SigningLock>>,
);

/// The Content-Security-Policy of everything served (the web apps and the
/// API): scripts only from this origin (no inline script, no eval), API calls
/// only to this origin, map tiles and images from https, no framing, no
/// plugins. Inline styles stay allowed (Leaflet positions tiles with them).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; connect-src 'self'; \
    font-src 'self' data:; media-src 'self' blob: mediastream:; worker-src 'self'; \
    manifest-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; \
    form-action 'self'";

pub(crate) fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
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

/// The configured mailer: the SMTP relay of `--smtp-url`, else the file
/// outbox `DATA_DIR/mail-outbox/` (the demo).
pub fn mailer(config: &Config) -> anyhow::Result<Arc<dyn crate::platform::mail::Mailer>> {
    Ok(match &config.smtp_url {
        Some(url) => Arc::new(crate::platform::mail::SmtpMailer::new(
            url,
            &config.mail_from,
        )?),
        None => Arc::new(crate::platform::mail::FileMailer::new(
            config.data_dir.join("mail-outbox"),
        )),
    })
}

/// The SMS sender of the configuration: the gateway of `--sms-url`, or the
/// demo's file outbox (`DATA_DIR/sms-outbox.log`).
pub fn sms_sender(config: &Config) -> anyhow::Result<Arc<dyn crate::partners::sms::SmsSender>> {
    Ok(match &config.sms_url {
        Some(url) => Arc::new(crate::partners::sms::HttpSms::new(
            url,
            config.sms_auth.as_deref(),
            &config.sms_template,
            &config.sms_content_type,
        )?),
        None => Arc::new(crate::partners::sms::FileSms::new(
            config.data_dir.join("sms-outbox.log"),
        )),
    })
}
