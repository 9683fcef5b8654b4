//! Bons plans and the partner directory (cached, searched offline).

use passregion_core::client as core;

use super::PartnerCategory;

/// A bon plan (cached).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BonPlan {
    /// Id.
    pub id: String,
    /// Partner name.
    pub partner_name: String,
    /// Partner category.
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// Title.
    pub title: String,
    /// Text.
    pub description: String,
    /// Last valid day (`YYYY-MM-DD`).
    pub valid_until: Option<String>,
}

impl From<core::BonPlanItem> for BonPlan {
    fn from(b: core::BonPlanItem) -> Self {
        BonPlan {
            id: b.id,
            partner_name: b.partner_name,
            category: b.category.into(),
            city: b.city,
            title: b.title,
            description: b.description,
            valid_until: b.valid_until.map(|d| d.to_string()),
        }
    }
}

/// A point (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
}

/// A search in the cached partner directory.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PartnerQuery {
    /// Only this category.
    #[uniffi(default = None)]
    pub category: Option<PartnerCategory>,
    /// Words in the name or city.
    #[uniffi(default = None)]
    pub text: Option<String>,
    /// Sort by distance from this point.
    #[uniffi(default = None)]
    pub near: Option<GeoPoint>,
    /// Only within this distance of `near`.
    #[uniffi(default = None)]
    pub radius_km: Option<f64>,
    /// At most this many.
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

impl From<PartnerQuery> for core::PartnerQuery {
    fn from(q: PartnerQuery) -> Self {
        core::PartnerQuery {
            category: q.category.map(Into::into),
            text: q.text,
            near: q.near.map(|p| (p.latitude, p.longitude)),
            radius_km: q.radius_km,
            limit: q.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        }
    }
}

/// A partner of the directory.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Partner {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: PartnerCategory,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Distance from the query point.
    pub distance_km: Option<f64>,
}

impl From<core::PartnerHit> for Partner {
    fn from(p: core::PartnerHit) -> Self {
        Partner {
            id: p.id,
            name: p.name,
            category: p.category.into(),
            address: p.address,
            city: p.city,
            postal_code: p.postal_code,
            latitude: p.latitude,
            longitude: p.longitude,
            distance_km: p.distance_km,
        }
    }
}
