//! The accounting journal on PostgreSQL: the rows `journal::journal` reads on SQLite, written out by the one rule `journal::render`.

use chrono::NaiveDate;
use r2d2_postgres::postgres::Transaction;

use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::ts;
use crate::reimbursements::journal;

/// The journal's rows (`journal::journal` on SQLite), then its one rule.
pub(crate) fn journal_csv(
    tx: &mut Transaction<'_>,
    cats: &Catalogues,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<String, ServiceError> {
    let (start, end) = journal::span(from, to)?;
    let closings = tx
        .query(
            "SELECT b.id, b.created_at, p.name, t.avantage, MAX(t.season),
               SUM(t.amount_cents)::BIGINT
             FROM reimbursement_batches b JOIN partners p ON p.id = b.partner_id
             JOIN reimbursement_items i ON i.batch_id = b.id
             JOIN transactions t ON t.id = i.transaction_id
             WHERE b.created_at >= $1 AND b.created_at < $2
             GROUP BY b.id, b.created_at, p.name, t.avantage
             ORDER BY b.created_at, b.id, t.avantage",
            &[&ts(start), &ts(end)],
        )?
        .iter()
        .map(|r| {
            let season = i32::try_from(r.try_get::<_, i64>(4)?)
                .map_err(|_| ServiceError::Internal("bad season".into()))?;
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                season,
                r.try_get(5)?,
            ))
        })
        .collect::<Result<Vec<journal::ClosingRow>, ServiceError>>()?;
    let bank = tx
        .query(
            "SELECT e.batch_id, e.event, e.amount_cents, e.reverses_payment, e.reference,
               e.booked_on, p.name
             FROM payment_events e JOIN reimbursement_batches b ON b.id = e.batch_id
             JOIN partners p ON p.id = b.partner_id
             WHERE (e.event IN ('paye', 'paye_manuellement') OR e.reverses_payment)
               AND e.booked_on >= $1 AND e.booked_on <= $2
             ORDER BY e.booked_on, e.id",
            &[&from.to_string(), &to.to_string()],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
            ))
        })
        .collect::<Result<Vec<journal::BankRow>, ServiceError>>()?;
    journal::render(cats, closings, bank)
}
