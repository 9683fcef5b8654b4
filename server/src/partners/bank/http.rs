//! Handlers of bank-details changes: the manager asks and confirms with the
//! SMS code; the Region lists and decides; the partner is told.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use passregion_core::partner::{masked_phone, signature_code};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::Auth;
use crate::accounts::{RegionDesk, region_desk};
use crate::partners::model::{BankChange, BankChangeDecision, BankChangeRequest, SignRequest};
use crate::state::AppState;
use crate::web::extract::{Body, Path, blocking, parse_json};
use crate::web::problem::ApiError;

fn bank_sms(code: &str) -> String {
    format!(
        "PASS'Région : pour confirmer le changement de vos coordonnées bancaires, votre code est {code}. Il est valable 15 minutes. Si vous n'avez rien demandé, contactez la Région."
    )
}

/// Ask to change the bank details (manager): the code goes by SMS to the
/// phone on file; payouts continue on the current account until approval.
#[utoipa::path(post, path = "/api/partner/bank-details", request_body = BankChangeRequest,
    responses((status = 202, body = BankChange), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn request_change(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<BankChange>), ApiError> {
    let (req, _) = parse_json::<BankChangeRequest>(&headers, &body)?;
    let (code, now) = (signature_code(rand::random()), s.clock.now());
    let (store, sms) = (s.store.clone(), s.sms.clone());
    let change = blocking(move || {
        let (id, phone) = store.request_bank_change(&p, req, &code, now)?;
        sms.send(&phone, &bank_sms(&code))?;
        store
            .my_bank_changes(&p)?
            .into_iter()
            .find(|c| c.id == id)
            .map(|mut c| {
                c.code_sent_to = masked_phone(&phone);
                c
            })
            .ok_or(crate::error::ServiceError::NotFound("Changement"))
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(change)))
}

/// Confirm the change with the code received by SMS.
#[utoipa::path(post, path = "/api/partner/bank-details/confirm", request_body = SignRequest,
    responses((status = 200, body = BankChange), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn confirm_change(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<BankChange>, ApiError> {
    let (req, _) = parse_json::<SignRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.confirm_bank_change(&p, &req.code, now))
        .await
        .map(Json)
}

/// The partner's bank-details changes.
#[utoipa::path(get, path = "/api/partner/bank-details/changes",
    responses((status = 200, body = Vec<BankChange>)), security(("bearer" = [])))]
pub async fn my_changes(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<BankChange>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.my_bank_changes(&p)).await.map(Json)
}

/// Confirmed changes waiting for the Region (the whole IBANs).
#[utoipa::path(get, path = "/api/region/bank-changes",
    responses((status = 200, body = Vec<BankChange>)), security(("bearer" = [])))]
pub async fn changes_to_decide(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<BankChange>>, ApiError> {
    region_desk(&p, RegionDesk::Finance)?;
    let store = s.store.clone();
    blocking(move || store.bank_changes_to_decide())
        .await
        .map(Json)
}

/// The Region approves or refuses a change; the partner is told.
#[utoipa::path(post, path = "/api/region/bank-changes/{id}/decision", request_body = BankChangeDecision,
    params(("id" = String, Path)), responses((status = 200, body = BankChange), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn decide_change(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<BankChange>, ApiError> {
    region_desk(&p, RegionDesk::Finance)?;
    let (req, _) = parse_json::<BankChangeDecision>(&headers, &body)?;
    let (store, now, by) = (s.store.clone(), s.clock.now(), p.account_id.clone());
    let (change, message) = blocking(move || store.decide_bank_change(&id, req, &by, now)).await?;
    crate::partners::region::http::tell(&s, change.partner_id.clone(), message, now).await;
    Ok(Json(change))
}

/// The routes of bank-details changes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_change))
        .routes(routes!(confirm_change))
        .routes(routes!(my_changes))
        .routes(routes!(changes_to_decide))
        .routes(routes!(decide_change))
}
