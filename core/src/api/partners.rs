//! Partners: the public directory, applications and the convention.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::accounts::LoginResponse;
use crate::public::PartnerCategory;

/// A partner in the public directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Partner {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude (WGS84).
    pub latitude: f64,
    /// Longitude (WGS84).
    pub longitude: f64,
}

/// `POST /api/partners/applications`: a structure applies online.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// Name of the structure.
    pub name: String,
    /// Kind of partnership.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "librairie"))]
    pub category: PartnerCategory,
    /// SIRET (14 digits).
    pub siret: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude (WGS84), for the partner map.
    pub latitude: Option<f64>,
    /// Longitude (WGS84).
    pub longitude: Option<f64>,
    /// Contact person.
    pub contact_name: String,
    /// Login e-mail of the partner space.
    pub email: String,
    /// Mobile phone that receives the signature code.
    pub phone: String,
    /// Password of the partner space.
    pub password: String,
    /// The Conditions Générales de Partenariat were read and accepted.
    pub accept_conditions: bool,
}

/// Answer to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationResponse {
    /// The partner structure (status `pending`).
    pub partner_id: String,
    /// Where the code went (masked).
    pub code_sent_to: String,
    /// A session in the new partner space, to sign the convention.
    pub session: LoginResponse,
}

/// Answer to `POST /api/partner/convention/code`: a new code was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// Where the code went (masked).
    pub code_sent_to: String,
}

/// `POST /api/partner/convention/sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// The six-digit code received by SMS.
    pub code: String,
}

/// The partner's application as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerStatus {
    /// Partner id.
    pub partner_id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// `pending`, `validated`, `rejected` or `terminated`.
    pub status: String,
    /// When the convention was signed (by SMS code).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub convention_signed_at: Option<DateTime<Utc>>,
    /// The Region's note on its decision.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decision_reason: Option<String>,
    /// Bons plans published (validated) this season.
    pub bons_plans_this_season: u32,
    /// Whether the convention's yearly minimum of bons plans is met.
    pub meets_bons_plans_minimum: bool,
}

/// `POST /api/region/partners/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerDecision {
    /// Validate (the partner may accept the PASS) or refuse.
    pub validate: bool,
    /// Required when refusing.
    pub reason: Option<String>,
}
