//! The rules of reimbursement batches: one batch per partner with
//! unbatched transactions, closed `en_cours`, then paid once
//! (`en_cours` → `rembourse`). Writes go through the storage-only
//! `ReimbursementsTx` trait, implemented for SQLite in `reimbursements/repo.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::status::BatchStatus;

pub(crate) use crate::accounts::own_partner;
use crate::error::ServiceError;
use crate::platform::sql::new_id;
use crate::reimbursements::model::Batch;

/// The storage of batches inside the writer's transaction. SQL only, no rule.
pub(crate) trait ReimbursementsTx {
    /// Partners with transactions before `period_end` in no batch, and their
    /// net total in cents, by partner id.
    fn unbatched_totals(
        &self,
        period_end: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, ServiceError>;
    /// Inserts a batch and puts in it the partner's unbatched transactions
    /// before `period_end`.
    fn insert_batch(&self, batch: &NewBatch<'_>) -> Result<(), ServiceError>;
    /// A batch.
    fn batch(&self, id: &str) -> Result<Option<Batch>, ServiceError>;
    /// Stores a batch's status and payment instant.
    fn set_batch_status(
        &self,
        id: &str,
        status: BatchStatus,
        paid_at: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

/// A batch to write.
#[derive(Debug)]
pub(crate) struct NewBatch<'a> {
    pub(crate) id: String,
    pub(crate) partner_id: &'a str,
    pub(crate) period_end: DateTime<Utc>,
    pub(crate) total_cents: i64,
    pub(crate) status: BatchStatus,
    pub(crate) created_at: DateTime<Utc>,
}

/// Closes one batch per partner with transactions before `period_end` in no
/// batch yet; the batches start `en_cours`.
pub(crate) fn close(
    tx: &dyn ReimbursementsTx,
    period_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Batch>, ServiceError> {
    let mut ids = Vec::new();
    for (partner_id, total_cents) in tx.unbatched_totals(period_end)? {
        let batch = NewBatch {
            id: new_id(),
            partner_id: &partner_id,
            period_end,
            total_cents,
            status: BatchStatus::InProgress,
            created_at: now,
        };
        tx.insert_batch(&batch)?;
        ids.push(batch.id);
    }
    let mut out = Vec::new();
    for id in ids {
        out.extend(tx.batch(&id)?);
    }
    Ok(out)
}

/// Marks a batch `en_cours` paid; a batch paid already is refused.
pub(crate) fn pay(
    tx: &dyn ReimbursementsTx,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Batch, ServiceError> {
    let batch = tx
        .batch(id)?
        .ok_or(ServiceError::NotFound("Lot de remboursement"))?;
    if batch.status != BatchStatus::InProgress.as_str() {
        return Err(ServiceError::Invalid {
            field: "id",
            message: "Ce lot est déjà marqué comme remboursé.".into(),
        });
    }
    tx.set_batch_status(id, BatchStatus::Paid, now)?;
    tx.batch(id)?
        .ok_or(ServiceError::NotFound("Lot de remboursement"))
}
