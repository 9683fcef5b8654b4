//! Handlers of reimbursements.

use crate::accounts::session::RegionFinance;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;

use crate::accounts::session::Auth;
use crate::reimbursements::model::Batch;
use crate::reimbursements::model::CloseRequest;
use crate::reimbursements::model::ManualPayment;
use crate::reimbursements::model::ReimbursementSummary;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Path;
use crate::web::extract::blocking;
use crate::web::problem::ApiError;

/// The partner's reimbursements: totals and batches.
#[utoipa::path(get, path = "/api/partner/reimbursements",
    responses((status = 200, body = ReimbursementSummary)), security(("bearer" = [])))]
pub async fn partner_reimbursements(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<ReimbursementSummary>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.partner_reimbursements(&p))
        .await
        .map(Json)
}

/// Every reimbursement batch.
#[utoipa::path(get, path = "/api/region/reimbursements", responses((status = 200, body = Vec<Batch>)), security(("bearer" = [])))]
pub async fn region_batches(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
) -> Result<Json<Vec<Batch>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.batches()).await.map(Json)
}

/// Close a reimbursement batch per partner for the transactions before `period_end`.
#[utoipa::path(post, path = "/api/region/reimbursements/close", request_body = CloseRequest,
    responses((status = 200, body = Vec<Batch>)), security(("bearer" = [])))]
pub async fn close_batches(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Vec<Batch>>, ApiError> {
    let (req, _) = parse_json::<CloseRequest>(&headers, &body)?;
    let now = s.clock.now();
    let end = req.period_end.unwrap_or(now).min(now);
    let store = s.store.clone();
    blocking(move || store.close_reimbursements(end, now))
        .await
        .map(Json)
}

/// Mark a batch paid by hand, with the bank's reference of the transfer
/// ("paid, reference X"): from the queue or from a payment run; logged in
/// the payment audit (who, when, reference).
#[utoipa::path(post, path = "/api/region/reimbursements/{id}/pay", params(("id" = String, Path)),
    request_body = ManualPayment,
    responses((status = 200, body = Batch), (status = 404, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn pay_batch(
    State(s): State<AppState>,
    RegionFinance(p): RegionFinance,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Batch>, ApiError> {
    let (req, _) = parse_json::<ManualPayment>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.pay_manually(&p, &id, req, now))
        .await
        .map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(partner_reimbursements))
        .routes(routes!(region_batches))
        .routes(routes!(close_batches))
        .routes(routes!(pay_batch))
        .merge(crate::reimbursements::payments::http::routes())
}
