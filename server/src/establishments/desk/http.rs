//! Handlers of the établissement's desk: bulk actions, card history, staff.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use passregion_core::api::desk::{
    BulkOrderDecision, BulkResult, BulkRevalidation, CardEvent, EstablishmentInvitation,
    EstablishmentStaffMember,
};
use passregion_core::api::establishments::Establishment;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::EstablishmentStaff;
use crate::establishments::desk as staff;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Path;
use crate::web::extract::blocking;
use crate::web::extract::idempotency;
use crate::web::extract::parse_json;
use crate::web::problem::ApiError;

/// Validates (issuing the cards) or refuses with one reason up to 1000
/// orders of the établissement; one result per order, in the order sent
/// (another établissement's order is refused as unknown). Requires an
/// `Idempotency-Key` header: a retry answers the same and decides nothing
/// twice.
#[utoipa::path(post, path = "/api/establishment/orders/decisions", request_body = BulkOrderDecision,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 200, body = BulkResult), (status = 400, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn decide_orders(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<BulkResult>, ApiError> {
    let (req, hash) = parse_json::<BulkOrderDecision>(&headers, &body)?;
    let idem = idempotency(&headers, &p, "establishment-order-decisions", &hash)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.bulk_decide(&p, req, idem, now))
        .await
        .map(Json)
}

/// Revalidates up to 1000 cards of the établissement for the new season,
/// each checked with the core rules (season, eligibility on the first day
/// of use); one result per card, a refusal with its French reason.
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/establishment/cards/revalidate", request_body = BulkRevalidation,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 200, body = BulkResult), (status = 400, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn revalidate_cards(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<BulkResult>, ApiError> {
    let (req, hash) = parse_json::<BulkRevalidation>(&headers, &body)?;
    let idem = idempotency(&headers, &p, "establishment-card-revalidations", &hash)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.bulk_revalidate(&p, req, idem, now))
        .await
        .map(Json)
}

/// The caller's établissement (its name for the desk's header).
#[utoipa::path(get, path = "/api/establishment",
    responses((status = 200, body = Establishment), (status = 403, body = ApiError)), security(("bearer" = [])))]
pub async fn own_establishment(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
) -> Result<Json<Establishment>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.own_establishment(&p))
        .await
        .map(Json)
}

/// A card's history: suspensions (with their reasons), reactivations and
/// revalidations, when and by whom, newest first.
#[utoipa::path(get, path = "/api/establishment/cards/{id}/history", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CardEvent>), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn card_history(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
) -> Result<Json<Vec<CardEvent>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.card_history(&p, &id))
        .await
        .map(Json)
}

/// The établissement's staff (its head only).
#[utoipa::path(get, path = "/api/establishment/staff",
    responses((status = 200, body = Vec<EstablishmentStaffMember>), (status = 403, body = ApiError)),
    security(("bearer" = [])))]
pub async fn list_establishment_staff(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
) -> Result<Json<Vec<EstablishmentStaffMember>>, ApiError> {
    let store = s.store.clone();
    Ok(Json(staff::staff(store, &p, s.clock.now()).await?))
}

/// Invites a colleague (its head only): the account is created and a link,
/// valid 7 days and once, is mailed to it.
#[utoipa::path(post, path = "/api/establishment/staff", request_body = EstablishmentInvitation,
    responses((status = 201, body = EstablishmentStaffMember), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn invite_establishment_staff(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<EstablishmentStaffMember>), ApiError> {
    let (req, _) = parse_json::<EstablishmentInvitation>(&headers, &body)?;
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

/// The Region invites the head (or a member of staff) of an établissement,
/// e.g. one just imported: the account is created and a link, valid 7 days
/// and once, is mailed to it.
#[utoipa::path(post, path = "/api/region/establishments/{id}/staff", request_body = EstablishmentInvitation,
    params(("id" = String, Path)),
    responses((status = 201, body = EstablishmentStaffMember), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn region_invite_establishment_staff(
    State(s): State<AppState>,
    crate::accounts::session::RegionInstruction(_p): crate::accounts::session::RegionInstruction,
    crate::web::extract::Path(id): crate::web::extract::Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<EstablishmentStaffMember>), ApiError> {
    let (req, _) = parse_json::<EstablishmentInvitation>(&headers, &body)?;
    let member = staff::invite_to(
        staff::Staffing {
            store: s.store.clone(),
            passwords: &s.passwords,
            mailer: s.mailer.clone(),
            mails: &s.budgets.mails,
            public_url: &s.public_url,
        },
        id,
        req,
        s.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Removes a colleague's access (its head only; not one's own): its
/// sessions end at once.
#[utoipa::path(delete, path = "/api/establishment/staff/{account_id}", params(("account_id" = String, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn remove_establishment_staff(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(account_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = s.store.clone();
    staff::remove(store, &s.sessions, &p, &account_id, s.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of the établissement's desk, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(own_establishment))
        .routes(routes!(decide_orders))
        .routes(routes!(revalidate_cards))
        .routes(routes!(card_history))
        .routes(routes!(
            list_establishment_staff,
            invite_establishment_staff
        ))
        .routes(routes!(remove_establishment_staff))
        .routes(routes!(region_invite_establishment_staff))
}
