//! A partner's staff and devices (issue 13): the manager (*responsable*)
//! invites cashiers (*caissiers*) and other managers by e-mail, removes
//! them, and revokes the structure's enrolled devices.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::status::{PartnerRole, StaffStatus};

/// `POST /api/partner/staff`: invite someone to the structure's space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffInvitation {
    /// Their e-mail (the login); the invitation link is sent to it.
    pub email: String,
    /// Their name, as shown in the app.
    pub display_name: String,
    /// `cashier` (*caissier*) or `manager` (*responsable*).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "cashier"))]
    pub role: PartnerRole,
}

/// A member of a partner's staff, as its managers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffMember {
    /// Account id.
    pub account_id: String,
    /// Name shown in the app.
    pub display_name: String,
    /// E-mail (the login).
    pub email: String,
    /// `manager` or `cashier`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "cashier"))]
    pub role: PartnerRole,
    /// `invited` (the link not followed yet) or `active`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "invited"))]
    pub status: StaffStatus,
    /// When the invitation link stops working (an invited member whose link
    /// is still valid); `null` otherwise.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub invitation_expires_at: Option<DateTime<Utc>>,
    /// When the account was created (invited).
    pub created_at: DateTime<Utc>,
}

/// `POST /api/auth/invitation/accept`: the invitation link's token and the
/// password chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationAccept {
    /// The token (the `jeton` of the link).
    pub token: String,
    /// The password, 8 to 200 characters.
    pub password: String,
}

/// A device enrolled by the structure (its key signs offline debits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// Device id.
    pub id: String,
    /// Its label (`Caisse 1`…).
    pub label: String,
    /// Who enrolled it (name of the account).
    pub enrolled_by: String,
    /// When it was enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When it last pushed offline debits; `null` if never.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub last_push_at: Option<DateTime<Utc>>,
    /// When a manager revoked it (its pushes are refused); `null` if in use.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub revoked_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_invitation_names_its_role_by_code() {
        let inv: StaffInvitation = serde_json::from_value(json!({
            "email": "c@example.org", "display_name": "Camille", "role": "cashier"
        }))
        .unwrap();
        assert_eq!(inv.role, PartnerRole::Cashier);
        assert!(
            serde_json::from_value::<StaffInvitation>(json!({
                "email": "c@example.org", "display_name": "Camille", "role": "owner"
            }))
            .is_err()
        );
    }
}
