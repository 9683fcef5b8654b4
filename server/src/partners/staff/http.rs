//! Handlers of a partner's staff and devices (rules in `staff/mod.rs`).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use passregion_core::api::staff::{DeviceView, InvitationAccept, StaffInvitation, StaffMember};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::LoginResponse;
use crate::accounts::session::PartnerAccount;
use crate::error::ServiceError;
use crate::partners::error::PartnersError;
use crate::partners::staff;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Path;
use crate::web::extract::blocking;
use crate::web::extract::parse_json;
use crate::web::problem::ApiError;

/// The structure's staff (managers only).
#[utoipa::path(get, path = "/api/partner/staff",
    responses((status = 200, body = Vec<StaffMember>), (status = 403, body = ApiError)), security(("bearer" = [])))]
pub async fn list_staff(
    State(s): State<AppState>,
    PartnerAccount(p): PartnerAccount,
) -> Result<Json<Vec<StaffMember>>, ApiError> {
    let store = s.store.clone();
    Ok(Json(staff::staff(store, &p, s.clock.now()).await?))
}

/// Invites a cashier or a manager (managers only): the account is created
/// and a link, valid 7 days and once, is mailed to it.
#[utoipa::path(post, path = "/api/partner/staff", request_body = StaffInvitation,
    responses((status = 201, body = StaffMember), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn invite(
    State(s): State<AppState>,
    PartnerAccount(p): PartnerAccount,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<StaffMember>), ApiError> {
    let (req, _) = parse_json::<StaffInvitation>(&headers, &body)?;
    let member = staff::invite(
        staff::Staffing {
            store: s.store.clone(),
            passwords: &s.passwords,
            mailer: s.mailer.clone(),
            mails: &s.budgets.mails,
            public_url: &s.public_url,
        },
        &p,
        req,
        s.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Removes a member's access (managers only; not one's own): its sessions
/// end at once.
#[utoipa::path(delete, path = "/api/partner/staff/{account_id}", params(("account_id" = String, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn remove(
    State(s): State<AppState>,
    PartnerAccount(p): PartnerAccount,
    Path(account_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = s.store.clone();
    staff::remove(store, &s.sessions, &p, &account_id, s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts an invitation with its link's token and a password; opens a session.
#[utoipa::path(post, path = "/api/auth/invitation/accept", request_body = InvitationAccept,
    responses((status = 200, body = LoginResponse), (status = 410, body = ApiError), (status = 422, body = ApiError)))]
pub async fn accept(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<LoginResponse>, ApiError> {
    let (req, _) = parse_json::<InvitationAccept>(&headers, &body)?;
    let store = s.store.clone();
    let email = staff::accept(store, &s.passwords, req, s.clock.now()).await?;
    let store = s.store.clone();
    let record = blocking(move || store.account_by_email(&email))
        .await?
        .ok_or(ServiceError::Partners(PartnersError::InvitationInvalid))?;
    crate::accounts::http::open_session(&s, record.view)
        .await
        .map(Json)
}

/// The structure's enrolled devices (any member of its staff).
#[utoipa::path(get, path = "/api/partner/devices",
    responses((status = 200, body = Vec<DeviceView>), (status = 403, body = ApiError)), security(("bearer" = [])))]
pub async fn list_devices(
    State(s): State<AppState>,
    PartnerAccount(p): PartnerAccount,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    let store = s.store.clone();
    Ok(Json(staff::devices(store, &p).await?))
}

/// Revokes a device (managers only): its offline debits are refused at push.
#[utoipa::path(post, path = "/api/partner/devices/{id}/revoke", params(("id" = String, Path)),
    responses((status = 200, body = DeviceView), (status = 403, body = ApiError), (status = 404, body = ApiError)),
    security(("bearer" = [])))]
pub async fn revoke_device(
    State(s): State<AppState>,
    PartnerAccount(p): PartnerAccount,
    Path(id): Path<String>,
) -> Result<Json<DeviceView>, ApiError> {
    let store = s.store.clone();
    Ok(Json(staff::revoke(store, &p, &id, s.clock.now()).await?))
}

/// The routes of a partner's staff and devices, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_staff))
        .routes(routes!(invite))
        .routes(routes!(remove))
        .routes(routes!(accept))
        .routes(routes!(list_devices))
        .routes(routes!(revoke_device))
}
