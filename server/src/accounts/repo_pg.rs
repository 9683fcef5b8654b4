//! Storage of accounts and sessions on PostgreSQL (ADR 0036): the SQL of `accounts::repo` in PostgreSQL's dialect; the rows mean the same (`accounts::rows`).

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::PartnerCategory;
use r2d2_postgres::postgres::Transaction;

use crate::accounts::error::AccountsError;
use crate::accounts::model::Principal;
use crate::accounts::model::Registered;
use crate::accounts::model::Role;
use crate::accounts::repo::AccountRecord;
use crate::accounts::repo::AccountsRepo;
use crate::accounts::repo::NewAccount;
use crate::error::ServiceError;
use crate::platform::pg_cache::CachedQueries;
use crate::platform::sql::new_id;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// Serialises, across instances, the transactions that create an account
/// for one address (case-insensitive, as the unique index): the second
/// finds the first's account instead of failing on the index.
pub(crate) fn lock_email(tx: &mut Transaction<'_>, email: &str) -> Result<(), ServiceError> {
    tx.execute_cached(
        "SELECT pg_advisory_xact_lock(hashtextextended('account:' || lower($1), 0))",
        &[&email],
    )?;
    Ok(())
}

impl AccountsRepo for PgStore {
    fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, ServiceError> {
        let email = email.trim();
        self.pool.read(|tx| {
            tx.query_opt_cached(
                "SELECT a.id, a.email::text, a.role, a.display_name, a.partner_id, p.category,
                        a.establishment_id, a.password_hash, a.email_verified_at IS NOT NULL,
                        a.partner_role, a.establishment_role, a.region_role
                 FROM accounts a LEFT JOIN partners p ON p.id = a.partner_id
                 WHERE a.email = $1 AND a.removed_at IS NULL",
                &[&email],
            )?
            .map(|r| {
                crate::accounts::rows::account_record((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                    r.try_get(6)?,
                    r.try_get(7)?,
                    r.try_get(8)?,
                    r.try_get(9)?,
                    r.try_get(10)?,
                    r.try_get(11)?,
                ))
            })
            .transpose()
        })
    }

