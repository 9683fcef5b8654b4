//! Pulling deltas (`GET /api/sync/pull?cursor=N` until `more` is false) into
//! the store, and the partner directory searched offline.

use rusqlite::params;

use super::api::Api;
use super::error::ClientError;
use crate::credential::{PublicKey, SignedTrustList};
use crate::public::PartnerCategory;
use crate::sync::{DirectoryEntry, PullResponse};

/// Most pull pages in one round (a guard against a server that never says
/// `more: false`).
const MAX_PULL_PAGES: usize = 10_000;

/// What one pull round changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PullSummary {
    /// Pages fetched.
    pub pages: usize,
    /// Directory entries added, changed or removed.
    pub partners: usize,
    /// Deny-list changes.
    pub revocations: usize,
    /// Whether a new trust list was stored.
    pub trust_list_updated: bool,
    /// The cursor after the round.
    pub cursor: i64,
}

/// Applies one page in one transaction.
pub(crate) fn apply_page(api: &Api, page: &PullResponse) -> Result<bool, ClientError> {
    // Verify a trust list before writing anything (fails closed).
    let trust = match &page.trust_list {
        Some(text) => verify_trust_text(api, text)?,
        None => None,
    };
    api.store.write(|tx| -> Result<(), ClientError> {
        upsert_partners(tx, &page.partners)?;
        for id in &page.revoked_cards {
            tx.execute(
                "INSERT OR IGNORE INTO deny_list (kind, id) VALUES ('card', ?1)",
                [id.to_string()],
            )?;
        }
        for id in &page.revoked_credentials {
            tx.execute(
                "INSERT OR IGNORE INTO deny_list (kind, id) VALUES ('credential', ?1)",
                [id.to_string()],
            )?;
        }
        for v in &page.card_versions {
            tx.execute(
                "INSERT INTO card_versions (card_id, version) VALUES (?1, ?2)
                 ON CONFLICT (card_id) DO UPDATE SET version = MAX(version, excluded.version)",
                params![v.card_id.to_string(), v.version],
            )?;
        }
        for id in &page.restored_cards {
            tx.execute(
                "DELETE FROM deny_list WHERE kind = 'card' AND id = ?1",
                [id.to_string()],
            )?;
        }
        if let Some((text, version)) = &trust {
            tx.execute(
                "UPDATE trust SET signed_list = ?1, version = ?2 WHERE id = 1",
                params![text, i64::try_from(*version).unwrap_or(i64::MAX)],
            )?;
        }
        tx.execute(
            "UPDATE sync_meta SET pull_cursor = ?1, last_sync_at = ?2 WHERE id = 1",
            params![page.cursor, super::store::now_text()],
        )?;
        Ok(())
    })?;
    Ok(trust.is_some())
}

/// Upserts directory entries (and removes inactive ones).
pub(crate) fn upsert_partners(
    tx: &rusqlite::Transaction<'_>,
    entries: &[DirectoryEntry],
) -> Result<(), rusqlite::Error> {
    let mut up = tx.prepare_cached(
        "INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET name = ?2, category = ?3, address = ?4, city = ?5,
           postal_code = ?6, latitude = ?7, longitude = ?8",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM partners WHERE id = ?1")?;
    for p in entries {
        if p.active {
            up.execute(params![
                p.id,
                p.name,
                p.category.code(),
                p.address,
                p.city,
                p.postal_code,
                p.latitude,
                p.longitude
            ])?;
        } else {
            del.execute([&p.id])?;
        }
    }
    Ok(())
}

