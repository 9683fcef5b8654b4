//! Who is logging in: the password check with its failure budgets, the same
//! work whether the account exists or not.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::accounts::error::AccountsError;
use crate::accounts::model::AccountView;
use crate::accounts::password::{PasswordWork, burn_time, verify_password};
use crate::accounts::repo::AccountsRepo;
use crate::error::ServiceError;
use crate::platform::run_blocking;
use crate::platform::sql::sha256_hex;
use crate::web::limits::Budgets;

/// Who logged in, and the device token to give back.
#[derive(Debug)]
pub struct Authenticated {
    /// The account.
    pub account: AccountView,
    /// This device's token for the account (the one sent, or a new one).
    pub device_token: String,
}

/// Checks an e-mail and password. The attempt is counted against the
/// account's and the source address's budgets before the slow work (parallel
/// attempts cannot pass together) and given back on success; an answer that
/// says nothing about the password (work shed, storage down) is given back
/// too. A wrong password and an unknown e-mail cost the same and answer the
/// same (`identifiants_invalides`).
///
/// A device that logged in to this account before sends its token: its
/// attempts count against a budget of its own instead of the account's, so
/// an attacker who spends the account's budget (30 wrong passwords) does not
/// lock the owner out of a known device. The source address's budget applies
/// to both.
#[allow(clippy::too_many_arguments)]
pub async fn authenticate(
    store: Arc<dyn AccountsRepo>,
    passwords: &PasswordWork,
    budgets: &Budgets,
    email: &str,
    password: String,
    device_token: Option<&str>,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Authenticated, ServiceError> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || password.len() > 1024 {
        return Err(ServiceError::Accounts(AccountsError::BadLogin));
    }
    let device_hash = device_token
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .map(|t| sha256_hex(t.as_bytes()));
    let lookup = {
        let (store, email, device_hash) = (store.clone(), email.clone(), device_hash.clone());
        run_blocking(move || {
            let record = store.account_by_email(&email)?;
            let device_of = match &device_hash {
                Some(h) => store.known_device(h)?,
                None => None,
            };
            Ok((record, device_of))
        })
        .await?
    };
    let (record, device_of) = lookup;
    let known = match (&record, &device_hash, device_of) {
        (Some(r), Some(h), Some(owner)) if owner == r.view.id => Some(h.clone()),
        _ => None,
    };
    let ip_key = format!("login-ip:{source}");
    let mail_key = match &known {
        Some(h) => format!("login-device:{h}"),
        None => format!("login-mail:{}", sha256_hex(email.as_bytes())),
    };
    if !budgets.reserve(&mail_key, &ip_key, now) {
        return Err(ServiceError::TooManyAttempts);
    }
    let checked = async {
        passwords
            .run(move || match record {
                Some(r) if verify_password(&password, &r.password_hash) => {
                    Some((r.view, r.email_verified))
                }
                Some(_) => None,
                None => {
                    burn_time(&password);
                    None
                }
            })
            .await
    }
    .await;
    match checked {
        Ok(Some((_, false))) => {
            budgets.release(&mail_key, &ip_key, now);
            Err(ServiceError::Accounts(AccountsError::EmailNotVerified))
        }
        Ok(Some((account, true))) => {
            budgets.release(&mail_key, &ip_key, now);
            // A known device keeps its token; another gets a new one.
            let token = match known {
                Some(_) => device_token.unwrap_or_default().to_owned(),
                None => crate::accounts::password::new_token(),
            };
            let (hash, id) = (sha256_hex(token.as_bytes()), account.id.clone());
            run_blocking(move || store.remember_device(hash, id, now)).await?;
            Ok(Authenticated {
                account,
                device_token: token,
            })
        }
        // The reserved attempt stays counted as a failure.
        Ok(None) => Err(ServiceError::Accounts(AccountsError::BadLogin)),
        Err(e) => {
            budgets.release(&mail_key, &ip_key, now);
            Err(e)
        }
    }
}
