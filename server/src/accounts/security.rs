//! One's own account security: change the password (the current one is
//! checked, with the login's failure budgets), end one's other sessions.
//! Both end every other session at once (database and session cache).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::accounts::error::AccountsError;
use crate::accounts::model::{ChangePasswordRequest, Notice, Principal};
use crate::accounts::password::{PasswordWork, hash_password, verify_password};
use crate::accounts::repo::AccountsRepo;
use crate::accounts::session_cache::SessionCache;
use crate::error::ServiceError;
use crate::platform::run_blocking;
use crate::web::limits::Budgets;

/// What an account-security request needs from the server.
pub struct Security<'a> {
    /// Storage.
    pub store: Arc<dyn AccountsRepo>,
    /// Password hashing workers.
    pub passwords: &'a PasswordWork,
    /// Failure budgets (the same as the login's).
    pub budgets: &'a Budgets,
    /// The session cache.
    pub sessions: &'a SessionCache,
}

/// Changes the caller's password; `session` is the caller's own session
/// (kept), `source` its address (budget).
pub async fn change_password(
    s: Security<'_>,
    who: &Principal,
    session: &str,
    source: &str,
    req: ChangePasswordRequest,
    now: DateTime<Utc>,
) -> Result<Notice, ServiceError> {
    let n = req.new_password.chars().count();
    if !(8..=200).contains(&n) {
        return Err(ServiceError::Invalid {
            field: "new_password",
            message: "Le mot de passe doit comporter de 8 à 200 caractères.".into(),
        });
    }
    if req.current_password.len() > 1024 {
        return Err(ServiceError::Accounts(AccountsError::BadLogin));
    }
    let (account_key, source_key) = (
        format!("password-change:{}", who.account_id),
        format!("login-ip:{source}"),
    );
    if !s.budgets.reserve(&account_key, &source_key, now) {
        return Err(ServiceError::TooManyAttempts);
    }
    let id = who.account_id.clone();
    let store = s.store.clone();
    let current = run_blocking(move || store.password_hash_of(&id)).await?;
    let (old, new) = (req.current_password, req.new_password);
    let checked = s
        .passwords
        .run(move || match current {
            Some(h) if verify_password(&old, &h) => Some(hash_password(&new)),
            _ => None,
        })
        .await?;
    let hash = match checked {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(ServiceError::Internal(e.to_string())),
        // The reserved attempt stays counted as a failure.
        None => return Err(ServiceError::Accounts(AccountsError::BadLogin)),
    };
    s.budgets.release(&account_key, &source_key, now);
    let (store, id, keep) = (s.store.clone(), who.account_id.clone(), session.to_owned());
    run_blocking(move || store.set_password(&id, &hash, &keep)).await?;
    s.sessions.remove_account(&who.account_id);
    Ok(Notice {
        message: "Mot de passe changé. Vos autres sessions sont fermées.".into(),
    })
}

/// Ends the caller's other sessions (a phone lost, a shared computer).
pub async fn end_other_sessions(
    store: Arc<dyn AccountsRepo>,
    sessions: &SessionCache,
    who: &Principal,
    session: &str,
) -> Result<usize, ServiceError> {
    let (id, keep) = (who.account_id.clone(), session.to_owned());
    let n = run_blocking(move || store.end_other_sessions(&id, &keep)).await?;
    sessions.remove_account(&who.account_id);
    Ok(n)
}
