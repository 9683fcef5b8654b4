//! The Region's staff on PostgreSQL (ADR 0036): the SQL of `staff/repo.rs`
//! in PostgreSQL's dialect; the rules stay in `staff/service.rs`, the rows'
//! SQL and mapping in `staff::repo`. Every write first takes one advisory
//! lock (`REGION_STAFF_LOCK`): SQLite's single writer made "the last
//! administrator is never removed or demoted" hold, and here two instances
//! removing the two last administrators at once run one after the other, the
//! second counting the administrators the first left. An invitation also
//! takes the address's lock (the one of account creation).

use chrono::{DateTime, Utc};
use passregion_core::api::region_staff::RegionStaffMember;
use passregion_core::status::RegionRole;
use r2d2_postgres::postgres::Transaction;

use crate::error::ServiceError;
use crate::partners::repo_pg::pg_sql;
use crate::platform::pg::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;
use crate::region::staff::repo::{MEMBERS_SQL, RegionStaffRepo, member_of};
use crate::region::staff::service::{self, KnownAccount, NewRegionInvitation, RegionStaffTx};

/// The advisory lock of the Region staff's writes (any fixed key, distinct
/// from the other fixed keys of the engine).
const REGION_STAFF_LOCK: i64 = 0x5052_5354_4146; // "PRSTAF"

/// Serialises the writes of the Region's staff across instances until the
/// end of the transaction.
fn lock_staff(tx: &mut Transaction<'_>) -> Result<(), ServiceError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&REGION_STAFF_LOCK])?;
    Ok(())
}

fn members(
    tx: &mut Transaction<'_>,
    account_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<RegionStaffMember>, ServiceError> {
    let mut out = Vec::new();
    for r in tx.query(&pg_sql(MEMBERS_SQL), &[&account_id, &ts(now)])? {
        out.extend(member_of((
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
            r.try_get(6)?,
        ))?);
    }
    Ok(out)
}

impl RegionStaffRepo for PgStore {
    fn invite_region_staff(
        &self,
        inv: NewRegionInvitation,
    ) -> Result<RegionStaffMember, ServiceError> {
        self.pool.write(|tx| {
            lock_staff(tx)?;
            service::invite_tx(&PgTx::new(tx), &inv)
        })
    }

    fn region_staff(&self, now: DateTime<Utc>) -> Result<Vec<RegionStaffMember>, ServiceError> {
        self.pool.read(|tx| members(tx, None, now))
    }

    fn change_region_role(
        &self,
        account_id: &str,
        role: RegionRole,
        now: DateTime<Utc>,
    ) -> Result<RegionStaffMember, ServiceError> {
        self.pool.write(|tx| {
            lock_staff(tx)?;
            service::change_role_tx(&PgTx::new(tx), account_id, role, now)
        })
    }

    fn remove_region_staff(
        &self,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            lock_staff(tx)?;
            service::remove_tx(&PgTx::new(tx), account_id, now)
        })
    }
}

impl RegionStaffTx for PgTx<'_, '_> {
    fn known_account(&self, email: &str) -> Result<Option<KnownAccount>, ServiceError> {
        self.with(|tx| {
            // An invitation and a registration of one address on two
            // instances: the second finds the first's account.
            crate::accounts::repo_pg::lock_email(tx, email)?;
            tx.query_opt(
                "SELECT id, role = 'region', email_verified_at IS NOT NULL, removed_at IS NOT NULL
                 FROM accounts WHERE email = $1",
                &[&email],
            )?
            .map(|r| {
                Ok(KnownAccount {
                    id: r.try_get(0)?,
                    region: r.try_get(1)?,
                    confirmed: r.try_get(2)?,
                    removed: r.try_get(3)?,
                })
            })
            .transpose()
        })
    }

    fn insert_invited(&self, id: &str, inv: &NewRegionInvitation) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, region_role,
             created_at) VALUES ($1, $2, $3, 'region', $4, $5, $6)",
            &[
                &id,
                &inv.email,
                &inv.placeholder_hash,
                &inv.display_name,
                &inv.role.as_str(),
                &ts(inv.created_at),
            ],
        )
    }

    fn reset_invited(&self, id: &str, inv: &NewRegionInvitation) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET password_hash = $2, display_name = $3, region_role = $4,
             email_verified_at = NULL, removed_at = NULL WHERE id = $1",
            &[
                &id,
                &inv.placeholder_hash,
                &inv.display_name,
                &inv.role.as_str(),
            ],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = $1", &[&id])
    }

    fn void_tokens(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        crate::accounts::invitation_pg::void_tokens(self, account_id, now)
    }

    fn insert_token(
        &self,
        account_id: &str,
        inv: &NewRegionInvitation,
    ) -> Result<(), ServiceError> {
        crate::accounts::invitation_pg::insert_token(
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
        self.with(|tx| Ok(members(tx, Some(account_id), now)?.into_iter().next()))
    }

    fn other_active_admins(&self, account_id: &str) -> Result<i64, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT COUNT(*) FROM accounts WHERE role = 'region' AND region_role = 'admin'
                     AND removed_at IS NULL AND email_verified_at IS NOT NULL AND id <> $1",
                    &[&account_id],
                )?
                .try_get(0)?)
        })
    }

    fn set_role(&self, account_id: &str, role: RegionRole) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET region_role = $2 WHERE id = $1",
            &[&account_id, &role.as_str()],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = $1", &[&account_id])
    }

    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET removed_at = $2 WHERE id = $1",
            &[&account_id, &ts(now)],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = $1", &[&account_id])
    }
}
