//! SQLite plumbing: pragmas, numbered migrations, one writer thread with group commit, and a pool of read connections.

use rusqlite::Connection;
use rusqlite::OpenFlags;
use std::panic::AssertUnwindSafe;
use std::panic::catch_unwind;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::Receiver;
use std::sync::mpsc::SyncSender;
use std::sync::mpsc::TryRecvError;
use std::sync::mpsc::sync_channel;
use std::thread::JoinHandle;

use crate::error::ServiceError;

pub use crate::platform::migrations::MIGRATIONS;

/// Most write closures committed together.
pub(crate) const MAX_GROUP: usize = 512;

pub(crate) type Completion = Box<dyn FnOnce(bool) + Send>;

pub(crate) type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// What a write job decided, when it did not fail (a failure, `Err`, rolls
/// its changes back).
#[derive(Debug)]
#[must_use]
pub enum Outcome<T> {
    /// Commit, and answer the value.
    Commit(T),
    /// Commit what the job wrote, and still answer the refusal: a wrong birth
    /// date must count towards the card's lockout even though the debit is
    /// refused.
    CommitAndRefuse(ServiceError),
}

impl<T> From<Result<T, ServiceError>> for Outcome<T> {
    fn from(r: Result<T, ServiceError>) -> Outcome<T> {
        match r {
            Ok(v) => Outcome::Commit(v),
            Err(e) => Outcome::CommitAndRefuse(e),
        }
    }
}

impl<T> Outcome<T> {
    /// The answer to give once committed.
    pub fn into_result(self) -> Result<T, ServiceError> {
        match self {
            Outcome::Commit(v) => Ok(v),
            Outcome::CommitAndRefuse(e) => Err(e),
        }
    }
}

/// The database: a writer thread and read connections.
pub struct Db {
    sender: Mutex<Option<SyncSender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
    /// Write jobs sent to the writer so far.
    jobs: std::sync::atomic::AtomicU64,
}

/// `execute` and `query_row` through the connection's statement cache: the
/// hot paths run the same statements thousands of times a second.
pub trait Cached {
    /// Like `Connection::execute`, with a cached prepared statement.
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// Like `Connection::query_row`, with a cached prepared statement.
    fn one<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn one<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// Applies the connection pragmas every connection needs.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(256);
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32768;
         PRAGMA mmap_size = 268435456;",
    )
}