    fn create_session(
        &self,
        token_hash: String,
        account_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            tx.execute_cached(
                "INSERT INTO sessions (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
                &[&token_hash, &account_id, &ts(expires_at)],
            )?;
            Ok(())
        })
    }

    fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, ServiceError> {
        // Every authenticated request: one statement, no transaction.
        self.pool.read_one(|c| {
            let Some(r) = c.query_opt_cached(
                "SELECT a.id, a.role, a.partner_id, p.category, p.status, a.establishment_id,
                 p.suspended_at IS NOT NULL, p.convention_ends_on, p.terminates_on,
                 a.partner_role, a.establishment_role, a.region_role
                 FROM sessions s JOIN accounts a ON a.id = s.account_id
                 LEFT JOIN partners p ON p.id = a.partner_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.removed_at IS NULL",
                &[&token_hash, &ts(now)],
            )?
            else {
                return Ok(None);
            };
            let row = (
                (
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                ),
                (
                    r.try_get(6)?,
                    r.try_get(7)?,
                    r.try_get(8)?,
                    r.try_get(9)?,
                    r.try_get(10)?,
                    r.try_get(11)?,
                ),
            );
            crate::accounts::rows::principal(row, now).map(Some)
        })
    }

    fn delete_session(&self, token_hash: String) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            tx.execute_cached("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])?;
            Ok(())
        })
    }

    fn known_device(&self, token_hash: &str) -> Result<Option<String>, ServiceError> {
        self.pool.read(|tx| {
            tx.query_opt_cached(
                "SELECT account_id FROM known_devices WHERE token_hash = $1",
                &[&token_hash],
            )?
            .map(|r| r.try_get(0).map_err(ServiceError::from))
            .transpose()
        })
    }

    fn remember_device(
        &self,
        token_hash: String,
        account_id: String,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            tx.execute_cached(
                "INSERT INTO known_devices (token_hash, account_id, created_at, last_used_at)
                 VALUES ($1, $2, $3, $3)
                 ON CONFLICT (token_hash) DO UPDATE SET last_used_at = excluded.last_used_at
                 WHERE known_devices.account_id = excluded.account_id",
                &[&token_hash, &account_id, &ts(now)],
            )?;
            Ok(())
        })
    }

    fn register_account(
        &self,
        email: &str,
        password_hash: &str,
        display_name: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        partner: Option<(String, PartnerCategory)>,
    ) -> Result<Registered, ServiceError> {
        self.pool.write(|tx| {
            lock_email(tx, email)?;
            // Staff accounts (an invitation not yet accepted, a removed
            // member) are taken as well: a registration never takes them over.
            let found = tx.query_opt_cached(
                "SELECT id, email_verified_at IS NOT NULL OR role <> 'youth' OR removed_at IS NOT NULL
                 FROM accounts WHERE email = $1",
                &[&email],
            )?;
            let id: String = match found {
                Some(r) if r.try_get::<_, bool>(1)? => return Ok(Registered::Existing),
                // Still unconfirmed: a new link, carrying this registration's
                // password (the account's stays unusable until a link is used).
                Some(r) => r.try_get(0)?,
                None => {
                    let id = new_id();
                    match &partner {
                        None => {
                            tx.execute_cached(
                                "INSERT INTO accounts (id, email, password_hash, role, display_name,
                                 created_at) VALUES ($1, $2, $3, 'youth', $4, $5)",
                                &[&id, &email, &password_hash, &display_name, &ts(now)],
                            )?;
                        }
                        // A draft structure, pinned in Lyon until placed on the map.
                        Some((structure, category)) => {
                            let pid = new_id();
                            tx.execute_cached(
                                "INSERT INTO partners (id, name, category, address, city, postal_code,
                                 latitude, longitude, status, created_at, contact_name)
                                 VALUES ($1, $2, $3, '', '', '', 45.7640, 4.8357, 'pending', $4, $5)",
                                &[&pid, structure, &category.code(), &ts(now), &display_name],
                            )?;
                            tx.execute_cached(
                                "INSERT INTO accounts (id, email, password_hash, role, display_name,
                                 partner_id, created_at, partner_role)
                                 VALUES ($1, $2, $3, 'partner', $4, $5, $6, 'manager')",
                                &[&id, &email, &password_hash, &display_name, &pid, &ts(now)],
                            )?;
                        }
                    }
                    id
                }
            };
            tx.execute_cached(
                "INSERT INTO email_tokens (token_hash, account_id, purpose, password_hash,
                 display_name, created_at, expires_at)
                 VALUES ($1, $2, 'verification', $3, $4, $5, $6)",
                &[
                    &token_hash,
                    &id,
                    &password_hash,
                    &display_name,
                    &ts(now),
                    &ts(expires_at),
                ],
            )?;
            Ok(Registered::New)
        })
    }

    fn consume_verification(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        self.pool.write(|tx| {
            // The token row is locked: two instances following one link
            // confirm once.
            let Some(r) = tx.query_opt_cached(
                "SELECT t.account_id, a.email::text, t.password_hash, t.display_name,
                        a.email_verified_at IS NOT NULL
                 FROM email_tokens t JOIN accounts a ON a.id = t.account_id
                 WHERE t.token_hash = $1 AND t.purpose = 'verification'
                   AND t.used_at IS NULL AND t.expires_at > $2
                 FOR UPDATE OF t, a",
                &[&token_hash, &ts(now)],
            )?
            else {
                return Ok(None);
            };
            // A confirmed account takes no more links.
            if r.try_get::<_, bool>(4)? {
                return Ok(None);
            }
            let (account_id, email): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            let hash: Option<String> = r.try_get(2)?;
            let name: Option<String> = r.try_get(3)?;
            if let (Some(hash), Some(name)) = (hash, name) {
                tx.execute_cached(
                    "UPDATE accounts SET password_hash = $2, display_name = $3 WHERE id = $1",
                    &[&account_id, &hash, &name],
                )?;
            }
            tx.execute_cached(
                "UPDATE email_tokens SET used_at = $2 WHERE token_hash = $1",
                &[&token_hash, &ts(now)],
            )?;
            tx.execute_cached(
                "UPDATE accounts SET email_verified_at = $2 WHERE id = $1",
                &[&account_id, &ts(now)],
            )?;
            Ok(Some(email))
        })
    }

    fn create_reset_token(
        &self,
        email: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        self.pool.write(|tx| {
            let n = tx.execute_cached(
                "INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at)
                 SELECT $1, id, 'reinitialisation', $2, $3 FROM accounts
                 WHERE email = $4 AND email_verified_at IS NOT NULL AND removed_at IS NULL",
                &[&token_hash, &ts(now), &ts(expires_at), &email],
            )?;
            Ok(n > 0)
        })
    }

    fn consume_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        self.pool.write(|tx| {
            // Locked: a link used on two instances at once sets one password.
            let Some(r) = tx.query_opt_cached(
                "SELECT account_id FROM email_tokens WHERE token_hash = $1
                 AND purpose = 'reinitialisation' AND used_at IS NULL AND expires_at > $2
                 FOR UPDATE",
                &[&token_hash, &ts(now)],
            )?
            else {
                return Ok(None);
            };
            let account: String = r.try_get(0)?;
            // This link and every other reset link of the account stop working.
            tx.execute_cached(
                "UPDATE email_tokens SET used_at = $2
                 WHERE (token_hash = $1 OR (account_id = $3 AND purpose = 'reinitialisation'))
                   AND used_at IS NULL",
                &[&token_hash, &ts(now), &account],
            )?;
            replace_password(tx, &account, password_hash, "")?;
            Ok(Some(account))
        })
    }

    fn password_hash_of(&self, account_id: &str) -> Result<Option<String>, ServiceError> {
        self.pool.read(|tx| {
            tx.query_opt_cached(
                "SELECT password_hash FROM accounts WHERE id = $1",
                &[&account_id],
            )?
            .map(|r| r.try_get(0).map_err(ServiceError::from))
            .transpose()
        })
    }

    fn set_password(
        &self,
        account_id: &str,
        password_hash: &str,
        keep: &str,
    ) -> Result<(), ServiceError> {
        self.pool
            .write(|tx| replace_password(tx, account_id, password_hash, keep))
    }

    fn end_other_sessions(&self, account_id: &str, keep: &str) -> Result<usize, ServiceError> {
        self.pool.write(|tx| end_sessions_but(tx, account_id, keep))
    }

    fn has_account_with_role(&self, role: Role) -> Result<bool, ServiceError> {
        self.pool.read(|tx| {
            Ok(tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM accounts WHERE role = $1)",
                    &[&role.code()],
                )?
                .try_get(0)?)
        })
    }

    fn create_account(&self, a: NewAccount) -> Result<String, ServiceError> {
        self.pool.write(|tx| {
            lock_email(tx, &a.email)?;
            let taken = tx
                .query_opt("SELECT 1 FROM accounts WHERE email = $1", &[&a.email])?
                .is_some();
            if taken {
                return Err(ServiceError::Accounts(AccountsError::EmailTaken));
            }
            let id = new_id();
            // A partner's first account (demo, setup) is its manager; an
            // établissement's, its head.
            tx.execute_cached(
                "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
                 establishment_id, created_at, email_verified_at, partner_role, establishment_role,
                 region_role)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8,
                 CASE WHEN $4 = 'partner' THEN 'manager' END,
                 CASE WHEN $4 = 'establishment' THEN 'head' END,
                 CASE WHEN $4 = 'region' THEN 'admin' END)",
                &[
                    &id,
                    &a.email,
                    &a.password_hash,
                    &a.role.code(),
                    &a.display_name,
                    &a.partner_id,
                    &a.establishment_id,
                    &ts(Utc::now()),
                ],
            )?;
            Ok(id)
        })
    }

    fn prune(&self, now: DateTime<Utc>, keep: Duration) -> Result<usize, ServiceError> {
        self.pool.write(|tx| {
            let sessions =
                tx.execute_cached("DELETE FROM sessions WHERE expires_at < $1", &[&ts(now)])?;
            let keys = tx.execute_cached(
                "DELETE FROM idempotency WHERE created_at < $1",
                &[&ts(now - keep)],
            )?;
            // Birth-date guards of numbers not tried for a while (and not locked).
            let guards = tx.execute_cached(
                "DELETE FROM number_guards WHERE updated_at < $1
                 AND (locked_until IS NULL OR locked_until < $2)",
                &[&ts(now - keep), &ts(now)],
            )?;
            // Devices not seen for a year.
            let devices = tx.execute_cached(
                "DELETE FROM known_devices WHERE last_used_at < $1",
                &[&ts(now - Duration::days(365))],
            )?;
            Ok(usize::try_from(sessions + keys + guards + devices).unwrap_or(usize::MAX))
        })
    }
}

/// Sets an account's password hash and ends its sessions but `keep` (none
/// when `keep` is empty), in the caller's transaction.
fn replace_password(
    tx: &mut Transaction<'_>,
    account_id: &str,
    hash: &str,
    keep: &str,
) -> Result<(), ServiceError> {
    tx.execute_cached(
        "UPDATE accounts SET password_hash = $2 WHERE id = $1",
        &[&account_id, &hash],
    )?;
    end_sessions_but(tx, account_id, keep)?;
    Ok(())
}

/// Ends an account's sessions but `keep` (all when `keep` is empty).
fn end_sessions_but(
    tx: &mut Transaction<'_>,
    account_id: &str,
    keep: &str,
) -> Result<usize, ServiceError> {
    let n = tx.execute_cached(
        "DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2",
        &[&account_id, &keep],
    )?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}
