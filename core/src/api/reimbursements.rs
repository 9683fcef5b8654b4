//! Reimbursements of partners, in batches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// A reimbursement batch.
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
    /// Net euros reimbursed.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub total: Money,
    /// Number of transactions.
    pub transactions: i64,
    /// `en_cours` or `rembourse`.
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
    /// Euros not yet in a batch.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub pending_total: Money,
    /// Euros in batches being paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub in_progress_total: Money,
    /// Euros already paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid_total: Money,
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
