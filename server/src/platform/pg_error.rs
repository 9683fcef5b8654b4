//! A PostgreSQL failure as the service layer keeps it: SQLSTATE and constraint name, never the values a server message may quote.

use r2d2_postgres::postgres;
use r2d2_postgres::postgres::error::SqlState;

/// A PostgreSQL failure, as kept in `ServiceError`: its SQLSTATE and
/// constraint name only. The server's message may quote the row's values
/// (an e-mail in a unique violation): it is neither kept nor logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    /// SQLSTATE, when the server answered (none: the connection failed).
    pub code: Option<String>,
    /// The violated constraint, if any.
    pub constraint: Option<String>,
    /// The connection is gone (the server stopped, a failover, the network).
    pub closed: bool,
}

impl PgError {
    /// A serialization failure or deadlock: the transaction may be run again.
    pub fn retryable(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(c) if c == SqlState::T_R_SERIALIZATION_FAILURE.code()
                || c == SqlState::T_R_DEADLOCK_DETECTED.code()
        )
    }

    /// The connection is gone, or the server ended it: class 08
    /// (connection exception) or 57P01-57P03 (the server shutting down or
    /// starting, as in a failover).
    pub fn connection_lost(&self) -> bool {
        self.closed
            || self
                .code
                .as_deref()
                .is_some_and(|c| c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03"))
    }

    /// A unique constraint was violated.
    pub fn unique_violation(&self) -> bool {
        self.code.as_deref() == Some(SqlState::UNIQUE_VIOLATION.code())
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.code, &self.constraint) {
            (Some(code), Some(c)) => write!(f, "SQLSTATE {code} (constraint {c})"),
            (Some(code), None) => write!(f, "SQLSTATE {code}"),
            (None, _) if self.closed => write!(f, "connection closed"),
            (None, _) => write!(f, "connection error"),
        }
    }
}

impl From<&postgres::Error> for PgError {
    fn from(e: &postgres::Error) -> PgError {
        PgError {
            code: e.code().map(|c| c.code().to_owned()),
            constraint: e
                .as_db_error()
                .and_then(|d| d.constraint())
                .map(str::to_owned),
            closed: e.is_closed(),
        }
    }
}
