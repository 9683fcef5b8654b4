//! Idempotent writes: a replayed `Idempotency-Key` gets the stored answer; a reused key with another request is refused.

use crate::platform::db::Outcome;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;
use serde::Serialize;

use crate::error::ServiceError;
use crate::platform::sql::ts;

/// Stored answer of an idempotent POST.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// An idempotent call: who, which key, and a hash of the request.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// Caller account.
    pub account_id: String,
    /// `Idempotency-Key` header.
    pub key: String,
    /// SHA-256 of method, path and body.
    pub request_hash: String,
}

/// Runs an idempotent write: replays the stored answer of a known key, refuses
/// a known key with another request, otherwise runs `op` and stores its answer
/// in the same transaction.
pub(crate) fn idempotent(
    conn: &Connection,
    idem: &Idempotency,
    now: DateTime<Utc>,
    op: impl FnOnce(&Connection) -> Result<Outcome<StoredResponse>, ServiceError>,
) -> Result<Outcome<StoredResponse>, ServiceError> {
    let existing: Option<(String, u16, String)> = conn
        .query_row(
            "SELECT request_hash, status, body FROM idempotency WHERE account_id = ?1 AND key = ?2",
            params![idem.account_id, idem.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((hash, status, body)) = existing {
        if hash == idem.request_hash {
            return Ok(Outcome::Commit(StoredResponse { status, body }));
        }
        return Ok(Outcome::CommitAndRefuse(ServiceError::IdempotencyMismatch));
    }
    let out = op(conn)?;
    if let Outcome::Commit(resp) = &out {
        conn.exec(
            "INSERT INTO idempotency (account_id, key, request_hash, status, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                idem.account_id,
                idem.key,
                idem.request_hash,
                resp.status,
                resp.body,
                ts(now)
            ],
        )?;
    }
    Ok(out)
}

/// The stored answer of `idem`'s key when it was used for this same request
/// (a read, outside the writer): the retry of a write that was applied, whose
/// answer was lost, gets that answer even when its request could no longer be
/// accepted now (an expired code).
pub(crate) fn replayed(
    conn: &Connection,
    idem: &Idempotency,
) -> Result<Option<StoredResponse>, ServiceError> {
    Ok(conn
        .query_row(
            "SELECT status, body FROM idempotency
             WHERE account_id = ?1 AND key = ?2 AND request_hash = ?3",
            params![idem.account_id, idem.key, idem.request_hash],
            |r| {
                Ok(StoredResponse {
                    status: r.get(0)?,
                    body: r.get(1)?,
                })
            },
        )
        .optional()?)
}

pub(crate) fn json_response<T: Serialize>(
    status: u16,
    v: &T,
) -> Result<StoredResponse, ServiceError> {
    Ok(StoredResponse {
        status,
        body: serde_json::to_string(v).map_err(|e| ServiceError::Internal(e.to_string()))?,
    })
}
