//! Handlers of établissements.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;

use crate::accounts::model::Principal;
use crate::accounts::session::Auth;
use crate::accounts::session::EstablishmentStaff;
use crate::accounts::session::PartnerStaff;
use crate::accounts::session::RegionInstruction;
use crate::accounts::session::Youth;
use crate::establishments::grants::ReferentAction;
use crate::establishments::model::CollectiveBooking;
use crate::establishments::model::CollectiveBookingRequest;
use crate::establishments::model::CollectiveDecision;
use crate::establishments::model::Establishment;
use crate::establishments::model::PartnerReferent;
use crate::establishments::model::Referent;
use crate::establishments::model::ReferentDecision;
use crate::establishments::model::ReferentRequest;
use crate::establishments::model::ReferentRequestInput;
use crate::establishments::model::ReferentSummary;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Path;
use crate::web::extract::Query;
use crate::web::extract::SearchQuery;
use crate::web::extract::blocking;
use crate::web::extract::idempotency;
use crate::web::extract::stored;
use crate::web::problem::ApiError;

/// Établissements (for the order form).
#[utoipa::path(get, path = "/api/establishments", params(SearchQuery), responses((status = 200, body = Vec<Establishment>)))]
pub async fn establishments(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Establishment>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.establishments(q.q.as_deref()))
        .await
        .map(Json)
}

/// Declare a thematic referent of the établissement.
#[utoipa::path(post, path = "/api/establishment/referents", request_body = Referent,
    responses((status = 201, body = Referent)), security(("bearer" = [])))]
pub async fn add_referent(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Referent>), ApiError> {
    let (req, _) = parse_json::<Referent>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let r = blocking(move || store.add_referent(&p, &req, now)).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The directory of référents, without their contact: the établissement's
/// own, or (partners in force, Region) every établissement's by theme. A
/// partner gets a contact through `/api/partner/referents` once granted.
#[utoipa::path(get, path = "/api/referents", params(("theme" = Option<String>, Query)),
    responses((status = 200, body = Vec<ReferentSummary>)), security(("bearer" = [])))]
pub async fn referents(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<ReferentSummary>>, ApiError> {
    let store = s.store.clone();
    let theme = q.get("theme").cloned();
    blocking(move || store.referents(&p, theme.as_deref()))
        .await
        .map(Json)
}

/// The établissement's référents, with their contact.
#[utoipa::path(get, path = "/api/establishment/referents",
    responses((status = 200, body = Vec<Referent>)), security(("bearer" = [])))]
pub async fn own_referents(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
) -> Result<Json<Vec<Referent>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.own_referents(&p)).await.map(Json)
}

/// Edit a référent of the établissement (theme, name, e-mail, phone). The
/// partners it is granted to see the new contact.
#[utoipa::path(put, path = "/api/establishment/referents/{id}", params(("id" = String, Path)),
    request_body = Referent,
    responses((status = 200, body = Referent), (status = 404, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn edit_referent(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Referent>, ApiError> {
    let (req, _) = parse_json::<Referent>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.edit_referent(&p, &id, &req, now))
        .await
        .map(Json)
}

/// Remove a référent of the établissement, and every request for it: no
/// partner sees its contact any more.
#[utoipa::path(delete, path = "/api/establishment/referents/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn remove_referent(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = s.store.clone();
    blocking(move || store.remove_referent(&p, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every établissement's référents (of a theme) as this partner sees them:
/// the e-mail and phone only while its request is granted, its latest
/// request's status otherwise.
#[utoipa::path(get, path = "/api/partner/referents", params(("theme" = Option<String>, Query)),
    responses((status = 200, body = Vec<PartnerReferent>)), security(("bearer" = [])))]
pub async fn partner_referents(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<PartnerReferent>>, ApiError> {
    let store = s.store.clone();
    let theme = q.get("theme").cloned();
    blocking(move || store.partner_referents(&p, theme.as_deref()))
        .await
        .map(Json)
}

/// Ask for a référent's contact (a partner whose convention is in force; one
/// waiting or granted request per référent).
#[utoipa::path(post, path = "/api/partner/referent-requests", request_body = ReferentRequestInput,
    responses((status = 201, body = ReferentRequest), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn request_referent(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<ReferentRequest>), ApiError> {
    let (req, _) = parse_json::<ReferentRequestInput>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let r = blocking(move || store.request_referent(&p, &req, now)).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The partners' requests for the établissement's référents, newest first.
#[utoipa::path(get, path = "/api/establishment/referent-requests",
    responses((status = 200, body = Vec<ReferentRequest>)), security(("bearer" = [])))]
pub async fn referent_requests(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
) -> Result<Json<Vec<ReferentRequest>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.referent_requests(&p))
        .await
        .map(Json)
}

async fn decide(
    s: &AppState,
    p: Principal,
    id: String,
    action: ReferentAction,
    reason: Option<String>,
) -> Result<Json<ReferentRequest>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.decide_referent_request(&p, &id, action, reason, now))
        .await
        .map(Json)
}

