//! Request and response types of partners.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::model::LoginResponse;

/// A partner in the public directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Partner {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[schema(value_type = String)]
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// Name of the structure.
    pub name: String,
    /// Kind of partnership.
    #[schema(value_type = String, example = "librairie")]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationResponse {
    /// The partner structure (status `pending`).
    pub partner_id: String,
    /// Where the code went (masked).
    pub code_sent_to: String,
    /// A session in the new partner space, to sign the convention.
    pub session: LoginResponse,
}

/// `POST /api/partner/convention/sign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// The six-digit code received by SMS.
    pub code: String,
}

/// The partner's application as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerStatus {
    /// Partner id.
    pub partner_id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[schema(value_type = String)]
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// `pending`, `validated`, `rejected` or `terminated`.
    pub status: String,
    /// When the convention was signed (by SMS code).
    pub convention_signed_at: Option<DateTime<Utc>>,
    /// The Region's note on its decision.
    pub decision_reason: Option<String>,
    /// Bons plans published (validated) this season.
    pub bons_plans_this_season: u32,
    /// Whether the convention's yearly minimum of bons plans is met.
    pub meets_bons_plans_minimum: bool,
}

/// `POST /api/region/partners/{id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerDecision {
    /// Validate (the partner may accept the PASS) or refuse.
    pub validate: bool,
    /// Required when refusing.
    pub reason: Option<String>,
}
