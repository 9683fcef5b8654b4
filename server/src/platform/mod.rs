//! Infrastructure with no domain knowledge: the SQLite writer and readers, migrations, SQL helpers, idempotent writes, the signing keys and the storage handle.

pub mod catalogues;
pub mod db;
pub mod idempotency;
pub mod keys;
pub mod sql;
pub mod store;
