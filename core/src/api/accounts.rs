//! Accounts: login, registration, the caller.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::public::PartnerCategory;
use crate::status::{EstablishmentRole, PartnerRole, RegionRole};

/// The four roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Stable code, as stored (and as on the wire).
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

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// The token this device received at an earlier login of this account
    /// (`LoginResponse::device_token`): a known device keeps its own failure
    /// budget, so others' wrong passwords do not lock it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

/// `POST /api/auth/register`: a youth creates an account before ordering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail (the login).
    pub email: String,
    /// Password, 8 characters or more.
    pub password: String,
    /// Name shown in the app.
    pub display_name: String,
}

/// `POST /api/auth/register` answer (202): the same whether the address was
/// free or already used — a confirmation link, or a notice, goes to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterResponse {
    /// What to do next (French).
    pub message: String,
}

/// `POST /api/auth/verify-email`: the token of the link sent at registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token (the `jeton` of the link).
    pub token: String,
}

/// `POST /api/auth/password-reset`: the address to send a reset link to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// E-mail of the account.
    pub email: String,
}

/// `POST /api/auth/password-reset/confirm`: the link's token and the new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token (the `jeton` of the link).
    pub token: String,
    /// The new password, 8 characters or more.
    pub password: String,
}

/// `POST /api/me/password`: change one's password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new one, 8 characters or more.
    pub new_password: String,
}

/// A plain answer: what happened and what to do next (French).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    /// The message.
    pub message: String,
}

/// An account as shown to its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(required))]
    pub partner_id: Option<String>,
    /// Partner category (partner staff).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub partner_category: Option<PartnerCategory>,
    /// Établissement (établissement staff).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub establishment_id: Option<String>,
    /// Partner staff: `manager` (*responsable*) or `cashier` (*caissier*);
    /// `null` otherwise (absent from older servers).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required, example = "cashier"))]
    pub partner_role: Option<PartnerRole>,
    /// Établissement staff: `head` (*chef d'établissement*) or `staff`;
    /// `null` otherwise (absent from older servers).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required, example = "head"))]
    pub establishment_role: Option<EstablishmentRole>,
    /// Region staff: `admin` (*Administration*), `instruction` or `finance`
    /// (*Finances*); `null` otherwise (absent from older servers).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required, example = "finance"))]
    pub region_role: Option<RegionRole>,
}

/// Answer to a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub account: AccountView,
    /// This device's token for this account, to send with the next logins
    /// (`LoginRequest::device_token`); absent on registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

// Fields in alphabetical order: the order of this answer's keys since it was
// a `json!` object.
/// `GET /api/me`: who the session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// Account id.
    pub account_id: String,
    /// Établissement (établissement staff).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub establishment_id: Option<String>,
    /// Établissement staff: `head` (*chef d'établissement*) or `staff`;
    /// `null` otherwise (absent from older servers).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required, example = "head"))]
    pub establishment_role: Option<EstablishmentRole>,
    /// Partner category (partner staff).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub partner_category: Option<PartnerCategory>,
    /// Partner structure (partner staff).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub partner_id: Option<String>,
    /// Partner staff: `manager` (*responsable*) or `cashier` (*caissier*);
    /// `null` otherwise (absent from older servers).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required, example = "manager"))]
    pub partner_role: Option<PartnerRole>,
    /// Region staff: `admin` (*Administration*), `instruction` or `finance`
    /// (*Finances*); `null` otherwise (absent from older servers).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required, example = "finance"))]
    pub region_role: Option<RegionRole>,
    /// Role.
    pub role: Role,
}

/// A message told to the account (also sent by e-mail): `GET /api/me/notices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountNotice {
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One of the account's open sessions: `GET /api/me/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// Its id (to close it).
    pub id: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The session of this request.
    pub current: bool,
}
