//! The storage engine under the harness, and the few SQL statements tests run
//! behind the server's back on either engine.
//!
//! SQLite is the default. With `PASSREGION_TEST_ENGINE=postgres`, each
//! [`TestApp`](super::TestApp) gets a fresh database (C collation) on the
//! cluster whose admin URL is in `PASSREGION_TEST_DATABASE_URL`
//! (`scripts/pg-cluster.sh start DIR` prints one), and the server runs with
//! `--database-url`; the database is dropped with the app's last clone.
//!
//! The synchronous PostgreSQL client starts a runtime of its own, so it never
//! runs on the test's runtime thread: statements go through `spawn_blocking`,
//! and the test database is dropped on a thread of its own.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use passregion_server::platform::db::Db;
use r2d2_postgres::postgres;

/// Shared with `server/tests/pg` and `storage_contract.rs`: a fresh database
/// per test, dropped at the end.
#[path = "../pg/support.rs"]
mod pg_support;

use pg_support::TestDb;
use pg_support::URL_VAR;

/// The variable choosing the engine: unset or `sqlite`, or `postgres`.
pub const ENGINE_VAR: &str = "PASSREGION_TEST_ENGINE";

/// The storage engine of a test run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The embedded database file `DATA_DIR/passregion.db`.
    Sqlite,
    /// A database of its own on the test cluster.
    Postgres,
}

impl Engine {
    /// The engine `PASSREGION_TEST_ENGINE` asks for. Panics on an unknown
    /// value, and on `postgres` without `PASSREGION_TEST_DATABASE_URL`
    /// (never a silent run on SQLite).
    pub fn from_env() -> Engine {
        match std::env::var(ENGINE_VAR).as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => Engine::Sqlite,
            Ok("postgres") => {
                assert!(
                    std::env::var_os(URL_VAR).is_some_and(|u| !u.is_empty()),
                    "{ENGINE_VAR}=postgres needs the test cluster's admin URL in {URL_VAR} \
                     (scripts/pg-cluster.sh start DIR prints one)"
                );
                Engine::Postgres
            }
            Ok(other) => panic!("{ENGINE_VAR}={other}: expected `sqlite` or `postgres`"),
        }
    }
}

/// Where one app keeps its data: the temporary data directory and, on
/// PostgreSQL, its database. Shared by the app's clones and restarts.
pub struct Backing {
    /// The engine.
    pub engine: Engine,
    pg: Option<TestDb>,
    tmp: tempfile::TempDir,
}

impl Backing {
    /// A new private data directory and, on PostgreSQL, a new database.
    pub async fn new(engine: Engine) -> Backing {
        let tmp = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap();
        let pg = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => {
                let db = tokio::task::spawn_blocking(|| TestDb::new("api"))
                    .await
                    .unwrap()
                    .expect("a test database");
                Some(db)
            }
        };
        Backing { engine, pg, tmp }
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.tmp.path().to_owned()
    }

    /// The server's storage flags: `--database-url` on PostgreSQL, none on SQLite.
    pub fn storage_args(&self) -> Vec<String> {
        match &self.pg {
            Some(db) => vec!["--database-url".into(), db.url.clone()],
            None => Vec::new(),
        }
    }

    /// Where statements run: SQLite's writer (`db`, the server's handle) or
    /// a connection to this app's PostgreSQL database.
    pub fn target(&self, db: Option<Arc<Db>>) -> SqlTarget {
        match (&self.pg, db) {
            (Some(pg), _) => SqlTarget::Postgres(pg.url.clone()),
            (None, Some(db)) => SqlTarget::Sqlite(db),
            (None, None) => panic!("a SQLite app without its database handle"),
        }
    }
}

impl Drop for Backing {
    fn drop(&mut self) {
        // `TestDb`'s drop connects to the cluster: never on a runtime's thread.
        if let Some(db) = self.pg.take() {
            let _ = std::thread::spawn(move || drop(db)).join();
        }
    }
}

/// A value bound to a statement's parameter (`?1`, `?2`…).
#[derive(Clone, Debug)]
pub enum SqlArg {
    /// TEXT.
    Text(String),
    /// INTEGER / BIGINT.
    Int(i64),
    /// REAL / DOUBLE PRECISION.
    Real(f64),
}

impl From<&str> for SqlArg {
    fn from(v: &str) -> Self {
        SqlArg::Text(v.to_owned())
    }
}

