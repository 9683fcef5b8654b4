//! Storage of bons plans. The rules are in `bons_plans::service`; this file holds the SQL.

use passregion_core::status::BonPlanStatus;

use crate::platform::db::Cached;

use crate::platform::sql::parse_date;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use rusqlite::Connection;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::bons_plans::model::BonPlan;
use crate::bons_plans::model::BonPlanRequest;
use crate::bons_plans::model::ModerationRequest;
use crate::bons_plans::service;
use crate::bons_plans::service::BonsPlansTx;
use crate::bons_plans::service::NewBonPlan;
use crate::error::ServiceError;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_ts;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

pub(crate) const BON_PLAN_SELECT: &str =
    "SELECT b.id, b.partner_id, p.name, p.category, p.city, b.title,
    b.description, b.status, b.reason, b.valid_until, b.created_at
    FROM bons_plans b JOIN partners p ON p.id = b.partner_id";

/// A row of [`BON_PLAN_SELECT`], as either engine reads it.
pub(crate) struct BonPlanRow {
    pub(crate) id: String,
    pub(crate) partner_id: String,
    pub(crate) partner_name: String,
    pub(crate) category: String,
    pub(crate) city: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
    pub(crate) valid_until: Option<String>,
    pub(crate) created_at: String,
}

impl BonPlanRow {
    /// The bon plan of the row.
    pub(crate) fn into_plan(self) -> Result<BonPlan, ServiceError> {
        Ok(BonPlan {
            id: self.id,
            partner_id: self.partner_id,
            partner_name: self.partner_name,
            category: enum_from(&self.category)?,
            city: self.city,
            title: self.title,
            description: self.description,
            status: enum_from(&self.status)?,
            reason: self.reason,
            valid_until: self.valid_until.as_deref().map(parse_date).transpose()?,
            created_at: parse_ts(&self.created_at)?,
        })
    }
}

/// The clause of the youths' list: published, of a partner in force on
/// `$3`/`?3`, still valid, of category `?1` (all when empty); `?2` is the
/// published status.
pub(crate) fn published_clause() -> String {
    format!(
        "b.status = ?2 AND {} AND (b.valid_until IS NULL OR b.valid_until >= ?3)
         AND (?1 = '' OR p.category = ?1)",
        crate::partners::repo::in_force_sql("p", 3)
    )
}

pub(crate) fn bon_plan_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<BonPlan, ServiceError>> {
    let row = BonPlanRow {
        id: r.get(0)?,
        partner_id: r.get(1)?,
        partner_name: r.get(2)?,
        category: r.get(3)?,
        city: r.get(4)?,
        title: r.get(5)?,
        description: r.get(6)?,
        status: r.get(7)?,
        reason: r.get(8)?,
        valid_until: r.get(9)?,
        created_at: r.get(10)?,
    };
    Ok(row.into_plan())
}

/// Bons plans matching `clause`, newest first (at most 500).
pub(crate) fn bons_plans_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<BonPlan>, ServiceError> {
    select_all(
        conn,
        &format!("{BON_PLAN_SELECT} WHERE {clause} ORDER BY b.created_at DESC LIMIT 500"),
        args,
        bon_plan_from_row,
    )
}

/// Storage and rules of bons plans.
pub trait BonsPlansRepo: Send + Sync + 'static {
    /// Validated bons plans (public).
    /// Published bons plans of partners in force, still valid on `today`.
    fn bons_plans(
        &self,
        category: Option<PartnerCategory>,
        today: chrono::NaiveDate,
    ) -> Result<Vec<BonPlan>, ServiceError>;
    /// A manager edits one of its partner's bons plans: back to moderation.
    fn update_bon_plan(
        &self,
        who: &Principal,
        id: &str,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError>;
    /// A partner submits a bon plan.
    fn submit_bon_plan(
        &self,
        who: &Principal,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError>;
    /// A partner's own bons plans, any status.
    fn partner_bons_plans(&self, who: &Principal) -> Result<Vec<BonPlan>, ServiceError>;
    /// Bons plans waiting for moderation.
    fn bons_plans_to_moderate(&self) -> Result<Vec<BonPlan>, ServiceError>;
    /// Publishes or refuses a bon plan.
    fn moderate_bon_plan(&self, id: &str, req: ModerationRequest) -> Result<BonPlan, ServiceError>;
}

impl BonsPlansRepo for SqliteStore {
    fn bons_plans(
        &self,
        category: Option<PartnerCategory>,
        today: chrono::NaiveDate,
    ) -> Result<Vec<BonPlan>, ServiceError> {
        let cat = category.map(|c| c.code().to_owned()).unwrap_or_default();
        let day = today.to_string();
        self.db.read(move |c| {
            let clause = published_clause();
            bons_plans_where(
                c,
                &clause,
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
        self.db.write(move |c| service::edit(c, &plan))
    }

    fn submit_bon_plan(
        &self,
        who: &Principal,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError> {
        let plan = service::check_submission(who, req, now)?;
        self.db.write(move |c| service::submit(c, &plan))
    }

    fn partner_bons_plans(&self, who: &Principal) -> Result<Vec<BonPlan>, ServiceError> {
        let pid = service::own_partner(who)?;
        self.db
            .read(move |c| bons_plans_where(c, "b.partner_id = ?1", &[&pid]))
    }

    fn bons_plans_to_moderate(&self) -> Result<Vec<BonPlan>, ServiceError> {
        self.db
            .read(|c| bons_plans_where(c, "b.status = ?1", &[&BonPlanStatus::Submitted.as_str()]))
    }

    fn moderate_bon_plan(&self, id: &str, req: ModerationRequest) -> Result<BonPlan, ServiceError> {
        let moderation = service::check_moderation(&req)?;
        let id = id.to_owned();
        self.db
            .write(move |c| service::moderate(c, &id, &moderation))
    }
}

impl BonsPlansTx for Connection {
    fn bon_plan(&self, id: &str) -> Result<Option<BonPlan>, ServiceError> {
        Ok(bons_plans_where(self, "b.id = ?1", &[&id])?
            .into_iter()
            .next())
    }

    fn insert_bon_plan(&self, p: &NewBonPlan) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO bons_plans (id, partner_id, title, description, status, valid_until, created_at)
             VALUES (?1, ?2, ?3, ?4, ?7, ?5, ?6)",
            params![
                p.id,
                p.partner_id,
                p.title,
                p.description,
                p.valid_until.map(|d| d.format("%Y-%m-%d").to_string()),
                ts(p.created_at),
                p.status.as_str()
            ],
        )?;
        Ok(())
    }

    fn replace_bon_plan(&self, p: &NewBonPlan) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE bons_plans SET title = ?2, description = ?3, valid_until = ?4, status = ?5,
             reason = NULL WHERE id = ?1",
            params![
                p.id,
                p.title,
                p.description,
                p.valid_until.map(|d| d.format("%Y-%m-%d").to_string()),
                p.status.as_str()
            ],
        )?;
        Ok(())
    }

    fn set_bon_plan_status(
        &self,
        id: &str,
        status: BonPlanStatus,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE bons_plans SET status = ?2, reason = ?3 WHERE id = ?1",
            params![id, status.as_str(), reason],
        )?;
        Ok(())
    }
}
