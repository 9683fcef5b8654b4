//! Storage of reimbursement batches. The rules are in `reimbursements::service`; this file holds the SQL.

use passregion_core::SignedMoney;
use passregion_core::status::BatchStatus;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use rusqlite::Connection;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;
use crate::reimbursements::model::Batch;
use crate::reimbursements::model::ReimbursementSummary;
use crate::reimbursements::service;
use crate::reimbursements::service::NewBatch;
use crate::reimbursements::service::Owed;
use crate::reimbursements::service::ReimbursementsTx;

pub(crate) const BATCH_SELECT: &str =
    "SELECT b.id, b.partner_id, p.name, b.period_end, b.total_cents,
    (SELECT COUNT(*) FROM reimbursement_items i WHERE i.batch_id = b.id),
    b.status, b.created_at, b.paid_at,
    b.carried_in_cents, b.carried_from, b.payable_cents, b.carried_out_cents,
    b.paid_on, b.bank_reference,
    (SELECT pt.run_id FROM payment_transfers pt WHERE pt.batch_id = b.id AND pt.status <> 'rejete'),
    b.rejection_reason
    FROM reimbursement_batches b JOIN partners p ON p.id = b.partner_id";

pub(crate) fn batch_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<Batch, ServiceError>> {
    let period_end: String = r.get(3)?;
    let cents = |i: usize| -> rusqlite::Result<Result<SignedMoney, ServiceError>> {
        Ok(SignedMoney::from_cents(r.get(i)?).map_err(ServiceError::from))
    };
    let (total, carried_in, payable, carried_out) = (cents(4)?, cents(9)?, cents(11)?, cents(12)?);
    let created: String = r.get(7)?;
    let paid: Option<String> = r.get(8)?;
    let paid_on: Option<String> = r.get(13)?;
    let build = || -> Result<Batch, ServiceError> {
        Ok(Batch {
            id: r.get(0)?,
            partner_id: r.get(1)?,
            partner_name: r.get(2)?,
            period_end: parse_ts(&period_end)?,
            total: total?,
            carried_in: carried_in?,
            carried_from: r.get(10)?,
            payable: payable?,
            carried_out: carried_out?,
            transactions: r.get(5)?,
            status: crate::platform::sql::enum_from(&r.get::<_, String>(6)?)?,
            created_at: parse_ts(&created)?,
            paid_at: paid.as_deref().map(parse_ts).transpose()?,
            paid_on: paid_on.as_deref().map(parse_date).transpose()?,
            bank_reference: r.get(14)?,
            payment_run_id: r.get(15)?,
            rejection_reason: r.get(16)?,
        })
    };
    Ok(build())
}

pub(crate) fn batches_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Batch>, ServiceError> {
    select_all(
        conn,
        &format!("{BATCH_SELECT} WHERE {clause} ORDER BY b.created_at DESC, b.id DESC"),
        args,
        batch_from_row,
    )
}

/// What `partner_id` owes from its batches (deficits carried out and not
/// carried in since).
fn owed(conn: &Connection, partner_id: &str) -> Result<Owed, ServiceError> {
    Ok(conn.one(
        "SELECT COALESCE(SUM(carried_in_cents - carried_out_cents), 0),
           (SELECT id FROM reimbursement_batches WHERE partner_id = ?1 AND carried_out_cents < 0
            ORDER BY created_at DESC, rowid DESC LIMIT 1)
         FROM reimbursement_batches WHERE partner_id = ?1",
        [partner_id],
        |r| {
            Ok(Owed {
                cents: r.get(0)?,
                from: r.get(1)?,
            })
        },
    )?)
}

