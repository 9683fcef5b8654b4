//! Reimbursement batches on PostgreSQL (ADR 0036): the SQL of `reimbursements::repo` in PostgreSQL's dialect; the rules stay in `reimbursements::service`. The closing job runs on one instance per tick (`pg_try_advisory_xact_lock`), and a batch's transactions are the ones its total was computed from (read once into a temporary table); every batch read through `ReimbursementsTx` is read for a change, its row locked.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::SignedMoney;
use passregion_core::status::BatchStatus;
use r2d2_postgres::postgres::Row;
use r2d2_postgres::postgres::Transaction;
use r2d2_postgres::postgres::types::ToSql;

use crate::accounts::model::Principal;
use crate::cards::repo_pg::try_job_lock;
use crate::error::ServiceError;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;
use crate::reimbursements::model::Batch;
use crate::reimbursements::model::ReimbursementSummary;
use crate::reimbursements::repo::BATCH_SELECT;
use crate::reimbursements::repo::ReimbursementsRepo;
use crate::reimbursements::service;
use crate::reimbursements::service::NewBatch;
use crate::reimbursements::service::Owed;
use crate::reimbursements::service::ReimbursementsTx;

/// The advisory lock key of the batch closing job ("PRbatch").
const BATCH_CLOSING_LOCK: i64 = 0x0050_5262_6174_6368;

/// A batch read with [`BATCH_SELECT`].
pub(crate) fn batch_from(r: &Row) -> Result<Batch, ServiceError> {
    let cents = |i: usize| -> Result<SignedMoney, ServiceError> {
        Ok(SignedMoney::from_cents(r.try_get(i)?)?)
    };
    let paid: Option<String> = r.try_get(8)?;
    let paid_on: Option<String> = r.try_get(13)?;
    Ok(Batch {
        id: r.try_get(0)?,
        partner_id: r.try_get(1)?,
        partner_name: r.try_get(2)?,
        period_end: parse_ts(&r.try_get::<_, String>(3)?)?,
        total: cents(4)?,
        carried_in: cents(9)?,
        carried_from: r.try_get(10)?,
        payable: cents(11)?,
        carried_out: cents(12)?,
        transactions: r.try_get(5)?,
        status: enum_from(&r.try_get::<_, String>(6)?)?,
        created_at: parse_ts(&r.try_get::<_, String>(7)?)?,
        paid_at: paid.as_deref().map(parse_ts).transpose()?,
        paid_on: paid_on.as_deref().map(parse_date).transpose()?,
        bank_reference: r.try_get(14)?,
        payment_run_id: r.try_get(15)?,
        rejection_reason: r.try_get(16)?,
    })
}