/// Grant a waiting request: the partner sees the référent's contact.
#[utoipa::path(post, path = "/api/establishment/referent-requests/{id}/grant", params(("id" = String, Path)),
    responses((status = 200, body = ReferentRequest), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn grant_referent_request(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
) -> Result<Json<ReferentRequest>, ApiError> {
    decide(&s, p, id, ReferentAction::Grant, None).await
}

/// Decline a waiting request (optional reason, shown to the partner).
#[utoipa::path(post, path = "/api/establishment/referent-requests/{id}/decline", params(("id" = String, Path)),
    request_body = ReferentDecision,
    responses((status = 200, body = ReferentRequest), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn decline_referent_request(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ReferentRequest>, ApiError> {
    let (req, _) = parse_json::<ReferentDecision>(&headers, &body)?;
    decide(&s, p, id, ReferentAction::Decline, req.reason).await
}

/// Withdraw a grant: the partner no longer sees the contact.
#[utoipa::path(post, path = "/api/establishment/referent-requests/{id}/withdraw", params(("id" = String, Path)),
    responses((status = 200, body = ReferentRequest), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn withdraw_referent_request(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
) -> Result<Json<ReferentRequest>, ApiError> {
    decide(&s, p, id, ReferentAction::Withdraw, None).await
}

/// Request a collective booking from a partner for a group of the
/// établissement's youths. Nothing is debited until the partner confirms.
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/establishment/collective-bookings", request_body = CollectiveBookingRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = CollectiveBooking), (status = 409, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn request_booking(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (req, hash) = parse_json::<CollectiveBookingRequest>(&headers, &body)?;
    let idem = idempotency(&headers, &p, "collective-booking", &hash)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.request_booking(&p, req, idem, now))
        .await
        .map(stored)
}

/// The établissement's collective bookings, newest first.
#[utoipa::path(get, path = "/api/establishment/collective-bookings",
    responses((status = 200, body = Vec<CollectiveBooking>)), security(("bearer" = [])))]
pub async fn establishment_bookings(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
) -> Result<Json<Vec<CollectiveBooking>>, ApiError> {
    list(&s, p).await
}

/// Cancel a booking not yet answered by the partner.
#[utoipa::path(post, path = "/api/establishment/collective-bookings/{id}/cancel",
    params(("id" = String, Path)),
    responses((status = 200, body = CollectiveBooking), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn cancel_booking(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
) -> Result<Json<CollectiveBooking>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.cancel_booking(&p, &id, now))
        .await
        .map(Json)
}

/// The collective bookings asked of this partner, newest first.
#[utoipa::path(get, path = "/api/partner/collective-bookings",
    responses((status = 200, body = Vec<CollectiveBooking>)), security(("bearer" = [])))]
pub async fn partner_bookings(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
) -> Result<Json<Vec<CollectiveBooking>>, ApiError> {
    list(&s, p).await
}

/// Confirm the service of a booking: each youth's avantage is debited (the
/// counter's rule); the answer lists who could not be debited and why.
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/partner/collective-bookings/{id}/confirm",
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = CollectiveBooking), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn confirm_booking(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let idem = idempotency(&headers, &p, &format!("collective-confirm/{id}"), "")?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.confirm_booking(&p, &id, idem, now))
        .await
        .map(stored)
}

/// Decline a booking (nothing is debited).
#[utoipa::path(post, path = "/api/partner/collective-bookings/{id}/decline",
    params(("id" = String, Path)), request_body = CollectiveDecision,
    responses((status = 200, body = CollectiveBooking), (status = 404, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn decline_booking(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<CollectiveBooking>, ApiError> {
    let (req, _) = parse_json::<CollectiveDecision>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.decline_booking(&p, &id, req.reason, now))
        .await
        .map(Json)
}

/// The collective bookings that include the youth's card (waiting ones
/// included: nothing is debited before the partner confirms).
#[utoipa::path(get, path = "/api/youth/collective-bookings",
    responses((status = 200, body = Vec<CollectiveBooking>)), security(("bearer" = [])))]
pub async fn youth_bookings(
    State(s): State<AppState>,
    Youth(p): Youth,
) -> Result<Json<Vec<CollectiveBooking>>, ApiError> {
    list(&s, p).await
}

/// Every collective booking: request, answer, by whom, when.
#[utoipa::path(get, path = "/api/region/collective-bookings",
    responses((status = 200, body = Vec<CollectiveBooking>)), security(("bearer" = [])))]
pub async fn region_bookings(
    State(s): State<AppState>,
    RegionInstruction(p): RegionInstruction,
) -> Result<Json<Vec<CollectiveBooking>>, ApiError> {
    list(&s, p).await
}

async fn list(s: &AppState, p: Principal) -> Result<Json<Vec<CollectiveBooking>>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.bookings(&p, now)).await.map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(establishments))
        .routes(routes!(add_referent, own_referents))
        .routes(routes!(edit_referent, remove_referent))
        .routes(routes!(referents))
        .routes(routes!(partner_referents))
        .routes(routes!(request_referent))
        .routes(routes!(referent_requests))
        .routes(routes!(grant_referent_request))
        .routes(routes!(decline_referent_request))
        .routes(routes!(withdraw_referent_request))
        .routes(routes!(request_booking, establishment_bookings))
        .routes(routes!(cancel_booking))
        .routes(routes!(partner_bookings))
        .routes(routes!(confirm_booking))
        .routes(routes!(decline_booking))
        .routes(routes!(youth_bookings))
        .routes(routes!(region_bookings))
}
