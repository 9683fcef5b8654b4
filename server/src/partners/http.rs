//! Handlers of partner onboarding and the directory.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use passregion_core::partner::masked_phone;
use passregion_core::partner::signature_code;

use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::accounts::session::Auth;
use crate::error::ServiceError;
use crate::partners::model::ApplicationRequest;
use crate::partners::model::ApplicationResponse;
use crate::partners::model::CodeSent;
use crate::partners::model::Partner;
use crate::partners::model::PartnerDecision;
use crate::partners::model::PartnerStatus;
use crate::partners::model::SignRequest;
use crate::partners::sms::sms_text;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Path;
use crate::web::extract::Query;
use crate::web::extract::SearchQuery;
use crate::web::extract::blocking;
use crate::web::extract::parse_category;
use crate::web::problem::ApiError;

/// Partner directory (validated partners, with coordinates).
#[utoipa::path(get, path = "/api/partners", params(SearchQuery), responses((status = 200, body = Vec<Partner>)))]
pub async fn partners(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Partner>>, ApiError> {
    let cat = parse_category(q.category.as_deref())?;
    let store = s.store.clone();
    blocking(move || store.partners(q.q.as_deref(), cat))
        .await
        .map(Json)
}

pub(crate) fn code(state: &AppState) -> String {
    let _ = state;
    signature_code(rand::random())
}

/// Apply to become a partner (public): creates the partner space and sends the
/// signature code by SMS.
#[utoipa::path(post, path = "/api/partners/applications", request_body = ApplicationRequest,
    responses((status = 201, body = ApplicationResponse), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn apply(
    State(s): State<AppState>,
    crate::web::limits::ClientAddress(client): crate::web::limits::ClientAddress,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<ApplicationResponse>), ApiError> {
    // Public and sends an SMS: every application spends the source's budget.
    let source = format!("apply-ip:{client}");
    if !s.budgets.source.reserve(&[source.as_str()], s.clock.now()) {
        return Err(ServiceError::TooManyAttempts.into());
    }
    let (req, _) = parse_json::<ApplicationRequest>(&headers, &body)?;
    let (siret, phone) = crate::partners::check_application(&req)?;
    let password = req.password.clone();
    let hash = s
        .passwords
        .run(move || crate::accounts::password::hash_password(&password))
        .await?
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let (code, now) = (code(&s), s.clock.now());
    let (store, sms) = (s.store.clone(), s.sms.clone());
    let text = sms_text(&code);
    let phone2 = phone.clone();
    let (email, contact, category) = (
        req.email.trim().to_lowercase(),
        req.contact_name.trim().to_owned(),
        req.category,
    );
    let (partner_id, account_id) = crate::web::extract::blocking(move || {
        let ids = store.apply(&req, siret, phone2.clone(), hash, &code, now)?;
        sms.send(&phone2, &text)?;
        Ok(ids)
    })
    .await?;
    let session = crate::accounts::http::open_session(
        &s,
        crate::accounts::model::AccountView {
            id: account_id,
            email,
            role: Role::Partner,
            display_name: contact,
            partner_id: Some(partner_id.clone()),
            partner_category: Some(category),
            establishment_id: None,
            partner_role: Some(passregion_core::status::PartnerRole::Manager),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApplicationResponse {
            partner_id,
            code_sent_to: masked_phone(&phone),
            session,
        }),
    ))
}

/// Send a new signature code by SMS.
#[utoipa::path(post, path = "/api/partner/convention/code", responses((status = 200, body = CodeSent)), security(("bearer" = [])))]
pub async fn resend_code(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<CodeSent>, ApiError> {
    let (code, now) = (code(&s), s.clock.now());
    let (store, sms) = (s.store.clone(), s.sms.clone());
    let sent_to = crate::web::extract::blocking(move || {
        let phone = store.new_code(&p, &code, now)?;
        sms.send(&phone, &sms_text(&code))?;
        Ok(masked_phone(&phone))
    })
    .await?;
    Ok(Json(CodeSent {
        code_sent_to: sent_to,
    }))
}

/// Sign the convention with the code received by SMS.
#[utoipa::path(post, path = "/api/partner/convention/sign", request_body = SignRequest,
    responses((status = 200, body = PartnerStatus), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn sign(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PartnerStatus>, ApiError> {
    let (req, _) = parse_json::<SignRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    crate::web::extract::blocking(move || store.sign(&p, &req.code, now))
        .await
        .map(Json)
}

/// The partner's application and convention, with its bons plans count.
#[utoipa::path(get, path = "/api/partner/status", responses((status = 200, body = PartnerStatus)), security(("bearer" = [])))]
pub async fn my_status(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<PartnerStatus>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    crate::web::extract::blocking(move || store.my_status(&p, now))
        .await
        .map(Json)
}

/// Partners for the Region (applications to instruct, bons plans minimum).
#[utoipa::path(get, path = "/api/region/partners", params(("status" = Option<String>, Query)),
    responses((status = 200, body = Vec<PartnerStatus>)), security(("bearer" = [])))]
pub async fn region_partners(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<PartnerStatus>>, ApiError> {
    require_role(&p, Role::Region)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let status = q.get("status").cloned();
    crate::web::extract::blocking(move || store.partners_for_region(status.as_deref(), now))
        .await
        .map(Json)
}

/// The Region validates or refuses an application (the convention must be signed).
#[utoipa::path(post, path = "/api/region/partners/{id}/decision", request_body = PartnerDecision,
    params(("id" = String, Path)), responses((status = 200, body = PartnerStatus)), security(("bearer" = [])))]
pub async fn decide(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PartnerStatus>, ApiError> {
    require_role(&p, Role::Region)?;
    let (req, _) = parse_json::<PartnerDecision>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    crate::web::extract::blocking(move || store.decide(&id, &req, now))
        .await
        .map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(partners))
        .routes(routes!(apply))
        .routes(routes!(resend_code))
        .routes(routes!(sign))
        .routes(routes!(my_status))
        .routes(routes!(region_partners))
        .routes(routes!(decide))
        .merge(crate::partners::staff::http::routes())
}
