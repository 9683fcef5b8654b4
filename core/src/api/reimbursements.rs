//! Reimbursements of partners, in batches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::signed_money::SignedMoney;

/// A reimbursement batch: its own lines, what it carries in from earlier
/// batches (refunds after a payout are clawed back, not hidden), what the
/// Region pays and what is carried to the partner's next batch.
/// `total + carried_in = payable + carried_out`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Batch {
    /// Id.
    pub id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Transactions up to this instant are included.
    pub period_end: DateTime<Utc>,
    /// Debits − refunds of the batch's own transactions (signed: negative
    /// when its refunds exceed its debits).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "-12.50"))]
    pub total: SignedMoney,
    /// What the partner owed from earlier batches, deducted here
    /// (*report du lot précédent*): zero or negative.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "-12.50"))]
    pub carried_in: SignedMoney,
    /// The batch the deficit was carried from, if any.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub carried_from: Option<String>,
    /// What the Region pays for this batch: `total + carried_in`, never below zero.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub payable: SignedMoney,
    /// What is left owing, carried to the partner's next batch
    /// (*reporté sur le lot suivant*): zero or negative.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub carried_out: SignedMoney,
    /// Number of transactions.
    pub transactions: i64,
    /// `en_cours` (to be paid), `rembourse` (paid) or `compense` (settled by
    /// offsetting: nothing to pay).
    pub status: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Paid at.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub paid_at: Option<DateTime<Utc>>,
}

/// The partner's reimbursement view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReimbursementSummary {
    /// Debits − refunds not yet in a batch (signed).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub pending_total: SignedMoney,
    /// Payable euros of the batches being paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub in_progress_total: SignedMoney,
    /// Euros already paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid_total: SignedMoney,
    /// What the partner owes after refunds of paid debits, to be deducted
    /// from its next batches: zero or negative.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub carried_total: SignedMoney,
    /// Batches, newest first.
    pub batches: Vec<Batch>,
}

/// `POST /api/region/reimbursements/close`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Include transactions before this instant (default: now).
    pub period_end: Option<DateTime<Utc>>,
}
