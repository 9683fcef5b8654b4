//! A database of its own for a test, on the PostgreSQL cluster named by
//! `PASSREGION_TEST_DATABASE_URL` (the test command starts a throwaway one,
//! `scripts/pg-cluster.sh`).

use r2d2_postgres::postgres::{Client as Pg, NoTls};

/// The variable naming the test cluster (a role that may create databases).
pub const URL_VAR: &str = "PASSREGION_TEST_DATABASE_URL";

/// Runs `f` on a thread of its own: the synchronous PostgreSQL client may
/// not run on a test's async runtime.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// A database made for one test (C collation, as the server requires),
/// dropped at the end.
pub struct Database {
    admin: String,
    name: String,
    /// Its URL (for `--database-url`).
    pub url: String,
}

impl Database {
    /// A new, empty database; `None` (after printing SKIPPED) when no
    /// cluster is configured.
    pub fn new(test: &str) -> Option<Database> {
        let Ok(admin) = std::env::var(URL_VAR) else {
            eprintln!("SKIPPED {test}: {URL_VAR} is unset");
            return None;
        };
        let name = format!("s_{}", uuid::Uuid::new_v4().simple());
        let url = off_runtime(|| create_database(&admin, &name)).unwrap();
        Some(Database { admin, name, url })
    }

    /// Runs SQL on this database (off the async runtime).
    pub fn exec(&self, sql: &str) -> u64 {
        off_runtime(|| {
            Pg::connect(&self.url, NoTls)
                .unwrap()
                .execute(sql, &[])
                .unwrap()
        })
    }

    /// One value of a query on the database (e.g. a count).
    pub fn scalar(&self, sql: &str) -> i64 {
        off_runtime(|| {
            Pg::connect(&self.url, NoTls)
                .unwrap()
                .query_one(sql, &[])
                .unwrap()
                .get(0)
        })
    }

    /// Runs statements on the database.
    pub fn execute(&self, sql: &str) {
        off_runtime(|| {
            Pg::connect(&self.url, NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap()
        })
    }

    /// The first column of the rows of `sql`, as 64-bit integers.
    pub fn ints(&self, sql: &str) -> Vec<i64> {
        off_runtime(|| {
            Pg::connect(&self.url, NoTls)
                .unwrap()
                .query(sql, &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .collect()
        })
    }
}

/// Creates the database `name` on the cluster of `admin` with the byte-order
/// collation the server requires; returns its URL.
pub fn create_database(admin: &str, name: &str) -> Result<String, r2d2_postgres::postgres::Error> {
    Pg::connect(admin, NoTls)?.batch_execute(&format!(
        "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'
         LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C'"
    ))?;
    Ok(with_database(admin, name))
}

/// `admin` with its database name replaced by `name` (query kept).
fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = admin.split_once('?').unwrap_or((admin, ""));
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let slash = base[host_end..]
        .find('/')
        .map_or(base.len(), |j| host_end + j);
    let url = format!("{}/{name}", &base[..slash]);
    if query.is_empty() {
        url
    } else {
        format!("{url}?{query}")
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        off_runtime(|| {
            if let Ok(mut c) = Pg::connect(&self.admin, NoTls) {
                let _ = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        });
    }
}
