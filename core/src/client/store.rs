//! The local SQLite store: one writer connection, WAL, foreign keys,
//! numbered migrations in `PRAGMA user_version`, every write a transaction.
//!
//! A database that cannot be opened or fails its integrity check is never
//! deleted: it is moved aside to `<name>.corrupt-<timestamp>` (with its WAL),
//! a fresh one is started, and [`OpenReport::quarantined`] tells the app,
//! which shows it (unsynced debits may be in the quarantined file).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::error::StoreError;

/// The migrations, in order: migration `i` (1-based) moves `user_version`
/// from `i - 1` to `i`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("migrations/0001_init.sql")),
    (
        "0002_outbox_retry",
        include_str!("migrations/0002_outbox_retry.sql"),
    ),
    (
        "0003_outbox_message",
        include_str!("migrations/0003_outbox_message.sql"),
    ),
    (
        "0004_card_body",
        include_str!("migrations/0004_card_body.sql"),
    ),
    (
        "0005_card_versions",
        include_str!("migrations/0005_card_versions.sql"),
    ),
];

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// What happened when the store was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OpenReport {
    /// The unreadable database was moved here (show it; never delete it).
    pub quarantined: Option<PathBuf>,
    /// The schema version found before migrating (0 for a new file).
    pub migrated_from: i64,
}

/// The app's local store.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    report: OpenReport,
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL: readers do not block the writer; FULL: a confirmed offline debit
    // survives a power cut (it is money).
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

fn healthy(conn: &Connection) -> Result<bool, rusqlite::Error> {
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    Ok(check == "ok")
}

/// Applies the migrations after `user_version`, up to `target`, each in its
/// own transaction.
pub fn migrate(conn: &mut Connection, target: i64) -> Result<i64, StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > schema_version() {
        return Err(StoreError::TooNew {
            found,
            supported: schema_version(),
        });
    }
    for (i, (_, sql)) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
        if version <= found || version > target {
            continue;
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(found)
}

fn sidecars(path: &Path) -> [PathBuf; 3] {
    let s = path.as_os_str().to_owned();
    let with = |suffix: &str| {
        let mut p = s.clone();
        p.push(suffix);
        PathBuf::from(p)
    };
    [path.to_owned(), with("-wal"), with("-shm")]
}

/// Moves an unreadable database (and its WAL) aside; returns the new path.
fn quarantine(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let mut target = None;
    for (i, p) in sidecars(path).iter().enumerate() {
        if !p.exists() {
            continue;
        }
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".corrupt-{stamp}"));
        if i == 1 {
            name.push("-wal");
        } else if i == 2 {
            name.push("-shm");
        }
        let dest = PathBuf::from(name);
        std::fs::rename(p, &dest)?;
        if i == 0 {
            target = Some(dest);
        }
    }
    target.ok_or(StoreError::Invalid("quarantined file vanished"))
}

