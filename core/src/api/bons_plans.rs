//! *Bons plans*: partners' offers, moderated by the Region.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::public::PartnerCategory;

/// A *bon plan*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BonPlan {
    /// Id.
    pub id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Partner category.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Where its moderation stands.
    pub status: crate::status::BonPlanStatus,
    /// Moderation note.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
    /// Last day.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub valid_until: Option<NaiveDate>,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/partner/bons-plans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// Publish or refuse.
    pub validate: bool,
    /// Note to the partner (required when refusing).
    pub reason: Option<String>,
}
