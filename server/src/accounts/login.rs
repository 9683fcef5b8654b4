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

/// Checks an e-mail and password. The attempt is counted against the
/// account's and the source address's budgets before the slow work (parallel
/// attempts cannot pass together) and given back on success; an answer that
/// says nothing about the password (work shed, storage down) is given back
/// too. A wrong password and an unknown e-mail cost the same and answer the
/// same (`identifiants_invalides`).
#[allow(clippy::too_many_arguments)]
pub async fn authenticate(
    store: Arc<dyn AccountsRepo>,
    passwords: &PasswordWork,
    budgets: &Budgets,
    email: &str,
    password: String,
    source: &str,
    now: DateTime<Utc>,
) -> Result<AccountView, ServiceError> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || password.len() > 1024 {
        return Err(ServiceError::Accounts(AccountsError::BadLogin));
    }
    let ip_key = format!("login-ip:{source}");
    let mail_key = format!("login-mail:{}", sha256_hex(email.as_bytes()));
    if !budgets.reserve(&mail_key, &ip_key, now) {
        return Err(ServiceError::TooManyAttempts);
    }
    let checked = async {
        let record = run_blocking(move || store.account_by_email(&email)).await?;
        passwords
            .run(move || match record {
                Some(r) if verify_password(&password, &r.password_hash) => Some(r.view),
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
        Ok(Some(account)) => {
            budgets.release(&mail_key, &ip_key, now);
            Ok(account)
        }
        // The reserved attempt stays counted as a failure.
        Ok(None) => Err(ServiceError::Accounts(AccountsError::BadLogin)),
        Err(e) => {
            budgets.release(&mail_key, &ip_key, now);
            Err(e)
        }
    }
}