/// Reconciles the batches with the transactions: each batch's total is the
/// sum of its transactions and `total + carried_in = payable + carried_out`
/// (payable ≥ 0, carries ≤ 0, `compense` exactly when nothing is payable);
/// for each partner `Σ payable − owed = Σ (debits − refunds)` of its batched
/// transactions, with `owed ≥ 0`. Returns the number of batches checked and
/// what does not reconcile (the transfers are checked by
/// `payout_check::reconcile_transfers`). The rows are read by the ledger
/// check of each engine (`region/ledger_check.rs`).
pub(crate) fn reconcile(
    batches: Vec<BatchCheckRow>,
    partners: Vec<PartnerCheckRow>,
) -> (i64, Vec<String>) {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (id, status, [total, carried_in, payable, carried_out, lines, foreign]) in batches {
        checked += 1;
        if total != lines {
            problems.push(format!(
                "batch {id}: total {total} differs from its transactions {lines}"
            ));
        }
        if total + carried_in != payable + carried_out {
            problems.push(format!(
                "batch {id}: total {total} + carried in {carried_in} ≠ payable {payable} + carried out {carried_out}"
            ));
        }
        let offset = status == BatchStatus::Offset.as_str();
        if payable < 0
            || carried_in > 0
            || carried_out > 0
            || (payable > 0 && carried_out < 0)
            || offset != (payable == 0)
        {
            problems.push(format!(
                "batch {id} ({status}): payable {payable}, carried in {carried_in}, out {carried_out}"
            ));
        }
        if foreign > 0 {
            problems.push(format!(
                "batch {id}: {foreign} transaction(s) of another partner"
            ));
        }
    }
    for (partner, payable, owed, net) in partners {
        if owed < 0 || payable - owed != net {
            problems.push(format!(
                "partner {partner}: payable {payable} − owed {owed} ≠ debits − refunds {net}"
            ));
        }
    }
    (checked, problems)
}

/// A row of [`BATCH_CHECK_SQL`]: id, status, and total, carried in,
/// payable, carried out, the sum of its transactions, its transactions of
/// another partner.
pub(crate) type BatchCheckRow = (String, String, [i64; 6]);

/// Every batch with the figures [`reconcile`] checks (both engines).
pub(crate) const BATCH_CHECK_SQL: &str =
    "SELECT b.id, b.status, b.total_cents, b.carried_in_cents, b.payable_cents,
       b.carried_out_cents,
       CAST(COALESCE((SELECT SUM(t.amount_cents) FROM reimbursement_items i
         JOIN transactions t ON t.id = i.transaction_id WHERE i.batch_id = b.id), 0) AS BIGINT),
       (SELECT COUNT(*) FROM reimbursement_items i JOIN transactions t ON t.id = i.transaction_id
         WHERE i.batch_id = b.id AND t.partner_id <> b.partner_id)
     FROM reimbursement_batches b";

/// A row of [`PARTNER_CHECK_SQL`]: partner, Σ payable, owed, Σ of its
/// batched transactions.
pub(crate) type PartnerCheckRow = (String, i64, i64, i64);

/// Each partner's batches against its batched transactions (both engines).
pub(crate) const PARTNER_CHECK_SQL: &str =
    "SELECT b.partner_id, CAST(SUM(b.payable_cents) AS BIGINT),
       CAST(SUM(b.carried_in_cents - b.carried_out_cents) AS BIGINT),
       CAST((SELECT COALESCE(SUM(t.amount_cents), 0) FROM transactions t
         JOIN reimbursement_items i ON i.transaction_id = t.id
         WHERE t.partner_id = b.partner_id) AS BIGINT)
     FROM reimbursement_batches b GROUP BY b.partner_id";

/// Storage and rules of reimbursement batches.
pub trait ReimbursementsRepo: Send + Sync + 'static {
    /// A partner's reimbursements.
    fn partner_reimbursements(&self, who: &Principal)
    -> Result<ReimbursementSummary, ServiceError>;
    /// Closes a reimbursement batch per partner.
    fn close_reimbursements(
        &self,
        period_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Batch>, ServiceError>;
    /// Every batch.
    fn batches(&self) -> Result<Vec<Batch>, ServiceError>;
    /// End of the last closed reimbursement period.
    fn last_period_end(&self) -> Result<Option<DateTime<Utc>>, ServiceError>;
}

