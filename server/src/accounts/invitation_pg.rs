//! The invitation links' SQL on PostgreSQL (the twins of `invitation::{void_tokens, insert_token}`), shared by the partners', établissements' and Region's staff.

use chrono::{DateTime, Utc};

use crate::error::ServiceError;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;

/// Ends the unused links of an account.
pub(crate) fn void_tokens(
    tx: &PgTx<'_, '_>,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    tx.exec(
        "UPDATE email_tokens SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL",
        &[&account_id, &ts(now)],
    )
}

/// Stores an invitation link (its hash) for an account.
pub(crate) fn insert_token(
    tx: &PgTx<'_, '_>,
    account_id: &str,
    token_hash: &str,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    tx.exec(
        "INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at)
         VALUES ($1, $2, 'invitation', $3, $4)",
        &[&token_hash, &account_id, &ts(created_at), &ts(expires_at)],
    )
}
