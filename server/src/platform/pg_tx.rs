//! A PostgreSQL transaction seen through the `&self` storage traits of the rules (`…Tx`), shared by every domain's PostgreSQL repository.

use std::cell::RefCell;

use r2d2_postgres::postgres::Transaction as PgTransaction;

use crate::error::ServiceError;

/// A PostgreSQL transaction behind the `&self` storage traits of the rules
/// (they never call one another re-entrantly).
pub(crate) struct PgTx<'t, 'c> {
    tx: RefCell<&'t mut PgTransaction<'c>>,
}

impl<'t, 'c> PgTx<'t, 'c> {
    pub(crate) fn new(tx: &'t mut PgTransaction<'c>) -> PgTx<'t, 'c> {
        PgTx {
            tx: RefCell::new(tx),
        }
    }

    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut PgTransaction<'c>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let mut tx = self
            .tx
            .try_borrow_mut()
            .map_err(|_| ServiceError::Internal("re-entrant storage call".into()))?;
        f(&mut tx)
    }

    /// Runs one statement (its row count unused).
    pub(crate) fn exec(
        &self,
        sql: &str,
        args: &[&(dyn r2d2_postgres::postgres::types::ToSql + Sync)],
    ) -> Result<(), ServiceError> {
        self.with(|t| {
            t.execute(sql, args)?;
            Ok(())
        })
    }
}
