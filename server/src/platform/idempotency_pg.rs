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

impl IdempotencyTx for PgTx<'_, '_> {
    /// Takes a transaction-scoped advisory lock on (account, key) first:
    /// two first attempts with one key (on two instances) run one after the
    /// other, and the second, reading after the first committed (READ
    /// COMMITTED: a new snapshot per statement), finds its answer.
    fn claim(&self, idem: &Idempotency) -> Result<Option<(String, StoredResponse)>, ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "SELECT pg_advisory_xact_lock(hashtextextended('idempotency:' || $1 || ':' || $2, 0))",
                &[&idem.account_id, &idem.key],
            )?;
            tx.query_opt_cached(
                "SELECT request_hash, status, body FROM idempotency
                 WHERE account_id = $1 AND key = $2",
                &[&idem.account_id, &idem.key],
            )?
            .map(|r| Ok((r.try_get(0)?, stored_from(&r, 1)?)))
            .transpose()
        })
    }

    fn store(
        &self,
        idem: &Idempotency,
        resp: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO idempotency (account_id, key, request_hash, status, body, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &idem.account_id,
                    &idem.key,
                    &idem.request_hash,
                    &i64::from(resp.status),
                    &resp.body,
                    &ts(now),
                ],
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
         WHERE account_id = $1 AND key = $2 AND request_hash = $3",
        &[&idem.account_id, &idem.key, &idem.request_hash],
    )?
    .map(|r| stored_from(&r, 0))
    .transpose()
}
