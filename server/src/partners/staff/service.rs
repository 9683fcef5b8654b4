//! The rules of a partner's staff and devices inside the writer: who may
//! be invited (a new address, or the structure's own pending or removed
//! member), the single use of an invitation, whose member or device may be
//! removed or revoked. Storage goes through the SQL-only [`StaffTx`] trait,
//! implemented for SQLite in `staff/repo.rs`.

use chrono::{DateTime, Utc};
use passregion_core::api::staff::{DeviceView, StaffInvitation, StaffMember};
use passregion_core::status::PartnerRole;

use crate::accounts::error::AccountsError;
use crate::error::ServiceError;
use crate::platform::sql::new_id;

pub use crate::accounts::invitation::INVITATION_VALIDITY;

/// A checked invitation, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The inviting partner.
    pub partner_id: String,
    /// The invitee's e-mail, normalised.
    pub email: String,
    /// The invitee's name.
    pub display_name: String,
    /// Their role.
    pub role: PartnerRole,
    /// The hash of a random password nobody knows (the account cannot log
    /// in before the invitation is accepted, and a login attempt costs the
    /// same as for any account).
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
pub struct ExistingAccount {
    /// Its id.
    pub id: String,
    /// Its partner (partner staff).
    pub partner_id: Option<String>,
    /// Its address is confirmed (an accepted invitation, or any other account).
    pub confirmed: bool,
    /// It was removed from its partner's staff.
    pub removed: bool,
}

/// The storage of staff and devices inside the writer's transaction. SQL
/// only, no rule; the SQLite implementation is in `staff/repo.rs`.
pub(crate) trait StaffTx {
    /// The account of an e-mail, removed or not.
    fn account_by_email(&self, email: &str) -> Result<Option<ExistingAccount>, ServiceError>;
    /// Inserts the account of a new invitation.
    fn insert_invited(&self, id: &str, inv: &NewInvitation) -> Result<(), ServiceError>;
    /// Makes an existing account of the partner invited again (name, role,
    /// placeholder password, address unconfirmed, not removed).
    fn reset_invited(&self, id: &str, inv: &NewInvitation) -> Result<(), ServiceError>;
    /// Marks every unused e-mail token of an account used.
    fn void_tokens(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Stores the invitation's token.
    fn insert_invitation(&self, account_id: &str, inv: &NewInvitation) -> Result<(), ServiceError>;
    /// A partner's name.
    fn partner_name(&self, partner_id: &str) -> Result<String, ServiceError>;
    /// A member of a partner's staff (not removed).
    fn member(
        &self,
        partner_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffMember>, ServiceError>;
    /// The account of an invitation token that is unused, unexpired, and
    /// whose account is still invited (not removed).
    fn invitation_account(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, ServiceError>;
    /// Sets the account's password and confirms its address.
    fn activate(
        &self,
        account_id: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Marks an account removed and deletes its sessions.
    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// A device of a partner.
    fn device(&self, partner_id: &str, device_id: &str)
    -> Result<Option<DeviceView>, ServiceError>;
    /// Revokes a device (once: a later call keeps the first instant).
    fn revoke_device(&self, device_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
}

/// Checks an invitation's fields; returns the normalised e-mail and name.
pub(crate) fn check_invitation(req: &StaffInvitation) -> Result<(String, String), ServiceError> {
    crate::accounts::invitation::check_person(&req.email, &req.display_name)
}

/// Decides an invitation inside the writer: a new account, or the same
/// structure's pending (or removed) one invited again; any other account of
/// the address is refused. Returns the member and the partner's name.
pub(crate) fn invite_tx(
    tx: &dyn StaffTx,
    inv: &NewInvitation,
) -> Result<(StaffMember, String), ServiceError> {
    let id = match tx.account_by_email(&inv.email)? {
        None => {
            let id = new_id();
            tx.insert_invited(&id, inv)?;
            id
        }
        Some(a)
            if a.partner_id.as_deref() == Some(inv.partner_id.as_str())
                && (a.removed || !a.confirmed) =>
        {
            tx.reset_invited(&a.id, inv)?;
            a.id
        }
        Some(_) => return Err(ServiceError::Accounts(AccountsError::EmailTaken)),
    };
    tx.void_tokens(&id, inv.created_at)?;
    tx.insert_invitation(&id, inv)?;
    let member = tx
        .member(&inv.partner_id, &id, inv.created_at)?
        .ok_or_else(|| ServiceError::Internal("invited member not found".into()))?;
    Ok((member, tx.partner_name(&inv.partner_id)?))
}

/// Uses an invitation token inside the writer (once, before it expires).
pub(crate) fn accept_tx(
    tx: &dyn StaffTx,
    token_hash: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, ServiceError> {
    let Some((account_id, email)) = tx.invitation_account(token_hash, now)? else {
        return Ok(None);
    };
    tx.void_tokens(&account_id, now)?;
    tx.activate(&account_id, password_hash, now)?;
    Ok(Some(email))
}

/// Removes a member inside the writer: only one of the partner's.
pub(crate) fn remove_tx(
    tx: &dyn StaffTx,
    partner_id: &str,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if tx.member(partner_id, account_id, now)?.is_none() {
        return Err(ServiceError::NotFound("Membre de l'équipe"));
    }
    tx.void_tokens(account_id, now)?;
    tx.remove_member(account_id, now)
}

/// Revokes a device inside the writer: only one of the partner's.
pub(crate) fn revoke_tx(
    tx: &dyn StaffTx,
    partner_id: &str,
    device_id: &str,
    now: DateTime<Utc>,
) -> Result<DeviceView, ServiceError> {
    let found = tx.device(partner_id, device_id)?;
    match found {
        None => Err(ServiceError::NotFound("Appareil")),
        Some(d) if d.revoked_at.is_some() => Ok(d),
        Some(_) => {
            tx.revoke_device(device_id, now)?;
            tx.device(partner_id, device_id)?
                .ok_or_else(|| ServiceError::Internal("revoked device not found".into()))
        }
    }
}
