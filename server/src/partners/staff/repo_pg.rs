//! A partner's staff and devices on PostgreSQL (ADR 0036): the SQL of `partners::staff::repo` in PostgreSQL's dialect; the decisions stay in `staff/service.rs`, the rows' mapping in `staff::repo`. An invitation takes the address's lock (the one of account creation), an invitation link is claimed under its row lock: used once across instances.

use chrono::{DateTime, Utc};
use passregion_core::api::staff::{DeviceView, StaffMember};
use r2d2_postgres::postgres::Transaction;

use crate::error::ServiceError;
use crate::partners::repo_pg::pg_sql;
use crate::partners::staff::repo::{DEVICES_SQL, MEMBERS_SQL, StaffRepo, device_of, member_of};
use crate::partners::staff::service::{self as staff, ExistingAccount, NewInvitation, StaffTx};
use crate::platform::pg::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

fn members(
    tx: &mut Transaction<'_>,
    partner_id: &str,
    account_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<StaffMember>, ServiceError> {
    tx.query(&pg_sql(MEMBERS_SQL), &[&partner_id, &account_id, &ts(now)])?
        .iter()
        .map(|r| {
            member_of((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
            ))
        })
        .collect()
}

fn devices_of(
    tx: &mut Transaction<'_>,
    partner_id: &str,
    device_id: Option<&str>,
) -> Result<Vec<DeviceView>, ServiceError> {
    tx.query(&pg_sql(DEVICES_SQL), &[&partner_id, &device_id])?
        .iter()
        .map(|r| {
            device_of((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            ))
        })
        .collect()
}

impl StaffTx for PgTx<'_, '_> {
    fn account_by_email(&self, email: &str) -> Result<Option<ExistingAccount>, ServiceError> {
        self.with(|tx| {
            // Two instances inviting one address (or registering it): the
            // second finds the first's account.
            crate::accounts::repo_pg::lock_email(tx, email)?;
            tx.query_opt(
                "SELECT id, partner_id, email_verified_at IS NOT NULL, removed_at IS NOT NULL
                 FROM accounts WHERE email = $1",
                &[&email],
            )?
            .map(|r| {
                Ok(ExistingAccount {
                    id: r.try_get(0)?,
                    partner_id: r.try_get(1)?,
                    confirmed: r.try_get(2)?,
                    removed: r.try_get(3)?,
                })
            })
            .transpose()
        })
    }

    fn insert_invited(&self, id: &str, inv: &NewInvitation) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
             partner_role, created_at) VALUES ($1, $2, $3, 'partner', $4, $5, $6, $7)",
            &[
                &id,
                &inv.email,
                &inv.placeholder_hash,
                &inv.display_name,
                &inv.partner_id,
                &inv.role.as_str(),
                &ts(inv.created_at),
            ],
        )
    }

    fn reset_invited(&self, id: &str, inv: &NewInvitation) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET password_hash = $2, display_name = $3, partner_role = $4,
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

    fn insert_invitation(&self, account_id: &str, inv: &NewInvitation) -> Result<(), ServiceError> {
        crate::accounts::invitation_pg::insert_token(
            self,
            account_id,
            &inv.token_hash,
            inv.created_at,
            inv.expires_at,
        )
    }

    fn partner_name(&self, partner_id: &str) -> Result<String, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one("SELECT name FROM partners WHERE id = $1", &[&partner_id])?
                .try_get(0)?)
        })
    }

    fn member(
        &self,
        partner_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffMember>, ServiceError> {
        self.with(|tx| {
            Ok(members(tx, partner_id, Some(account_id), now)?
                .into_iter()
                .next())
        })
    }

    fn invitation_account(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, ServiceError> {
        self.with(|tx| {
            // The link's row locked: a second use waits, then finds it used.
            tx.query_opt(
                "SELECT a.id, a.email::text FROM email_tokens t JOIN accounts a ON a.id = t.account_id
                 WHERE t.token_hash = $1 AND t.purpose = 'invitation' AND t.used_at IS NULL
                   AND t.expires_at > $2 AND a.removed_at IS NULL AND a.email_verified_at IS NULL
                 FOR UPDATE OF t",
                &[&token_hash, &ts(now)],
            )?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
        })
    }

    fn activate(
        &self,
        account_id: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET password_hash = $2, email_verified_at = $3 WHERE id = $1",
            &[&account_id, &password_hash, &ts(now)],
        )
    }

    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET removed_at = $2 WHERE id = $1",
            &[&account_id, &ts(now)],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = $1", &[&account_id])
    }

    fn device(
        &self,
        partner_id: &str,
        device_id: &str,
    ) -> Result<Option<DeviceView>, ServiceError> {
        self.with(|tx| {
            Ok(devices_of(tx, partner_id, Some(device_id))?
                .into_iter()
                .next())
        })
    }

    fn revoke_device(&self, device_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partner_devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&device_id, &ts(now)],
        )
    }
}

impl StaffRepo for PgStore {
    fn invite_staff(&self, inv: NewInvitation) -> Result<(StaffMember, String), ServiceError> {
        self.pool.write(|tx| staff::invite_tx(&PgTx::new(tx), &inv))
    }

    fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        self.pool
            .write(|tx| staff::accept_tx(&PgTx::new(tx), token_hash, password_hash, now))
    }

    fn staff(
        &self,
        partner_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StaffMember>, ServiceError> {
        self.pool.read(|tx| members(tx, partner_id, None, now))
    }

    fn remove_staff(
        &self,
        partner_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.pool
            .write(|tx| staff::remove_tx(&PgTx::new(tx), partner_id, account_id, now))
    }

    fn devices(&self, partner_id: &str) -> Result<Vec<DeviceView>, ServiceError> {
        self.pool.read(|tx| devices_of(tx, partner_id, None))
    }

    fn revoke_device(
        &self,
        partner_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<DeviceView, ServiceError> {
        self.pool
            .write(|tx| staff::revoke_tx(&PgTx::new(tx), partner_id, device_id, now))
    }
}
