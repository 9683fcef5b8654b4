//! Errors of partner onboarding and conventions.

use passregion_core::partner::CodeError;

/// Errors of partner onboarding and conventions. Wrapped by [`crate::error::ServiceError`], mapped to the public
/// problem body in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum PartnersError {
    /// The partner's convention is not (or no longer) in force.
    #[error("partner not validated")]
    PartnerNotValidated,
    /// The convention is already signed.
    #[error("convention already signed")]
    ConventionAlreadySigned,
    /// Validation needs the signed convention.
    #[error("convention not signed")]
    ConventionNotSigned,
    /// The SMS gateway refused the message or could not be reached.
    #[error("SMS gateway unavailable")]
    SmsUnavailable,
    /// The SMS code was refused.
    #[error(transparent)]
    Code(#[from] CodeError),
}