/// The batches matching `clause` (PostgreSQL placeholders), newest first.
pub(crate) fn batches_where(
    tx: &mut Transaction<'_>,
    clause: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Batch>, ServiceError> {
    tx.query(
        &format!("{BATCH_SELECT} WHERE {clause} ORDER BY b.created_at DESC, b.id DESC"),
        args,
    )?
    .iter()
    .map(batch_from)
    .collect()
}

/// Locks a batch's row until the end of `tx`, then reads it.
pub(crate) fn lock_batch(
    tx: &mut Transaction<'_>,
    id: &str,
) -> Result<Option<Batch>, ServiceError> {
    if tx
        .query_opt(
            "SELECT id FROM reimbursement_batches WHERE id = $1 FOR UPDATE",
            &[&id],
        )?
        .is_none()
    {
        return Ok(None);
    }
    Ok(batches_where(tx, "b.id = $1", &[&id])?.into_iter().next())
}

/// What `partner_id` owes from its batches (deficits carried out and not
/// carried in since). SQLite breaks a tie of `created_at` by insertion order
/// (`rowid`); here by the later period, then the id.
fn owed(tx: &mut Transaction<'_>, partner_id: &str) -> Result<Owed, ServiceError> {
    let r = tx.query_one(
        "SELECT COALESCE(SUM(carried_in_cents - carried_out_cents), 0)::BIGINT,
           (SELECT id FROM reimbursement_batches WHERE partner_id = $1 AND carried_out_cents < 0
            ORDER BY created_at DESC, period_end DESC, id DESC LIMIT 1)
         FROM reimbursement_batches WHERE partner_id = $1",
        &[&partner_id],
    )?;
    Ok(Owed {
        cents: r.try_get(0)?,
        from: r.try_get(1)?,
    })
}

impl ReimbursementsRepo for PgStore {
    fn partner_reimbursements(
        &self,
        who: &Principal,
    ) -> Result<ReimbursementSummary, ServiceError> {
        let pid = service::own_partner(who)?;
        self.pool.read(|tx| {
            let sum = |tx: &mut Transaction<'_>, sql: &str| -> Result<SignedMoney, ServiceError> {
                let cents: i64 = tx.query_one(sql, &[&pid])?.try_get(0)?;
                Ok(SignedMoney::from_cents(cents)?)
            };
            let payable = |status: BatchStatus| {
                format!(
                    "SELECT COALESCE(SUM(payable_cents), 0)::BIGINT FROM reimbursement_batches
                     WHERE partner_id = $1 AND status = '{status}'"
                )
            };
            let pending_total = sum(
                tx,
                "SELECT COALESCE(SUM(t.amount_cents), 0)::BIGINT FROM transactions t
                 LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                 WHERE t.partner_id = $1 AND i.batch_id IS NULL",
            )?;
            let in_progress = sum(tx, &payable(BatchStatus::InProgress))?;
            let in_payment = sum(tx, &payable(BatchStatus::PaymentInProgress))?;
            let paid_total = sum(tx, &payable(BatchStatus::Paid))?;
            Ok(ReimbursementSummary {
                pending_total,
                in_progress_total: in_progress.checked_add(in_payment)?,
                paid_total,
                carried_total: -SignedMoney::from_cents(owed(tx, &pid)?.cents)?,
                batches: batches_where(tx, "b.partner_id = $1", &[&pid])?,
            })
        })
    }

    /// One instance closes per tick (the others skip it and return no
    /// batch); after the lock, READ COMMITTED sees every batch an earlier
    /// run committed, so a transaction lands in one batch.
    fn close_reimbursements(
        &self,
        period_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Batch>, ServiceError> {
        self.pool.write(|tx| {
            if !try_job_lock(tx, BATCH_CLOSING_LOCK)? {
                return Ok(Vec::new());
            }
            service::close(&PgTx::new(tx), period_end, now)
        })
    }

    fn batches(&self) -> Result<Vec<Batch>, ServiceError> {
        self.pool.read(|tx| batches_where(tx, "TRUE", &[]))
    }

    fn last_period_end(&self) -> Result<Option<DateTime<Utc>>, ServiceError> {
        self.pool.read(|tx| {
            let v: Option<String> = tx
                .query_one("SELECT MAX(period_end) FROM reimbursement_batches", &[])?
                .try_get(0)?;
            v.as_deref().map(parse_ts).transpose()
        })
    }
}

impl ReimbursementsTx for PgTx<'_, '_> {
    /// Reads the unbatched transactions once, into a temporary table that
    /// `insert_batch` takes them from: a transaction committed meanwhile by
    /// another instance (READ COMMITTED) waits for the next closing instead
    /// of landing in a batch whose total left it out.
    fn unbatched_totals(
        &self,
        period_end: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, ServiceError> {
        self.with(|tx| {
            tx.batch_execute("DROP TABLE IF EXISTS closing_items")?;
            tx.execute(
                "CREATE TEMPORARY TABLE closing_items ON COMMIT DROP AS
                 SELECT t.id, t.partner_id, t.amount_cents FROM transactions t
                 LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                 WHERE i.batch_id IS NULL AND t.created_at < $1",
                &[&ts(period_end)],
            )?;
            tx.query(
                "SELECT partner_id, SUM(amount_cents)::BIGINT FROM closing_items
                 GROUP BY partner_id ORDER BY partner_id",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
        })
    }

    fn owed(&self, partner_id: &str) -> Result<Owed, ServiceError> {
        self.with(|tx| owed(tx, partner_id))
    }

    fn insert_batch(&self, b: &NewBatch<'_>) -> Result<(), ServiceError> {
        let s = &b.settlement;
        self.with(|tx| {
            tx.execute(
                "INSERT INTO reimbursement_batches (id, partner_id, period_end, total_cents,
                 carried_in_cents, carried_from, payable_cents, carried_out_cents, status,
                 created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &b.id,
                    &b.partner_id,
                    &ts(b.period_end),
                    &s.total.cents(),
                    &s.carried_in.cents(),
                    &b.carried_from,
                    &s.payable.cents(),
                    &s.carried_out.cents(),
                    &b.status.as_str(),
                    &ts(b.created_at),
                ],
            )?;
            tx.execute(
                "INSERT INTO reimbursement_items (transaction_id, batch_id)
                 SELECT id, $1 FROM closing_items WHERE partner_id = $2",
                &[&b.id, &b.partner_id],
            )?;
            Ok(())
        })
    }

    fn batch(&self, id: &str) -> Result<Option<Batch>, ServiceError> {
        self.with(|tx| lock_batch(tx, id))
    }

    fn set_batch_status(
        &self,
        id: &str,
        status: BatchStatus,
        paid_at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE reimbursement_batches SET status = $2, paid_at = $3 WHERE id = $1",
                &[&id, &status.as_str(), &ts(paid_at)],
            )?;
            Ok(())
        })
    }
}
