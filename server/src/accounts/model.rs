//! Request and response types of accounts.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

/// The four roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A young card holder.
    Youth,
    /// Staff of a partner structure.
    Partner,
    /// Staff of an établissement (lycée, CFA, mission locale…).
    Establishment,
    /// Agent of the Region.
    Region,
}

impl Role {
    /// Stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Role::Youth => "youth",
            Role::Partner => "partner",
            Role::Establishment => "establishment",
            Role::Region => "region",
        }
    }

    /// Inverse of [`Role::code`].
    pub fn from_code(s: &str) -> Option<Role> {
        match s {
            "youth" => Some(Role::Youth),
            "partner" => Some(Role::Partner),
            "establishment" => Some(Role::Establishment),
            "region" => Some(Role::Region),
            _ => None,
        }
    }
}

/// Who is calling (from the session).
#[derive(Clone, Debug)]
pub struct Principal {
    /// Account id.
    pub account_id: String,
    /// Role.
    pub role: Role,
    /// For partner staff: the partner and its category.
    pub partner: Option<(String, PartnerCategory, bool)>,
    /// For établissement staff: the établissement.
    pub establishment_id: Option<String>,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `POST /api/auth/register`: a youth creates an account before ordering.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail (the login).
    pub email: String,
    /// Password, 8 characters or more.
    pub password: String,
    /// Name shown in the app.
    pub display_name: String,
}

/// An account as shown to its owner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    /// Id.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Name shown in the app.
    pub display_name: String,
    /// Partner structure (partner staff).
    pub partner_id: Option<String>,
    /// Partner category (partner staff).
    #[schema(value_type = Option<String>)]
    pub partner_category: Option<PartnerCategory>,
    /// Établissement (établissement staff).
    pub establishment_id: Option<String>,
}

/// Answer to a login.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub account: AccountView,
}
