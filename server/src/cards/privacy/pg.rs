//! Data protection on PostgreSQL (ADR 0036): the SQL of `privacy` in PostgreSQL's dialect. The retention job runs on one instance per tick (`pg_try_advisory_xact_lock`); each account is locked and checked again before it is forgotten, so an order placed meanwhile (its foreign key waits on the lock, or is seen after it) keeps the youth's data.

use chrono::DateTime;
use chrono::Utc;
use r2d2_postgres::postgres::Transaction;

use crate::cards::model::ExportedAccount;
use crate::cards::model::ExportedAddress;
use crate::cards::privacy::PrivacyRepo;
use crate::cards::privacy::last_kept_season;
use crate::cards::repo_pg::try_job_lock;
use crate::error::ServiceError;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// The advisory lock key of the retention job ("PRforg").
const RETENTION_LOCK: i64 = 0x5052_666f_7267;

/// A youth account whose every card and order is of a season before `$1`,
/// not forgotten yet.
const EXPIRED: &str = "a.role = 'youth' AND a.forgotten_at IS NULL
     AND EXISTS (SELECT 1 FROM cards k WHERE k.account_id = a.id)
     AND NOT EXISTS (SELECT 1 FROM cards k WHERE k.account_id = a.id AND k.season >= $1)
     AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.account_id = a.id AND o.season >= $1)";

impl PrivacyRepo for PgStore {
    fn exported_account(&self, account_id: &str) -> Result<ExportedAccount, ServiceError> {
        self.pool.read(|tx| {
            let row = tx
                .query_opt(
                    "SELECT email::text, display_name, created_at FROM accounts WHERE id = $1",
                    &[&account_id],
                )?
                .ok_or(ServiceError::NotFound("Compte"))?;
            Ok(ExportedAccount {
                email: row.try_get(0)?,
                display_name: row.try_get(1)?,
                created_at: parse_ts(&row.try_get::<_, String>(2)?)?,
            })
        })
    }

    fn exported_addresses(&self, account_id: &str) -> Result<Vec<ExportedAddress>, ServiceError> {
        self.pool.read(|tx| {
            tx.query(
                "SELECT id, address, postal_code, city FROM orders WHERE account_id = $1
                 ORDER BY created_at",
                &[&account_id],
            )?
            .iter()
            .map(|r| {
                Ok(ExportedAddress {
                    order_id: r.try_get(0)?,
                    address: r.try_get(1)?,
                    postal_code: r.try_get(2)?,
                    city: r.try_get(3)?,
                })
            })
            .collect()
        })
    }

    fn forget_expired_youths(&self, now: DateTime<Utc>, years: u32) -> Result<usize, ServiceError> {
        let last_kept = last_kept_season(now, years);
        self.pool.write(|tx| {
            if !try_job_lock(tx, RETENTION_LOCK)? {
                return Ok(0);
            }
            forget(tx, last_kept, now)
        })
    }
}

/// `privacy::forget` on PostgreSQL: names, birth dates, addresses, e-mail,
/// password, sessions and e-mail links removed; cards, ledger rows and
/// transactions kept under the same ids.
fn forget(
    tx: &mut Transaction<'_>,
    last_kept: i64,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let ids: Vec<String> = tx
        .query(
            &format!("SELECT a.id FROM accounts a WHERE {EXPIRED} ORDER BY a.id LIMIT 10000"),
            &[&last_kept],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    for id in &ids {
        // Locked, then checked again with what committed before the lock.
        tx.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", &[id])?;
        let still = tx
            .query_opt(
                &format!("SELECT 1 FROM accounts a WHERE a.id = $2 AND {EXPIRED}"),
                &[&last_kept, id],
            )?
            .is_some();
        if !still {
            continue;
        }
        tx.execute(
            "UPDATE cards SET first_name = '—', last_name = '—', birth_date = '1900-01-01',
             status_reason = NULL WHERE account_id = $1",
            &[id],
        )?;
        tx.execute(
            "UPDATE orders SET first_name = '—', last_name = '—', birth_date = '1900-01-01',
             address = '—', postal_code = '00000', city = '—', reason = NULL WHERE account_id = $1",
            &[id],
        )?;
        tx.execute(
            "UPDATE accounts SET email = 'oublie-' || id || '@invalid', display_name = '—',
             password_hash = '!', forgotten_at = $2 WHERE id = $1",
            &[id, &ts(now)],
        )?;
        tx.execute("DELETE FROM sessions WHERE account_id = $1", &[id])?;
        tx.execute("DELETE FROM email_tokens WHERE account_id = $1", &[id])?;
        n += 1;
    }
    Ok(n)
}
