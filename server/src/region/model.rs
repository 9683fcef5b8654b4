//! Response types of the Region's views.

use serde::Serialize;
use utoipa::ToSchema;

/// Result of the ledger check.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerCheck {
    /// Card × season × avantage lines checked.
    pub lines_checked: i64,
    /// Lines where `loaded ≠ balance + debited − refunded` or a rule is broken.
    pub inconsistencies: Vec<String>,
    /// Transactions without their ledger row, or the reverse.
    pub orphans: i64,
}