impl From<String> for SqlArg {
    fn from(v: String) -> Self {
        SqlArg::Text(v)
    }
}

impl From<&String> for SqlArg {
    fn from(v: &String) -> Self {
        SqlArg::Text(v.clone())
    }
}

impl From<i64> for SqlArg {
    fn from(v: i64) -> Self {
        SqlArg::Int(v)
    }
}

impl From<f64> for SqlArg {
    fn from(v: f64) -> Self {
        SqlArg::Real(v)
    }
}

/// `sql_args![a, b, c]`: the arguments of one statement.
#[macro_export]
macro_rules! sql_args {
    ($($arg:expr),* $(,)?) => {
        vec![$($crate::common::SqlArg::from($arg)),*]
    };
}

/// One statement, in SQLite's placeholder style (`?1`), with its arguments.
pub type Statement = (String, Vec<SqlArg>);

/// Where the statements of a test run.
#[derive(Clone)]
pub enum SqlTarget {
    /// Through SQLite's single writer (reads: a read connection).
    Sqlite(Arc<Db>),
    /// A new connection to this URL.
    Postgres(String),
}

impl SqlTarget {
    /// Runs `statements` in one transaction (all or nothing), on a blocking
    /// thread; returns the number of rows they changed.
    pub async fn execute(&self, statements: Vec<Statement>) -> anyhow::Result<u64> {
        let target = self.clone();
        tokio::task::spawn_blocking(move || match target {
            SqlTarget::Sqlite(db) => Ok(db.write(move |c| {
                let mut changed = 0;
                for (sql, args) in &statements {
                    let mut stmt = c.prepare_cached(sql)?;
                    changed += stmt.execute(rusqlite::params_from_iter(args.iter().map(sqlite)))?;
                }
                Ok(changed as u64)
            })?),
            SqlTarget::Postgres(url) => {
                let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
                let mut tx = client.transaction()?;
                let mut changed = 0;
                for (sql, args) in &statements {
                    let stmt = tx.prepare(&pg_placeholders(sql))?;
                    let values: Vec<Box<dyn postgres::types::ToSql + Sync>> =
                        args.iter().map(pg).collect();
                    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        values.iter().map(|v| v.as_ref()).collect();
                    changed += tx.execute(&stmt, &refs)?;
                }
                tx.commit()?;
                Ok(changed)
            }
        })
        .await
        .unwrap()
    }

    /// Runs a script of statements without arguments (DDL).
    pub async fn batch(&self, script: &str) -> anyhow::Result<()> {
        let (target, script) = (self.clone(), script.to_owned());
        tokio::task::spawn_blocking(move || match target {
            SqlTarget::Sqlite(db) => Ok(db.write(move |c| Ok(c.execute_batch(&script)?))?),
            SqlTarget::Postgres(url) => {
                let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
                Ok(client.batch_execute(&script)?)
            }
        })
        .await
        .unwrap()
    }

    /// The integer that `query` (one row, one column, no arguments) returns.
    pub async fn query_i64(&self, query: &str) -> anyhow::Result<i64> {
        let (target, query) = (self.clone(), query.to_owned());
        tokio::task::spawn_blocking(move || match target {
            SqlTarget::Sqlite(db) => {
                Ok(db.read(move |c| Ok(c.query_row(&query, [], |r| r.get::<_, i64>(0))?))?)
            }
            SqlTarget::Postgres(url) => {
                let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
                let row = client
                    .query_one(&query, &[])
                    .with_context(|| query.clone())?;
                Ok(row.try_get::<_, i64>(0)?)
            }
        })
        .await
        .unwrap()
    }
}

fn sqlite(arg: &SqlArg) -> rusqlite::types::Value {
    match arg {
        SqlArg::Text(v) => rusqlite::types::Value::Text(v.clone()),
        SqlArg::Int(v) => rusqlite::types::Value::Integer(*v),
        SqlArg::Real(v) => rusqlite::types::Value::Real(*v),
    }
}

fn pg(arg: &SqlArg) -> Box<dyn postgres::types::ToSql + Sync> {
    match arg {
        SqlArg::Text(v) => Box::new(v.clone()),
        SqlArg::Int(v) => Box::new(*v),
        SqlArg::Real(v) => Box::new(*v),
    }
}

/// SQLite's numbered placeholders (`?1`) in PostgreSQL's spelling (`$1`).
fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}
