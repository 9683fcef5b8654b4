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
pub mod establishments;
pub mod partners;
pub mod region;
pub mod reimbursements;

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Server time.
    pub time: DateTime<Utc>,
    /// Current season.
    pub season: String,
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
