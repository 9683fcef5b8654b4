//! The rules of reimbursement batches: one batch per partner with
//! unbatched transactions, settled with what the partner owes from earlier
//! batches (`core::reimbursement::settle`: refunds after a payout are
//! clawed back from the next batches, never paid below zero), closed
//! `en_cours` when something is payable, else `compense`; a batch
//! `en_cours` is paid once (`en_cours` → `rembourse`). Writes go through
//! the storage-only `ReimbursementsTx` trait, implemented for SQLite in
//! `reimbursements/repo.rs` and for PostgreSQL in `reimbursements/repo_pg.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::SignedMoney;
use passregion_core::reimbursement::Settlement;
use passregion_core::reimbursement::settle;
use passregion_core::status::BatchStatus;

pub(crate) use crate::accounts::own_partner;
use crate::error::ServiceError;
use crate::platform::sql::new_id;
use crate::reimbursements::model::Batch;

/// What a partner owes from its earlier batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Owed {
    /// Deficits carried out of its batches and not yet carried into a later
    /// one, in cents (zero or positive).
    pub(crate) cents: i64,
    /// The most recent batch that carried a deficit out.
    pub(crate) from: Option<String>,
}

/// The storage of batches inside the writer's transaction. SQL only, no rule.
pub(crate) trait ReimbursementsTx {
    /// Partners with transactions before `period_end` in no batch, and their
    /// net total in cents (debits − refunds, signed), by partner id.
    fn unbatched_totals(
        &self,
        period_end: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, ServiceError>;
    /// What the partner owes from its earlier batches.
    fn owed(&self, partner_id: &str) -> Result<Owed, ServiceError>;
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
    /// Its total, what it carries in and out, what it pays.
    pub(crate) settlement: Settlement,
    /// The batch the deficit carried in comes from.
    pub(crate) carried_from: Option<String>,
    pub(crate) status: BatchStatus,
    pub(crate) created_at: DateTime<Utc>,
}

/// Closes one batch per partner with transactions before `period_end` in no
/// batch yet. What the partner owes from earlier batches is deducted first;
/// a batch with something to pay starts `en_cours`, one with nothing to pay
/// is `compense` and carries what is left owing to the partner's next batch.
pub(crate) fn close(
    tx: &dyn ReimbursementsTx,
    period_end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Batch>, ServiceError> {
    let mut ids = Vec::new();
    for (partner_id, total_cents) in tx.unbatched_totals(period_end)? {
        let owed = tx.owed(&partner_id)?;
        let settlement = settle(
            SignedMoney::from_cents(total_cents)?,
            SignedMoney::from_cents(owed.cents)?,
        )?;
        let batch = NewBatch {
            id: new_id(),
            partner_id: &partner_id,
            period_end,
            carried_from: owed.from.filter(|_| settlement.carried_in.is_negative()),
            status: settlement.status(),
            settlement,
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

/// Marks a batch paid, from the queue (`en_cours`) or from a payment run
/// (`en_cours_de_paiement`); a batch paid already, or settled by offsetting
/// (nothing to pay), is refused. The manual path (`payments::pay_manually`)
/// adds the bank's reference and the audit.
pub(crate) fn pay(
    tx: &dyn ReimbursementsTx,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Batch, ServiceError> {
    let batch = tx
        .batch(id)?
        .ok_or(ServiceError::NotFound("Lot de remboursement"))?;
    if batch.status == BatchStatus::Offset {
        return Err(ServiceError::Invalid {
            field: "id",
            message: "Ce lot est soldé par compensation : il n'y a rien à payer.".into(),
        });
    }
    if batch.status != BatchStatus::InProgress && batch.status != BatchStatus::PaymentInProgress {
        return Err(ServiceError::Invalid {
            field: "id",
            message: "Ce lot est déjà marqué comme remboursé.".into(),
        });
    }
    tx.set_batch_status(id, BatchStatus::Paid, now)?;
    tx.batch(id)?
        .ok_or(ServiceError::NotFound("Lot de remboursement"))
}

#[cfg(test)]
mod tests {
    //! The batch rules over any sequence of debits, refunds, closings and
    //! payments, on an in-memory `ReimbursementsTx` (the SQL is exercised by
    //! `server/tests/api/clawback.rs`).
    use std::cell::RefCell;

    use chrono::Duration;
    use proptest::prelude::*;

    use super::*;

    struct StoredBatch {
        batch: Batch,
        partner: String,
    }

    /// A transaction: (partner, cents, created_at, batch).
    type Line = (String, i64, DateTime<Utc>, Option<String>);

    #[derive(Default)]
    struct Memory {
        transactions: RefCell<Vec<Line>>,
        batches: RefCell<Vec<StoredBatch>>,
    }

    impl ReimbursementsTx for Memory {
        fn unbatched_totals(
            &self,
            period_end: DateTime<Utc>,
        ) -> Result<Vec<(String, i64)>, ServiceError> {
            let mut out: Vec<(String, i64)> = Vec::new();
            for (p, cents, at, batch) in self.transactions.borrow().iter() {
                if batch.is_none() && *at < period_end {
                    match out.iter_mut().find(|(q, _)| q == p) {
                        Some((_, sum)) => *sum += cents,
                        None => out.push((p.clone(), *cents)),
                    }
                }
            }
            out.sort();
            Ok(out)
        }

        fn owed(&self, partner_id: &str) -> Result<Owed, ServiceError> {
            let batches = self.batches.borrow();
            let mut mine = batches.iter().filter(|b| b.partner == partner_id);
            Ok(Owed {
                cents: mine
                    .clone()
                    .map(|b| b.batch.carried_in.cents() - b.batch.carried_out.cents())
                    .sum(),
                from: mine
                    .rfind(|b| b.batch.carried_out.is_negative())
                    .map(|b| b.batch.id.clone()),
            })
        }

        fn insert_batch(&self, b: &NewBatch<'_>) -> Result<(), ServiceError> {
            let mut count = 0;
            for t in self.transactions.borrow_mut().iter_mut() {
                if t.0 == b.partner_id && t.3.is_none() && t.2 < b.period_end {
                    t.3 = Some(b.id.clone());
                    count += 1;
                }
            }
            let s = b.settlement;
            self.batches.borrow_mut().push(StoredBatch {
                partner: b.partner_id.to_owned(),
                batch: Batch {
                    id: b.id.clone(),
                    partner_id: b.partner_id.to_owned(),
                    partner_name: b.partner_id.to_owned(),
                    period_end: b.period_end,
                    total: s.total,
                    carried_in: s.carried_in,
                    carried_from: b.carried_from.clone(),
                    payable: s.payable,
                    carried_out: s.carried_out,
                    transactions: count,
                    status: b.status,
                    created_at: b.created_at,
                    paid_at: None,
                    paid_on: None,
                    bank_reference: None,
                    payment_run_id: None,
                    rejection_reason: None,
                },
            });
            Ok(())
        }

        fn batch(&self, id: &str) -> Result<Option<Batch>, ServiceError> {
            let batches = self.batches.borrow();
            Ok(batches
                .iter()
                .find(|b| b.batch.id == id)
                .map(|b| b.batch.clone()))
        }

        fn set_batch_status(
            &self,
            id: &str,
            status: BatchStatus,
            paid_at: DateTime<Utc>,
        ) -> Result<(), ServiceError> {
            for b in self.batches.borrow_mut().iter_mut() {
                if b.batch.id == id {
                    b.batch.status = status;
                    b.batch.paid_at = Some(paid_at);
                }
            }
            Ok(())
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// A debit of `cents` for partner `p`.
        Debit(usize, i64),
        /// A refund of the `n`-th debit (modulo), `pct` percent of it.
        Refund(usize, i64),
        Close,
        /// Pay the `n`-th batch (modulo), if it is `en_cours`.
        Pay(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0usize..2, 1i64..5_000).prop_map(|(p, c)| Op::Debit(p, c)),
            2 => (0usize..64, 1i64..=100).prop_map(|(n, pct)| Op::Refund(n, pct)),
            2 => Just(Op::Close),
            2 => (0usize..64).prop_map(Op::Pay),
        ]
    }

    const PARTNERS: [&str; 2] = ["p1", "p2"];

    /// For each partner: (Σ payable, Σ paid, owed, Σ batched debits − refunds).
    fn books(m: &Memory, p: &str) -> (i64, i64, i64, i64) {
        let batches = m.batches.borrow();
        let mine: Vec<&Batch> = batches
            .iter()
            .filter(|b| b.partner == p)
            .map(|b| &b.batch)
            .collect();
        let payable = mine.iter().map(|b| b.payable.cents()).sum();
        let paid = mine
            .iter()
            .filter(|b| b.status == BatchStatus::Paid)
            .map(|b| b.payable.cents())
            .sum();
        let owed = m.owed(p).unwrap().cents;
        let net = m
            .transactions
            .borrow()
            .iter()
            .filter(|t| t.0 == p && t.3.is_some())
            .map(|t| t.1)
            .sum();
        (payable, paid, owed, net)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the order of debits, refunds (after payout or not),
        /// closings and payments: every batch pays ≥ 0 and nothing while the
        /// partner owes; `Σ payable − owed = Σ (debits − refunds)`; an
        /// `en_cours` batch is paid once and a `compense` one never; and once
        /// new debits cover what is owed, the partner has been paid exactly
        /// the net of its debits and refunds.
        #[test]
        fn a_partner_is_never_paid_more_than_its_net(ops in proptest::collection::vec(op(), 1..60)) {
            let m = Memory::default();
            let mut now: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
            // (partner, cents, refunded) of each debit.
            let mut debits: Vec<(usize, i64, bool)> = Vec::new();
            for op in ops {
                now += Duration::seconds(1);
                match op {
                    Op::Debit(p, c) => {
                        debits.push((p, c, false));
                        m.transactions.borrow_mut().push((PARTNERS[p].into(), c, now, None));
                    }
                    Op::Refund(n, pct) if !debits.is_empty() => {
                        let i = n % debits.len();
                        let (p, c, refunded) = debits[i];
                        if !refunded {
                            debits[i].2 = true;
                            let back = (c * pct / 100).max(1);
                            m.transactions.borrow_mut().push((PARTNERS[p].into(), -back, now, None));
                        }
                    }
                    Op::Refund(..) => {}
                    Op::Close => {
                        for b in close(&m, now, now).unwrap() {
                            prop_assert!(!b.payable.is_negative());
                            prop_assert_eq!(b.status == BatchStatus::Offset, b.payable.is_zero());
                            prop_assert_eq!(b.carried_from.is_some(), b.carried_in.is_negative());
                        }
                    }
                    Op::Pay(n) => {
                        let target = {
                            let batches = m.batches.borrow();
                            (!batches.is_empty()).then(|| {
                                let b = &batches[n % batches.len()].batch;
                                (b.id.clone(), b.status)
                            })
                        };
                        if let Some((id, status)) = target {
                            let r = pay(&m, &id, now);
                            prop_assert_eq!(r.is_ok(), status == BatchStatus::InProgress);
                        }
                    }
                }
                for p in PARTNERS {
                    let (payable, paid, owed, net) = books(&m, p);
                    prop_assert!(owed >= 0);
                    prop_assert!(paid <= payable);
                    prop_assert_eq!(payable - owed, net, "{}", p);
                    let batches = m.batches.borrow();
                    if let Some(last) = batches.iter().rfind(|b| b.partner == p) {
                        // Owing, the last batch paid nothing.
                        prop_assert!(owed == 0 || last.batch.payable.is_zero());
                    }
                }
            }
            // New debits covering what is owed (and the refunds not yet in a
            // batch): paid exactly the net.
            for p in PARTNERS {
                let (_, _, owed, _) = books(&m, p);
                let pending: i64 = m
                    .transactions
                    .borrow()
                    .iter()
                    .filter(|t| t.0 == p && t.3.is_none())
                    .map(|t| t.1)
                    .sum();
                now += Duration::seconds(1);
                m.transactions.borrow_mut().push((p.into(), (owed - pending + 1).max(1), now, None));
            }
            now += Duration::seconds(1);
            close(&m, now, now).unwrap();
            for p in PARTNERS {
                let (payable, _, owed, net) = books(&m, p);
                prop_assert_eq!(owed, 0);
                prop_assert_eq!(payable, net);
            }
        }
    }
}
