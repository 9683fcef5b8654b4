//! The storage handles every domain repository is implemented on: SQLite, and PostgreSQL (in progress, ADR 0036).

use std::sync::Arc;

use crate::config::Policy;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Db;

/// The SQLite implementation.
pub struct SqliteStore {
    pub(crate) db: Arc<Db>,
    pub(crate) catalogues: Arc<Catalogues>,
    pub(crate) policy: Policy,
}

impl SqliteStore {
    /// Wraps an open database.
    pub fn new(db: Arc<Db>, catalogues: Arc<Catalogues>, policy: Policy) -> SqliteStore {
        SqliteStore {
            db,
            catalogues,
            policy,
        }
    }

    /// The underlying database (tests, demo seeding).
    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }
}

/// The PostgreSQL implementation (ADR 0036), one per server instance; several
/// instances share one database. In progress: it implements the
/// repositories ported so far, not yet `state::Storage`.
pub struct PgStore {
    pub(crate) pool: crate::platform::pg::PgPool,
    pub(crate) catalogues: Arc<Catalogues>,
    pub(crate) policy: Policy,
}

impl PgStore {
    /// Wraps a pool on a migrated database.
    pub fn new(
        pool: crate::platform::pg::PgPool,
        catalogues: Arc<Catalogues>,
        policy: Policy,
    ) -> PgStore {
        PgStore {
            pool,
            catalogues,
            policy,
        }
    }

    /// The pool (tests).
    pub fn pool(&self) -> &crate::platform::pg::PgPool {
        &self.pool
    }
}

/// Whether a storage engine can serve (`/health`), and its orderly close.
pub trait EngineHealth: Send + Sync {
    /// SQLite: the writer thread runs; PostgreSQL: a connection answers.
    fn alive(&self) -> bool;
    /// Closes after the queued writes (SQLite's writer); nothing to do on
    /// PostgreSQL (the pool's connections close when dropped).
    fn close(&self) {}
}

impl EngineHealth for Db {
    fn alive(&self) -> bool {
        self.writer_alive()
    }

    fn close(&self) {
        Db::close(self)
    }
}

impl EngineHealth for PgStore {
    fn alive(&self) -> bool {
        self.pool.ping()
    }
}

/// The advisory lock key of the keys directory ("PRkeys"): one instance at a
/// time creates keys or signs the trust list.
const KEYS_LOCK: i64 = 0x5052_6b65_7973;

impl crate::platform::keys::SigningLock for PgStore {
    fn exclusive(
        &self,
        wait: bool,
        f: &mut dyn FnMut() -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        let mut conn = self.pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut tx = conn.transaction()?;
        let held: bool = if wait {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&KEYS_LOCK])?;
            true
        } else {
            tx.query_one("SELECT pg_try_advisory_xact_lock($1)", &[&KEYS_LOCK])?
                .try_get(0)?
        };
        if held {
            f()?;
        }
        tx.commit()?;
        Ok(held)
    }
}