impl ReimbursementsRepo for SqliteStore {
    fn partner_reimbursements(
        &self,
        who: &Principal,
    ) -> Result<ReimbursementSummary, ServiceError> {
        let pid = service::own_partner(who)?;
        self.db.read(move |c| {
            let sum = |sql: &str| -> Result<SignedMoney, ServiceError> {
                let cents: i64 = c.one(sql, [&pid], |r| r.get(0))?;
                Ok(SignedMoney::from_cents(cents)?)
            };
            let payable = |status: BatchStatus| {
                sum(&format!(
                    "SELECT COALESCE(SUM(payable_cents), 0) FROM reimbursement_batches
                     WHERE partner_id = ?1 AND status = '{status}'"
                ))
            };
            Ok(ReimbursementSummary {
                pending_total: sum("SELECT COALESCE(SUM(t.amount_cents), 0) FROM transactions t
                     LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                     WHERE t.partner_id = ?1 AND i.batch_id IS NULL")?,
                in_progress_total: payable(BatchStatus::InProgress)?
                    .checked_add(payable(BatchStatus::PaymentInProgress)?)?,
                paid_total: payable(BatchStatus::Paid)?,
                carried_total: -SignedMoney::from_cents(owed(c, &pid)?.cents)?,
                batches: batches_where(c, "b.partner_id = ?1", &[&pid])?,
            })
        })
    }

    fn close_reimbursements(
        &self,
        period_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Batch>, ServiceError> {
        self.db.write(move |c| service::close(c, period_end, now))
    }

    fn batches(&self) -> Result<Vec<Batch>, ServiceError> {
        self.db.read(|c| batches_where(c, "1 = 1", &[]))
    }

    fn last_period_end(&self) -> Result<Option<DateTime<Utc>>, ServiceError> {
        self.db.read(|c| {
            let v: Option<String> = c.one(
                "SELECT MAX(period_end) FROM reimbursement_batches",
                [],
                |r| r.get(0),
            )?;
            v.as_deref().map(parse_ts).transpose()
        })
    }
}

impl ReimbursementsTx for Connection {
    fn unbatched_totals(
        &self,
        period_end: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, ServiceError> {
        let mut stmt = self.prepare(
            "SELECT t.partner_id, SUM(t.amount_cents) FROM transactions t
             LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
             WHERE i.batch_id IS NULL AND t.created_at < ?1
             GROUP BY t.partner_id ORDER BY t.partner_id",
        )?;
        let rows = stmt.query_map([ts(period_end)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn owed(&self, partner_id: &str) -> Result<Owed, ServiceError> {
        owed(self, partner_id)
    }

    fn insert_batch(&self, b: &NewBatch<'_>) -> Result<(), ServiceError> {
        let s = &b.settlement;
        self.exec(
            "INSERT INTO reimbursement_batches (id, partner_id, period_end, total_cents,
             carried_in_cents, carried_from, payable_cents, carried_out_cents, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                b.id,
                b.partner_id,
                ts(b.period_end),
                s.total.cents(),
                s.carried_in.cents(),
                b.carried_from,
                s.payable.cents(),
                s.carried_out.cents(),
                b.status.as_str(),
                ts(b.created_at),
            ],
        )?;
        self.exec(
            "INSERT INTO reimbursement_items (transaction_id, batch_id)
             SELECT t.id, ?1 FROM transactions t
             LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
             WHERE i.batch_id IS NULL AND t.partner_id = ?2 AND t.created_at < ?3",
            params![b.id, b.partner_id, ts(b.period_end)],
        )?;
        Ok(())
    }

    fn batch(&self, id: &str) -> Result<Option<Batch>, ServiceError> {
        Ok(batches_where(self, "b.id = ?1", &[&id])?.into_iter().next())
    }

    fn set_batch_status(
        &self,
        id: &str,
        status: BatchStatus,
        paid_at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE reimbursement_batches SET status = ?2, paid_at = ?3 WHERE id = ?1",
            params![id, status.as_str(), ts(paid_at)],
        )?;
        Ok(())
    }
}
