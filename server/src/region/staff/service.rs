//! The rules of the Region's staff inside the writer: who may be invited (a
//! new address, or a pending or removed agent of the Region), and that the
//! Region always keeps an active administrator. Storage goes through the
//! SQL-only [`RegionStaffTx`], implemented in `staff/repo.rs`; what a
//! request does (hash, token, mail, session cache) is in `staff/mod.rs`.

use chrono::{DateTime, Utc};
use passregion_core::api::region_staff::RegionStaffMember;
use passregion_core::status::{RegionRole, StaffStatus};

use crate::accounts::error::AccountsError;
use crate::error::ServiceError;
use crate::platform::sql::new_id;
use crate::region::error::RegionError;

/// A checked invitation to the Region's staff, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewRegionInvitation {
    /// The invitee's e-mail, normalised.
    pub email: String,
    /// The invitee's name.
    pub display_name: String,
    /// Their role.
    pub role: RegionRole,
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
    /// It is a Region account.
    pub(crate) region: bool,
    /// Its address is confirmed.
    pub(crate) confirmed: bool,
    /// It was removed from the staff.
    pub(crate) removed: bool,
}

/// The storage of the Region's staff inside the writer. SQL only.
pub(crate) trait RegionStaffTx {
    /// The account of an e-mail, removed or not.
    fn known_account(&self, email: &str) -> Result<Option<KnownAccount>, ServiceError>;
    /// Inserts the account of a new invitation.
    fn insert_invited(&self, id: &str, inv: &NewRegionInvitation) -> Result<(), ServiceError>;
    /// Makes an existing Region account invited again (name, role,
    /// placeholder password, address unconfirmed, not removed, no session).
    fn reset_invited(&self, id: &str, inv: &NewRegionInvitation) -> Result<(), ServiceError>;
    /// Marks every unused e-mail token of an account used.
    fn void_tokens(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Stores the invitation's token.
    fn insert_token(&self, account_id: &str, inv: &NewRegionInvitation)
    -> Result<(), ServiceError>;
    /// An agent of the Region (not removed).
    fn member(
        &self,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<RegionStaffMember>, ServiceError>;
    /// How many active administrators (address confirmed, not removed)
    /// the Region has besides `account_id`.
    fn other_active_admins(&self, account_id: &str) -> Result<i64, ServiceError>;
    /// Sets an agent's role and deletes its sessions.
    fn set_role(&self, account_id: &str, role: RegionRole) -> Result<(), ServiceError>;
    /// Marks an account removed and deletes its sessions.
    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
}

/// Decides an invitation inside the writer: a new account, or a pending (or
/// removed) Region account invited again; an address with any other
/// account is refused (409 `email_deja_utilise`).
pub(crate) fn invite_tx(
    tx: &dyn RegionStaffTx,
    inv: &NewRegionInvitation,
) -> Result<RegionStaffMember, ServiceError> {
    let id = match tx.known_account(&inv.email)? {
        None => {
            let id = new_id();
            tx.insert_invited(&id, inv)?;
            id
        }
        Some(a) if a.region && (a.removed || !a.confirmed) => {
            tx.reset_invited(&a.id, inv)?;
            a.id
        }
        Some(_) => return Err(ServiceError::Accounts(AccountsError::EmailTaken)),
    };
    tx.void_tokens(&id, inv.created_at)?;
    tx.insert_token(&id, inv)?;
    tx.member(&id, inv.created_at)?
        .ok_or_else(|| ServiceError::Internal("invited agent not found".into()))
}

/// The agent `account_id`, unless losing its administration would leave
/// the Region without an active administrator (409
/// `dernier_administrateur`).
fn keeping_an_admin(
    tx: &dyn RegionStaffTx,
    account_id: &str,
    new_role: Option<RegionRole>,
    now: DateTime<Utc>,
) -> Result<RegionStaffMember, ServiceError> {
    let member = tx
        .member(account_id, now)?
        .ok_or(ServiceError::NotFound("Agent de la Région"))?;
    let loses_admin = member.role == RegionRole::Admin && new_role != Some(RegionRole::Admin);
    if loses_admin
        && member.status == StaffStatus::Active
        && tx.other_active_admins(account_id)? == 0
    {
        return Err(RegionError::LastAdmin.into());
    }
    Ok(member)
}

/// Changes an agent's role inside the writer; its sessions end (the new
/// role applies at its next login). The same role changes nothing.
pub(crate) fn change_role_tx(
    tx: &dyn RegionStaffTx,
    account_id: &str,
    role: RegionRole,
    now: DateTime<Utc>,
) -> Result<RegionStaffMember, ServiceError> {
    let member = keeping_an_admin(tx, account_id, Some(role), now)?;
    if member.role == role {
        return Ok(member);
    }
    tx.set_role(account_id, role)?;
    Ok(RegionStaffMember { role, ..member })
}

/// Removes an agent inside the writer: its links are void, its sessions end.
pub(crate) fn remove_tx(
    tx: &dyn RegionStaffTx,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    keeping_an_admin(tx, account_id, None, now)?;
    tx.void_tokens(account_id, now)?;
    tx.remove_member(account_id, now)
}
