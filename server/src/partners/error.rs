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
    /// The application was sent: its draft can no longer change.
    #[error("application already sent")]
    ApplicationAlreadySent,
    /// The application misses fields or documents (listed).
    #[error("application incomplete")]
    ApplicationIncomplete(Vec<String>),
    /// The CGP version accepted is not the current one.
    #[error("outdated CGP version")]
    CgpOutdated,
    /// No convention waits for a signature.
    #[error("nothing to sign")]
    NothingToSign,
    /// The convention changed while it was being signed.
    #[error("convention changed during signature")]
    SignatureRace,
    /// A termination's date is in the past, or the partner is already terminated.
    #[error("bad termination")]
    BadTermination,
    /// The partner is not in a state that allows this step.
    #[error("wrong partner state")]
    WrongState,
    /// The SMS gateway refused the message or could not be reached.
    #[error("SMS gateway unavailable")]
    SmsUnavailable,
    /// Only a manager (*responsable*) of the structure may do that.
    #[error("manager only")]
    ManagerOnly,
    /// An invitation link that is unknown, used, expired or withdrawn.
    #[error("bad invitation")]
    InvitationInvalid,
    /// A manager cannot remove their own account.
    #[error("cannot remove oneself")]
    CannotRemoveSelf,
    /// A confirmed change of bank details already waits for the Region.
    #[error("bank change pending")]
    BankChangePending,
    /// The SMS code was refused.
    #[error(transparent)]
    Code(#[from] CodeError),
}
