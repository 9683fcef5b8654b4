//! The SQLite storage handle every domain repository is implemented on.

use std::sync::Arc;

use crate::config::Policy;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Db;

/// The SQLite implementation.
pub struct SqliteStore {
    pub(crate) db: Arc<Db>,
    pub(crate) catalogues: Arc<Catalogues>,
    pub(crate) policy: Policy,
}

impl SqliteStore {
    /// Wraps an open database.
    pub fn new(db: Arc<Db>, catalogues: Arc<Catalogues>, policy: Policy) -> SqliteStore {
        SqliteStore {
            db,
            catalogues,
            policy,
        }
    }

    /// The underlying database (tests, demo seeding).
    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }
}
