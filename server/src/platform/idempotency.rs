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

/// What the idempotency rule reads and writes in the transaction of the
/// write it answers (SQL only; SQLite here, PostgreSQL in
/// `platform/idempotency_pg.rs`).
pub(crate) trait IdempotencyTx {
    /// The record of `idem`'s key: its request hash and stored answer. On
    /// an engine with several writers, it first waits for a concurrent
    /// transaction using the same key, so that only one runs the write
    /// (PostgreSQL: by inserting the key's row, answer to come).
    fn claim(
        &self,
        idem: &Idempotency,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, StoredResponse)>, ServiceError>;
    /// Stores the answer of `idem`'s key.
    fn store(
        &self,
        idem: &Idempotency,
        resp: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Gives the key back when the write was refused (its refusal commits,
    /// but is not its answer: a retry runs again). Nothing to do on an
    /// engine whose claim writes nothing.
    fn release(&self, _idem: &Idempotency) -> Result<(), ServiceError> {
        Ok(())
    }
}

/// Runs an idempotent write: replays the stored answer of a known key, refuses
/// a known key with another request, otherwise runs `op` and stores its answer
/// in the same transaction (the one rule, for every engine).
pub(crate) fn idempotent_on<X: IdempotencyTx + ?Sized>(
    tx: &X,
    idem: &Idempotency,
    now: DateTime<Utc>,
    op: impl FnOnce(&X) -> Result<Outcome<StoredResponse>, ServiceError>,
) -> Result<Outcome<StoredResponse>, ServiceError> {
    if let Some((hash, stored)) = tx.claim(idem, now)? {
        if hash == idem.request_hash {
            return Ok(Outcome::Commit(stored));
        }
        return Ok(Outcome::CommitAndRefuse(ServiceError::IdempotencyMismatch));
    }
    let out = op(tx)?;
    match &out {
        Outcome::Commit(resp) => tx.store(idem, resp, now)?,
        Outcome::CommitAndRefuse(_) => tx.release(idem)?,
    }
    Ok(out)
}

/// [`idempotent_on`] in a SQLite transaction (the single writer: no
/// concurrent use of a key to wait for).
pub(crate) fn idempotent(
    conn: &Connection,
    idem: &Idempotency,
    now: DateTime<Utc>,
    op: impl FnOnce(&Connection) -> Result<Outcome<StoredResponse>, ServiceError>,
) -> Result<Outcome<StoredResponse>, ServiceError> {
    idempotent_on(conn, idem, now, op)
}

impl IdempotencyTx for Connection {
    fn claim(
        &self,
        idem: &Idempotency,
        _now: DateTime<Utc>,
    ) -> Result<Option<(String, StoredResponse)>, ServiceError> {
        Ok(self
            .query_row(
                "SELECT request_hash, status, body FROM idempotency
                 WHERE account_id = ?1 AND key = ?2",
                params![idem.account_id, idem.key],
                |r| {
                    Ok((
                        r.get(0)?,
                        StoredResponse {
                            status: r.get(1)?,
                            body: r.get(2)?,
                        },
                    ))
                },
            )
            .optional()?)
    }

    fn store(
        &self,
        idem: &Idempotency,
        resp: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
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
        Ok(())
    }
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
