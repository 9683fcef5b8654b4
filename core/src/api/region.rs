//! The Region's views: ledger check, overspend flags.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::signed_money::SignedMoney;

/// Result of the ledger check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerCheck {
    /// Card × season × avantage lines checked.
    pub lines_checked: i64,
    /// Lines where `loaded ≠ balance + debited − refunded` or a rule is
    /// broken, and reimbursement batches that do not reconcile.
    pub inconsistencies: Vec<String>,
    /// Reimbursement batches checked: each batch's total is the sum of its
    /// transactions, `total + carried_in = payable + carried_out`, and for
    /// each partner `Σ payable − owed = Σ (debits − refunds)` of its batched
    /// transactions (`owed`: what is carried to its next batch).
    pub batches_checked: i64,
    /// Transactions without their ledger row, or the reverse.
    pub orphans: i64,
    /// The money out: what the accounting journal must add up to.
    pub payouts: PayoutTotals,
}

/// Totals of the reimbursement batches, to reconcile with the accounting
/// journal (`Σ charges = batched`, `Σ bank = paid`) and the SEPA files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutTotals {
    /// Σ (debits − refunds) of the transactions in a batch.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub batched: SignedMoney,
    /// Σ payable of the batches.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub payable: SignedMoney,
    /// Σ payable of the batches in a transfer sent to the bank.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub in_payment: SignedMoney,
    /// Σ payable of the batches paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid: SignedMoney,
    /// What partners owe (refunds after payout not yet clawed back): zero or positive.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owed: SignedMoney,
}

/// A card flagged for offline overspend, for the Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardFlag {
    /// Card id.
    pub card_id: String,
    /// Last four digits of the card.
    pub card: String,
    /// Why.
    pub reason: String,
    /// Euros the Region carries for it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Money,
    /// When.
    pub created_at: DateTime<Utc>,
}
