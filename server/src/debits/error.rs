//! Errors of debits, refunds and card look-ups.

use passregion_core::card::CardNumberError;
use passregion_core::{DebitError, RefundError};

/// Errors of debits, refunds and card look-ups. Wrapped by [`crate::error::ServiceError`], mapped to the public
/// problem body in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum DebitsError {
    /// The card was declared lost or stolen and replaced (its old number,
    /// printed code or app codes).
    #[error("card replaced")]
    CardReplaced,
    /// The debit rule refused.
    #[error(transparent)]
    Debit(#[from] DebitError),
    /// The refund rule refused.
    #[error(transparent)]
    Refund(#[from] RefundError),
    /// A typed card number is malformed.
    #[error(transparent)]
    CardNumber(#[from] CardNumberError),
    /// Card number and birth date do not match (uniform: also for unknown cards).
    #[error("card or birth date mismatch")]
    CardOrBirthDate,
    /// Too many wrong birth dates on this card.
    #[error("card locked")]
    CardLocked,
    /// The partner's category may not debit this avantage.
    #[error("avantage not allowed for this partner")]
    AvantageNotAllowed,
    /// The avantage is not in the card's catalogue.
    #[error("unknown avantage")]
    UnknownAvantage,
    /// The QR code could not be used.
    #[error("invalid QR code: {0}")]
    Qr(String),
    /// An online debit whose code was read too long ago (a queued request
    /// replayed later): online, a code is decided when it is read.
    #[error("scan time too old for an online debit")]
    ScanTooOld,
    /// A printed card's QR (`PR1:`) read online without the holder's birth
    /// date: the printed code is an identifier, not a proof.
    #[error("birth date required with a printed card code")]
    BirthDateRequired,
    /// The card was flagged for offline overspend: online only.
    #[error("card flagged")]
    CardFlagged,
}
