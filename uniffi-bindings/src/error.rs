//! The one public error of the bindings, and the one place where core errors
//! are mapped to it. No variant carries personal data (no e-mail, name, card
//! number or QR text).

use passregion_core::MoneyError;
use passregion_core::client::ClientError;

use crate::records::CodeRejection;

/// Every failure the apps can see (a Kotlin/Swift exception, a Python
/// exception class per variant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PassRegionError {
    /// The server cannot be reached (no network, server down, timeout).
    #[error("offline")]
    Offline,
    /// No session: log in first.
    #[error("not logged in")]
    NotLoggedIn,
    /// The session was refused (expired or revoked): log in again.
    #[error("session expired")]
    Unauthorized,
    /// The server refused the request (business rule, validation…).
    #[error("refused by the server ({status} {code})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Stable machine code (`solde_insuffisant`, …).
        code: String,
        /// French message to show to the user.
        user_message: String,
        /// The field at fault, if any.
        field: Option<String>,
    },
    /// The server failed (5xx).
    #[error("server error {status}")]
    Server {
        /// HTTP status.
        status: u16,
    },
    /// The server answered something this client does not understand.
    #[error("unexpected server response: {detail}")]
    Protocol {
        /// Technical detail.
        detail: String,
    },
    /// The local store failed.
    #[error("local storage: {detail}")]
    Storage {
        /// Technical detail.
        detail: String,
    },
    /// The scanned code is not valid (fails closed).
    #[error("invalid code: {reason:?}")]
    InvalidCode {
        /// Why.
        reason: CodeRejection,
    },
    /// The offline rule refused the debit.
    #[error("offline debit refused: {detail}")]
    OfflineRefused {
        /// Which limit.
        detail: String,
    },
    /// This needs the server (a printed card QR cannot be debited offline).
    #[error("online only")]
    OnlineOnly,
    /// Nothing to show or do yet (no card, no credential, device not enrolled…).
    #[error("missing: {what}")]
    Missing {
        /// What is missing.
        what: String,
    },
    /// A key or signature operation failed (including the device signer).
    #[error("key: {detail}")]
    Key {
        /// Technical detail.
        detail: String,
    },
    /// The trust list is missing, does not verify, or rolls back.
    #[error("trust list: {detail}")]
    Trust {
        /// Technical detail.
        detail: String,
    },
    /// An argument given by the app is invalid.
    #[error("invalid argument: {detail}")]
    InvalidArgument {
        /// Which argument.
        detail: String,
    },
    /// An amount string is not a valid amount (`"12.50"`, `"12,50"`, `"12"`).
    #[error("invalid amount: {reason}")]
    InvalidAmount {
        /// Why (`malformed amount`, `more than two decimals`…).
        reason: String,
    },
    /// A foreign callback failed unexpectedly, or a bug.
    #[error("internal error: {detail}")]
    Internal {
        /// Technical detail.
        detail: String,
    },
}

impl From<ClientError> for PassRegionError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Offline => PassRegionError::Offline,
            ClientError::NotLoggedIn => PassRegionError::NotLoggedIn,
            ClientError::Unauthorized => PassRegionError::Unauthorized,
            ClientError::Refused {
                status,
                code,
                message,
                field,
            } => PassRegionError::Refused {
                status,
                code,
                user_message: message,
                field,
            },
            ClientError::Server { status } => PassRegionError::Server { status },
            ClientError::Protocol(detail) => PassRegionError::Protocol { detail },
            ClientError::Storage(detail) => PassRegionError::Storage { detail },
            ClientError::InvalidCode(reason) => PassRegionError::InvalidCode {
                reason: reason.into(),
            },
            ClientError::OfflineRefused(e) => PassRegionError::OfflineRefused {
                detail: e.to_string(),
            },
            ClientError::OnlineOnly => PassRegionError::OnlineOnly,
            ClientError::Missing(what) => PassRegionError::Missing {
                what: what.to_owned(),
            },
            ClientError::Key(detail) => PassRegionError::Key { detail },
            ClientError::Trust(detail) => PassRegionError::Trust { detail },
            ClientError::InvalidArgument(detail) => PassRegionError::InvalidArgument {
                detail: detail.to_owned(),
            },
        }
    }
}

impl From<MoneyError> for PassRegionError {
    fn from(e: MoneyError) -> Self {
        PassRegionError::InvalidAmount {
            reason: e.to_string(),
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for PassRegionError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        PassRegionError::Internal { detail: e.reason }
    }
}

/// An argument error (the bindings' own validation of strings).
pub(crate) fn invalid(detail: &str) -> PassRegionError {
    PassRegionError::InvalidArgument {
        detail: detail.to_owned(),
    }
}

/// A decimal string from the app → core money, or `InvalidAmount`.
pub(crate) fn money(text: &str) -> Result<passregion_core::Money, PassRegionError> {
    Ok(passregion_core::Money::parse(text)?)
}

#[cfg(test)]
mod tests {
    use passregion_core::credential::Reason;

    use super::*;

    #[test]
    fn client_errors_map_to_their_variant() {
        let e: PassRegionError = ClientError::Refused {
            status: 409,
            code: "solde_insuffisant".into(),
            message: "Solde insuffisant".into(),
            field: None,
        }
        .into();
        assert_eq!(
            e,
            PassRegionError::Refused {
                status: 409,
                code: "solde_insuffisant".into(),
                user_message: "Solde insuffisant".into(),
                field: None,
            }
        );
        assert_eq!(
            PassRegionError::from(ClientError::InvalidCode(Reason::Replayed)),
            PassRegionError::InvalidCode {
                reason: CodeRejection::Replayed
            }
        );
        assert_eq!(
            PassRegionError::from(ClientError::Offline),
            PassRegionError::Offline
        );
    }

    #[test]
    fn amounts_are_validated_strings() {
        assert_eq!(money("12,5").map(|m| m.to_string()), Ok("12.50".into()));
        for bad in ["1e3", "12.345", "-1", "NaN", ""] {
            assert!(
                matches!(money(bad), Err(PassRegionError::InvalidAmount { .. })),
                "{bad}"
            );
        }
    }
}
