//! Storage of the Region's staff: the repository the requests call (each
//! write one writer job running the rules of `staff/service.rs`) and the
//! SQL of [`RegionStaffTx`].

use chrono::{DateTime, Utc};
use passregion_core::api::region_staff::RegionStaffMember;
use passregion_core::status::{RegionRole, StaffStatus};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::sql::{parse_ts, ts};
use crate::platform::store::SqliteStore;
use crate::region::staff::service::{self, KnownAccount, NewRegionInvitation, RegionStaffTx};

/// Storage of the Region's staff.
pub trait RegionStaffRepo: Send + Sync + 'static {
    /// In one write job: the invited account and its link's token.
    fn invite_region_staff(
        &self,
        inv: NewRegionInvitation,
    ) -> Result<RegionStaffMember, ServiceError>;
    /// The Region's agents (not removed), administrators first.
    fn region_staff(&self, now: DateTime<Utc>) -> Result<Vec<RegionStaffMember>, ServiceError>;
    /// Changes an agent's role (404 if not one; 409 for the last administrator).
    fn change_region_role(
        &self,
        account_id: &str,
        role: RegionRole,
        now: DateTime<Utc>,
    ) -> Result<RegionStaffMember, ServiceError>;
    /// Removes an agent (404 if not one; 409 for the last administrator).
    fn remove_region_staff(&self, account_id: &str, now: DateTime<Utc>)
    -> Result<(), ServiceError>;
}

impl RegionStaffRepo for SqliteStore {
    fn invite_region_staff(
        &self,
        inv: NewRegionInvitation,
    ) -> Result<RegionStaffMember, ServiceError> {
        self.db.write(move |c| service::invite_tx(c, &inv))
    }

    fn region_staff(&self, now: DateTime<Utc>) -> Result<Vec<RegionStaffMember>, ServiceError> {
        self.db.read(move |c| members(c, None, now))
    }

    fn change_region_role(
        &self,
        account_id: &str,
        role: RegionRole,
        now: DateTime<Utc>,
    ) -> Result<RegionStaffMember, ServiceError> {
        let id = account_id.to_owned();
        self.db
            .write(move |c| service::change_role_tx(c, &id, role, now))
    }

    fn remove_region_staff(
        &self,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let id = account_id.to_owned();
        self.db.write(move |c| service::remove_tx(c, &id, now))
    }
}

/// The Region's agents (not removed), or only `?1`; `?2` is now. The same
/// SQL on both engines (`staff/repo_pg.rs`).
pub(crate) const MEMBERS_SQL: &str =
    "SELECT a.id, a.display_name, CAST(a.email AS TEXT), a.region_role,
        a.email_verified_at IS NOT NULL, a.created_at,
        (SELECT MAX(t.expires_at) FROM email_tokens t WHERE t.account_id = a.id
          AND t.purpose = 'invitation' AND t.used_at IS NULL AND t.expires_at > ?2)
 FROM accounts a
 WHERE a.role = 'region' AND a.removed_at IS NULL AND (a.id = ?1 OR ?1 IS NULL)
 ORDER BY a.region_role <> 'admin', a.created_at, a.id";

/// A row of [`MEMBERS_SQL`]: id, name, e-mail, role, confirmed, created,
/// the pending invitation's expiry.
pub(crate) type MemberRow = (
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    Option<String>,
);

/// The agent of a row of [`MEMBERS_SQL`]; `None` for a Region account
/// without a role (it has no desk to manage).
pub(crate) fn member_of(row: MemberRow) -> Result<Option<RegionStaffMember>, ServiceError> {
    let (account_id, display_name, email, role, confirmed, created, expires) = row;
    let Some(role) = role.as_deref().and_then(RegionRole::parse) else {
        return Ok(None);
    };
    Ok(Some(RegionStaffMember {
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
    }))
}

/// The Region's agents (not removed), or only `account_id`.
fn members(
    c: &Connection,
    account_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<RegionStaffMember>, ServiceError> {
    let mut stmt = c.prepare_cached(MEMBERS_SQL)?;
    let rows = stmt.query_map(params![account_id, ts(now)], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(member_of(row?)?);
    }
    Ok(out)
}

impl RegionStaffTx for Connection {
    fn known_account(&self, email: &str) -> Result<Option<KnownAccount>, ServiceError> {
        Ok(self
            .one(
                "SELECT id, role = 'region', email_verified_at IS NOT NULL, removed_at IS NOT NULL
                 FROM accounts WHERE email = ?1",
                [email],
                |r| {
                    Ok(KnownAccount {
                        id: r.get(0)?,
                        region: r.get(1)?,
                        confirmed: r.get(2)?,
                        removed: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn insert_invited(&self, id: &str, inv: &NewRegionInvitation) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, region_role,
             created_at) VALUES (?1, ?2, ?3, 'region', ?4, ?5, ?6)",
            params![
                id,
                inv.email,
                inv.placeholder_hash,
                inv.display_name,
                inv.role.as_str(),
                ts(inv.created_at)
            ],
        )?;
        Ok(())
    }

    fn reset_invited(&self, id: &str, inv: &NewRegionInvitation) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET password_hash = ?2, display_name = ?3, region_role = ?4,
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

    fn insert_token(
        &self,
        account_id: &str,
        inv: &NewRegionInvitation,
    ) -> Result<(), ServiceError> {
        crate::accounts::invitation::insert_token(
            self,
            account_id,
            &inv.token_hash,
            inv.created_at,
            inv.expires_at,
        )
    }

    fn member(
        &self,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<RegionStaffMember>, ServiceError> {
        Ok(members(self, Some(account_id), now)?.into_iter().next())
    }

    fn other_active_admins(&self, account_id: &str) -> Result<i64, ServiceError> {
        Ok(self.one(
            "SELECT COUNT(*) FROM accounts WHERE role = 'region' AND region_role = 'admin'
             AND removed_at IS NULL AND email_verified_at IS NOT NULL AND id <> ?1",
            [account_id],
            |r| r.get(0),
        )?)
    }

    fn set_role(&self, account_id: &str, role: RegionRole) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET region_role = ?2 WHERE id = ?1",
            params![account_id, role.as_str()],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = ?1", [account_id])?;
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
}
