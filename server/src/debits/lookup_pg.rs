//! Card look-ups on PostgreSQL (ADR 0036): the SQL of `debits::lookup::CardLookupTx` and of `debits::qr::CredentialState`, for several instances on one database; the rules stay in `debits::lookup` and `debits::qr`.

use chrono::DateTime;
use chrono::Utc;

use crate::debits::card::CARD_COLS;
use crate::debits::card::CardRow;
use crate::debits::lookup::CardLookupTx;
use crate::debits::lookup::NumberGuard;
use crate::debits::repo_pg::card_from;
use crate::debits::repo_pg::lock_card;
use crate::error::ServiceError;
use crate::platform::pg_cache::CachedQueries;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

fn lockouts(v: i64) -> Result<u32, ServiceError> {
    u32::try_from(v).map_err(|_| ServiceError::Internal("bad lockouts".into()))
}

impl CardLookupTx for PgTx<'_, '_> {
    /// The card's row locked until the end of the transaction: the card a
    /// debit then moves (its balance head, ADR 0036 decision 5), read again
    /// after whoever held it.
    fn card_by_id(&self, id: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| lock_card(tx, id))
    }

    /// Locked as [`Self::card_by_id`].
    fn card_by_number(&self, number: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| {
            tx.query_opt_cached(
                &format!("SELECT {CARD_COLS} FROM cards WHERE number = $1 FOR UPDATE"),
                &[&number],
            )?
            .as_ref()
            .map(card_from)
            .transpose()
        })
    }

    fn card_of_retired_number(&self, number: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| {
            tx.query_opt_cached(
                &format!(
                    "SELECT {CARD_COLS} FROM cards WHERE id =
                     (SELECT card_id FROM retired_card_numbers WHERE number = $1)"
                ),
                &[&number],
            )?
            .as_ref()
            .map(card_from)
            .transpose()
        })
    }

    /// Serialises, across instances, the look-ups of one number (real or
    /// not, so with no card row to lock): a transaction-scoped advisory lock
    /// on its hash, then the guard's row locked. Two wrong birth dates at
    /// the same instant on two instances count twice, never once. A printed
    /// code's look-up (`card_locked`) already holds its card's row lock,
    /// which a typed look-up of that card's number takes before this
    /// advisory lock (`card_by_number`): the advisory lock is skipped.
    fn guard(&self, number_hash: &str, card_locked: bool) -> Result<NumberGuard, ServiceError> {
        self.with(|tx| {
            if !card_locked {
                tx.execute_cached(
                    "SELECT pg_advisory_xact_lock(hashtextextended('number:' || $1, 0))",
                    &[&number_hash],
                )?;
            }
            let Some(r) = tx.query_opt_cached(
                "SELECT failed_attempts, locked_until, lockouts FROM number_guards
                 WHERE number_hash = $1 FOR UPDATE",
                &[&number_hash],
            )?
            else {
                return Ok(NumberGuard::default());
            };
            let locked_until: Option<String> = r.try_get(1)?;
            Ok(NumberGuard {
                failed_attempts: r.try_get(0)?,
                locked_until: locked_until.as_deref().map(parse_ts).transpose()?,
                lockouts: lockouts(r.try_get(2)?)?,
            })
        })
    }

    fn set_guard(
        &self,
        number_hash: &str,
        g: &NumberGuard,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO number_guards (number_hash, failed_attempts, locked_until, lockouts,
                 updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (number_hash) DO UPDATE SET failed_attempts = excluded.failed_attempts,
                 locked_until = excluded.locked_until, lockouts = excluded.lockouts,
                 updated_at = excluded.updated_at",
                &[
                    &number_hash,
                    &g.failed_attempts,
                    &g.locked_until.map(ts),
                    &i64::from(g.lockouts),
                    &ts(now),
                ],
            )?;
            Ok(())
        })
    }

    fn record_lockout(
        &self,
        number_hash: &str,
        card_id: Option<&str>,
        g: &NumberGuard,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO number_lockouts (number_hash, card_id, locked_at, locked_until, lockout)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &number_hash,
                    &card_id,
                    &ts(now),
                    &ts(g.locked_until.unwrap_or(now)),
                    &i64::from(g.lockouts),
                ],
            )?;
            Ok(())
        })
    }
}

impl crate::debits::qr::CredentialState for PgStore {
    fn credential_usable(&self, credential_id: &str) -> Result<bool, ServiceError> {
        self.pool.read_one(|c| {
            Ok(c.query_opt_cached(
                "SELECT revoked_at IS NULL FROM app_credentials WHERE id = $1",
                &[&credential_id],
            )?
            .map(|r| r.try_get::<_, bool>(0))
            .transpose()?
            .unwrap_or(false))
        })
    }
}
