//! Password reset by an e-mail link (issue 16): the answer is the same
//! whether the address has an account or not; the link is single use and
//! expires after an hour; using it changes the password and ends every
//! session of the account.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::error::AccountsError;
use crate::accounts::model::{Notice, PasswordResetConfirm, PasswordResetRequest};
use crate::accounts::password::{PasswordWork, hash_password, new_token};
use crate::accounts::repo::AccountsRepo;
use crate::accounts::session_cache::SessionCache;
use crate::error::ServiceError;
use crate::platform::mail::{Mail, Mailer};
use crate::platform::run_blocking;
use crate::platform::sql::sha256_hex;
use crate::web::limits::FailureWindow;

/// How long a reset link works.
pub const RESET_VALIDITY: Duration = Duration::hours(1);

/// The uniform answer to a reset request.
pub const RESET_MESSAGE: &str = "Si un compte existe avec cette adresse, un e-mail vient d'y être envoyé : suivez le lien qu'il contient (valable une heure) pour choisir un nouveau mot de passe.";

/// Sends a reset link if the address has a confirmed account (at most 3
/// mails per address a day); the answer and the work are the same otherwise.
pub async fn request_reset(
    store: Arc<dyn AccountsRepo>,
    mailer: Arc<dyn Mailer>,
    mails: &FailureWindow,
    public_url: &str,
    req: PasswordResetRequest,
    now: DateTime<Utc>,
) -> Result<Notice, ServiceError> {
    let email = req.email.trim().to_lowercase();
    crate::accounts::check_email("email", &email)?;
    let token = new_token();
    let hash = sha256_hex(token.as_bytes());
    let found = {
        let (store, email) = (store.clone(), email.clone());
        run_blocking(move || store.create_reset_token(&email, &hash, now + RESET_VALIDITY, now))
            .await?
    };
    if found {
        let mail = Mail {
            to: email,
            subject: "PASS'Région : choisir un nouveau mot de passe".into(),
            body: format!(
                "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure, une seule fois) :\n{}/#/reinitialiser?jeton={token}\n\nSi vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
                public_url.trim_end_matches('/')
            ),
        };
        crate::accounts::registration::send_limited(mailer, mails, "reset", mail, now).await;
    }
    Ok(Notice {
        message: RESET_MESSAGE.into(),
    })
}

/// Sets the new password with the link's token (once, before it expires) and
/// ends every session of the account.
pub async fn confirm_reset(
    store: Arc<dyn AccountsRepo>,
    passwords: &PasswordWork,
    sessions: &SessionCache,
    req: PasswordResetConfirm,
    now: DateTime<Utc>,
) -> Result<Notice, ServiceError> {
    let token = req.token.trim().to_owned();
    if token.is_empty() || token.len() > 128 {
        return Err(ServiceError::Accounts(AccountsError::BadEmailToken));
    }
    let n = req.password.chars().count();
    if !(8..=200).contains(&n) {
        return Err(ServiceError::Invalid {
            field: "password",
            message: "Le mot de passe doit comporter de 8 à 200 caractères.".into(),
        });
    }
    let password = req.password;
    let hash = passwords
        .run(move || hash_password(&password))
        .await?
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let token_hash = sha256_hex(token.as_bytes());
    let account = run_blocking(move || store.consume_reset(&token_hash, &hash, now))
        .await?
        .ok_or(ServiceError::Accounts(AccountsError::BadEmailToken))?;
    sessions.remove_account(&account);
    Ok(Notice {
        message: "Votre mot de passe a été changé. Connectez-vous avec le nouveau ; vos autres sessions sont fermées.".into(),
    })
}
