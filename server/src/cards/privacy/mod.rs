//! Data protection (issue 16): the youth's export of her data (right of
//! access) and the retention rule run in the background: the personal data
//! of cards whose season ended more than `--retention-years` ago is
//! removed, the ledger and transactions kept under pseudonymous ids.

pub mod http;
pub mod pg;

use chrono::{DateTime, Utc};
use passregion_core::Season;
use rusqlite::{Connection, OptionalExtension, params};

use crate::cards::model::{ExportedAccount, ExportedAddress};
use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::sql::{parse_ts, ts};
use crate::platform::store::SqliteStore;

/// The data protection queries.
pub trait PrivacyRepo: Send + Sync + 'static {
    /// The account as exported.
    fn exported_account(&self, account_id: &str) -> Result<ExportedAccount, ServiceError>;
    /// The postal addresses given with the account's orders.
    fn exported_addresses(&self, account_id: &str) -> Result<Vec<ExportedAddress>, ServiceError>;
    /// Removes the personal data of youths whose last card's season ended
    /// before the season `years` before `now`'s; returns how many accounts.
    fn forget_expired_youths(&self, now: DateTime<Utc>, years: u32) -> Result<usize, ServiceError>;
}

impl PrivacyRepo for SqliteStore {
    fn exported_account(&self, account_id: &str) -> Result<ExportedAccount, ServiceError> {
        let id = account_id.to_owned();
        self.db.read(move |c| {
            let row: Option<(String, String, String)> = c
                .query_row(
                    "SELECT email, display_name, created_at FROM accounts WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let (email, display_name, at) = row.ok_or(ServiceError::NotFound("Compte"))?;
            Ok(ExportedAccount {
                email,
                display_name,
                created_at: parse_ts(&at)?,
            })
        })
    }

    fn exported_addresses(&self, account_id: &str) -> Result<Vec<ExportedAddress>, ServiceError> {
        let id = account_id.to_owned();
        self.db.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, address, postal_code, city FROM orders WHERE account_id = ?1 ORDER BY created_at",
            )?;
            let rows = stmt.query_map([&id], |r| {
                Ok(ExportedAddress {
                    order_id: r.get(0)?,
                    address: r.get(1)?,
                    postal_code: r.get(2)?,
                    city: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn forget_expired_youths(&self, now: DateTime<Utc>, years: u32) -> Result<usize, ServiceError> {
        let last_kept = last_kept_season(now, years);
        self.db.write(move |c| forget(c, last_kept, now))
    }
}

/// The first year of the oldest season whose youths keep their data:
/// `years` seasons before `now`'s.
pub(crate) fn last_kept_season(now: DateTime<Utc>, years: u32) -> i64 {
    let mut season = Season::of_instant(now);
    for _ in 0..years {
        season = season.previous();
    }
    i64::from(season.start_year())
}

/// Youth accounts whose every card is of a season before `last_kept` (and
/// not forgotten yet) lose their personal data: names, birth dates,
/// addresses, e-mail, password, sessions and credentials. Cards, ledger
/// rows and transactions stay, under the same (pseudonymous) ids.
fn forget(c: &Connection, last_kept: i64, now: DateTime<Utc>) -> Result<usize, ServiceError> {
    let ids: Vec<String> = {
        let mut stmt = c.prepare(
            "SELECT a.id FROM accounts a WHERE a.role = 'youth' AND a.forgotten_at IS NULL
             AND EXISTS (SELECT 1 FROM cards k WHERE k.account_id = a.id)
             AND NOT EXISTS (SELECT 1 FROM cards k WHERE k.account_id = a.id AND k.season >= ?1)
             AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.account_id = a.id AND o.season >= ?1)
             LIMIT 10000",
        )?;
        let rows = stmt.query_map([last_kept], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for id in &ids {
        c.exec(
            "UPDATE cards SET first_name = '—', last_name = '—', birth_date = '1900-01-01',
             status_reason = NULL WHERE account_id = ?1",
            [id],
        )?;
        c.exec(
            "UPDATE orders SET first_name = '—', last_name = '—', birth_date = '1900-01-01',
             address = '—', postal_code = '00000', city = '—', reason = NULL WHERE account_id = ?1",
            [id],
        )?;
        c.exec(
            "UPDATE accounts SET email = 'oublie-' || id || '@invalid', display_name = '—',
             password_hash = '!', forgotten_at = ?2 WHERE id = ?1",
            params![id, ts(now)],
        )?;
        c.exec("DELETE FROM sessions WHERE account_id = ?1", [id])?;
        c.exec("DELETE FROM email_tokens WHERE account_id = ?1", [id])?;
    }
    Ok(ids.len())
}
