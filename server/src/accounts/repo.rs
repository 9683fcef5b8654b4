//! Storage of accounts and sessions.

use crate::accounts::error::AccountsError;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::PartnerCategory;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::error::ServiceError;
use crate::platform::sql::new_id;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

pub use crate::accounts::rows::AccountRecord;

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// E-mail.
    pub email: String,
    /// PHC password hash.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Display name.
    pub display_name: String,
    /// Partner (partner staff).
    pub partner_id: Option<String>,
    /// Établissement (établissement staff).
    pub establishment_id: Option<String>,
}

/// Storage of accounts and sessions.
pub trait AccountsRepo: Send + Sync + 'static {
    /// Account by e-mail.
    fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, ServiceError>;
    /// Creates a session.
    fn create_session(
        &self,
        token_hash: String,
        account_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Resolves a session.
    fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, ServiceError>;
    /// Ends a session.
    fn delete_session(&self, token_hash: String) -> Result<(), ServiceError>;
    /// The account a known device token (its SHA-256) belongs to.
    fn known_device(&self, token_hash: &str) -> Result<Option<String>, ServiceError>;
    /// Remembers (or touches) a known device of an account.
    fn remember_device(
        &self,
        token_hash: String,
        account_id: String,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// In one write job: a new youth account waiting for confirmation with
    /// its verification token, or nothing if the address is taken.
    #[allow(clippy::too_many_arguments)]
    fn register_account(
        &self,
        email: &str,
        password_hash: &str,
        display_name: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        partner: Option<(String, PartnerCategory)>,
    ) -> Result<crate::accounts::model::Registered, ServiceError>;
    /// Uses a verification token (once, before it expires): confirms the
    /// address and returns it.
    fn consume_verification(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError>;
    /// In one write job: a reset token for the confirmed account of
    /// `email`, if there is one (whether there is one or not, the same job
    /// runs). Returns whether a token was made.
    fn create_reset_token(
        &self,
        email: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError>;
    /// Uses a reset token (once, before it expires): sets the password hash,
    /// ends every session of the account; returns the account id.
    fn consume_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError>;
    /// The password hash of an account.
    fn password_hash_of(&self, account_id: &str) -> Result<Option<String>, ServiceError>;
    /// Sets an account's password hash and ends its other sessions (all but
    /// `keep`, the caller's).
    fn set_password(
        &self,
        account_id: &str,
        password_hash: &str,
        keep: &str,
    ) -> Result<(), ServiceError>;
    /// Ends an account's sessions but `keep`; returns how many.
    fn end_other_sessions(&self, account_id: &str, keep: &str) -> Result<usize, ServiceError>;
    /// Whether some account has this role (a region's first start).
    fn has_account_with_role(&self, role: Role) -> Result<bool, ServiceError>;
    /// Creates an account (demo data, partner sign-up); a partner account
    /// is a manager of its partner.
    fn create_account(&self, account: NewAccount) -> Result<String, ServiceError>;
    /// Deletes expired sessions and idempotency records older than `keep`
    /// (a client retries within minutes; a month is generous).
    fn prune(&self, now: DateTime<Utc>, keep: Duration) -> Result<usize, ServiceError>;
}

impl AccountsRepo for SqliteStore {
    fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, ServiceError> {
        let email = email.trim().to_owned();
        self.db.read(move |c| {
            c.one(
                "SELECT a.id, a.email, a.role, a.display_name, a.partner_id, p.category,
                        a.establishment_id, a.password_hash, a.email_verified_at IS NOT NULL,
                        a.partner_role, a.establishment_role, a.region_role
                 FROM accounts a LEFT JOIN partners p ON p.id = a.partner_id
                 WHERE a.email = ?1 AND a.removed_at IS NULL",
                [email],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, bool>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                    ))
                },
            )
            .optional()?
            .map(crate::accounts::rows::account_record)
            .transpose()
        })
    }

    fn create_session(
        &self,
        token_hash: String,
        account_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.db.write(move |c| {
            c.exec(
                "INSERT INTO sessions (token_hash, account_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, account_id, ts(expires_at)],
            )?;
            Ok(())
        })
    }

    fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, ServiceError> {
        self.db.read(|c| {
            let row = c
                .query_row(
                    "SELECT a.id, a.role, a.partner_id, p.category, p.status, a.establishment_id,
                     p.suspended_at IS NOT NULL, p.convention_ends_on, p.terminates_on,
                     a.partner_role, a.establishment_role, a.region_role
                     FROM sessions s JOIN accounts a ON a.id = s.account_id
                     LEFT JOIN partners p ON p.id = a.partner_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.removed_at IS NULL",
                    params![token_hash, ts(now)],
                    |r| {
                        Ok((
                            (
                                r.get::<_, String>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, Option<String>>(2)?,
                                r.get::<_, Option<String>>(3)?,
                                r.get::<_, Option<String>>(4)?,
                                r.get::<_, Option<String>>(5)?,
                            ),
                            (
                                r.get::<_, Option<bool>>(6)?,
                                r.get::<_, Option<String>>(7)?,
                                r.get::<_, Option<String>>(8)?,
                                r.get::<_, Option<String>>(9)?,
                                r.get::<_, Option<String>>(10)?,
                                r.get::<_, Option<String>>(11)?,
                            ),
                        ))
                    },
                )
                .optional()?;
            row.map(|row| crate::accounts::rows::principal(row, now))
                .transpose()
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
    ) -> Result<crate::accounts::model::Registered, ServiceError> {
        use crate::accounts::model::Registered;
        let (email, hash, name, token) = (
            email.to_owned(),
            password_hash.to_owned(),
            display_name.to_owned(),
            token_hash.to_owned(),
        );
        self.db.write(move |c| {
            // Staff accounts (an invitation not yet accepted, a removed
            // member) are taken as well: a registration never takes them over.
            let found: Option<(String, bool)> = c
                .one(
                    "SELECT id, email_verified_at IS NOT NULL OR role <> 'youth' OR removed_at IS NOT NULL
                     FROM accounts WHERE email = ?1",
                    [&email],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let id = match found {
                Some((_, true)) => return Ok(Registered::Existing),
                // Still unconfirmed: a new link, carrying this registration's
                // password (the account's stays unusable until a link is used).
                Some((id, false)) => id,
                None => {
                    let id = new_id();
                    match &partner {
                        None => {
                            c.exec(
                                "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
                                 VALUES (?1, ?2, ?3, 'youth', ?4, ?5)",
                                params![id, email, hash, name, ts(now)],
                            )?;
                        }
                        // A draft structure, pinned in Lyon until placed on the map.
                        Some((structure, category)) => {
                            let pid = new_id();
                            c.exec(
                                "INSERT INTO partners (id, name, category, address, city, postal_code,
                                 latitude, longitude, status, created_at, contact_name)
                                 VALUES (?1, ?2, ?3, '', '', '', 45.7640, 4.8357, 'pending', ?4, ?5)",
                                params![pid, structure, category.code(), ts(now), name],
                            )?;
                            c.exec(
                                "INSERT INTO accounts (id, email, password_hash, role, display_name,
                                 partner_id, created_at, partner_role)
                                 VALUES (?1, ?2, ?3, 'partner', ?4, ?5, ?6, 'manager')",
                                params![id, email, hash, name, pid, ts(now)],
                            )?;
                        }
                    }
                    id
                }
            };
            c.exec(
                "INSERT INTO email_tokens (token_hash, account_id, purpose, password_hash, display_name,
                 created_at, expires_at) VALUES (?1, ?2, 'verification', ?3, ?4, ?5, ?6)",
                params![token, id, hash, name, ts(now), ts(expires_at)],
            )?;
            Ok(Registered::New)
        })
    }

    fn consume_verification(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        let token = token_hash.to_owned();
        self.db.write(move |c| {
            type Pending = (String, String, Option<String>, Option<String>, bool);
            let found: Option<Pending> = c
                .one(
                    "SELECT t.account_id, a.email, t.password_hash, t.display_name,
                            a.email_verified_at IS NOT NULL
                     FROM email_tokens t JOIN accounts a ON a.id = t.account_id
                     WHERE t.token_hash = ?1 AND t.purpose = 'verification'
                       AND t.used_at IS NULL AND t.expires_at > ?2",
                    params![token, ts(now)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            // A confirmed account takes no more links.
            let Some((account_id, email, hash, name, false)) = found else {
                return Ok(None);
            };
            if let (Some(hash), Some(name)) = (hash, name) {
                c.exec(
                    "UPDATE accounts SET password_hash = ?2, display_name = ?3 WHERE id = ?1",
                    params![account_id, hash, name],
                )?;
            }
            c.exec(
                "UPDATE email_tokens SET used_at = ?2 WHERE token_hash = ?1",
                params![token, ts(now)],
            )?;
            c.exec(
                "UPDATE accounts SET email_verified_at = ?2 WHERE id = ?1",
                params![account_id, ts(now)],
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
        let (email, token) = (email.to_owned(), token_hash.to_owned());
        self.db.write(move |c| {
            let n = c.exec(
                "INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at)
                 SELECT ?1, id, 'reinitialisation', ?2, ?3 FROM accounts
                 WHERE email = ?4 AND email_verified_at IS NOT NULL AND removed_at IS NULL",
                params![token, ts(now), ts(expires_at), email],
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
        let (token, hash) = (token_hash.to_owned(), password_hash.to_owned());
        self.db.write(move |c| {
            let account: Option<String> = c
                .one(
                    "SELECT account_id FROM email_tokens WHERE token_hash = ?1
                     AND purpose = 'reinitialisation' AND used_at IS NULL AND expires_at > ?2",
                    params![token, ts(now)],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(account) = account else {
                return Ok(None);
            };
            c.exec(
                "UPDATE email_tokens SET used_at = ?2 WHERE token_hash = ?1",
                params![token, ts(now)],
            )?;
            // Every other reset link of the account stops working too.
            c.exec(
                "UPDATE email_tokens SET used_at = ?2 WHERE account_id = ?1
                 AND purpose = 'reinitialisation' AND used_at IS NULL",
                params![account, ts(now)],
            )?;
            replace_password(c, &account, &hash, "")?;
            Ok(Some(account))
        })
    }

    fn password_hash_of(&self, account_id: &str) -> Result<Option<String>, ServiceError> {
        let id = account_id.to_owned();
        self.db.read(move |c| {
            Ok(c.one(
                "SELECT password_hash FROM accounts WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    fn set_password(
        &self,
        account_id: &str,
        password_hash: &str,
        keep: &str,
    ) -> Result<(), ServiceError> {
        let (id, hash, keep) = (
            account_id.to_owned(),
            password_hash.to_owned(),
            keep.to_owned(),
        );
        self.db
            .write(move |c| replace_password(c, &id, &hash, &keep))
    }

    fn end_other_sessions(&self, account_id: &str, keep: &str) -> Result<usize, ServiceError> {
        let (id, keep) = (account_id.to_owned(), keep.to_owned());
        self.db.write(move |c| end_sessions_but(c, &id, &keep))
    }

    fn has_account_with_role(&self, role: Role) -> Result<bool, ServiceError> {
        self.db.read(move |c| {
            Ok(c.one(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE role = ?1)",
                [role.code()],
                |r| r.get(0),
            )?)
        })
    }

    fn known_device(&self, token_hash: &str) -> Result<Option<String>, ServiceError> {
        let h = token_hash.to_owned();
        self.db.read(move |c| {
            Ok(c.one(
                "SELECT account_id FROM known_devices WHERE token_hash = ?1",
                [h],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    fn remember_device(
        &self,
        token_hash: String,
        account_id: String,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.db.write(move |c| {
            c.exec(
                "INSERT INTO known_devices (token_hash, account_id, created_at, last_used_at)
                 VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (token_hash) DO UPDATE SET last_used_at = excluded.last_used_at
                 WHERE known_devices.account_id = excluded.account_id",
                params![token_hash, account_id, ts(now)],
            )?;
            Ok(())
        })
    }

    fn delete_session(&self, token_hash: String) -> Result<(), ServiceError> {
        self.db.write(move |c| {
            c.exec("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
    }

    fn create_account(&self, a: NewAccount) -> Result<String, ServiceError> {
        self.db.write(move |c| {
            let id = new_id();
            let taken: bool = c
                .query_row(
                    "SELECT 1 FROM accounts WHERE email = ?1",
                    [&a.email],
                    |_| Ok(true),
                )
                .optional()?
                .unwrap_or(false);
            if taken {
                return Err(ServiceError::Accounts(AccountsError::EmailTaken));
            }
            // A partner's first account (demo, setup) is its manager; an
            // établissement's, its head; the Region's, an administrator.
            c.exec(
                "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
                 establishment_id, created_at, email_verified_at, partner_role, establishment_role,
                 region_role)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, CASE WHEN ?4 = 'partner' THEN 'manager' END,
                 CASE WHEN ?4 = 'establishment' THEN 'head' END,
                 CASE WHEN ?4 = 'region' THEN 'admin' END)",
                params![
                    id,
                    a.email,
                    a.password_hash,
                    a.role.code(),
                    a.display_name,
                    a.partner_id,
                    a.establishment_id,
                    ts(Utc::now())
                ],
            )?;
            Ok(id)
        })
    }

    fn prune(&self, now: DateTime<Utc>, keep: Duration) -> Result<usize, ServiceError> {
        self.db.write(move |c| {
            let sessions = c.exec("DELETE FROM sessions WHERE expires_at < ?1", [ts(now)])?;
            let keys = c.exec(
                "DELETE FROM idempotency WHERE created_at < ?1",
                [ts(now - keep)],
            )?;
            // Birth-date guards of numbers not tried for a while (and not locked).
            let guards = c.exec(
                "DELETE FROM number_guards WHERE updated_at < ?1
                 AND (locked_until IS NULL OR locked_until < ?2)",
                [ts(now - keep), ts(now)],
            )?;
            // Devices not seen for a year.
            let devices = c.exec(
                "DELETE FROM known_devices WHERE last_used_at < ?1",
                [ts(now - Duration::days(365))],
            )?;
            Ok(sessions + keys + guards + devices)
        })
    }
}

/// Sets an account's password hash and ends its sessions but `keep` (none
/// when `keep` is empty), in the caller's transaction.
fn replace_password(
    c: &rusqlite::Connection,
    account_id: &str,
    hash: &str,
    keep: &str,
) -> Result<(), ServiceError> {
    c.exec(
        "UPDATE accounts SET password_hash = ?2 WHERE id = ?1",
        params![account_id, hash],
    )?;
    end_sessions_but(c, account_id, keep)?;
    Ok(())
}

/// Ends an account's sessions but `keep` (all when `keep` is empty).
fn end_sessions_but(
    c: &rusqlite::Connection,
    account_id: &str,
    keep: &str,
) -> Result<usize, ServiceError> {
    Ok(c.exec(
        "DELETE FROM sessions WHERE account_id = ?1 AND token_hash <> ?2",
        params![account_id, keep],
    )?)
}