impl Store {
    /// Opens (or creates) the store at `path`, migrating it; quarantines an
    /// unreadable file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_at_version(path, schema_version())
    }

    /// Opens and migrates up to `target` (tests of the migrations).
    pub fn open_at_version(path: &Path, target: i64) -> Result<Store, StoreError> {
        let mut report = OpenReport::default();
        let attempt = || -> Result<Connection, rusqlite::Error> {
            let conn = Connection::open(path)?;
            configure(&conn)?;
            if !healthy(&conn)? {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                    Some("integrity check failed".into()),
                ));
            }
            Ok(conn)
        };
        let mut conn = match attempt() {
            Ok(c) => c,
            Err(_) => {
                report.quarantined = Some(quarantine(path)?);
                let conn = Connection::open(path)?;
                configure(&conn)?;
                conn
            }
        };
        report.migrated_from = migrate(&mut conn, target)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: Some(path.to_owned()),
            report,
        })
    }

    /// An in-memory store (tests, benchmarks).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn, schema_version())?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: None,
            report: OpenReport::default(),
        })
    }

    /// What happened at open.
    pub fn report(&self) -> &OpenReport {
        &self.report
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one write transaction (committed if `f` succeeds).
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the connection (reads).
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let conn = self.lock();
        f(&conn)
    }

    /// The schema (`sqlite_master` rows, sorted), to compare databases.
    pub fn schema_dump(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name",
            )?;
            let rows = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    // ---------------------------------------------------------- shared rows

    /// The session, if any: (server URL, token, role, account id).
    pub fn session(&self) -> Result<Option<Session>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT server_url, token, role, account_id, partner_id, partner_category FROM session WHERE id = 1",
                [],
                |r| {
                    Ok(Session {
                        server_url: r.get(0)?,
                        token: r.get(1)?,
                        role: r.get(2)?,
                        account_id: r.get(3)?,
                        partner_id: r.get(4)?,
                        partner_category: r.get(5)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// Saves the session.
    pub fn save_session(&self, s: &Session) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO session (id, server_url, token, role, account_id, partner_id, partner_category)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET server_url = ?1, token = ?2, role = ?3,
                   account_id = ?4, partner_id = ?5, partner_category = ?6",
                params![s.server_url, s.token, s.role, s.account_id, s.partner_id, s.partner_category],
            )?;
            Ok(())
        })
    }

    /// The server clock offset (server − device), in milliseconds.
    pub fn clock_offset_ms(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT clock_offset_ms FROM sync_meta WHERE id = 1",
                [],
                |r| r.get(0),
            )?)
        })
    }

    /// Records the server clock offset.
    pub fn set_clock_offset_ms(&self, ms: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE sync_meta SET clock_offset_ms = ?1 WHERE id = 1",
                [ms],
            )?;
            Ok(())
        })
    }

    /// The pull cursor.
    pub fn pull_cursor(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT pull_cursor FROM sync_meta WHERE id = 1", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    /// Whether a software device key for `purpose` is kept in this store
    /// (an app that has one keeps using it: its device is enrolled with it).
    pub fn has_software_key(&self, purpose: &str) -> Result<bool, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM device_keys WHERE purpose = ?1)",
                [purpose],
                |r| r.get(0),
            )
        })
        .map_err(StoreError::from)
    }

    /// A software device key for `purpose` (`youth` or `partner`), made and
    /// persisted on first use.
    pub fn software_key(
        &self,
        purpose: &str,
    ) -> Result<crate::credential::SoftwareDeviceKey, StoreError> {
        use crate::credential::SoftwareDeviceKey;
        self.write(|tx| {
            let found: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT pkcs8 FROM device_keys WHERE purpose = ?1",
                    [purpose],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(bytes) = found {
                return SoftwareDeviceKey::from_pkcs8(&bytes)
                    .map_err(|_| StoreError::Invalid("device key"));
            }
            let key = SoftwareDeviceKey::generate(&ring::rand::SystemRandom::new())
                .map_err(|_| StoreError::Invalid("random source"))?;
            tx.execute(
                "INSERT INTO device_keys (purpose, pkcs8, public_key, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![purpose, key.to_pkcs8(), key.public_key().to_base64(), now_text()],
            )?;
            Ok(key)
        })
    }
}

/// The stored session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    /// Server base URL.
    pub server_url: String,
    /// Bearer token.
    pub token: Option<String>,
    /// `youth`, `partner`…
    pub role: Option<String>,
    /// Account id.
    pub account_id: Option<String>,
    /// Partner id (partner staff).
    pub partner_id: Option<String>,
    /// Partner category code (partner staff).
    pub partner_category: Option<String>,
}

/// Now as stored text.
pub(crate) fn now_text() -> String {
    Utc::now().to_rfc3339()
}

/// An instant as stored text.
pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Parses a stored instant.
pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Invalid("instant"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrated_equals_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.db");
        {
            let s = Store::open_at_version(&old, 1).unwrap();
            assert_eq!(s.report().migrated_from, 0);
        }
        let migrated = Store::open(&old).unwrap();
        assert_eq!(migrated.report().migrated_from, 1);
        let fresh = Store::open(&dir.path().join("fresh.db")).unwrap();
        assert_eq!(
            migrated.schema_dump().unwrap(),
            fresh.schema_dump().unwrap()
        );
        let mem = Store::open_in_memory().unwrap();
        assert_eq!(mem.schema_dump().unwrap(), fresh.schema_dump().unwrap());
        let v: i64 = fresh
            .read(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(v, schema_version());
    }

    #[test]
    fn corrupt_file_is_quarantined_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        std::fs::write(&path, b"this is not a database, but it may hold debits").unwrap();
        let s = Store::open(&path).unwrap();
        let q = s.report().quarantined.clone().unwrap();
        assert!(
            q.file_name()
                .unwrap()
                .to_string_lossy()
                .contains(".corrupt-")
        );
        assert_eq!(
            std::fs::read(&q).unwrap(),
            b"this is not a database, but it may hold debits"
        );
        assert_eq!(s.pull_cursor().unwrap(), 0);
        drop(s);
        // Opening again is clean.
        let s = Store::open(&path).unwrap();
        assert_eq!(s.report().quarantined, None);
    }

    #[test]
    fn newer_schema_is_refused_not_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        {
            let s = Store::open(&path).unwrap();
            s.read(|c| c.pragma_update(None, "user_version", 99))
                .unwrap();
        }
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
        assert!(path.exists());
    }

    #[test]
    fn software_key_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        let k1 = Store::open(&path).unwrap().software_key("youth").unwrap();
        let k2 = Store::open(&path).unwrap().software_key("youth").unwrap();
        assert_eq!(k1.public_key(), k2.public_key());
    }
}
