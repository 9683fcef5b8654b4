//! Bank-details changes on PostgreSQL (ADR 0036): the SQL of `partners::bank::repo` in PostgreSQL's dialect; the rules stay in `partners::bank`. Every write locks the partner's row first: one open change per partner, and the code's attempts bounded, across instances.

use chrono::{DateTime, Utc};
use passregion_core::status::BankChangeDecisionStatus;
use r2d2_postgres::postgres::Transaction;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::partners::bank::repo::{BankChangeRaw, BankRepo, SELECT};
use crate::partners::bank::{self, BankChangeRow, BankTx, NewChange};
use crate::partners::model::{BankChange, BankChangeDecision, BankChangeRequest};
use crate::partners::repo_pg::lock_partner;
use crate::platform::pg::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

fn rows(
    tx: &mut Transaction<'_>,
    clause: &str,
    arg: &str,
) -> Result<Vec<BankChangeRow>, ServiceError> {
    tx.query(
        &format!("{SELECT} WHERE {clause} ORDER BY c.created_at DESC, c.id DESC LIMIT 500"),
        &[&arg],
    )?
    .iter()
    .map(|r| {
        BankChangeRaw {
            id: r.try_get(0)?,
            partner_id: r.try_get(1)?,
            partner_name: r.try_get(2)?,
            iban: r.try_get(3)?,
            bic: r.try_get(4)?,
            current_iban: r.try_get(5)?,
            phone: r.try_get(6)?,
            code_hash: r.try_get(7)?,
            code_expires_at: r.try_get(8)?,
            attempts: r.try_get(9)?,
            created_at: r.try_get(10)?,
            confirmed_at: r.try_get(11)?,
            decision: r.try_get(12)?,
            reason: r.try_get(13)?,
        }
        .into_row()
    })
    .collect()
}

impl BankTx for PgTx<'_, '_> {
    fn open_change(&self, partner_id: &str) -> Result<Option<BankChangeRow>, ServiceError> {
        self.with(|tx| {
            Ok(
                rows(tx, "c.partner_id = $1 AND c.decision IS NULL", partner_id)?
                    .into_iter()
                    .next(),
            )
        })
    }

    fn change(&self, id: &str) -> Result<Option<BankChangeRow>, ServiceError> {
        self.with(|tx| Ok(rows(tx, "c.id = $1", id)?.into_iter().next()))
    }

    fn insert_change(&self, c: &NewChange) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO bank_change_requests (id, partner_id, requested_by, iban, bic, code_hash,
             code_expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &c.id,
                &c.partner_id,
                &c.account_id,
                &c.iban,
                &c.bic,
                &c.code_hash,
                &ts(c.code_expires_at),
                &ts(c.created_at),
            ],
        )
    }

    fn count_change_attempt(&self, id: &str) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE bank_change_requests SET attempts = attempts + 1 WHERE id = $1",
            &[&id],
        )
    }

    fn confirm_change(&self, c: &BankChangeRow, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE bank_change_requests SET confirmed_at = $2 WHERE id = $1",
            &[&c.id, &ts(now)],
        )?;
        self.exec(
            "UPDATE partners SET bank_details_pending_since = $2 WHERE id = $1",
            &[&c.partner_id, &ts(now)],
        )
    }

    fn decide_change(
        &self,
        c: &BankChangeRow,
        decision: BankChangeDecisionStatus,
        reason: Option<&str>,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec("UPDATE bank_change_requests SET decision = $2, reason = $3, decided_by = $4, decided_at = $5
             WHERE id = $1 AND decision IS NULL",
            &[&c.id, &decision.as_str(), &reason, &by, &ts(now)],
        )?;
        if decision == BankChangeDecisionStatus::Approved {
            self.exec(
                "UPDATE partners SET iban = $2, bic = $3 WHERE id = $1",
                &[&c.partner_id, &c.iban, &c.bic],
            )?;
        }
        if decision != BankChangeDecisionStatus::Replaced {
            self.exec(
                "UPDATE partners SET bank_details_pending_since = NULL WHERE id = $1",
                &[&c.partner_id],
            )?;
        }
        Ok(())
    }

    fn changes_to_decide(&self) -> Result<Vec<BankChangeRow>, ServiceError> {
        self.with(|tx| {
            rows(
                tx,
                "c.decision IS NULL AND c.confirmed_at IS NOT NULL AND $1 = ''",
                "",
            )
        })
    }
}

impl BankRepo for PgStore {
    fn request_bank_change(
        &self,
        who: &Principal,
        req: BankChangeRequest,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, String), ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        self.pool.write(|tx| {
            lock_partner(tx, &pid)?;
            bank::request(&PgTx::new(tx), &pid, &who.account_id, &req, code, now)
        })
    }

    fn confirm_bank_change(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<BankChange, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        self.pool.write_outcome(|tx| {
            lock_partner(tx, &pid)?;
            bank::confirm(&PgTx::new(tx), &pid, code, now)
        })
    }

    fn my_bank_changes(&self, who: &Principal) -> Result<Vec<BankChange>, ServiceError> {
        let pid = crate::accounts::own_partner(who)?;
        self.pool.read(|tx| {
            Ok(rows(tx, "c.partner_id = $1", &pid)?
                .iter()
                .map(|r| r.view(false))
                .collect())
        })
    }

    fn bank_changes_to_decide(&self) -> Result<Vec<BankChange>, ServiceError> {
        self.pool.read(|tx| {
            Ok(PgTx::new(tx)
                .changes_to_decide()?
                .iter()
                .map(|r| r.view(true))
                .collect())
        })
    }

    fn decide_bank_change(
        &self,
        id: &str,
        d: BankChangeDecision,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(BankChange, String), ServiceError> {
        self.pool.write(|tx| {
            // The change's partner: its row is what every write of its
            // changes locks.
            tx.execute(
                "SELECT 1 FROM partners p JOIN bank_change_requests c ON c.partner_id = p.id
                 WHERE c.id = $1 FOR UPDATE OF p",
                &[&id],
            )?;
            bank::decide(&PgTx::new(tx), id, &d, by, now)
        })
    }

    fn payouts_held(&self, partner_id: &str) -> Result<bool, ServiceError> {
        self.pool.read(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT bank_details_pending_since IS NOT NULL FROM partners WHERE id = $1",
                    &[&partner_id],
                )?
                .map(|r| r.try_get::<_, bool>(0))
                .transpose()?
                .unwrap_or(false))
        })
    }
}
