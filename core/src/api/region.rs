//! The Region's views: ledger check, overspend flags.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Result of the ledger check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerCheck {
    /// Card × season × avantage lines checked.
    pub lines_checked: i64,
    /// Lines where `loaded ≠ balance + debited − refunded` or a rule is broken.
    pub inconsistencies: Vec<String>,
    /// Transactions without their ledger row, or the reverse.
    pub orphans: i64,
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
