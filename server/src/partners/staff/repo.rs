//! Storage of a partner's staff and devices: the `StaffRepo` adapter over
//! the writer (decisions in `staff/service.rs`) and the SQL of `StaffTx`.

use chrono::{DateTime, Utc};
use passregion_core::api::staff::{DeviceView, StaffMember};
use passregion_core::status::{PartnerRole, StaffStatus};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ServiceError;
use crate::partners::staff::service::{self as staff, ExistingAccount, NewInvitation, StaffTx};
use crate::platform::db::Cached;
use crate::platform::sql::{parse_ts, ts};
use crate::platform::store::SqliteStore;

/// Storage of a partner's staff and devices.
pub trait StaffRepo: Send + Sync + 'static {
    /// In one write job: the invited account and its link's token. Returns
    /// the member and the partner's name.
    fn invite_staff(&self, inv: NewInvitation) -> Result<(StaffMember, String), ServiceError>;
    /// Uses an invitation token (once, before it expires): sets the password
    /// and confirms the address; returns the account's e-mail.
    fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError>;
    /// A partner's staff (not removed), oldest first.
    fn staff(&self, partner_id: &str, now: DateTime<Utc>)
    -> Result<Vec<StaffMember>, ServiceError>;
    /// Removes a member of a partner's staff (404 if not one of its own).
    fn remove_staff(
        &self,
        partner_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// A partner's enrolled devices, oldest first.
    fn devices(&self, partner_id: &str) -> Result<Vec<DeviceView>, ServiceError>;
    /// Revokes a device of a partner (404 if not one of its own).
    fn revoke_device(
        &self,
        partner_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<DeviceView, ServiceError>;
}

impl StaffRepo for SqliteStore {
    fn invite_staff(&self, inv: NewInvitation) -> Result<(StaffMember, String), ServiceError> {
        self.db.write(move |c| staff::invite_tx(c, &inv))
    }

    fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        let (token, hash) = (token_hash.to_owned(), password_hash.to_owned());
        self.db
            .write(move |c| staff::accept_tx(c, &token, &hash, now))
    }

    fn staff(
        &self,
        partner_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StaffMember>, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.read(move |c| members(c, &pid, None, now))
    }

    fn remove_staff(
        &self,
        partner_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let (pid, id) = (partner_id.to_owned(), account_id.to_owned());
        self.db.write(move |c| staff::remove_tx(c, &pid, &id, now))
    }

    fn devices(&self, partner_id: &str) -> Result<Vec<DeviceView>, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.read(move |c| devices_of(c, &pid, None))
    }

    fn revoke_device(
        &self,
        partner_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<DeviceView, ServiceError> {
        let (pid, id) = (partner_id.to_owned(), device_id.to_owned());
        self.db.write(move |c| staff::revoke_tx(c, &pid, &id, now))
    }
}

/// A partner's members (`?1`, not removed), or only `?2`, with their live
/// invitation at `?3`; managers first (a member without a role sorts
/// among them, on both engines).
pub(crate) const MEMBERS_SQL: &str =
    "SELECT a.id, a.display_name, CAST(a.email AS TEXT), a.partner_role,
        a.email_verified_at IS NOT NULL, a.created_at,
        (SELECT MAX(t.expires_at) FROM email_tokens t WHERE t.account_id = a.id
          AND t.purpose = 'invitation' AND t.used_at IS NULL AND t.expires_at > ?3)
 FROM accounts a
 WHERE a.partner_id = ?1 AND a.role = 'partner' AND a.removed_at IS NULL
   AND (a.id = ?2 OR ?2 IS NULL)
 ORDER BY COALESCE(a.partner_role = 'cashier', FALSE), a.created_at, a.id";

/// A partner's devices (`?1`), or only `?2`.
pub(crate) const DEVICES_SQL: &str = "SELECT d.id, d.label, a.display_name, d.created_at,
        (SELECT MAX(o.received_at) FROM offline_debits o WHERE o.device_id = d.id),
        d.revoked_at
 FROM partner_devices d JOIN accounts a ON a.id = d.account_id
 WHERE d.partner_id = ?1 AND (d.id = ?2 OR ?2 IS NULL)
 ORDER BY d.created_at, d.id";

