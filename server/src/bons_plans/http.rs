//! Handlers of bons plans.

use crate::accounts::session::PartnerAccount;
use crate::accounts::session::RegionInstruction;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;

use crate::accounts::session::Auth;
use crate::bons_plans::model::BonPlan;
use crate::bons_plans::model::BonPlanRequest;
use crate::bons_plans::model::ModerationRequest;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Path;
use crate::web::extract::Query;
use crate::web::extract::SearchQuery;
use crate::web::extract::blocking;
use crate::web::extract::parse_category;
use crate::web::problem::ApiError;

/// Published bons plans.
#[utoipa::path(get, path = "/api/bons-plans", params(SearchQuery), responses((status = 200, body = Vec<BonPlan>)))]
pub async fn bons_plans(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<BonPlan>>, ApiError> {
    let cat = parse_category(q.category.as_deref())?;
    let (store, today) = (
        s.store.clone(),
        passregion_core::season::region_date(s.clock.now()),
    );
    blocking(move || store.bons_plans(cat, today))
        .await
        .map(Json)
}

/// The partner's bons plans.
#[utoipa::path(get, path = "/api/partner/bons-plans", responses((status = 200, body = Vec<BonPlan>)), security(("bearer" = [])))]
pub async fn partner_bons_plans(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<BonPlan>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.partner_bons_plans(&p))
        .await
        .map(Json)
}

/// Submit a bon plan for moderation.
#[utoipa::path(post, path = "/api/partner/bons-plans", request_body = BonPlanRequest,
    responses((status = 201, body = BonPlan)), security(("bearer" = [])))]
pub async fn submit_bon_plan(
    State(s): State<AppState>,
    PartnerAccount(p): PartnerAccount,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<BonPlan>), ApiError> {
    let (req, _) = parse_json::<BonPlanRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let plan = blocking(move || store.submit_bon_plan(&p, req, now)).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Bons plans waiting for moderation.
#[utoipa::path(get, path = "/api/region/bons-plans/pending", responses((status = 200, body = Vec<BonPlan>)), security(("bearer" = [])))]
pub async fn pending_bons_plans(
    State(s): State<AppState>,
    RegionInstruction(_): RegionInstruction,
) -> Result<Json<Vec<BonPlan>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.bons_plans_to_moderate())
        .await
        .map(Json)
}

/// Publish or refuse a bon plan.
#[utoipa::path(post, path = "/api/region/bons-plans/{id}/decision", request_body = ModerationRequest,
    params(("id" = String, Path)), responses((status = 200, body = BonPlan)), security(("bearer" = [])))]
pub async fn moderate_bon_plan(
    State(s): State<AppState>,
    RegionInstruction(_): RegionInstruction,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<BonPlan>, ApiError> {
    let (req, _) = parse_json::<ModerationRequest>(&headers, &body)?;
    let store = s.store.clone();
    blocking(move || store.moderate_bon_plan(&id, req))
        .await
        .map(Json)
}

/// Edit one of the partner's bons plans (it goes back to moderation).
#[utoipa::path(put, path = "/api/partner/bons-plans/{id}", request_body = BonPlanRequest, params(("id" = String, Path)),
    responses((status = 200, body = BonPlan), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn update_bon_plan(
    State(s): State<AppState>,
    PartnerAccount(p): PartnerAccount,
    crate::web::extract::Path(id): crate::web::extract::Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<BonPlan>, ApiError> {
    let (req, _) = parse_json::<BonPlanRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.update_bon_plan(&p, &id, req, now))
        .await
        .map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(bons_plans))
        .routes(routes!(partner_bons_plans, submit_bon_plan))
        .routes(routes!(update_bon_plan))
        .routes(routes!(pending_bons_plans))
        .routes(routes!(moderate_bon_plan))
}
