//! Prepared statements kept per pooled PostgreSQL connection (ADR 0036,
//! *Speed*). The synchronous client prepares an unnamed statement for every
//! call that passes SQL text: one more round trip, and the statement parsed
//! and planned each time. [`cached`] prepares a statement once per
//! connection and hands the same one back afterwards, as `prepare_cached`
//! does for SQLite. The pool's connections carry an id ([`PgManager`]); the
//! transaction helpers of `pg.rs` say which connection the current thread is
//! on ([`on_connection`]); each thread keeps the statements it prepared, by
//! connection (a statement belongs to the connection it was prepared on).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use postgres::{Client, NoTls, Statement, Transaction};
use r2d2_postgres::PostgresConnectionManager;

/// Most statements a thread keeps (over every connection it ran on); past
/// it the thread's cache starts again (connections replaced after a failover
/// leave theirs behind).
const MAX_CACHED: usize = 4096;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    static CACHE: RefCell<HashMap<u64, HashMap<String, Statement>>> = RefCell::new(HashMap::new());
}

/// A pooled connection: the client and an id of its own.
pub struct CachedClient {
    client: Client,
    id: u64,
}

impl CachedClient {
    /// This connection's id (for [`on_connection`]).
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl std::ops::Deref for CachedClient {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for CachedClient {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// `r2d2_postgres`'s manager, each connection given an id.
pub struct PgManager(pub PostgresConnectionManager<NoTls>);

impl r2d2_postgres::r2d2::ManageConnection for PgManager {
    type Connection = CachedClient;
    type Error = postgres::Error;

    fn connect(&self) -> Result<CachedClient, postgres::Error> {
        Ok(CachedClient {
            client: self.0.connect()?,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    fn is_valid(&self, conn: &mut CachedClient) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut CachedClient) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

/// Runs `f` saying that this thread's transactions are on connection `id`.
pub(crate) fn on_connection<T>(id: u64, f: impl FnOnce() -> T) -> T {
    let before = CURRENT.with(|c| c.replace(id));
    let out = f();
    CURRENT.with(|c| c.set(before));
    out
}

/// `sql` prepared on the current transaction's connection, once per
/// connection (outside the transaction helpers, prepared each time).
pub fn cached(tx: &mut Transaction<'_>, sql: &str) -> Result<Statement, postgres::Error> {
    let id = CURRENT.with(Cell::get);
    if id == 0 {
        return tx.prepare(sql);
    }
    let hit = CACHE.with(|c| c.borrow().get(&id).and_then(|m| m.get(sql)).cloned());
    if let Some(st) = hit {
        return Ok(st);
    }
    let st = tx.prepare(sql)?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.values().map(HashMap::len).sum::<usize>() >= MAX_CACHED {
            c.clear();
        }
        c.entry(id).or_default().insert(sql.to_owned(), st.clone());
    });
    Ok(st)
}

/// The statement calls of a transaction, through [`cached`]: the same
/// signatures as `Transaction`'s, SQL text in.
pub trait CachedQueries {
    /// `Transaction::execute` of a cached statement.
    fn execute_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, postgres::Error>;
    /// `Transaction::query` of a cached statement.
    fn query_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error>;
    /// `Transaction::query_one` of a cached statement.
    fn query_one_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<postgres::Row, postgres::Error>;
    /// `Transaction::query_opt` of a cached statement.
    fn query_opt_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, postgres::Error>;
}

impl CachedQueries for Transaction<'_> {
    fn execute_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let st = cached(self, sql)?;
        self.execute(&st, params)
    }

    fn query_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        let st = cached(self, sql)?;
        self.query(&st, params)
    }

    fn query_one_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<postgres::Row, postgres::Error> {
        let st = cached(self, sql)?;
        self.query_one(&st, params)
    }

    fn query_opt_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, postgres::Error> {
        let st = cached(self, sql)?;
        self.query_opt(&st, params)
    }
}
