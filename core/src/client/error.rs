//! Errors: internal ones (`thiserror`, with `#[from]`), mapped to the one
//! public [`ClientError`] that the app layers (Tauri, uniffi) see. No error
//! carries personal data: no e-mail, name, card number or QR text.

use crate::credential::Reason;
use crate::sync::OfflineError;

use super::transport::TransportError;

/// Internal storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A JSON column.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A value that does not parse (corrupt row).
    #[error("stored value is invalid: {0}")]
    Invalid(&'static str),
    /// The database was written by a newer app version.
    #[error("database schema {found} is newer than this app ({supported})")]
    TooNew {
        /// `user_version` found.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// Filesystem (quarantine).
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

/// The public error of the clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server cannot be reached (no network, server down, timeout).
    #[error("hors ligne")]
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
        /// French message for the user.
        message: String,
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
    #[error("unexpected server response: {0}")]
    Protocol(String),
    /// The local store failed.
    #[error("local storage: {0}")]
    Storage(String),
    /// The scanned code is not valid (fails closed).
    #[error("invalid code: {0}")]
    InvalidCode(Reason),
    /// The offline rule refused the debit.
    #[error("offline debit refused: {0}")]
    OfflineRefused(OfflineError),
    /// This needs the server (e.g. a printed card QR cannot be debited offline).
    #[error("online only")]
    OnlineOnly,
    /// Nothing to show or do yet (no card, no credential, device not enrolled…).
    #[error("missing: {0}")]
    Missing(&'static str),
    /// A key or signature operation failed.
    #[error("key: {0}")]
    Key(String),
    /// The trust list is missing, does not verify, or rolls back.
    #[error("trust list: {0}")]
    Trust(String),
    /// An argument given by the app is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> Self {
        ClientError::Storage(e.to_string())
    }
}

impl From<rusqlite::Error> for ClientError {
    fn from(e: rusqlite::Error) -> Self {
        ClientError::Storage(e.to_string())
    }
}

impl From<TransportError> for ClientError {
    fn from(_: TransportError) -> Self {
        ClientError::Offline
    }
}

impl From<crate::credential::KeyError> for ClientError {
    fn from(e: crate::credential::KeyError) -> Self {
        ClientError::Key(e.to_string())
    }
}

impl From<crate::credential::CredentialError> for ClientError {
    fn from(e: crate::credential::CredentialError) -> Self {
        ClientError::Key(e.to_string())
    }
}

impl ClientError {
    /// Whether retrying later may succeed (network, server failure).
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Offline | ClientError::Server { .. })
    }
}
