//! PostgreSQL plumbing (ADR 0036): a pool of connections, numbered migrations applied once under an advisory lock, and transactions retried on serialization failures and deadlocks.
//!
//! The repositories are synchronous and run on blocking threads, as with
//! SQLite: the `postgres` client (tokio-postgres driven by its own small
//! runtime) and its `r2d2` pool fit them without bridging. Never call these
//! functions from an async task: use `platform::run_blocking`.

use std::time::Duration;

use chrono::Utc;
use r2d2_postgres::PostgresConnectionManager;

use crate::platform::pg_cache::PgManager;
use r2d2_postgres::postgres;
use r2d2_postgres::postgres::IsolationLevel;
use r2d2_postgres::postgres::NoTls;
use r2d2_postgres::postgres::Transaction;
use r2d2_postgres::r2d2;

use crate::error::ServiceError;
use crate::platform::db::Outcome;
use crate::platform::sql::ts;

/// The numbered PostgreSQL migrations; a database's version is the number of
/// rows of `schema_migrations` (its position in this list). `0001` is
/// SQLite's schema up to `0024_notification_outbox`; every later SQLite
/// migration gets its twin here (`0002` = `0025`, `0003` = `0026`); `0004`
/// is PostgreSQL's own (the change log written in commit order), as are `0005`
/// (the statistics' shards) and `0006` (the ledger's head in one index seek).
pub const PG_MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        "0002_region_roles",
        include_str!("../../migrations/postgres/0002_region_roles.sql"),
    ),
    (
        "0003_imports",
        include_str!("../../migrations/postgres/0003_imports.sql"),
    ),
    (
        "0004_change_log_order",
        include_str!("../../migrations/postgres/0004_change_log_order.sql"),
    ),
    (
        "0005_stats_shards",
        include_str!("../../migrations/postgres/0005_stats_shards.sql"),
    ),
    (
        "0006_ledger_head",
        include_str!("../../migrations/postgres/0006_ledger_head.sql"),
    ),
];

/// The advisory lock key that serialises migrations across instances
/// ("PRmigr" in ASCII). Advisory locks are per database.
const MIGRATION_LOCK: i64 = 0x5052_6d69_6772;

/// Most attempts of one transaction that meets serialization failures or
/// deadlocks; after them the caller gets `Unavailable` (503: retry later,
/// with the same idempotency key).
pub const MAX_ATTEMPTS: u32 = 5;

/// A pooled connection.
pub type PgConn = r2d2::PooledConnection<PgManager>;

pub use crate::platform::pg_error::PgError;

impl From<postgres::Error> for ServiceError {
    fn from(e: postgres::Error) -> ServiceError {
        PgError::from(&e).into()
    }
}

impl From<PgError> for ServiceError {
    fn from(e: PgError) -> ServiceError {
        if no_answer(&e) {
            // No answer from the server, or the server ended the connection
            // (a shutdown, a failover): nothing is known to have happened;
            // the caller retries with the same idempotency key.
            tracing::warn!(error = %e, "PostgreSQL connection failed");
            return ServiceError::Unavailable;
        }
        ServiceError::Pg(e)
    }
}

/// The connection failed (no SQLSTATE: an I/O error, a reset) or the server
/// ended it.
fn no_answer(e: &PgError) -> bool {
    e.code.is_none() || e.connection_lost()
}

impl From<r2d2::Error> for ServiceError {
    fn from(_: r2d2::Error) -> ServiceError {
        // No connection within the pool's timeout.
        tracing::warn!("no PostgreSQL connection available");
        ServiceError::Unavailable
    }
}

fn retryable(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Pg(p) if p.retryable())
}

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PgPool {
    pool: std::sync::Arc<PoolOwner>,
}

/// The pool, closed off the async runtime when its last clone goes away.
/// Closing a connection blocks on the client's own runtime, which panics on
/// a thread that drives async tasks: the store is dropped there when the
/// server stops (`Server::run` ends inside `main`'s `block_on`) or fails to
/// start after the database was opened (a bad `--faq`, no trust list): a
/// panic in place of the error.
struct PoolOwner(Option<r2d2::Pool<PgManager>>);

impl std::ops::Deref for PoolOwner {
    type Target = r2d2::Pool<PgManager>;

