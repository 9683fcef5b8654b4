//! Request and response types of bons plans.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::PartnerCategory;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

/// A *bon plan*.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BonPlan {
    /// Id.
    pub id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Partner category.
    #[schema(value_type = String)]
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `soumis`, `valide` or `refuse`.
    pub status: String,
    /// Moderation note.
    pub reason: Option<String>,
    /// Last day.
    pub valid_until: Option<NaiveDate>,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/partner/bons-plans`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BonPlanRequest {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Last day.
    pub valid_until: Option<NaiveDate>,
}

/// `POST /api/region/bons-plans/{id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// Publish or refuse.
    pub validate: bool,
    /// Note to the partner (required when refusing).
    pub reason: Option<String>,
}
