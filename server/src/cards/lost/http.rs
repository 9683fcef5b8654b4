//! Declaring a card lost or stolen: by the youth from her app, or by her
//! établissement.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::accounts::session::Auth;
use crate::cards::model::{CardView, LostCardRequest};
use crate::state::AppState;
use crate::web::extract::{Body, Path, blocking, parse_json};
use crate::web::problem::ApiError;

/// The youth declares her card lost or stolen: blocked at once, replaced by
/// a new card (same balances, new number).
#[utoipa::path(post, path = "/api/youth/card/lost", request_body = LostCardRequest,
    responses((status = 200, body = CardView), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn youth_lost(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<CardView>, ApiError> {
    require_role(&p, Role::Youth)?;
    let (req, _) = parse_json::<LostCardRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.youth_card_lost(&p, req.stolen, now))
        .await
        .map(Json)
}

/// The établissement declares one of its cards lost or stolen.
#[utoipa::path(post, path = "/api/establishment/cards/{id}/lost", request_body = LostCardRequest,
    params(("id" = String, Path)), responses((status = 200, body = CardView), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn establishment_lost(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<CardView>, ApiError> {
    require_role(&p, Role::Establishment)?;
    let (req, _) = parse_json::<LostCardRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.establishment_card_lost(&p, &id, req.stolen, now))
        .await
        .map(Json)
}

/// The routes of lost cards.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(youth_lost))
        .routes(routes!(establishment_lost))
}
