//! A fresh database per test on the cluster of `PASSREGION_TEST_DATABASE_URL`.

use passregion_server::platform::pg::PgPool;
use r2d2_postgres::postgres::Client;
use r2d2_postgres::postgres::NoTls;

/// The variable naming the test cluster.
pub const URL_VAR: &str = "PASSREGION_TEST_DATABASE_URL";

/// A database made for one test, dropped at the end.
pub struct TestDb {
    admin_url: String,
    name: String,
    /// The URL of this database.
    pub url: String,
}

/// `let Some(db) = test_db!() else { return };`: a fresh database, or a
/// loud skip when no cluster is configured.
#[macro_export]
macro_rules! test_db {
    () => {
        $crate::support::TestDb::new(module_path!())
    };
}

impl TestDb {
    /// A new, empty database (C collation, as the server requires), or
    /// `None` (after printing why) when the variable is unset.
    pub fn new(test: &str) -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(URL_VAR) else {
            eprintln!(
                "SKIPPED {test}: {URL_VAR} is unset (start a cluster with scripts/pg-cluster.sh)"
            );
            return None;
        };
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = Client::connect(&admin_url, NoTls).expect("test cluster reachable");
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'
                 LOCALE_PROVIDER libc LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .unwrap();
        let url = with_database(&admin_url, &name);
        Some(TestDb {
            admin_url,
            name,
            url,
        })
    }

    /// Another database on the same cluster, made with `options` (an
    /// unsuitable one, for a refusal), dropped with this one.
    pub fn sibling(&self, options: &str) -> String {
        let name = format!("{}_other", self.name);
        let mut admin = Client::connect(&self.admin_url, NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name} {options}"))
            .unwrap();
        with_database(&self.admin_url, &name)
    }

    /// A pool on this database (one "instance").
    pub fn pool(&self, size: u32) -> PgPool {
        PgPool::connect(&self.url, size).unwrap()
    }

    /// A plain client on this database.
    pub fn client(&self) -> Client {
        Client::connect(&self.url, NoTls).unwrap()
    }

    /// Ends every other connection to this database, as a failover does.
    pub fn cut_connections(&self) {
        self.client()
            .batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .unwrap();
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            // One statement per query: several in one string run as one
            // transaction block, which DROP DATABASE refuses.
            for name in [self.name.clone(), format!("{}_other", self.name)] {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Every table of the public schema with its column names, sorted
/// (`schema_migrations` is the engine's own).
pub fn pg_columns(client: &mut Client) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for row in client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
             ORDER BY 1, 2",
            &[],
        )
        .unwrap()
    {
        out.entry(row.get(0)).or_default().push(row.get(1));
    }
    out
}

/// The whole schema as PostgreSQL describes it: columns with types,
/// constraints, indexes and triggers.
pub fn pg_schema(client: &mut Client) -> Vec<String> {
    let queries = [
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
                || ' ' || COALESCE(column_default, '')
         FROM information_schema.columns WHERE table_schema = 'public'",
        "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "SELECT tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal",
    ];
    let mut out = Vec::new();
    for q in queries {
        for row in client.query(q, &[]).unwrap() {
            out.push(row.get::<_, String>(0));
        }
    }
    out.sort();
    out
}

/// Runs `f(i)` for `i` in `0..n` on `n` threads released together.
pub fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, f) = (&barrier, &f);
                s.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
