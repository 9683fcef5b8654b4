//! The rules of bons plans: who submits, what is valid, the moderation
//! (`soumis` → `valide` / `refuse`, a reason required to refuse). Writes go
//! through the storage-only `BonsPlansTx` trait, implemented for SQLite in
//! `bons_plans/repo.rs`.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::status::BonPlanStatus;

pub(crate) use crate::accounts::own_partner;

use crate::accounts::model::Principal;
use crate::accounts::partner_of;
use crate::bons_plans::model::BonPlan;
use crate::bons_plans::model::BonPlanRequest;
use crate::bons_plans::model::ModerationRequest;
use crate::error::ServiceError;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;

/// The storage of bons plans inside the writer's transaction. SQL only, no rule.
pub(crate) trait BonsPlansTx {
    /// A bon plan.
    fn bon_plan(&self, id: &str) -> Result<Option<BonPlan>, ServiceError>;
    /// Inserts a bon plan.
    fn insert_bon_plan(&self, plan: &NewBonPlan) -> Result<(), ServiceError>;
    /// Replaces a bon plan's texts and status (an edit), its note cleared.
    fn replace_bon_plan(&self, plan: &NewBonPlan) -> Result<(), ServiceError>;
    /// Stores a bon plan's status and moderation note.
    fn set_bon_plan_status(
        &self,
        id: &str,
        status: BonPlanStatus,
        reason: Option<&str>,
    ) -> Result<(), ServiceError>;
}

/// A checked bon plan, ready to be stored.
#[derive(Debug)]
pub(crate) struct NewBonPlan {
    pub(crate) id: String,
    pub(crate) partner_id: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) valid_until: Option<NaiveDate>,
    pub(crate) status: BonPlanStatus,
    pub(crate) created_at: DateTime<Utc>,
}

/// Checks a submission: a manager of a partner whose convention is in force,
/// a title and a description.
pub(crate) fn check_submission(
    who: &Principal,
    req: BonPlanRequest,
    now: DateTime<Utc>,
) -> Result<NewBonPlan, ServiceError> {
    let (pid, _) = partner_of(who)?;
    let partner_id = pid.to_owned();
    crate::accounts::partner_manager(who)?;
    let title = require_text("title", &req.title, 120)?;
    let description = require_text("description", &req.description, 2000)?;
    if req
        .valid_until
        .is_some_and(|d| d < passregion_core::season::region_date(now))
    {
        return Err(ServiceError::Invalid {
            field: "valid_until",
            message: "La date de fin est déjà passée.".into(),
        });
    }
    Ok(NewBonPlan {
        id: new_id(),
        partner_id,
        title,
        description,
        valid_until: req.valid_until,
        status: BonPlanStatus::Submitted,
        created_at: now,
    })
}

/// Stores a checked submission, waiting for moderation.
pub(crate) fn submit(tx: &dyn BonsPlansTx, plan: &NewBonPlan) -> Result<BonPlan, ServiceError> {
    tx.insert_bon_plan(plan)?;
    tx.bon_plan(&plan.id)?
        .ok_or(ServiceError::NotFound("Bon plan"))
}

/// An edit of the partner's own bon plan: it goes back to moderation (a
/// published one leaves the youths' list until published again).
pub(crate) fn edit(tx: &dyn BonsPlansTx, plan: &NewBonPlan) -> Result<BonPlan, ServiceError> {
    // Another partner's bon plan does not exist for the caller.
    tx.bon_plan(&plan.id)?
        .filter(|b| b.partner_id == plan.partner_id)
        .ok_or(ServiceError::NotFound("Bon plan"))?;
    tx.replace_bon_plan(plan)?;
    tx.bon_plan(&plan.id)?
        .ok_or(ServiceError::NotFound("Bon plan"))
}

/// A moderation checked before the transaction.
#[derive(Debug)]
pub(crate) struct CheckedModeration {
    pub(crate) status: BonPlanStatus,
    pub(crate) reason: Option<String>,
}

/// Checks a moderation: a reason is required to refuse, optional to publish.
pub(crate) fn check_moderation(req: &ModerationRequest) -> Result<CheckedModeration, ServiceError> {
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
    let status = if req.validate {
        BonPlanStatus::Published
    } else {
        BonPlanStatus::Refused
    };
    Ok(CheckedModeration { status, reason })
}

/// Publishes or refuses a submitted bon plan; one moderated already is refused.
pub(crate) fn moderate(
    tx: &dyn BonsPlansTx,
    id: &str,
    m: &CheckedModeration,
) -> Result<BonPlan, ServiceError> {
    let plan = tx.bon_plan(id)?.ok_or(ServiceError::NotFound("Bon plan"))?;
    if plan.status != BonPlanStatus::Submitted {
        return Err(ServiceError::Invalid {
            field: "id",
            message: "Ce bon plan a déjà été modéré.".into(),
        });
    }
    tx.set_bon_plan_status(id, m.status, m.reason.as_deref())?;
    tx.bon_plan(id)?.ok_or(ServiceError::NotFound("Bon plan"))
}
