//! Errors of partner onboarding, conventions and staff.

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
    /// Only a manager (*responsable*) of the structure may do that.
    #[error("manager only")]
    ManagerOnly,
    /// An invitation link that is unknown, used, expired or withdrawn.
    #[error("bad invitation")]
    InvitationInvalid,
    /// A manager cannot remove their own account.
    #[error("cannot remove oneself")]
    CannotRemoveSelf,
    /// The SMS code was refused.
    #[error(transparent)]
    Code(#[from] CodeError),
}
