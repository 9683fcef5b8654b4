//! Idempotent writes on PostgreSQL (ADR 0036, decision 6): the SQL of `platform::idempotency` for several instances on one database; the rule is `idempotency::idempotent_on`.

use chrono::DateTime;
use chrono::Utc;
use r2d2_postgres::postgres::Row;

use crate::error::ServiceError;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::IdempotencyTx;
use crate::platform::idempotency::StoredResponse;
use crate::platform::pg_cache::CachedQueries;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;

fn stored_from(r: &Row, first: usize) -> Result<StoredResponse, ServiceError> {
    let status: i64 = r.try_get(first)?;
    Ok(StoredResponse {
        status: u16::try_from(status)
            .map_err(|_| ServiceError::Internal("bad stored status".into()))?,
        body: r.try_get(first + 1)?,
    })
}

/// The status of a key's row claimed by a transaction in progress (its
/// answer not stored yet): never an HTTP status.
const CLAIMED: i64 = 0;

/// How many times a claim looks again for a row it conflicted with but can
/// no longer find (deleted meanwhile by the pruning job).
const CLAIM_ATTEMPTS: usize = 3;

impl IdempotencyTx for PgTx<'_, '_> {
    /// Inserts the key's row first, its answer to come (one statement): a
    /// second first attempt with the key (on another instance) waits on the
    /// unique index until the first commits, then finds the row and, with a
    /// new snapshot (READ COMMITTED), its answer; if the first rolled back,
    /// the second inserts the row and runs. A row still without an answer
    /// once committed (none should be: a refusal releases its key) is taken
    /// over under its row lock.
    fn claim(
        &self,
        idem: &Idempotency,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, StoredResponse)>, ServiceError> {
        self.with(|tx| {
            for _ in 0..CLAIM_ATTEMPTS {
                let inserted = tx.execute_cached(
                    "INSERT INTO idempotency (account_id, key, request_hash, status, body,
                     created_at) VALUES ($1, $2, $3, $4, '', $5)
                     ON CONFLICT (account_id, key) DO NOTHING",
                    &[
                        &idem.account_id,
                        &idem.key,
                        &idem.request_hash,
                        &CLAIMED,
                        &ts(now),
                    ],
                )?;
                if inserted == 1 {
                    return Ok(None);
                }
                let Some(r) = tx.query_opt_cached(
                    "SELECT request_hash, status, body FROM idempotency
                     WHERE account_id = $1 AND key = $2 FOR UPDATE",
                    &[&idem.account_id, &idem.key],
                )?
                else {
                    continue;
                };
                if r.try_get::<_, i64>(1)? == CLAIMED {
                    return Ok(None);
                }
                return Ok(Some((r.try_get(0)?, stored_from(&r, 1)?)));
            }
            Err(ServiceError::Internal("idempotency key not claimed".into()))
        })
    }

    fn store(
        &self,
        idem: &Idempotency,
        resp: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            let n = tx.execute_cached(
                "UPDATE idempotency SET request_hash = $3, status = $4, body = $5, created_at = $6
                 WHERE account_id = $1 AND key = $2",
                &[
                    &idem.account_id,
                    &idem.key,
                    &idem.request_hash,
                    &i64::from(resp.status),
                    &resp.body,
                    &ts(now),
                ],
            )?;
            if n != 1 {
                return Err(ServiceError::Internal("idempotency key not claimed".into()));
            }
            Ok(())
        })
    }

    fn release(&self, idem: &Idempotency) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "DELETE FROM idempotency WHERE account_id = $1 AND key = $2 AND status = $3",
                &[&idem.account_id, &idem.key, &CLAIMED],
            )?;
            Ok(())
        })
    }
}

/// `idempotency::replayed` on PostgreSQL: the stored answer of `idem`'s key
/// for this same request, if any.
pub(crate) fn replayed(
    c: &mut impl r2d2_postgres::postgres::GenericClient,
    idem: &Idempotency,
) -> Result<Option<StoredResponse>, ServiceError> {
    c.query_opt_cached(
        "SELECT status, body FROM idempotency
         WHERE account_id = $1 AND key = $2 AND request_hash = $3 AND status <> $4",
        &[&idem.account_id, &idem.key, &idem.request_hash, &CLAIMED],
    )?
    .map(|r| stored_from(&r, 0))
    .transpose()
}