/// A partner's members (not removed), or only `account_id`.
fn members(
    c: &Connection,
    partner_id: &str,
    account_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<StaffMember>, ServiceError> {
    let mut stmt = c.prepare_cached(MEMBERS_SQL)?;
    let rows = stmt.query_map(params![partner_id, account_id, ts(now)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(member_of(row?)?);
    }
    Ok(out)
}

/// A member from its row: id, name, e-mail, role, confirmed, created, the
/// newest live invitation's expiry.
pub(crate) type MemberRaw = (
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    Option<String>,
);

/// The member of a [`MemberRaw`] row.
pub(crate) fn member_of(
    (account_id, display_name, email, role, confirmed, created, expires): MemberRaw,
) -> Result<StaffMember, ServiceError> {
    let role = match role.as_deref() {
        // A partner account without a role may do what a cashier does.
        None => PartnerRole::Cashier,
        Some(r) => PartnerRole::parse(r)
            .ok_or_else(|| ServiceError::Internal("bad stored partner role".into()))?,
    };
    Ok(StaffMember {
        account_id,
        display_name,
        email,
        role,
        status: if confirmed {
            StaffStatus::Active
        } else {
            StaffStatus::Invited
        },
        invitation_expires_at: match (confirmed, expires) {
            (false, Some(e)) => Some(parse_ts(&e)?),
            _ => None,
        },
        created_at: parse_ts(&created)?,
    })
}

/// A partner's devices, or only `device_id`.
fn devices_of(
    c: &Connection,
    partner_id: &str,
    device_id: Option<&str>,
) -> Result<Vec<DeviceView>, ServiceError> {
    let mut stmt = c.prepare_cached(DEVICES_SQL)?;
    let rows = stmt.query_map(params![partner_id, device_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(device_of(row?)?);
    }
    Ok(out)
}

/// A device from its row: id, label, enrolled by, enrolled at, last push,
/// revoked at.
pub(crate) type DeviceRaw = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The device of a [`DeviceRaw`] row.
pub(crate) fn device_of(
    (id, label, enrolled_by, created, pushed, revoked): DeviceRaw,
) -> Result<DeviceView, ServiceError> {
    Ok(DeviceView {
        id,
        label,
        enrolled_by,
        enrolled_at: parse_ts(&created)?,
        last_push_at: pushed.as_deref().map(parse_ts).transpose()?,
        revoked_at: revoked.as_deref().map(parse_ts).transpose()?,
    })
}

impl StaffTx for Connection {
    fn account_by_email(&self, email: &str) -> Result<Option<ExistingAccount>, ServiceError> {
        Ok(self
            .one(
                "SELECT id, partner_id, email_verified_at IS NOT NULL, removed_at IS NOT NULL
                 FROM accounts WHERE email = ?1",
                [email],
                |r| {
                    Ok(ExistingAccount {
                        id: r.get(0)?,
                        partner_id: r.get(1)?,
                        confirmed: r.get(2)?,
                        removed: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn insert_invited(&self, id: &str, inv: &NewInvitation) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
             partner_role, created_at) VALUES (?1, ?2, ?3, 'partner', ?4, ?5, ?6, ?7)",
            params![
                id,
                inv.email,
                inv.placeholder_hash,
                inv.display_name,
                inv.partner_id,
                inv.role.as_str(),
                ts(inv.created_at)
            ],
        )?;
        Ok(())
    }

    fn reset_invited(&self, id: &str, inv: &NewInvitation) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET password_hash = ?2, display_name = ?3, partner_role = ?4,
             email_verified_at = NULL, removed_at = NULL WHERE id = ?1",
            params![
                id,
                inv.placeholder_hash,
                inv.display_name,
                inv.role.as_str()
            ],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = ?1", [id])?;
        Ok(())
    }

    fn void_tokens(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        crate::accounts::invitation::void_tokens(self, account_id, now)
    }

    fn insert_invitation(&self, account_id: &str, inv: &NewInvitation) -> Result<(), ServiceError> {
        crate::accounts::invitation::insert_token(
            self,
            account_id,
            &inv.token_hash,
            inv.created_at,
            inv.expires_at,
        )
    }

    fn partner_name(&self, partner_id: &str) -> Result<String, ServiceError> {
        Ok(self.one(
            "SELECT name FROM partners WHERE id = ?1",
            [partner_id],
            |r| r.get(0),
        )?)
    }

    fn member(
        &self,
        partner_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffMember>, ServiceError> {
        Ok(members(self, partner_id, Some(account_id), now)?
            .into_iter()
            .next())
    }

    fn invitation_account(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, ServiceError> {
        Ok(self
            .one(
                "SELECT a.id, a.email FROM email_tokens t JOIN accounts a ON a.id = t.account_id
                 WHERE t.token_hash = ?1 AND t.purpose = 'invitation' AND t.used_at IS NULL
                   AND t.expires_at > ?2 AND a.removed_at IS NULL AND a.email_verified_at IS NULL",
                params![token_hash, ts(now)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn activate(
        &self,
        account_id: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET password_hash = ?2, email_verified_at = ?3 WHERE id = ?1",
            params![account_id, password_hash, ts(now)],
        )?;
        Ok(())
    }

    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET removed_at = ?2 WHERE id = ?1",
            params![account_id, ts(now)],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = ?1", [account_id])?;
        Ok(())
    }

    fn device(
        &self,
        partner_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceView>, ServiceError> {
        Ok(devices_of(self, partner_id, Some(device_id))?
            .into_iter()
            .next())
    }

    fn revoke_device(&self, device_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partner_devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![device_id, ts(now)],
        )?;
        Ok(())
    }
}
