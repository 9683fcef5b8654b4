//! The Region's staff (issue 16): its administrators invite agents by
//! e-mail with a role (*Administration*, *Instruction*, *Finances*), change
//! their role and remove them; the Region always keeps an administrator.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::status::{RegionRole, StaffStatus};

/// `POST /api/region/staff`: an administrator invites an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegionInvitation {
    /// Their e-mail (the login); the invitation link is sent to it.
    pub email: String,
    /// Their name, as shown in the app.
    pub display_name: String,
    /// `admin`, `instruction` or `finance`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "finance"))]
    pub role: RegionRole,
}

/// `PUT /api/region/staff/{account_id}/role`: an agent's new role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegionRoleChange {
    /// `admin`, `instruction` or `finance`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "instruction"))]
    pub role: RegionRole,
}

/// An agent of the Region, as its administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionStaffMember {
    /// Account id.
    pub account_id: String,
    /// Name shown in the app.
    pub display_name: String,
    /// E-mail (the login).
    pub email: String,
    /// `admin`, `instruction` or `finance`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "finance"))]
    pub role: RegionRole,
    /// `invited` (the link not followed yet) or `active`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "invited"))]
    pub status: StaffStatus,
    /// When the invitation link stops working (an invited agent whose link
    /// is still valid); `null` otherwise.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub invitation_expires_at: Option<DateTime<Utc>>,
    /// When the account was created (invited).
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_region_invitation_names_its_role_by_code() {
        let inv: RegionInvitation = serde_json::from_value(json!({
            "email": "f@region.example", "display_name": "Fanny", "role": "finance"
        }))
        .unwrap();
        assert_eq!(inv.role, RegionRole::Finance);
        assert!(
            serde_json::from_value::<RegionInvitation>(json!({
                "email": "f@region.example", "display_name": "Fanny", "role": "region"
            }))
            .is_err()
        );
    }
}