    fn deref(&self) -> &Self::Target {
        // Only `drop` takes the pool out.
        self.0.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PoolOwner {
    fn drop(&mut self) {
        let Some(pool) = self.0.take() else { return };
        if tokio::runtime::Handle::try_current().is_ok() {
            // A plain thread: it is outside any runtime, and joined so that
            // the connections are closed when the store is gone.
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it carries the password.
        f.debug_struct("PgPool")
            .field("connections", &self.pool.state().connections)
            .finish()
    }
}

impl PgPool {
    /// Connects to `url` (`postgres://user:password@host:port/db`), with at
    /// most `max_size` connections; fails at once if a connection cannot be
    /// made (a wrong password, no such database).
    pub fn connect(url: &str, max_size: u32) -> Result<PgPool, ServiceError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|_| ServiceError::Internal("invalid PostgreSQL URL".into()))?;
        // One connection now tells a wrong URL or password at start (the pool
        // itself connects lazily, and would retry until its timeout).
        drop(config.connect(NoTls)?);
        let manager = PgManager(PostgresConnectionManager::new(config, NoTls));
        let pool = r2d2::Pool::builder()
            .max_size(max_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(10))
            // A connection broken by a failover fails its first statement
            // and is replaced then (`PgPool::run`, `PgPool::read_one`).
            .test_on_check_out(false)
            .build(manager)?;
        Ok(PgPool {
            pool: std::sync::Arc::new(PoolOwner(Some(pool))),
        })
    }

    /// A connection of the pool.
    pub fn get(&self) -> Result<PgConn, ServiceError> {
        Ok(self.pool.get()?)
    }

    /// Whether a connection of the pool answers (`/health`).
    pub fn ping(&self) -> bool {
        self.pool
            .get()
            .is_ok_and(|mut c| c.simple_query("SELECT 1").is_ok())
    }

    /// Brings the database to the latest schema, one numbered migration per
    /// transaction, each under a transaction-scoped advisory lock: instances
    /// starting together apply each migration once. Returns how many this
    /// call applied.
    pub fn migrate(&self) -> Result<usize, ServiceError> {
        self.migrate_to(PG_MIGRATIONS.len())
    }

    /// `migrate` up to version `target` only (the migrated == fresh test
    /// upgrades one version at a time, as successive releases do).
    pub fn migrate_to(&self, target: usize) -> Result<usize, ServiceError> {
        let mut conn = self.get()?;
        check_collation(&mut conn)?;
        let latest = PG_MIGRATIONS.len() as i64;
        let target = target.min(PG_MIGRATIONS.len());
        let mut applied = 0;
        loop {
            let mut tx = conn.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version    BIGINT PRIMARY KEY,
                     name       TEXT NOT NULL,
                     applied_at TEXT NOT NULL
                 )",
            )?;
            let current: i64 = tx
                .query_one("SELECT COUNT(*) FROM schema_migrations", &[])?
                .get(0);
            if current > latest {
                return Err(ServiceError::Internal(format!(
                    "database schema version {current} is newer than this server ({latest})"
                )));
            }
            let next = PG_MIGRATIONS
                .get(current as usize)
                .filter(|_| (current as usize) < target);
            let Some((name, sql)) = next else {
                tx.commit()?;
                return Ok(applied);
            };
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[&(current + 1), name, &ts(Utc::now())],
            )?;
            tx.commit()?;
            applied += 1;
        }
    }

    /// The schema version of the database (0: never migrated).
    pub fn version(&self) -> Result<i64, ServiceError> {
        let mut conn = self.get()?;
        let exists: bool = conn
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
            .get(0);
        if !exists {
            return Ok(0);
        }
        Ok(conn
            .query_one("SELECT COUNT(*) FROM schema_migrations", &[])?
            .get(0))
    }

    /// Runs `f` in a READ COMMITTED transaction (rows that must not change
    /// under it are locked by `f` with `SELECT … FOR UPDATE`), with the
    /// same outcomes as `Db::write_outcome`: `Ok(Outcome::Commit(v))`
    /// commits and returns `v`, `Ok(Outcome::CommitAndRefuse(e))` commits
    /// and answers `e`, `Err(e)` rolls back. A serialization failure or a
    /// deadlock runs `f` again, at most `MAX_ATTEMPTS` times in all.
    pub fn write_outcome<T>(
        &self,
        f: impl FnMut(&mut Transaction<'_>) -> Result<Outcome<T>, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.run(IsolationLevel::ReadCommitted, false, f)
    }

    /// `write_outcome` for a closure that never commits a refusal.
    pub fn write<T>(
        &self,
        mut f: impl FnMut(&mut Transaction<'_>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.write_outcome(move |tx| f(tx).map(Outcome::Commit))
    }

    /// Runs `f` in a SERIALIZABLE transaction, retried like `write_outcome`
    /// (for the rare write whose rows cannot be locked beforehand).
    pub fn serializable<T>(
        &self,
        f: impl FnMut(&mut Transaction<'_>) -> Result<Outcome<T>, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.run(IsolationLevel::Serializable, false, f)
    }

    /// Runs `f` in a read-only REPEATABLE READ transaction: one snapshot
    /// for its whole duration, as a SQLite read transaction.
    pub fn read<T>(
        &self,
        mut f: impl FnMut(&mut Transaction<'_>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.run(IsolationLevel::RepeatableRead, true, move |tx| {
            f(tx).map(Outcome::Commit)
        })
    }

    /// Runs `f` on a connection of the pool outside any transaction: for a
    /// read of one statement (one snapshot by itself), without the two
    /// round trips of `BEGIN` and `COMMIT`. Run again on another connection
    /// if this one turns out lost (a failover): a read is safe to repeat.
    pub fn read_one<T>(
        &self,
        mut f: impl FnMut(&mut postgres::Client) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let mut lost = 0;
        loop {
            let mut conn = self.get()?;
            let result =
                crate::platform::pg_cache::on_connection(conn.statements(), || f(&mut conn));
            match result {
                // A connection failure (`From<postgres::Error>`): no other
                // cause is possible once the connection is checked out.
                Err(ServiceError::Unavailable) if lost < self.stale_retries() => {
                    conn.mark_lost();
                    lost += 1;
                }
                other => return other,
            }
        }
    }

    /// How many lost connections a call may meet before it gives up: the
    /// pool's size (every idle connection may have been cut at once), and
    /// one more.
    fn stale_retries(&self) -> u32 {
        self.pool.max_size() + 1
    }

    fn run<T>(
        &self,
        isolation: IsolationLevel,
        read_only: bool,
        mut f: impl FnMut(&mut Transaction<'_>) -> Result<Outcome<T>, ServiceError>,
    ) -> Result<T, ServiceError> {
        // Connections are not tested at check-out (one more round trip per
        // transaction): one cut by a failover fails its `BEGIN`, before
        // anything was sent that could commit, and the call goes on with
        // another connection.
        let mut lost = 0;
        loop {
            let mut conn = self.get()?;
            let result = crate::platform::pg_cache::on_connection(conn.statements(), || {
                self.attempts(&mut conn, isolation, read_only, &mut f)
            });
            match result {
                // A `BEGIN` without an answer (an I/O error as well as a
                // connection the server ended) sent nothing that could commit.
                Err(Run::Begin(e)) if no_answer(&e) && lost < self.stale_retries() => {
                    conn.mark_lost();
                    lost += 1;
                }
                Err(Run::Begin(e)) => return Err(e.into()),
                // A connection closed meanwhile is dropped by the pool
                // (`has_broken`).
                Err(Run::Failed(e)) => return Err(e),
                Ok(v) => return Ok(v),
            }
        }
    }

    fn attempts<T>(
        &self,
        conn: &mut PgConn,
        isolation: IsolationLevel,
        read_only: bool,
        mut f: impl FnMut(&mut Transaction<'_>) -> Result<Outcome<T>, ServiceError>,
    ) -> Result<T, Run> {
        let mut attempt = 1;
        loop {
            let mut tx = match conn
                .build_transaction()
                .isolation_level(isolation)
                .read_only(read_only)
                .start()
            {
                Ok(tx) => tx,
                Err(e) if attempt == 1 => return Err(Run::Begin((&e).into())),
                Err(e) => return Err(Run::Failed(e.into())),
            };
            let result = match f(&mut tx) {
                // Dropping `tx` rolls back.
                Err(e) => Err(e),
                Ok(outcome) => tx.commit().map(|()| outcome).map_err(ServiceError::from),
            };
            match result {
                Ok(outcome) => return outcome.into_result().map_err(Run::Failed),
                Err(e) if retryable(&e) && attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    // A short, growing, jittered pause lets the other
                    // transaction finish.
                    let base = 2_u64.pow(attempt);
                    let jitter = crate::platform::sql::random_u64() % base;
                    std::thread::sleep(Duration::from_millis(base + jitter));
                }
                Err(e) if retryable(&e) => {
                    tracing::warn!(error = %e, attempts = attempt, "transaction kept conflicting");
                    return Err(Run::Failed(ServiceError::Unavailable));
                }
                Err(e) => return Err(Run::Failed(e)),
            }
        }
    }
}

/// How a transaction of [`PgPool::run`] failed: at its first `BEGIN`
/// (nothing sent yet: another connection may run it), or afterwards.
enum Run {
    Begin(crate::platform::pg_error::PgError),
    Failed(ServiceError),
}

/// Refuses a database whose collation is not byte order: the SQLite code
/// orders and compares text (timestamps, cursors, codes) byte-wise, and the
/// same queries must give the same order here.
fn check_collation(conn: &mut PgConn) -> Result<(), ServiceError> {
    let row = conn.query_one(
        "SELECT datcollate::text, datlocprovider::text FROM pg_database
         WHERE datname = current_database()",
        &[],
    )?;
    let (collate, provider): (String, String) = (row.get(0), row.get(1));
    // Provider `c` is libc; ICU collations (`i`) are never byte order.
    if provider == "c" && matches!(collate.as_str(), "C" | "POSIX" | "C.UTF-8" | "C.utf8") {
        Ok(())
    } else {
        Err(ServiceError::Internal(format!(
            "database collation {collate} ({provider}) is not C: create the database with LOCALE_PROVIDER libc LC_COLLATE 'C' TEMPLATE template0"
        )))
    }
}

/// The transaction behind the rules' storage traits (in its own file).
pub(crate) use crate::platform::pg_tx::PgTx;
