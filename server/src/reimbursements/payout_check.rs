//! The ledger check's part of money out: runs and transfers agree with the
//! batches, and the totals the accounting journal must reach. The rules
//! over rows read by each engine with the SQL below (`region/ledger_check.rs`).

use passregion_core::SignedMoney;
use passregion_core::api::region::PayoutTotals;
use passregion_core::status::BatchStatus;

use crate::error::ServiceError;

/// A row of [`TRANSFER_CHECK_SQL`]: batch, status, and payable, transfers
/// sent, paid, of another amount.
pub(crate) type TransferCheckRow = (String, String, [i64; 4]);

/// The batches with transfers, or in payment (both engines).
pub(crate) const TRANSFER_CHECK_SQL: &str = "SELECT b.id, b.status, b.payable_cents,
   (SELECT COUNT(*) FROM payment_transfers t WHERE t.batch_id = b.id AND t.status = 'envoye'),
   (SELECT COUNT(*) FROM payment_transfers t WHERE t.batch_id = b.id AND t.status = 'paye'),
   (SELECT COUNT(*) FROM payment_transfers t WHERE t.batch_id = b.id AND t.amount_cents <> b.payable_cents)
 FROM reimbursement_batches b WHERE EXISTS (SELECT 1 FROM payment_transfers t WHERE t.batch_id = b.id)
   OR b.status = 'en_cours_de_paiement'";

/// A row of [`RUN_CHECK_SQL`]: run, and its count, total, its transfers'
/// count and sum.
pub(crate) type RunCheckRow = (String, [i64; 4]);

/// Each payment run with its transfers (both engines).
pub(crate) const RUN_CHECK_SQL: &str =
    "SELECT r.id, r.transactions, r.total_cents, COUNT(t.batch_id),
   CAST(COALESCE(SUM(t.amount_cents), 0) AS BIGINT)
 FROM payment_runs r LEFT JOIN payment_transfers t ON t.run_id = r.id
 GROUP BY r.id, r.transactions, r.total_cents";

/// The sums of money out (both engines): batched, payable, in payment,
/// paid, carried.
pub(crate) const PAYOUT_SQL: &str = "SELECT
   CAST((SELECT COALESCE(SUM(t.amount_cents), 0) FROM transactions t
      JOIN reimbursement_items i ON i.transaction_id = t.id) AS BIGINT),
   CAST(COALESCE(SUM(payable_cents), 0) AS BIGINT),
   CAST(COALESCE(SUM(CASE WHEN status = 'en_cours_de_paiement' THEN payable_cents END), 0) AS BIGINT),
   CAST(COALESCE(SUM(CASE WHEN status = 'rembourse' THEN payable_cents END), 0) AS BIGINT),
   CAST(COALESCE(SUM(carried_out_cents - carried_in_cents), 0) AS BIGINT)
 FROM reimbursement_batches";

/// The checks of the ledger on runs and transfers: a batch
/// `en_cours_de_paiement` has exactly one transfer sent and the reverse; a
/// paid transfer's batch is paid; each run's count and total are its
/// transfers'; each transfer pays its batch's payable.
pub(crate) fn reconcile_transfers(
    batches: Vec<TransferCheckRow>,
    runs: Vec<RunCheckRow>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, status, [_, sent, paid, wrong_amount]) in batches {
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
    for (id, [count, total, n, sum]) in runs {
        if count != n || total != sum {
            problems.push(format!(
                "payment run {id}: {count} / {total} but transfers {n} / {sum}"
            ));
        }
    }
    problems
}

/// The totals of money out that the accounting journal adds up to, from
/// the row of [`PAYOUT_SQL`].
pub(crate) fn payout_totals(
    [batched, payable, in_payment, paid, owed]: [i64; 5],
) -> Result<PayoutTotals, ServiceError> {
    Ok(PayoutTotals {
        batched: SignedMoney::from_cents(batched)?,
        payable: SignedMoney::from_cents(payable)?,
        in_payment: SignedMoney::from_cents(in_payment)?,
        paid: SignedMoney::from_cents(paid)?,
        owed: -SignedMoney::from_cents(owed)?,
    })
}
