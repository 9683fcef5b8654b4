//! Online backup and restore of the database, through SQLite's backup API:
//! a backup taken while the server runs is a consistent snapshot (it copies
//! the database as of one read transaction; writers are not blocked, WAL).

use std::path::Path;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use crate::platform::db::MIGRATIONS;

/// Copies the database `db` to `out` (created 0600; an existing file is
/// replaced). Safe while the server serves.
pub fn backup(db: &Path, out: &Path) -> anyhow::Result<()> {
    let src = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", db.display()))?;
    src.busy_timeout(std::time::Duration::from_secs(10))?;
    let tmp = out.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    crate::platform::private_file(&tmp)?;
    {
        let mut dst = Connection::open(&tmp)?;
        copy_all(&src, &mut dst)?;
    }
    check(&tmp)?;
    std::fs::rename(&tmp, out)?;
    Ok(())
}

/// Replaces the database `db` with the backup `from`, after checking the
/// backup (integrity, a schema this server knows). The server must be
/// stopped: a running server keeps the old database open.
pub fn restore(from: &Path, db: &Path) -> anyhow::Result<()> {
    check(from)?;
    crate::platform::private_file(db)?;
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut dst = Connection::open(db)?;
    dst.busy_timeout(std::time::Duration::from_secs(1))?;
    copy_all(&src, &mut dst).context("cannot write the database (is the server still running?)")
}

/// Copies every page in one step (one read transaction on `src`, hence one
/// snapshot), retrying while the destination is busy, for at most 10 s.
fn copy_all(src: &Connection, dst: &mut Connection) -> anyhow::Result<()> {
    use rusqlite::backup::StepResult;
    let copy = rusqlite::backup::Backup::new(src, dst)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match copy.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked => {
                anyhow::ensure!(
                    std::time::Instant::now() < deadline,
                    "the database stayed busy for 10 s"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            _ => anyhow::bail!("unexpected backup step"),
        }
    }
}

/// A backup is usable: SQLite's integrity check passes and its schema
/// version is one this server migrates from.
pub fn check(file: &Path) -> anyhow::Result<()> {
    let c = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", file.display()))?;
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    anyhow::ensure!(
        ok == "ok",
        "{}: integrity check failed: {ok}",
        file.display()
    );
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    anyhow::ensure!(
        (1..=MIGRATIONS.len() as i64).contains(&version),
        "{}: schema version {version} is not one of this server's (1 to {})",
        file.display(),
        MIGRATIONS.len()
    );
    Ok(())
}
