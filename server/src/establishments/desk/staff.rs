//! The rules of an établissement's staff inside the writer: who may be
//! invited (a new address, or the établissement's own pending or removed
//! member), whose member may be removed. Storage goes through the SQL-only
//! [`EstablishmentStaffTx`], implemented in `desk/repo.rs`; what a request
//! does (hash, token, mail, session cache) is in `desk/mod.rs`.

use chrono::{DateTime, Utc};
use passregion_core::api::desk::EstablishmentStaffMember;
use passregion_core::status::EstablishmentRole;

use crate::accounts::error::AccountsError;
use crate::error::ServiceError;
use crate::platform::sql::new_id;

/// A checked invitation to an établissement, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewStaffInvitation {
    /// The inviting head's établissement.
    pub establishment_id: String,
    /// The invitee's e-mail, normalised.
    pub email: String,
    /// The invitee's name.
    pub display_name: String,
    /// Their role.
    pub role: EstablishmentRole,
    /// The hash of a random password nobody knows.
    pub placeholder_hash: String,
    /// SHA-256 of the link's token.
    pub token_hash: String,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// An account found by its e-mail, as an invitation sees it.
#[derive(Debug, Clone)]
pub(crate) struct KnownAccount {
    pub(crate) id: String,
    /// Its établissement (établissement staff).
    pub(crate) establishment_id: Option<String>,
    /// Its address is confirmed.
    pub(crate) confirmed: bool,
    /// It was removed from its staff.
    pub(crate) removed: bool,
}

/// The storage of an établissement's staff inside the writer. SQL only.
pub(crate) trait EstablishmentStaffTx {
    /// The account of an e-mail, removed or not.
    fn known_account(&self, email: &str) -> Result<Option<KnownAccount>, ServiceError>;
    /// Inserts the account of a new invitation.
    fn insert_invited(&self, id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError>;
    /// Makes an existing account of the établissement invited again (name,
    /// role, placeholder password, address unconfirmed, not removed, no
    /// session).
    fn reset_invited(&self, id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError>;
    /// Marks every unused e-mail token of an account used.
    fn void_tokens(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Stores the invitation's token.
    fn insert_token(&self, account_id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError>;
    /// An établissement's name.
    fn establishment_name(&self, id: &str) -> Result<String, ServiceError>;
    /// A member of an établissement's staff (not removed).
    fn member(
        &self,
        establishment_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<EstablishmentStaffMember>, ServiceError>;
    /// Marks an account removed and deletes its sessions.
    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
}

/// Decides an invitation inside the writer: a new account, or the same
/// établissement's pending (or removed) one invited again; an address with
/// any other account is refused (409 `email_deja_utilise`). Returns the
/// member and the établissement's name.
pub(crate) fn invite_tx(
    tx: &dyn EstablishmentStaffTx,
    inv: &NewStaffInvitation,
) -> Result<(EstablishmentStaffMember, String), ServiceError> {
    // An établissement that does not exist (the Region's id) is 404.
    let name = tx.establishment_name(&inv.establishment_id)?;
    let id = match tx.known_account(&inv.email)? {
        None => {
            let id = new_id();
            tx.insert_invited(&id, inv)?;
            id
        }
        Some(a)
            if a.establishment_id.as_deref() == Some(inv.establishment_id.as_str())
                && (a.removed || !a.confirmed) =>
        {
            tx.reset_invited(&a.id, inv)?;
            a.id
        }
        Some(_) => return Err(ServiceError::Accounts(AccountsError::EmailTaken)),
    };
    tx.void_tokens(&id, inv.created_at)?;
    tx.insert_token(&id, inv)?;
    let member = tx
        .member(&inv.establishment_id, &id, inv.created_at)?
        .ok_or_else(|| ServiceError::Internal("invited member not found".into()))?;
    Ok((member, name))
}

/// Removes a member inside the writer: only one of the établissement's.
pub(crate) fn remove_tx(
    tx: &dyn EstablishmentStaffTx,
    establishment_id: &str,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if tx.member(establishment_id, account_id, now)?.is_none() {
        return Err(ServiceError::NotFound("Membre de l'équipe"));
    }
    tx.void_tokens(account_id, now)?;
    tx.remove_member(account_id, now)
}