/// Brings a database to the latest schema, one numbered migration at a time,
/// each in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), ServiceError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if current > latest {
        return Err(ServiceError::Internal(format!(
            "database schema version {current} is newer than this server ({latest})"
        )));
    }
    for (i, (_, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

impl Db {
    /// Opens (creating and migrating if needed) the database file.
    pub fn open(path: &Path) -> Result<Db, ServiceError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate(&mut conn)?;
        let (sender, receiver) = sync_channel::<Job>(4096);
        let writer = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || writer_loop(conn, receiver))
            .map_err(|e| ServiceError::Internal(format!("cannot start writer: {e}")))?;
        Ok(Db {
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(writer)),
            readers: Mutex::new(Vec::new()),
            path: path.to_owned(),
            jobs: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Runs `f` in the writer thread, inside a transaction.
    /// `Ok(Outcome::Commit(v))` commits and returns `v`; `Err(e)` rolls back
    /// `f`'s changes; `Ok(Outcome::CommitAndRefuse(e))` commits what `f`
    /// wrote and still answers `e`. Returns once the commit is durable.
    pub fn write_outcome<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<Outcome<T>, ServiceError> + Send + 'static,
    {
        let (tx, rx) = sync_channel::<Result<T, ServiceError>>(1);
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let keep = result.is_ok();
            let done: Completion = Box::new(move |committed| {
                let out = match result {
                    Ok(inner) if committed => inner.into_result(),
                    Ok(_) => Err(ServiceError::Unavailable),
                    Err(e) => Err(e),
                };
                let _ = tx.send(out);
            });
            (keep, done)
        });
        let sender = self
            .sender
            .lock()
            .map_err(|_| ServiceError::Unavailable)?
            .clone()
            .ok_or(ServiceError::Unavailable)?;
        crate::platform::metrics::writer_queue(1.0);
        if sender.send(job).is_err() {
            crate::platform::metrics::writer_queue(-1.0);
            return Err(ServiceError::Unavailable);
        }
        self.jobs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        rx.recv().map_err(|_| ServiceError::Unavailable)?
    }

    /// Runs `f` in the writer thread; any error rolls back `f`'s changes.
    pub fn write<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ServiceError> + Send + 'static,
    {
        self.write_outcome(move |c| f(c).map(Outcome::Commit))
    }

    /// Runs `f` on a read connection (a consistent snapshot for its duration).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let conn = {
            let mut pool = self.readers.lock().map_err(|_| ServiceError::Unavailable)?;
            pool.pop()
        };
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                c.set_prepared_statement_cache_capacity(256);
                c.execute_batch(
                    "PRAGMA foreign_keys = ON; PRAGMA query_only = ON;
                     PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456;",
                )?;
                c
            }
        };
        conn.execute_batch("BEGIN DEFERRED")?;
        let out = f(&conn);
        let _ = conn.execute_batch("COMMIT");
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < 16
        {
            pool.push(conn);
        }
        out
    }

    /// How many write jobs were sent to the writer since the database was
    /// opened (each is one slot in a group commit: how long one caller holds
    /// the writer).
    pub fn write_jobs(&self) -> u64 {
        self.jobs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the writer thread is running (it stops only at close, or if it
    /// died).
    pub fn writer_alive(&self) -> bool {
        self.writer
            .lock()
            .map(|w| w.as_ref().is_some_and(|h| !h.is_finished()))
            .unwrap_or(false)
    }

    /// Stops the writer after the jobs already queued, and waits for it.
    pub fn close(&self) {
        if let Ok(mut s) = self.sender.lock() {
            s.take();
        }
        if let Ok(mut w) = self.writer.lock()
            && let Some(handle) = w.take()
        {
            let _ = handle.join();
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.close();
    }
}

pub(crate) fn writer_loop(conn: Connection, receiver: Receiver<Job>) {
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(j) => jobs.push(j),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        crate::platform::metrics::writer_queue(-(jobs.len() as f64));
        crate::platform::metrics::writer_group(jobs.len());
        if conn.execute_batch("BEGIN IMMEDIATE").is_err() {
            tracing::error!("cannot begin a write transaction");
            crate::platform::metrics::writer_failure("begin");
            // Dropping the jobs drops their reply channels: callers get Unavailable.
            continue;
        }
        let mut completions = Vec::with_capacity(jobs.len());
        // Savepoint statements go through the statement cache: they run twice
        // per write, thousands of times a second.
        let run = |sql: &str| conn.exec(sql, []).map(|_| ());
        let undo = || run("ROLLBACK TO job").and_then(|()| run("RELEASE job"));
        for job in jobs {
            if run("SAVEPOINT job").is_err() {
                continue;
            }
            let started = std::time::Instant::now();
            let ran = catch_unwind(AssertUnwindSafe(|| job(&conn)));
            crate::platform::metrics::writer_job(started.elapsed());
            match ran {
                Ok((keep, done)) => {
                    let ended = if keep { run("RELEASE job") } else { undo() };
                    if ended.is_ok() {
                        completions.push(done);
                    }
                }
                Err(_) => {
                    tracing::error!("a write job panicked; its changes were rolled back");
                    crate::platform::metrics::writer_failure("panic");
                    let _ = undo();
                }
            }
        }
        let committed = conn.execute_batch("COMMIT").is_ok();
        if !committed {
            tracing::error!("commit failed; the group was rolled back");
            crate::platform::metrics::writer_failure("commit");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for done in completions {
            done(committed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare(
                "SELECT type, name, COALESCE(sql, '') FROM sqlite_master
                 WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn migrated_database_equals_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        // Fresh: every migration at once.
        let mut fresh = Connection::open(dir.path().join("fresh.db")).unwrap();
        migrate(&mut fresh).unwrap();
        // Migrated: one version at a time, reopening in between, as upgrades do.
        let path = dir.path().join("stepwise.db");
        for v in 1..=MIGRATIONS.len() {
            let mut c = Connection::open(&path).unwrap();
            let tx = c.transaction().unwrap();
            tx.execute_batch(MIGRATIONS[v - 1].1).unwrap();
            tx.pragma_update(None, "user_version", v as i64).unwrap();
            tx.commit().unwrap();
        }
        let mut stepwise = Connection::open(&path).unwrap();
        migrate(&mut stepwise).unwrap();
        assert_eq!(schema(&fresh), schema(&stepwise));
        let version = |c: &Connection| -> i64 {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(version(&fresh), MIGRATIONS.len() as i64);
        assert_eq!(version(&stepwise), version(&fresh));
        // A database from a newer server is refused, not damaged.
        fresh.pragma_update(None, "user_version", 999_i64).unwrap();
        assert!(migrate(&mut fresh).is_err());
    }

    /// 0009 rebuilds the batch tables with foreign keys on (as `Db::open`
    /// migrates): existing batches and their items survive, a negative one
    /// now carries its deficit instead of showing 0,00 €, and no item points
    /// at a dropped table.
    #[test]
    fn the_clawback_migration_keeps_batches_and_carries_old_deficits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v6.db");
        let v9 = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0009_clawback")
            .unwrap();
        {
            let mut c = Connection::open(&path).unwrap();
            configure(&c).unwrap();
            for (i, (_, sql)) in MIGRATIONS.iter().enumerate().take(v9) {
                let tx = c.transaction().unwrap();
                tx.execute_batch(sql).unwrap();
                tx.pragma_update(None, "user_version", (i + 1) as i64)
                    .unwrap();
                tx.commit().unwrap();
            }
            // Batches as the old server wrote them, with their parents.
            c.execute_batch(
                "INSERT INTO establishments VALUES ('e1', 'Lycée', 'lycee', 'Lyon', '69001');
                 INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
                   longitude, status, created_at)
                 VALUES ('p1', 'Librairie', 'librairie', '1 rue', 'Lyon', '69001', 45.7, 4.8,
                   'validated', '2026-10-01T00:00:00Z');
                 INSERT INTO accounts VALUES
                   ('a1', 'y@example.org', 'h', 'youth', 'Y', NULL, NULL, '2026-10-01T00:00:00Z'),
                   ('a2', 'p@example.org', 'h', 'partner', 'P', 'p1', NULL, '2026-10-01T00:00:00Z');
                 INSERT INTO orders (id, account_id, season, establishment_id, public, disabled,
                   first_name, last_name, birth_date, address, postal_code, city, status, created_at)
                 VALUES ('o1', 'a1', 2026, 'e1', 'lyceen', 0, 'Y', 'Z', '2010-03-14', '1 rue',
                   '69001', 'Lyon', 'validee', '2026-10-01T00:00:00Z');
                 INSERT INTO cards (id, number, account_id, order_id, establishment_id, season,
                   status, public, disabled, first_name, last_name, birth_date, created_at)
                 VALUES ('c1', '1234', 'a1', 'o1', 'e1', 2026, 'active', 'lyceen', 0, 'Y', 'Z',
                   '2010-03-14', '2026-10-01T00:00:00Z');
                 INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season,
                   avantage, unit_kind, price_units, units, reste_units, amount_cents, refund_of,
                   channel, created_at)
                 VALUES
                   ('t1', 'debit', 'c1', 'p1', 'a2', 2026, 'lecture_loisir', 'credit', 1250, 1250,
                    0, 1250, NULL, 'qr', '2026-10-30T00:00:00Z'),
                   ('t2', 'refund', 'c1', 'p1', 'a2', 2026, 'lecture_loisir', 'credit', 0, 1250,
                    0, -1250, 't1', 'qr', '2026-11-10T00:00:00Z');
                 INSERT INTO reimbursement_batches VALUES
                   ('b1', 'p1', '2026-11-01T00:00:00Z', 1250, 'rembourse', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'),
                   ('b2', 'p1', '2026-11-16T00:00:00Z', -1250, 'en_cours', '2026-11-16T00:00:00Z', NULL);
                 INSERT INTO reimbursement_items VALUES ('t1', 'b1'), ('t2', 'b2');",
            )
            .unwrap();
        }
        let mut c = Connection::open(&path).unwrap();
        configure(&c).unwrap();
        migrate(&mut c).unwrap();
        let rows: Vec<(String, i64, i64, i64, String)> = c
            .prepare(
                "SELECT id, total_cents, payable_cents, carried_out_cents, status
                 FROM reimbursement_batches ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("b1".into(), 1250, 1250, 0, "rembourse".into()),
                ("b2".into(), -1250, 0, -1250, "compense".into()),
            ]
        );
        let items: i64 = c
            .query_row("SELECT COUNT(*) FROM reimbursement_items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(items, 2);
        // Items point at the rebuilt table, by its name.
        let sql: String = c
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'reimbursement_items'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains("\"reimbursement_batches\""), "{sql}");
        let dangling: i64 = c
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(dangling, 0);
    }

    /// 0014 makes the partners' existing accounts their managers, and
    /// rebuilds `email_tokens` for invitations: the tokens in flight survive,
    /// the new purpose is accepted, others still refused; a partner role
    /// belongs to partner accounts only.
    #[test]
    fn the_staff_migration_makes_managers_and_keeps_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v12.db");
        let v14 = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0014_partner_staff")
            .unwrap();
        let mut c = Connection::open(&path).unwrap();
        configure(&c).unwrap();
        for (i, (_, sql)) in MIGRATIONS.iter().enumerate().take(v14) {
            let tx = c.transaction().unwrap();
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
            tx.commit().unwrap();
        }
        c.execute_batch(
            "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
               longitude, status, created_at)
             VALUES ('p1', 'Librairie', 'librairie', '1 rue', 'Lyon', '69001', 45.7, 4.8,
               'validated', '2026-10-01T00:00:00Z');
             INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
               establishment_id, created_at, email_verified_at) VALUES
               ('a1', 'y@example.org', 'h', 'youth', 'Y', NULL, NULL, '2026-10-01T00:00:00Z', NULL),
               ('a2', 'p@example.org', 'h', 'partner', 'P', 'p1', NULL, '2026-10-01T00:00:00Z',
                '2026-10-01T00:00:00Z');
             INSERT INTO email_tokens (token_hash, account_id, purpose, password_hash,
               display_name, created_at, expires_at)
             VALUES ('t1', 'a1', 'verification', 'h2', 'Y', '2026-10-01T00:00:00Z',
               '2026-10-03T00:00:00Z');",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let roles: Vec<(String, Option<String>)> = c
            .prepare("SELECT id, partner_role FROM accounts ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            roles,
            vec![("a1".into(), None), ("a2".into(), Some("manager".into()))]
        );
        let kept: (String, String, Option<String>) = c
            .query_row(
                "SELECT account_id, password_hash, used_at FROM email_tokens WHERE token_hash = 't1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(kept, ("a1".into(), "h2".into(), None));
        let token = |purpose: &str| {
            c.execute(
                "INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at)
                 VALUES (?1, 'a2', ?1, '2026-10-01T00:00:00Z', '2026-10-08T00:00:00Z')",
                [purpose],
            )
        };
        assert!(token("invitation").is_ok());
        assert!(token("autre").is_err());
        assert!(
            c.execute(
                "UPDATE accounts SET partner_role = 'manager' WHERE id = 'a1'",
                []
            )
            .is_err()
        );
        assert!(
            c.execute(
                "UPDATE accounts SET partner_role = 'owner' WHERE id = 'a2'",
                []
            )
            .is_err()
        );
        assert!(
            c.execute(
                "UPDATE accounts SET partner_role = 'cashier' WHERE id = 'a2'",
                []
            )
            .is_ok()
        );
        let dangling: i64 = c
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(dangling, 0);
    }

    /// 0025 makes the Region's existing accounts administrators; a Region
    /// role belongs to Region accounts only, and is one of three.
    #[test]
    fn the_region_roles_migration_makes_administrators() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v24.db");
        let v25 = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0025_region_roles")
            .unwrap();
        let mut c = Connection::open(&path).unwrap();
        configure(&c).unwrap();
        for (i, (_, sql)) in MIGRATIONS.iter().enumerate().take(v25) {
            let tx = c.transaction().unwrap();
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
            tx.commit().unwrap();
        }
        c.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at,
               email_verified_at) VALUES
               ('a1', 'y@example.org', 'h', 'youth', 'Y', '2026-10-01T00:00:00Z', NULL),
               ('a2', 'r@example.org', 'h', 'region', 'R', '2026-10-01T00:00:00Z',
                '2026-10-01T00:00:00Z');",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let roles: Vec<(String, Option<String>)> = c
            .prepare("SELECT id, region_role FROM accounts ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            roles,
            vec![("a1".into(), None), ("a2".into(), Some("admin".into()))]
        );
        let set = |id: &str, role: &str| {
            c.execute(
                "UPDATE accounts SET region_role = ?2 WHERE id = ?1",
                [id, role],
            )
        };
        assert!(set("a1", "admin").is_err(), "a youth has no Region role");
        assert!(set("a2", "region").is_err(), "not one of the three");
        assert!(set("a2", "finance").is_ok());
    }

    #[test]
    fn pragmas_are_set() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("p.db")).unwrap();
        let mode: String = db
            .write(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = db
            .write(|c| Ok(c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn a_failed_job_does_not_undo_its_neighbours() {
        let dir = tempfile::tempdir().unwrap();
        let db = std::sync::Arc::new(Db::open(&dir.path().join("g.db")).unwrap());
        let mut handles = Vec::new();
        for i in 0..50 {
            let db = db.clone();
            handles.push(std::thread::spawn(move || {
                db.write(move |c| {
                    c.execute(
                        "INSERT INTO establishments VALUES (?1, 'x', 'lycee', 'Lyon', '69001')",
                        [format!("e{i}")],
                    )?;
                    if i % 2 == 0 {
                        Err(ServiceError::Forbidden)
                    } else {
                        Ok(())
                    }
                })
            }));
        }
        let ok = handles
            .into_iter()
            .filter(|_| true)
            .map(|h| h.join().unwrap().is_ok())
            .filter(|ok| *ok)
            .count();
        assert_eq!(ok, 25);
        let n: i64 = db
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM establishments", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(n, 25);
    }
}
