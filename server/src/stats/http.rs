//! `GET /api/region/stats` and `GET /api/region/stats.csv` (the Region only).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use passregion_core::Season;
use passregion_core::api::stats::{RegionStats, StatsQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::RegionStaff;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::web::extract::{Query, blocking};
use crate::web::problem::ApiError;

/// The season asked (`2026` or `2026-2027`; the current one when absent)
/// and the département (1 to 3 letters or digits).
fn filters(
    q: &StatsQuery,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Season, Option<String>), ServiceError> {
    let season = match q.season.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Season::of_instant(now),
        Some(s) => {
            let parsed = if s.len() == 4 {
                s.parse::<i32>().ok().and_then(|y| Season::starting(y).ok())
            } else {
                s.parse::<Season>().ok()
            };
            parsed.ok_or_else(|| ServiceError::Invalid {
                field: "season",
                message: "Une saison s'écrit 2026 ou 2026-2027.".into(),
            })?
        }
    };
    let dep = match q
        .departement
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(d) if d.len() <= 3 && d.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Some(d.to_ascii_uppercase())
        }
        Some(_) => {
            return Err(ServiceError::Invalid {
                field: "departement",
                message: "Un département s'écrit 69, 2A ou 974.".into(),
            });
        }
    };
    Ok((season, dep))
}

async fn stats_of(s: &AppState, q: &StatsQuery) -> Result<RegionStats, ApiError> {
    let (season, dep) = filters(q, s.clock.now())?;
    let store = s.store.clone();
    blocking(move || store.region_stats(season, dep)).await
}

/// The Region's statistics for a season (and a département): cards by
/// public, track, département and établissement; uptake per avantage; spend
/// per avantage and category, by month; offline share and flags; top
/// partners; bons plans per partner against the minimum.
#[utoipa::path(get, path = "/api/region/stats", params(StatsQuery),
    responses((status = 200, body = RegionStats), (status = 422, body = ApiError), (status = 403, body = ApiError)),
    security(("bearer" = [])))]
pub async fn region_stats(
    State(s): State<AppState>,
    RegionStaff(_): RegionStaff,
    Query(q): Query<StatsQuery>,
) -> Result<Json<RegionStats>, ApiError> {
    stats_of(&s, &q).await.map(Json)
}

/// The same figures as CSV (`;`, UTF-8 with a BOM, French headers).
#[utoipa::path(get, path = "/api/region/stats.csv", params(StatsQuery),
    responses((status = 200, content_type = "text/csv"), (status = 422, body = ApiError), (status = 403, body = ApiError)),
    security(("bearer" = [])))]
pub async fn region_stats_csv(
    State(s): State<AppState>,
    RegionStaff(_): RegionStaff,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let stats = stats_of(&s, &q).await?;
    let bytes = crate::stats::csv::csv(&stats)?;
    let name = format!(
        "statistiques-{}{}.csv",
        stats.season,
        stats
            .departement
            .as_deref()
            .map(|d| format!("-{d}"))
            .unwrap_or_default()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The routes of the statistics.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(region_stats))
        .routes(routes!(region_stats_csv))
}
