//! The ledger check (`GET /api/region/ledger/check`): the sums of the
//! movements equal the running totals of each card × season × avantage's
//! last row and obey the invariants; every transaction has its ledger row
//! and the reverse; the reimbursement batches, transfers and runs
//! reconcile (`reimbursements::repo::reconcile`,
//! `reimbursements::payout_check`). Decided once here over
//! [`LedgerCheckTx`]: the SQL is shared by both engines (SQLite below,
//! PostgreSQL in `desk_pg.rs`).

use passregion_core::ledger::Totals;
use rusqlite::Connection;

use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::region::desk_repo::collect;
use crate::region::model::LedgerCheck;
use crate::reimbursements::payout_check::{
    self, PAYOUT_SQL, RUN_CHECK_SQL, RunCheckRow, TRANSFER_CHECK_SQL, TransferCheckRow,
};
use crate::reimbursements::repo::{
    self as batches, BATCH_CHECK_SQL, BatchCheckRow, PARTNER_CHECK_SQL, PartnerCheckRow,
};

/// A row of [`LEDGER_SUMS_SQL`]: card, season, avantage, the sums of the
/// movements, the last row's running totals (`loaded,debited,refunded`).
pub(crate) type LedgerSumRow = (String, i64, String, Totals, String);

/// The movements' sums per card × season × avantage, with the running
/// totals of the last row (both engines).
pub(crate) const LEDGER_SUMS_SQL: &str = "SELECT l.card_id, l.season, l.avantage,
   CAST(SUM(CASE WHEN l.movement IN ('load', 'opening') THEN l.units ELSE 0 END) AS BIGINT),
   CAST(SUM(CASE l.movement WHEN 'debit' THEN l.units ELSE 0 END) AS BIGINT),
   CAST(SUM(CASE l.movement WHEN 'refund' THEN l.units ELSE 0 END) AS BIGINT),
   (SELECT x.loaded_total || ',' || x.debited_total || ',' || x.refunded_total FROM ledger x
    WHERE x.card_id = l.card_id AND x.season = l.season AND x.avantage = l.avantage
    ORDER BY x.id DESC LIMIT 1)
 FROM ledger l GROUP BY l.card_id, l.season, l.avantage";

/// Transactions without their ledger row (same units, kind and card), and
/// ledger rows but loads and opening balances without their transaction
/// (both engines).
pub(crate) const ORPHANS_SQL: &str = "SELECT
   (SELECT COUNT(*) FROM transactions t WHERE t.units > 0 AND NOT EXISTS (
      SELECT 1 FROM ledger l WHERE l.transaction_id = t.id AND l.units = t.units
      AND l.movement = t.kind AND l.card_id = t.card_id))
 + (SELECT COUNT(*) FROM ledger l WHERE l.movement NOT IN ('load', 'opening') AND NOT EXISTS (
      SELECT 1 FROM transactions t WHERE t.id = l.transaction_id))";

/// What the ledger check reads (SQL only).
pub(crate) trait LedgerCheckTx {
    /// The rows of [`LEDGER_SUMS_SQL`].
    fn ledger_sums(&self) -> Result<Vec<LedgerSumRow>, ServiceError>;
    /// The count of [`ORPHANS_SQL`].
    fn orphans(&self) -> Result<i64, ServiceError>;
    /// The rows of [`BATCH_CHECK_SQL`].
    fn batch_rows(&self) -> Result<Vec<BatchCheckRow>, ServiceError>;
    /// The rows of [`PARTNER_CHECK_SQL`].
    fn partner_rows(&self) -> Result<Vec<PartnerCheckRow>, ServiceError>;
    /// The rows of [`TRANSFER_CHECK_SQL`].
    fn transfer_rows(&self) -> Result<Vec<TransferCheckRow>, ServiceError>;
    /// The rows of [`RUN_CHECK_SQL`].
    fn run_rows(&self) -> Result<Vec<RunCheckRow>, ServiceError>;
    /// The row of [`PAYOUT_SQL`].
    fn payout_row(&self) -> Result<[i64; 5], ServiceError>;
}

/// Checks the ledger and the batches.
pub(crate) fn check(tx: &dyn LedgerCheckTx) -> Result<LedgerCheck, ServiceError> {
    let mut lines = 0;
    let mut inconsistencies = Vec::new();
    for (card, season, avantage, t, last) in tx.ledger_sums()? {
        lines += 1;
        if let Err(e) = t.check() {
            inconsistencies.push(format!("{card}/{season}/{avantage}: {e}"));
        }
        let running = format!("{},{},{}", t.loaded, t.debited, t.refunded);
        if running != last {
            inconsistencies.push(format!(
                "{card}/{season}/{avantage}: running totals {last} differ from the movements {running}"
            ));
        }
    }
    let orphans = tx.orphans()?;
    let (batches_checked, batch_problems) =
        batches::reconcile(tx.batch_rows()?, tx.partner_rows()?);
    inconsistencies.extend(batch_problems);
    inconsistencies.extend(payout_check::reconcile_transfers(
        tx.transfer_rows()?,
        tx.run_rows()?,
    ));
    Ok(LedgerCheck {
        lines_checked: lines,
        inconsistencies,
        orphans,
        batches_checked,
        payouts: payout_check::payout_totals(tx.payout_row()?)?,
    })
}

impl LedgerCheckTx for Connection {
    fn ledger_sums(&self) -> Result<Vec<LedgerSumRow>, ServiceError> {
        collect(self, LEDGER_SUMS_SQL, &[], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                Totals {
                    loaded: r.get(3)?,
                    debited: r.get(4)?,
                    refunded: r.get(5)?,
                },
                r.get(6)?,
            ))
        })
    }

    fn orphans(&self) -> Result<i64, ServiceError> {
        Ok(self.one(ORPHANS_SQL, [], |r| r.get(0))?)
    }

    fn batch_rows(&self) -> Result<Vec<BatchCheckRow>, ServiceError> {
        collect(self, BATCH_CHECK_SQL, &[], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                [
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ],
            ))
        })
    }

    fn partner_rows(&self) -> Result<Vec<PartnerCheckRow>, ServiceError> {
        collect(self, PARTNER_CHECK_SQL, &[], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
    }

    fn transfer_rows(&self) -> Result<Vec<TransferCheckRow>, ServiceError> {
        collect(self, TRANSFER_CHECK_SQL, &[], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
            ))
        })
    }

    fn run_rows(&self) -> Result<Vec<RunCheckRow>, ServiceError> {
        collect(self, RUN_CHECK_SQL, &[], |r| {
            Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
        })
    }

    fn payout_row(&self) -> Result<[i64; 5], ServiceError> {
        Ok(self.one(PAYOUT_SQL, [], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
        })?)
    }
}
