//! What every staff invitation shares (partners' and établissements'): the
//! person checked, the account's unusable placeholder password and the
//! link's single-use token (stored as SHA-256), valid
//! [`INVITATION_VALIDITY`].

use chrono::{DateTime, Duration, Utc};

use crate::accounts::password::{PasswordWork, hash_password, new_token};
use crate::error::ServiceError;
use crate::platform::sql::sha256_hex;

/// How long an invitation link works.
pub const INVITATION_VALIDITY: Duration = Duration::days(7);

/// Checks the invited person's e-mail and name; returns them normalised.
pub(crate) fn check_person(
    email: &str,
    display_name: &str,
) -> Result<(String, String), ServiceError> {
    let email = crate::accounts::check_email("email", email)?;
    let name = display_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field: "display_name",
            message: "Indiquez le nom de la personne (80 caractères au plus).".into(),
        });
    }
    Ok((email, name))
}

/// The secrets of a new invitation.
pub(crate) struct InvitationSecrets {
    /// The hash of a random password nobody knows (the account cannot log
    /// in before the link is used).
    pub(crate) placeholder_hash: String,
    /// The link's token (mailed, never stored).
    pub(crate) token: String,
    /// Its SHA-256 (stored).
    pub(crate) token_hash: String,
    /// When the link stops working.
    pub(crate) expires_at: DateTime<Utc>,
}

/// An invitation link's single-use token.
pub(crate) struct InvitationLink {
    /// The link's token (mailed, never stored).
    pub(crate) token: String,
    /// Its SHA-256 (stored).
    pub(crate) token_hash: String,
    /// When the link stops working.
    pub(crate) expires_at: DateTime<Utc>,
}

/// A new link's token, valid [`INVITATION_VALIDITY`] from `now`.
pub(crate) fn new_link(now: DateTime<Utc>) -> InvitationLink {
    let token = new_token();
    InvitationLink {
        token_hash: sha256_hex(token.as_bytes()),
        token,
        expires_at: now + INVITATION_VALIDITY,
    }
}

/// The hash of a random password nobody knows, hashed on the bounded
/// password workers (one may serve many accounts imported together: the
/// secret is forgotten at once).
pub(crate) async fn placeholder_hash(passwords: &PasswordWork) -> Result<String, ServiceError> {
    let secret = new_token();
    passwords
        .run(move || hash_password(&secret))
        .await?
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Makes an invitation's secrets (the placeholder hashed on the bounded
/// password workers).
pub(crate) async fn new_secrets(
    passwords: &PasswordWork,
    now: DateTime<Utc>,
) -> Result<InvitationSecrets, ServiceError> {
    let placeholder_hash = placeholder_hash(passwords).await?;
    let link = new_link(now);
    Ok(InvitationSecrets {
        placeholder_hash,
        token_hash: link.token_hash,
        token: link.token,
        expires_at: link.expires_at,
    })
}

/// Ends the unused links of an account (a new invitation replaces them).
pub(crate) fn void_tokens(
    c: &rusqlite::Connection,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use crate::platform::db::Cached;
    c.exec(
        "UPDATE email_tokens SET used_at = ?2 WHERE account_id = ?1 AND used_at IS NULL",
        rusqlite::params![account_id, crate::platform::sql::ts(now)],
    )?;
    Ok(())
}

/// Stores an invitation link (its hash) for an account.
pub(crate) fn insert_token(
    c: &rusqlite::Connection,
    account_id: &str,
    token_hash: &str,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), ServiceError> {
    use crate::platform::db::Cached;
    use crate::platform::sql::ts;
    c.exec(
        "INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at)
         VALUES (?1, ?2, 'invitation', ?3, ?4)",
        rusqlite::params![token_hash, account_id, ts(created_at), ts(expires_at)],
    )?;
    Ok(())
}
