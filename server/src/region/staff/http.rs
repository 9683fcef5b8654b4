//! Handlers of the Region's staff (its administrators only).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use passregion_core::api::region_staff::{RegionInvitation, RegionRoleChange, RegionStaffMember};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::RegionAdmin;
use crate::region::staff;
use crate::state::AppState;
use crate::web::extract::{Body, Path, parse_json};
use crate::web::problem::ApiError;

/// The Region's agents, administrators first (administrators only).
#[utoipa::path(get, path = "/api/region/staff",
    responses((status = 200, body = Vec<RegionStaffMember>), (status = 403, body = ApiError)),
    security(("bearer" = [])))]
pub async fn list_region_staff(
    State(s): State<AppState>,
    RegionAdmin(_): RegionAdmin,
) -> Result<Json<Vec<RegionStaffMember>>, ApiError> {
    Ok(Json(staff::staff(s.store.clone(), s.clock.now()).await?))
}

/// Invites an agent with a role (administrators only): the account is
/// created and a link, valid 7 days and once, is mailed to it.
#[utoipa::path(post, path = "/api/region/staff", request_body = RegionInvitation,
    responses((status = 201, body = RegionStaffMember), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn invite_region_staff(
    State(s): State<AppState>,
    RegionAdmin(_): RegionAdmin,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<RegionStaffMember>), ApiError> {
    let (req, _) = parse_json::<RegionInvitation>(&headers, &body)?;
    let member = staff::invite(
        staff::Staffing {
            store: s.store.clone(),
            passwords: &s.passwords,
            mailer: s.mailer.clone(),
            mails: &s.budgets.mails,
            public_url: &s.public_url,
        },
        req,
        s.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Changes an agent's role (administrators only; never the last active
/// administrator's): the agent's sessions end at once.
#[utoipa::path(put, path = "/api/region/staff/{account_id}/role", request_body = RegionRoleChange,
    params(("account_id" = String, Path)),
    responses((status = 200, body = RegionStaffMember), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn change_region_role(
    State(s): State<AppState>,
    RegionAdmin(_): RegionAdmin,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<RegionStaffMember>, ApiError> {
    let (req, _) = parse_json::<RegionRoleChange>(&headers, &body)?;
    let member = staff::change_role(
        s.store.clone(),
        &s.sessions,
        &account_id,
        req.role,
        s.clock.now(),
    )
    .await?;
    Ok(Json(member))
}

/// Removes an agent's access (administrators only; never the last active
/// administrator): its sessions end at once.
#[utoipa::path(delete, path = "/api/region/staff/{account_id}", params(("account_id" = String, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn remove_region_staff(
    State(s): State<AppState>,
    RegionAdmin(_): RegionAdmin,
    Path(account_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    staff::remove(s.store.clone(), &s.sessions, &account_id, s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of the Region's staff, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_region_staff, invite_region_staff))
        .routes(routes!(change_region_role))
        .routes(routes!(remove_region_staff))
}