/// Verifies a signed trust list with the pinned root and the stored version
/// (no rollback). `Ok(None)` when no root is pinned (a youth app).
pub(crate) fn verify_trust_text(
    api: &Api,
    text: &str,
) -> Result<Option<(String, u64)>, ClientError> {
    let pinned: Option<(String, i64)> = api.store.read(|c| {
        use rusqlite::OptionalExtension as _;
        c.query_row(
            "SELECT root_public_key, version FROM trust WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })?;
    let Some((root, version)) = pinned else {
        return Ok(None);
    };
    let root = PublicKey::from_base64(&root).map_err(|e| ClientError::Trust(e.to_string()))?;
    let list = SignedTrustList::from_json(text)
        .and_then(|s| s.verify(&root, u64::try_from(version).unwrap_or(0)))
        .map_err(|e| ClientError::Trust(e.to_string()))?;
    Ok(Some((text.to_owned(), list.version)))
}

/// Pulls until `more` is false. When the server has no sync route yet (404),
/// falls back to the full directory (`GET /api/partners`).
pub(crate) fn pull_all(api: &Api) -> Result<PullSummary, ClientError> {
    let mut summary = PullSummary {
        cursor: api.store.pull_cursor()?,
        ..PullSummary::default()
    };
    for _ in 0..MAX_PULL_PAGES {
        let page: PullResponse = match api.get(&format!("/api/sync/pull?cursor={}", summary.cursor))
        {
            Ok(p) => p,
            Err(ClientError::Refused { status: 404, .. }) if summary.pages == 0 => {
                return full_directory(api, summary);
            }
            Err(e) => return Err(e),
        };
        summary.trust_list_updated |= apply_page(api, &page)?;
        summary.pages += 1;
        summary.partners += page.partners.len();
        summary.revocations +=
            page.revoked_cards.len() + page.revoked_credentials.len() + page.restored_cards.len();
        summary.cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    Ok(summary)
}

fn full_directory(api: &Api, mut summary: PullSummary) -> Result<PullSummary, ClientError> {
    let list: Vec<crate::api::partners::Partner> = api.get("/api/partners")?;
    let entries: Vec<DirectoryEntry> = list
        .into_iter()
        .map(|p| DirectoryEntry {
            id: p.id,
            name: p.name,
            category: p.category,
            address: p.address,
            city: p.city,
            postal_code: p.postal_code,
            latitude: p.latitude,
            longitude: p.longitude,
            active: true,
        })
        .collect();
    api.store.write(|tx| {
        tx.execute("DELETE FROM partners", [])?;
        upsert_partners(tx, &entries)
    })?;
    summary.pages = 1;
    summary.partners = entries.len();
    Ok(summary)
}

/// A directory search (all criteria optional).
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartnerQuery {
    /// Only this category.
    pub category: Option<PartnerCategory>,
    /// Words in the name or city (case-insensitive).
    pub text: Option<String>,
    /// Sort by distance from this point (latitude, longitude)…
    pub near: Option<(f64, f64)>,
    /// …and keep only partners within this radius (km).
    pub radius_km: Option<f64>,
    /// Most results (default 50).
    pub limit: Option<usize>,
}

/// A directory entry with its distance from the query point.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PartnerHit {
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
    /// Distance from the query point (km), when one was given.
    pub distance_km: Option<f64>,
}

/// Great-circle distance (km) between two WGS84 points.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Searches the cached directory (works offline).
pub(crate) fn search(api: &Api, q: &PartnerQuery) -> Result<Vec<PartnerHit>, ClientError> {
    let text = q
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| format!("%{}%", t.replace(['%', '_'], "")));
    let category = q.category.map(|c| c.code());
    let mut hits = api
        .store
        .read(|c| -> Result<Vec<PartnerHit>, ClientError> {
            let mut st = c.prepare_cached(
                "SELECT id, name, category, address, city, postal_code, latitude, longitude
             FROM partners
             WHERE (?1 IS NULL OR category = ?1)
               AND (?2 IS NULL OR name LIKE ?2 OR city LIKE ?2)",
            )?;
            let rows = st.query_map(params![category, text], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, f64>(6)?,
                    r.get::<_, f64>(7)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, cat, address, city, postal_code, latitude, longitude) = row?;
                let Ok(category) = serde_json::from_value(serde_json::Value::String(cat)) else {
                    continue;
                };
                out.push(PartnerHit {
                    id,
                    name,
                    category,
                    address,
                    city,
                    postal_code,
                    latitude,
                    longitude,
                    distance_km: None,
                });
            }
            Ok(out)
        })?;
    if let Some(point) = q.near {
        for h in &mut hits {
            h.distance_km = Some(haversine_km(point, (h.latitude, h.longitude)));
        }
        if let Some(r) = q.radius_km {
            hits.retain(|h| h.distance_km.is_some_and(|d| d <= r));
        }
        hits.sort_by(|a, b| {
            a.distance_km
                .partial_cmp(&b.distance_km)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.name.cmp(&b.name))
        });
    } else {
        hits.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    }
    hits.truncate(q.limit.unwrap_or(50));
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_lyon_paris() {
        let d = haversine_km((45.7640, 4.8357), (48.8566, 2.3522));
        assert!((d - 391.5).abs() < 2.0, "{d}");
        assert!(haversine_km((45.0, 4.0), (45.0, 4.0)).abs() < 1e-9);
    }
}
