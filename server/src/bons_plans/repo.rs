//! Storage of bons plans.

use passregion_core::status::BonPlanStatus;

use crate::platform::db::Cached;

use crate::platform::sql::parse_date;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use rusqlite::Connection;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::partner_of;
use crate::accounts::require_role;
use crate::bons_plans::model::BonPlan;
use crate::bons_plans::model::BonPlanRequest;
use crate::bons_plans::model::ModerationRequest;
use crate::error::ServiceError;
use crate::platform::sql::enum_from;
use crate::platform::sql::new_id;
use crate::platform::sql::parse_ts;
use crate::platform::sql::require_text;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

pub(crate) const BON_PLAN_SELECT: &str =
    "SELECT b.id, b.partner_id, p.name, p.category, p.city, b.title,
    b.description, b.status, b.reason, b.valid_until, b.created_at
    FROM bons_plans b JOIN partners p ON p.id = b.partner_id";

pub(crate) fn bon_plan_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<BonPlan, ServiceError>> {
    let category: String = r.get(3)?;
    let valid: Option<String> = r.get(9)?;
    let created: String = r.get(10)?;
    let build = || -> Result<BonPlan, ServiceError> {
        Ok(BonPlan {
            id: r.get(0)?,
            partner_id: r.get(1)?,
            partner_name: r.get(2)?,
            category: enum_from(&category)?,
            city: r.get(4)?,
            title: r.get(5)?,
            description: r.get(6)?,
            status: r.get(7)?,
            reason: r.get(8)?,
            valid_until: valid.as_deref().map(parse_date).transpose()?,
            created_at: parse_ts(&created)?,
        })
    };
    Ok(build())
}

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
    fn bons_plans(&self, category: Option<PartnerCategory>) -> Result<Vec<BonPlan>, ServiceError>;
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
    fn bons_plans(&self, category: Option<PartnerCategory>) -> Result<Vec<BonPlan>, ServiceError> {
        let cat = category.map(|c| c.code().to_owned()).unwrap_or_default();
        self.db.read(move |c| {
            bons_plans_where(
                c,
                "b.status = ?2 AND p.status = ?3 AND (?1 = '' OR p.category = ?1)",
                &[
                    &cat,
                    &BonPlanStatus::Published.as_str(),
                    &passregion_core::status::ConventionStatus::Validated.as_str(),
                ],
            )
        })
    }

    fn submit_bon_plan(
        &self,
        who: &Principal,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError> {
        let (pid, _) = partner_of(who)?;
        let pid = pid.to_owned();
        let title = require_text("title", &req.title, 120)?;
        let description = require_text("description", &req.description, 2000)?;
        self.db.write(move |c| {
            let id = new_id();
            c.exec(
                "INSERT INTO bons_plans (id, partner_id, title, description, status, valid_until, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?7, ?5, ?6)",
                params![
                    id,
                    pid,
                    title,
                    description,
                    req.valid_until.map(|d| d.format("%Y-%m-%d").to_string()),
                    ts(now),
                    BonPlanStatus::Submitted.as_str()
                ],
            )?;
            bons_plans_where(c, "b.id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Bon plan"))
        })
    }

    fn partner_bons_plans(&self, who: &Principal) -> Result<Vec<BonPlan>, ServiceError> {
        require_role(who, Role::Partner)?;
        let pid = who
            .partner
            .as_ref()
            .map(|p| p.0.clone())
            .ok_or(ServiceError::Forbidden)?;
        self.db
            .read(move |c| bons_plans_where(c, "b.partner_id = ?1", &[&pid]))
    }

    fn bons_plans_to_moderate(&self) -> Result<Vec<BonPlan>, ServiceError> {
        self.db
            .read(|c| bons_plans_where(c, "b.status = ?1", &[&BonPlanStatus::Submitted.as_str()]))
    }

    fn moderate_bon_plan(&self, id: &str, req: ModerationRequest) -> Result<BonPlan, ServiceError> {
        let reason = match (req.validate, req.reason.as_deref()) {
            (false, Some(r)) => Some(require_text("reason", r, 500)?),
            (false, None) => {
                return Err(ServiceError::Invalid {
                    field: "reason",
                    message: "Indiquez au partenaire le motif du refus.".into(),
                });
            }
            (true, r) => r.map(|r| require_text("reason", r, 500)).transpose()?,
        };
        let id = id.to_owned();
        self.db.write(move |c| {
            let status = if req.validate {
                BonPlanStatus::Published
            } else {
                BonPlanStatus::Refused
            }
            .as_str();
            let n = c.exec(
                "UPDATE bons_plans SET status = ?2, reason = ?3 WHERE id = ?1 AND status = ?4",
                params![id, status, reason, BonPlanStatus::Submitted.as_str()],
            )?;
            let plan = bons_plans_where(c, "b.id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Bon plan"))?;
            if n == 0 {
                return Err(ServiceError::Invalid {
                    field: "id",
                    message: "Ce bon plan a déjà été modéré.".into(),
                });
            }
            Ok(plan)
        })
    }
}
