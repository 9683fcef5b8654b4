//! Request and response types of reimbursements.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Money;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

/// A reimbursement batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Batch {
    /// Id.
    pub id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Transactions up to this instant are included.
    pub period_end: DateTime<Utc>,
    /// Net euros reimbursed.
    #[schema(value_type = String)]
    pub total: Money,
    /// Number of transactions.
    pub transactions: i64,
    /// `en_cours` or `rembourse`.
    pub status: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Paid at.
    pub paid_at: Option<DateTime<Utc>>,
}

/// The partner's reimbursement view.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReimbursementSummary {
    /// Euros not yet in a batch.
    #[schema(value_type = String)]
    pub pending_total: Money,
    /// Euros in batches being paid.
    #[schema(value_type = String)]
    pub in_progress_total: Money,
    /// Euros already paid.
    #[schema(value_type = String)]
    pub paid_total: Money,
    /// Batches, newest first.
    pub batches: Vec<Batch>,
}

/// `POST /api/region/reimbursements/close`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Include transactions before this instant (default: now).
    pub period_end: Option<DateTime<Utc>>,
}
