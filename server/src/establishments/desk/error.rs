//! Errors of the établissement's desk: its staff and its bulk actions.

/// Errors of the établissement's desk. Wrapped by
/// [`crate::error::ServiceError`], mapped to the public problem body in one
/// place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// Only the head (*chef d'établissement*) may do that (its staff).
    #[error("head of the establishment only")]
    HeadOnly,
    /// A bulk call with more ids than allowed.
    #[error("more than {max} items in one call")]
    TooManyItems {
        /// The most allowed.
        max: usize,
    },
    /// A member cannot remove their own access.
    #[error("cannot remove oneself")]
    CannotRemoveSelf,
}
