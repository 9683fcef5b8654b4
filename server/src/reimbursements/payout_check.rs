//! The ledger check's part of money out: runs and transfers agree with the
//! batches, and the totals the accounting journal must reach.

use passregion_core::SignedMoney;
use passregion_core::api::region::PayoutTotals;
use passregion_core::status::BatchStatus;
use rusqlite::Connection;

use crate::error::ServiceError;
use crate::platform::db::Cached;

/// The checks of the ledger on runs and transfers: a batch
/// `en_cours_de_paiement` has exactly one transfer sent and the reverse; a
/// paid transfer's batch is paid; each run's count and total are its
/// transfers'; each transfer pays its batch's payable.
pub(crate) fn reconcile_transfers(c: &Connection) -> Result<Vec<String>, ServiceError> {
    let mut problems = Vec::new();
    let mut stmt = c.prepare(
        "SELECT b.id, b.status, b.payable_cents,
           (SELECT COUNT(*) FROM payment_transfers t WHERE t.batch_id = b.id AND t.status = 'envoye'),
           (SELECT COUNT(*) FROM payment_transfers t WHERE t.batch_id = b.id AND t.status = 'paye'),
           (SELECT COUNT(*) FROM payment_transfers t WHERE t.batch_id = b.id AND t.amount_cents <> b.payable_cents)
         FROM reimbursement_batches b WHERE EXISTS (SELECT 1 FROM payment_transfers t WHERE t.batch_id = b.id)
           OR b.status = 'en_cours_de_paiement'",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            [r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
        ))
    })?;
    for row in rows {
        let (id, status, [_, sent, paid, wrong_amount]) = row?;
        let in_payment = status == BatchStatus::PaymentInProgress.as_str();
        if in_payment != (sent == 1) || sent > 1 {
            problems.push(format!("batch {id} ({status}): {sent} transfer(s) sent"));
        }
        if paid > 0 && status != BatchStatus::Paid.as_str() {
            problems.push(format!("batch {id} ({status}): a paid transfer"));
        }
        if paid + sent > 1 {
            problems.push(format!("batch {id}: in {} live transfers", paid + sent));
        }
        if wrong_amount > 0 {
            problems.push(format!("batch {id}: a transfer differs from its payable"));
        }
    }
    let mut stmt = c.prepare(
        "SELECT r.id, r.transactions, r.total_cents, COUNT(t.batch_id), COALESCE(SUM(t.amount_cents), 0)
         FROM payment_runs r LEFT JOIN payment_transfers t ON t.run_id = r.id GROUP BY r.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            [r.get::<_, i64>(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
        ))
    })?;
    for row in rows {
        let (id, [count, total, n, sum]) = row?;
        if count != n || total != sum {
            problems.push(format!(
                "payment run {id}: {count} / {total} but transfers {n} / {sum}"
            ));
        }
    }
    Ok(problems)
}

/// The totals of money out that the accounting journal adds up to.
pub(crate) fn payout_totals(c: &Connection) -> Result<PayoutTotals, ServiceError> {
    let (batched, payable, in_payment, paid, owed): (i64, i64, i64, i64, i64) = c.one(
        "SELECT
           (SELECT COALESCE(SUM(t.amount_cents), 0) FROM transactions t
              JOIN reimbursement_items i ON i.transaction_id = t.id),
           COALESCE(SUM(payable_cents), 0),
           COALESCE(SUM(CASE WHEN status = 'en_cours_de_paiement' THEN payable_cents END), 0),
           COALESCE(SUM(CASE WHEN status = 'rembourse' THEN payable_cents END), 0),
           COALESCE(SUM(carried_out_cents - carried_in_cents), 0)
         FROM reimbursement_batches",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    Ok(PayoutTotals {
        batched: SignedMoney::from_cents(batched)?,
        payable: SignedMoney::from_cents(payable)?,
        in_payment: SignedMoney::from_cents(in_payment)?,
        paid: SignedMoney::from_cents(paid)?,
        owed: -SignedMoney::from_cents(owed)?,
    })
}
