//! Prepared statements kept per pooled PostgreSQL connection (ADR 0036,
//! *Speed*). The synchronous client prepares an unnamed statement for every
//! call that passes SQL text: one more round trip, and the statement parsed
//! and planned each time. [`cached`] prepares a statement once per
//! connection and hands the same one back afterwards, as `prepare_cached`
//! does for SQLite. Each pooled connection ([`CachedClient`]) owns its
//! statements; the transaction helpers of `pg.rs` say which connection the
//! current thread is on ([`on_connection`]), whichever blocking thread that
//! is (a statement belongs to the connection it was prepared on, not to a
//! thread).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use postgres::{Client, GenericClient, NoTls, Statement};
use r2d2_postgres::PostgresConnectionManager;

/// Most statements a connection keeps; past it its cache starts again.
const MAX_CACHED: usize = 512;

/// The statements prepared on one connection, by SQL text.
#[derive(Clone, Default)]
pub struct Statements(Arc<Mutex<HashMap<String, Statement>>>);

impl Statements {
    fn get(&self, sql: &str) -> Option<Statement> {
        // A poisoned map is only a cache: it is read as it stands.
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(sql).cloned()
    }

    fn insert(&self, sql: &str, st: Statement) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(sql.to_owned(), st);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Statements>> = const { RefCell::new(None) };
}

/// A pooled connection: the client, its prepared statements, and whether
/// it was seen to be lost (then the pool drops it rather than handing it out
/// again).
pub struct CachedClient {
    client: Client,
    statements: Statements,
    lost: AtomicBool,
}

impl CachedClient {
    /// This connection's statements (for [`on_connection`]).
    pub fn statements(&self) -> Statements {
        self.statements.clone()
    }

    /// Marks the connection as lost (a failover ended it): the pool closes
    /// it when it comes back instead of handing it out again.
    pub fn mark_lost(&self) {
        self.lost.store(true, Ordering::Relaxed);
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

/// `r2d2_postgres`'s manager, each connection given its statement cache.
pub struct PgManager(pub PostgresConnectionManager<NoTls>);

impl r2d2_postgres::r2d2::ManageConnection for PgManager {
    type Connection = CachedClient;
    type Error = postgres::Error;

    fn connect(&self) -> Result<CachedClient, postgres::Error> {
        Ok(CachedClient {
            client: self.0.connect()?,
            statements: Statements::default(),
            lost: AtomicBool::new(false),
        })
    }

    fn is_valid(&self, conn: &mut CachedClient) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut CachedClient) -> bool {
        conn.lost.load(Ordering::Relaxed) || self.0.has_broken(&mut conn.client)
    }
}

/// Runs `f` saying that this thread's statements go to the connection that
/// owns `statements`.
pub(crate) fn on_connection<T>(statements: Statements, f: impl FnOnce() -> T) -> T {
    let before = CURRENT.with(|c| c.replace(Some(statements)));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = before);
    out
}

/// `sql` prepared on the current connection, once per connection (outside
/// the pool's helpers, prepared each time).
pub fn cached<C: GenericClient>(client: &mut C, sql: &str) -> Result<Statement, postgres::Error> {
    let Some(statements) = CURRENT.with(|c| c.borrow().clone()) else {
        return client.prepare(sql);
    };
    if let Some(st) = statements.get(sql) {
        return Ok(st);
    }
    let st = client.prepare(sql)?;
    statements.insert(sql, st.clone());
    Ok(st)
}

/// The statement calls of a transaction or a connection, through
/// [`cached`]: the same signatures as `Transaction`'s, SQL text in.
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

impl<C: GenericClient> CachedQueries for C {
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
