//! Infrastructure with no domain knowledge: the SQLite writer and readers, migrations, SQL helpers, idempotent writes, the signing keys and the storage handle.

pub mod catalogues;
pub mod db;
pub mod idempotency;
pub mod keys;
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
