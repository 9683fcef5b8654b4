//! Errors of orders, cards and seasons.

use passregion_core::CardError;
use passregion_core::public::EligibilityError;

/// Errors of orders, cards and seasons. Wrapped by [`crate::error::ServiceError`], mapped to the public
/// problem body in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum CardsError {
    /// The card cannot be used or changed.
    #[error(transparent)]
    Card(#[from] CardError),
    /// The youth is not eligible.
    #[error(transparent)]
    Eligibility(#[from] EligibilityError),
    /// The youth already has a live order or a card for the season.
    #[error("duplicate order")]
    DuplicateOrder,
    /// The order was already validated or refused.
    #[error("order already decided")]
    OrderAlreadyDecided,
    /// A suspended card is not replaced from the youth's app.
    #[error("card suspended")]
    CardSuspended,
    /// No catalogue for the card's season.
    #[error("no catalogue for the season")]
    NoCatalogue,
}
