//! Errors of the Region's desk.

/// Errors of the Region's desk. Wrapped by [`crate::error::ServiceError`],
/// mapped to the public problem body in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// The anomaly was already marked handled (handlings are append-only).
    #[error("anomaly already handled")]
    AlreadyHandled,
    /// Removing or demoting the Region's last active administrator.
    #[error("last administrator of the Region")]
    LastAdmin,
}
