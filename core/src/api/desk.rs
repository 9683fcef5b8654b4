//! The établissement's desk (issue 14): its staff (the head invites
//! colleagues), the filters of its orders and cards, the card's history, and
//! the bulk actions (orders validated or refused together, cards revalidated
//! for the new season) with one result per item.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::status::{BulkItemStatus, CardEventKind, EstablishmentRole, StaffStatus};

/// Most ids one bulk call may carry (`POST /api/establishment/orders/decisions`,
/// `POST /api/establishment/cards/revalidate`); more is refused (422
/// `trop_d_elements`) before anything is read or written.
pub const BULK_MAX_ITEMS: usize = 1000;

/// `POST /api/establishment/staff`: the head invites a colleague.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EstablishmentInvitation {
    /// Their e-mail (the login); the invitation link is sent to it.
    pub email: String,
    /// Their name, as shown in the app.
    pub display_name: String,
    /// `staff` (*personnel*, the default) or `head` (*chef d'établissement*).
    #[serde(default = "staff_role")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "staff"))]
    pub role: EstablishmentRole,
}

fn staff_role() -> EstablishmentRole {
    EstablishmentRole::Staff
}

/// A member of an établissement's staff, as its head sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstablishmentStaffMember {
    /// Account id.
    pub account_id: String,
    /// Name shown in the app.
    pub display_name: String,
    /// E-mail (the login).
    pub email: String,
    /// `head` or `staff`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "staff"))]
    pub role: EstablishmentRole,
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

/// `GET /api/establishment/orders?status=&public=&track=`: every filter is
/// optional; an unknown value is refused (422).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct OrderFilter {
    /// `en_attente`, `validee` or `refusee`.
    pub status: Option<String>,
    /// A public (`lyceen`, `apprenti`…).
    pub public: Option<String>,
    /// A track, the class or diploma prepared (`seconde`, `cap`…).
    pub track: Option<String>,
}

/// `GET /api/establishment/cards?status=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CardFilter {
    /// `expediee`, `active` or `suspendue`.
    pub status: Option<String>,
}

/// `POST /api/establishment/orders/decisions`: validate, or refuse with one
/// reason, several orders of the établissement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkOrderDecision {
    /// The orders, 1 to [`BULK_MAX_ITEMS`], each once.
    pub order_ids: Vec<String>,
    /// `true` validates (issuing the cards), `false` refuses.
    pub validate: bool,
    /// Required when refusing (shown to each youth).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/establishment/cards/revalidate`: revalidate several cards of
/// the établissement for the new season.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkRevalidation {
    /// The cards, 1 to [`BULK_MAX_ITEMS`], each once.
    pub card_ids: Vec<String>,
}

/// What a bulk action did with one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkItem {
    /// The order or card id, as sent.
    pub id: String,
    /// `done` or `refused`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "refused"))]
    pub status: BulkItemStatus,
    /// The youth's name (empty when the id is not one of the établissement's).
    pub name: String,
    /// Why it was refused: a stable code (`age_depasse`, `introuvable`…);
    /// `null` when done.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub code: Option<String>,
    /// Why it was refused, in French; `null` when done.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub message: Option<String>,
    /// A revalidated card's season (`2027-2028`); `null` otherwise.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub season: Option<String>,
}

/// The answer of a bulk action: one item per id, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResult {
    /// How many were done.
    pub done: u32,
    /// How many were refused.
    pub refused: u32,
    /// Each id's result.
    pub items: Vec<BulkItem>,
}

/// One change in a card's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// `suspension`, `reactivation`, `revalidation` or `replacement` (lost
    /// or stolen); `null` for a change
    /// recorded before the desk (only its status is known).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required, example = "suspension"))]
    pub kind: Option<CardEventKind>,
    /// The card's status after it.
    pub status: crate::CardStatus,
    /// The card's season after it (`2027-2028`); `null` when not recorded.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub season: Option<String>,
    /// The reason given (a suspension's).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
    /// Who did it (the staff member's name); `null` when not recorded.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_invitation_is_for_staff_unless_told() {
        let inv: EstablishmentInvitation = serde_json::from_value(json!({
            "email": "c@example.org", "display_name": "Camille"
        }))
        .unwrap();
        assert_eq!(inv.role, EstablishmentRole::Staff);
        assert!(
            serde_json::from_value::<EstablishmentInvitation>(json!({
                "email": "c@example.org", "display_name": "Camille", "role": "principal"
            }))
            .is_err()
        );
    }

    #[test]
    fn a_bulk_item_sends_its_empty_fields_as_null() {
        let v = serde_json::to_value(BulkItem {
            id: "c1".into(),
            status: BulkItemStatus::Done,
            name: "Léa M.".into(),
            code: None,
            message: None,
            season: Some("2027-2028".into()),
        })
        .unwrap();
        assert_eq!(v["status"], json!("done"));
        assert_eq!(v.get("code"), Some(&json!(null)));
    }
}
