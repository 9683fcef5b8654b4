//! A batch's statement on PostgreSQL: the rows `statement::build` reads on SQLite, made into the statement by the one rule `statement::assemble`.

use chrono::DateTime;
use chrono::Utc;
use r2d2_postgres::postgres::Transaction;

use crate::debits::repo_pg::tx_from;
use crate::debits::transactions::TX_SELECT;
use crate::error::ServiceError;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::reimbursements::model::Batch;
use crate::reimbursements::statement::StatementRows;

/// The rows of a batch's statement (`statement::build` on SQLite).
pub(crate) fn statement_rows(
    tx: &mut Transaction<'_>,
    batch: &Batch,
) -> Result<StatementRows, ServiceError> {
    let lines = tx
        .query(
            &format!("{TX_SELECT} WHERE i.batch_id = $1 ORDER BY t.seq"),
            &[&batch.id],
        )?
        .iter()
        .map(tx_from)
        .collect::<Result<Vec<_>, _>>()?;
    let avantages = tx
        .query(
            "SELECT t.avantage, COUNT(*),
               COALESCE(SUM(CASE WHEN t.amount_cents > 0 THEN t.amount_cents END), 0)::BIGINT,
               COALESCE(SUM(CASE WHEN t.amount_cents < 0 THEN t.amount_cents END), 0)::BIGINT
             FROM transactions t JOIN reimbursement_items i ON i.transaction_id = t.id
             WHERE i.batch_id = $1 GROUP BY t.avantage ORDER BY t.avantage",
            &[&batch.id],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let period_start = period_start(tx, batch)?;
    let carried_from_period_end = match &batch.carried_from {
        Some(id) => {
            let v: Option<String> = tx
                .query_one(
                    "SELECT MAX(period_end) FROM reimbursement_batches WHERE id = $1",
                    &[id],
                )?
                .try_get(0)?;
            v.as_deref().map(parse_ts).transpose()?
        }
        None => None,
    };
    let siret: Option<String> = tx
        .query_opt(
            "SELECT siret FROM partners WHERE id = $1",
            &[&batch.partner_id],
        )?
        .map(|r| r.try_get(0))
        .transpose()?
        .flatten();
    Ok(StatementRows {
        lines,
        avantages,
        period_start,
        carried_from_period_end,
        siret,
    })
}

/// End of the partner's batch before `batch`.
pub(crate) fn period_start(
    tx: &mut Transaction<'_>,
    batch: &Batch,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let v: Option<String> = tx
        .query_one(
            "SELECT MAX(period_end) FROM reimbursement_batches
             WHERE partner_id = $1 AND period_end < $2",
            &[&batch.partner_id, &ts(batch.period_end)],
        )?
        .try_get(0)?;
    v.as_deref().map(parse_ts).transpose()
}
