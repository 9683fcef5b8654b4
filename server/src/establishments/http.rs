//! Handlers of établissements.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;

use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::accounts::session::Auth;
use crate::establishments::model::CollectiveRequest;
use crate::establishments::model::CollectiveResponse;
use crate::establishments::model::Establishment;
use crate::establishments::model::Referent;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Query;
use crate::web::extract::SearchQuery;
use crate::web::extract::blocking;
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
    let r = crate::web::extract::blocking(move || store.add_referent(&p, &req, now)).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Referents: the établissement's own, or (partners, Region) by theme.
#[utoipa::path(get, path = "/api/referents", params(("theme" = Option<String>, Query)),
    responses((status = 200, body = Vec<Referent>)), security(("bearer" = [])))]
pub async fn referents(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<Referent>>, ApiError> {
    let store = s.store.clone();
    let theme = q.get("theme").cloned();
    crate::web::extract::blocking(move || store.referents(&p, theme.as_deref()))
        .await
        .map(Json)
}

/// Pay a group booking at a partner with the avantages of the établissement's
/// youths taking part. Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/establishment/collective-debits", request_body = CollectiveRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = CollectiveResponse), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn collective_debit(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    require_role(&p, Role::Establishment)?;
    let (req, hash) = parse_json::<CollectiveRequest>(&headers, &body)?;
    let idem = crate::web::extract::idempotency(&headers, &p, "collective", &hash)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.collective_debit(&p, req, idem, now))
        .await
        .map(crate::web::extract::stored)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(establishments))
        .routes(routes!(add_referent))
        .routes(routes!(referents))
        .routes(routes!(collective_debit))
}
