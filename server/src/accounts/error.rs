//! Errors of accounts and sessions.

/// Errors of accounts and sessions. Wrapped by [`crate::error::ServiceError`], mapped to the public
/// problem body in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Wrong e-mail or password.
    #[error("bad login")]
    BadLogin,
    /// An account already uses this e-mail.
    #[error("e-mail taken")]
    EmailTaken,
    /// The right password, but the address is not confirmed yet.
    #[error("e-mail not verified")]
    EmailNotVerified,
    /// A confirmation link that is unknown, used or expired.
    #[error("bad e-mail token")]
    BadEmailToken,
    /// An agent of the Region whose role does not open this desk.
    #[error("region desk {0:?} not allowed")]
    RegionDeskOnly(crate::accounts::region_roles::RegionDesk),
}
