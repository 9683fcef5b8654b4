//! The request and response types of the server's JSON API, shared by the
//! server (which documents them in its OpenAPI document) and by the offline
//! clients of [`crate::client`] (which read and send them).
//!
//! Serde only, always compiled, no HTTP framework. With the `openapi` feature
//! (the server enables it) each type also derives `utoipa::ToSchema` (and
//! `IntoParams` for query strings). One module per domain of the server.
//!
//! Schema conventions: money and the string-coded enums of the domain
//! ([`crate::PartnerCategory`], [`crate::Public`], [`crate::Track`],
//! [`crate::AvantageKind`]) appear as strings; an `Option` the server always
//! sends (as `null`) is `required` and nullable; one it omits when empty
//! (`skip_serializing_if`) is optional.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod accounts;
pub mod bons_plans;
pub mod cards;
pub mod debits;
pub mod desk;
pub mod establishments;
pub mod partners;
pub mod region;
pub mod region_staff;
pub mod reimbursements;
pub mod staff;
pub mod stats;

/// `GET /api/help`: what the help screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HelpInfo {
    /// The FAQ.
    pub faq: Vec<crate::help::FaqEntry>,
    /// The support phone number.
    pub support_phone: String,
    /// When support answers.
    pub support_hours: String,
    /// The accessibility statement.
    pub accessibility: String,
    /// The server's version.
    pub server_version: String,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok`, or `degraded` (then the answer is 503) when the writer is down,
    /// the trust list is stale or the data directory's disk is nearly full.
    pub status: String,
    /// Server time.
    pub time: DateTime<Utc>,
    /// Current season.
    pub season: String,
    /// Whether the database writer thread is running.
    pub writer: bool,
    /// The published trust list.
    pub trust_list: TrustListHealth,
    /// The disk of the data directory (database, WAL, keys).
    pub disk: DiskHealth,
}

/// Free space on the disk of the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiskHealth {
    /// Bytes available to the server's user (0 when it cannot be read).
    pub available_bytes: u64,
    /// Below this many bytes the server reports itself degraded
    /// (`--min-free-disk-mib`).
    pub threshold_bytes: u64,
    /// `available_bytes` is below the threshold (or could not be read).
    pub low: bool,
}

/// How fresh the published trust list is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustListHealth {
    /// Version (the signing instant, in Unix seconds).
    pub version: u64,
    /// When it expires for offline partner apps.
    pub expires_at: DateTime<Utc>,
    /// Less than 14 days left: the background renewal is failing, or (when
    /// the root key is kept offline) a new list must be signed with
    /// `passregion-server sign-trust-list` before `expires_at`.
    pub stale: bool,
    /// `true` when the server holds the root key and signs the list again by
    /// itself; `false` when the root key is kept offline and the list was
    /// signed in advance (the server cannot renew it).
    pub automatic_renewal: bool,
}

/// Search parameters (`?q=…&category=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SearchQuery {
    /// Words to look for in names and cities.
    pub q: Option<String>,
    /// Partner category filter.
    pub category: Option<String>,
}

/// Cursor paging parameters (`?after=…&limit=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PageQuery {
    /// Return items after this cursor.
    pub after: Option<i64>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::accounts::{AccountView, Me, Role};
    use super::debits::{DebitReceipt, Transaction};
    use crate::debit::AvantageKind;
    use serde_json::json;

    fn transaction() -> Transaction {
        Transaction {
            id: "t1".into(),
            seq: 7,
            kind: "debit".into(),
            partner_id: "p1".into(),
            partner_name: "Librairie".into(),
            card: "1234".into(),
            avantage: "lecture_loisir".into(),
            avantage_label: "Lecture".into(),
            season: "2026-2027".into(),
            unit_kind: AvantageKind::Credit,
            price: "12.50".into(),
            debited: "12.50".into(),
            reste_a_payer: "0.00".into(),
            balance_after: None,
            reimbursed_amount: "12.50".into(),
            refund_of: None,
            refunded: false,
            channel: "qr".into(),
            booking_id: None,
            booking_label: None,
            reimbursement_status: "en_attente".into(),
            created_at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn empty_options_are_sent_as_null_unless_skipped() {
        let a = AccountView {
            id: "a1".into(),
            email: "a@b.fr".into(),
            role: Role::Youth,
            display_name: "A".into(),
            partner_id: None,
            partner_category: None,
            establishment_id: None,
            partner_role: None,
            establishment_role: None,
            region_role: None,
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["role"], json!("youth"));
        for k in [
            "partner_id",
            "partner_category",
            "establishment_id",
            "partner_role",
            "establishment_role",
            "region_role",
        ] {
            assert_eq!(v.get(k), Some(&json!(null)), "{k}");
        }
        let t = serde_json::to_value(transaction()).unwrap();
        assert_eq!(t.get("refund_of"), Some(&json!(null)));
        assert_eq!(t.get("balance_after"), None);
        assert_eq!(t["unit_kind"], json!("credit"));
    }

    #[test]
    fn a_receipt_is_a_flat_transaction_and_reads_back() {
        let r = DebitReceipt {
            transaction: transaction(),
            balance: "2.50".into(),
            holder: "Léa M.".into(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["id"], json!("t1"));
        assert_eq!(v["balance"], json!("2.50"));
        assert_eq!(serde_json::from_value::<DebitReceipt>(v).unwrap(), r);
    }

    #[test]
    fn me_has_the_fields_of_the_session() {
        let m: Me = serde_json::from_value(json!({
            "account_id": "a1", "role": "partner", "partner_id": "p1",
            "partner_category": "librairie", "establishment_id": null
        }))
        .unwrap();
        assert_eq!(m.role, Role::Partner);
        assert_eq!(m.partner_category, Some(crate::PartnerCategory::Librairie));
        assert_eq!(Role::from_code(m.role.code()), Some(m.role));
        // A server before partner roles sends none.
        assert_eq!(m.partner_role, None);
        let m: Me = serde_json::from_value(json!({
            "account_id": "a1", "role": "partner", "partner_id": "p1",
            "partner_category": "librairie", "establishment_id": null,
            "partner_role": "cashier"
        }))
        .unwrap();
        assert_eq!(m.partner_role, Some(crate::status::PartnerRole::Cashier));
    }
}
