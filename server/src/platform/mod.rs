//! Infrastructure with no domain knowledge: the SQLite writer and readers, migrations, SQL helpers, idempotent writes, the signing keys, the free disk space, the document store, text for PDFs and the storage handle.

pub mod backup;
pub mod backup_pg;
pub mod catalogues;
pub mod csv_import;
pub mod db;
pub mod disk;
pub mod files;
pub mod idempotency;
pub(crate) mod idempotency_pg;
pub mod imports;
pub mod keys;
pub mod mail;
pub mod metrics;
pub mod migrations;
pub mod pdf;
pub mod pg;
pub mod pg_cache;
pub mod pg_error;
pub(crate) mod pg_tx;
pub mod progress;
pub mod spreadsheet;
pub mod sql;
pub mod store;

/// Runs blocking storage work off the async threads.
pub async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::error::ServiceError> + Send + 'static,
) -> Result<T, crate::error::ServiceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| crate::error::ServiceError::Internal("task failed".into()))?
}

/// Creates `dir` (and missing parents) readable by the server's user only
/// (0700). An existing directory is left as it is (it may be shared, such as
/// a mount point), with a warning when others can read it.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    dir = %dir.display(),
                    mode = format!("{:o}", mode & 0o777),
                    "data directory readable by other users; 0700 is recommended"
                );
            }
        }
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates `file` if missing, readable by the server's user only (0600), and
/// narrows an existing one to 0600. SQLite gives its `-wal` and `-shm` files
/// the database file's mode, so creating the database this way covers them.
pub fn private_file(file: &std::path::Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
