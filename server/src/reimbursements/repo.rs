//! Storage of reimbursement batches.

use passregion_core::status::BatchStatus;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Money;
use rusqlite::Connection;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::error::ServiceError;
use crate::platform::sql::new_id;
use crate::platform::sql::parse_ts;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;
use crate::reimbursements::model::Batch;
use crate::reimbursements::model::ReimbursementSummary;

pub(crate) const BATCH_SELECT: &str =
    "SELECT b.id, b.partner_id, p.name, b.period_end, b.total_cents,
    (SELECT COUNT(*) FROM reimbursement_items i WHERE i.batch_id = b.id),
    b.status, b.created_at, b.paid_at
    FROM reimbursement_batches b JOIN partners p ON p.id = b.partner_id";

pub(crate) fn batch_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<Batch, ServiceError>> {
    let period_end: String = r.get(3)?;
    let total: i64 = r.get(4)?;
    let created: String = r.get(7)?;
    let paid: Option<String> = r.get(8)?;
    let build = || -> Result<Batch, ServiceError> {
        Ok(Batch {
            id: r.get(0)?,
            partner_id: r.get(1)?,
            partner_name: r.get(2)?,
            period_end: parse_ts(&period_end)?,
            // A net negative batch (more refunds than debits) is carried as zero
            // here and its debt stays visible in the transactions.
            total: Money::from_cents(total.max(0))?,
            transactions: r.get(5)?,
            status: r.get(6)?,
            created_at: parse_ts(&created)?,
            paid_at: paid.as_deref().map(parse_ts).transpose()?,
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
        &format!("{BATCH_SELECT} WHERE {clause} ORDER BY b.created_at DESC, b.id"),
        args,
        batch_from_row,
    )
}

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
    /// Marks a batch paid.
    fn pay_batch(&self, batch_id: &str, now: DateTime<Utc>) -> Result<Batch, ServiceError>;
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
        require_role(who, Role::Partner)?;
        let pid = who
            .partner
            .as_ref()
            .map(|p| p.0.clone())
            .ok_or(ServiceError::Forbidden)?;
        self.db.read(move |c| {
            let sum = |clause: &str| -> Result<Money, ServiceError> {
                let sql = format!(
                    "SELECT COALESCE(SUM(t.amount_cents), 0) FROM transactions t
                     LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                     LEFT JOIN reimbursement_batches b ON b.id = i.batch_id
                     WHERE t.partner_id = ?1 AND {clause}"
                );
                let cents: i64 = c.one(&sql, [&pid], |r| r.get(0))?;
                Ok(Money::from_cents(cents.max(0))?)
            };
            Ok(ReimbursementSummary {
                pending_total: sum("i.batch_id IS NULL")?,
                in_progress_total: sum(&format!("b.status = '{}'", BatchStatus::InProgress))?,
                paid_total: sum(&format!("b.status = '{}'", BatchStatus::Paid))?,
                batches: batches_where(c, "b.partner_id = ?1", &[&pid])?,
            })
        })
    }

    fn close_reimbursements(
        &self,
        period_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Batch>, ServiceError> {
        self.db.write(move |c| {
            let partners: Vec<(String, i64)> = {
                let mut stmt = c.prepare(
                    "SELECT t.partner_id, SUM(t.amount_cents) FROM transactions t
                     LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                     WHERE i.batch_id IS NULL AND t.created_at < ?1
                     GROUP BY t.partner_id ORDER BY t.partner_id",
                )?;
                let rows = stmt.query_map([ts(period_end)], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut ids = Vec::new();
            for (pid, total) in partners {
                let id = new_id();
                c.exec(
                    "INSERT INTO reimbursement_batches (id, partner_id, period_end, total_cents, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?6, ?5)",
                    params![id, pid, ts(period_end), total, ts(now), BatchStatus::InProgress.as_str()],
                )?;
                c.exec(
                    "INSERT INTO reimbursement_items (transaction_id, batch_id)
                     SELECT t.id, ?1 FROM transactions t
                     LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                     WHERE i.batch_id IS NULL AND t.partner_id = ?2 AND t.created_at < ?3",
                    params![id, pid, ts(period_end)],
                )?;
                ids.push(id);
            }
            let mut out = Vec::new();
            for id in ids {
                out.extend(batches_where(c, "b.id = ?1", &[&id])?);
            }
            Ok(out)
        })
    }

    fn pay_batch(&self, batch_id: &str, now: DateTime<Utc>) -> Result<Batch, ServiceError> {
        let id = batch_id.to_owned();
        self.db.write(move |c| {
            let n = c.exec(
                "UPDATE reimbursement_batches SET status = ?3, paid_at = ?2
                 WHERE id = ?1 AND status = ?4",
                params![
                    id,
                    ts(now),
                    BatchStatus::Paid.as_str(),
                    BatchStatus::InProgress.as_str()
                ],
            )?;
            let batch = batches_where(c, "b.id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Lot de remboursement"))?;
            if n == 0 {
                return Err(ServiceError::Invalid {
                    field: "id",
                    message: "Ce lot est déjà marqué comme remboursé.".into(),
                });
            }
            Ok(batch)
        })
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
