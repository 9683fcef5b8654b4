//! Storage of bons plans on PostgreSQL (ADR 0036): the SQL of `bons_plans::repo` in PostgreSQL's dialect; the rules stay in `bons_plans::service`, the row mapping in `repo::BonPlanRow`. A moderation or an edit locks the bon plan's row first: two moderators on two instances, one decides.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::status::BonPlanStatus;
use r2d2_postgres::postgres::Transaction;
use r2d2_postgres::postgres::types::ToSql;

use crate::accounts::model::Principal;
use crate::bons_plans::model::BonPlan;
use crate::bons_plans::model::BonPlanRequest;
use crate::bons_plans::model::ModerationRequest;
use crate::bons_plans::repo::BON_PLAN_SELECT;
use crate::bons_plans::repo::BonPlanRow;
use crate::bons_plans::repo::BonsPlansRepo;
use crate::bons_plans::repo::published_clause;
use crate::bons_plans::service;
use crate::bons_plans::service::BonsPlansTx;
use crate::bons_plans::service::NewBonPlan;
use crate::error::ServiceError;
use crate::platform::pg::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// Bons plans matching `clause` (SQLite's `?N` placeholders, written `$N`
/// here), newest first (at most 500).
fn bons_plans_where(
    tx: &mut Transaction<'_>,
    clause: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<BonPlan>, ServiceError> {
    let sql = format!("{BON_PLAN_SELECT} WHERE {clause} ORDER BY b.created_at DESC LIMIT 500")
        .replace('?', "$");
    tx.query(&sql, args)?
        .iter()
        .map(|r| {
            BonPlanRow {
                id: r.try_get(0)?,
                partner_id: r.try_get(1)?,
                partner_name: r.try_get(2)?,
                category: r.try_get(3)?,
                city: r.try_get(4)?,
                title: r.try_get(5)?,
                description: r.try_get(6)?,
                status: r.try_get(7)?,
                reason: r.try_get(8)?,
                valid_until: r.try_get(9)?,
                created_at: r.try_get(10)?,
            }
            .into_plan()
        })
        .collect()
}

/// Locks a bon plan's row until the end of the transaction.
fn lock(tx: &mut Transaction<'_>, id: &str) -> Result<(), ServiceError> {
    tx.execute("SELECT 1 FROM bons_plans WHERE id = $1 FOR UPDATE", &[&id])?;
    Ok(())
}

fn day(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

impl BonsPlansTx for PgTx<'_, '_> {
    fn bon_plan(&self, id: &str) -> Result<Option<BonPlan>, ServiceError> {
        self.with(|tx| {
            Ok(bons_plans_where(tx, "b.id = $1", &[&id])?
                .into_iter()
                .next())
        })
    }

    fn insert_bon_plan(&self, p: &NewBonPlan) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO bons_plans (id, partner_id, title, description, status, valid_until, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &p.id,
                    &p.partner_id,
                    &p.title,
                    &p.description,
                    &p.status.as_str(),
                    &day(p.valid_until),
                    &ts(p.created_at),
                ],
            )?;
            Ok(())
        })
    }

    fn replace_bon_plan(&self, p: &NewBonPlan) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE bons_plans SET title = $2, description = $3, valid_until = $4, status = $5,
                 reason = NULL WHERE id = $1",
                &[
                    &p.id,
                    &p.title,
                    &p.description,
                    &day(p.valid_until),
                    &p.status.as_str(),
                ],
            )?;
            Ok(())
        })
    }

    fn set_bon_plan_status(
        &self,
        id: &str,
        status: BonPlanStatus,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE bons_plans SET status = $2, reason = $3 WHERE id = $1",
                &[&id, &status.as_str(), &reason],
            )?;
            Ok(())
        })
    }
}

impl BonsPlansRepo for PgStore {
    fn bons_plans(
        &self,
        category: Option<PartnerCategory>,
        today: chrono::NaiveDate,
    ) -> Result<Vec<BonPlan>, ServiceError> {
        let cat = category.map(|c| c.code().to_owned()).unwrap_or_default();
        let day = today.to_string();
        self.pool.read(|tx| {
            bons_plans_where(
                tx,
                &published_clause(),
                &[&cat, &BonPlanStatus::Published.as_str(), &day],
            )
        })
    }

    fn update_bon_plan(
        &self,
        who: &Principal,
        id: &str,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError> {
        let mut plan = service::check_submission(who, req, now)?;
        plan.id = id.to_owned();
        self.pool.write(|tx| {
            lock(tx, &plan.id)?;
            service::edit(&PgTx::new(tx), &plan)
        })
    }

    fn submit_bon_plan(
        &self,
        who: &Principal,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError> {
        let plan = service::check_submission(who, req, now)?;
        self.pool.write(|tx| service::submit(&PgTx::new(tx), &plan))
    }

    fn partner_bons_plans(&self, who: &Principal) -> Result<Vec<BonPlan>, ServiceError> {
        let pid = service::own_partner(who)?;
        self.pool
            .read(|tx| bons_plans_where(tx, "b.partner_id = $1", &[&pid]))
    }

    fn bons_plans_to_moderate(&self) -> Result<Vec<BonPlan>, ServiceError> {
        self.pool
            .read(|tx| bons_plans_where(tx, "b.status = $1", &[&BonPlanStatus::Submitted.as_str()]))
    }

    fn moderate_bon_plan(&self, id: &str, req: ModerationRequest) -> Result<BonPlan, ServiceError> {
        let moderation = service::check_moderation(&req)?;
        self.pool.write(|tx| {
            // The status read by the rule is the one it changes.
            lock(tx, id)?;
            service::moderate(&PgTx::new(tx), id, &moderation)
        })
    }
}
