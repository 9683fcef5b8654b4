//! Handlers of the partner's side: the directory, the application (draft,
//! documents, CGP, sending), the convention (code, signature, PDF, renewal,
//! termination) and the partner's status.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use passregion_core::partner::masked_phone;
use passregion_core::partner::signature_code;
use passregion_core::season::region_date;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::RegisterResponse;
use crate::accounts::session::Auth;
use crate::error::ServiceError;
use crate::partners::convention::TerminatedBy;
use crate::partners::documents::http::files;
use crate::partners::model::{
    ApplicationDraft, ApplicationStart, ApplicationView, Cgp, CodeSent, ConventionToSign, Partner,
    PartnerStatus, SignRequest, SubmitApplication, Termination,
};
use crate::partners::sms::sms_text;
use crate::state::AppState;
use crate::web::extract::{Body, Query, SearchQuery, blocking, parse_category, parse_json};
use crate::web::problem::ApiError;

/// Partner directory (partners whose convention is in force, with coordinates).
#[utoipa::path(get, path = "/api/partners", params(SearchQuery), responses((status = 200, body = Vec<Partner>)))]
pub async fn partners(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Partner>>, ApiError> {
    let cat = parse_category(q.category.as_deref())?;
    let (store, today) = (s.store.clone(), region_date(s.clock.now()));
    blocking(move || store.partners(q.q.as_deref(), cat, today))
        .await
        .map(Json)
}

pub(crate) fn code() -> String {
    signature_code(rand::random())
}

/// Start an application (public): the same answer whether the e-mail is
/// free or not; the link sent opens the saved draft.
#[utoipa::path(post, path = "/api/partners/applications", request_body = ApplicationStart,
    responses((status = 202, body = RegisterResponse), (status = 422, body = ApiError), (status = 429, body = ApiError)))]
pub async fn apply(
    State(s): State<AppState>,
    crate::web::limits::ClientAddress(client): crate::web::limits::ClientAddress,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    // Public and sends a mail: every application spends the source's budget.
    let source = format!("apply-ip:{client}");
    if !s.budgets.source.reserve(&[source.as_str()], s.clock.now()) {
        return Err(ServiceError::TooManyAttempts.into());
    }
    let (req, _) = parse_json::<ApplicationStart>(&headers, &body)?;
    let answer = crate::accounts::registration::register_partner(
        crate::accounts::registration::Registration {
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
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// The caller's application as it stands.
#[utoipa::path(get, path = "/api/partner/application", responses((status = 200, body = ApplicationView)), security(("bearer" = [])))]
pub async fn my_application(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<ApplicationView>, ApiError> {
    let pid = crate::accounts::own_partner(&p)?;
    let (store, pf, now) = (s.store.clone(), files(&s), s.clock.now());
    blocking(move || store.application(&pid, &pf, now))
        .await
        .map(Json)
}

/// Save fields of the draft (each one given is checked).
#[utoipa::path(put, path = "/api/partner/application", request_body = ApplicationDraft,
    responses((status = 200, body = ApplicationView), (status = 409, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn save_draft(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ApplicationView>, ApiError> {
    let (draft, _) = parse_json::<ApplicationDraft>(&headers, &body)?;
    let (store, pf, now) = (s.store.clone(), files(&s), s.clock.now());
    blocking(move || store.save_draft(&p, draft, &pf, now))
        .await
        .map(Json)
}

/// A validated partner's manager changes its profile and bank details.
#[utoipa::path(put, path = "/api/partner/profile", request_body = ApplicationDraft,
    responses((status = 200, body = ApplicationView), (status = 403, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn update_profile(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ApplicationView>, ApiError> {
    let (draft, _) = parse_json::<ApplicationDraft>(&headers, &body)?;
    let (store, pf, now) = (s.store.clone(), files(&s), s.clock.now());
    blocking(move || store.update_profile(&p, draft, &pf, now))
        .await
        .map(Json)
}

/// The current Conditions Générales de Partenariat (public).
#[utoipa::path(get, path = "/api/cgp", responses((status = 200, body = Cgp)))]
pub async fn cgp(State(s): State<AppState>) -> Result<Json<Cgp>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.cgp()).await.map(Json)
}

async fn convention_to_sign(
    s: &AppState,
    p: crate::accounts::model::Principal,
    req: SubmitApplication,
    renewal: bool,
) -> Result<Json<ConventionToSign>, ApiError> {
    let (code, now) = (code(), s.clock.now());
    let (store, sms, pf) = (s.store.clone(), s.sms.clone(), files(s));
    let pid = crate::accounts::partner_manager(&p)?;
    let view = blocking(move || {
        let phone = store.submit(&p, &req.cgp_version, renewal, &code, &pf, now)?;
        sms.send(&phone, &sms_text(&code))?;
        let view = store.application(&pid, &pf, now)?;
        Ok((view, masked_phone(&phone)))
    })
    .await?;
    Ok(Json(ConventionToSign {
        application: view.0,
        code_sent_to: view.1,
    }))
}

/// Send the application with the CGP version read: the convention is made
/// and the signature code sent by SMS.
#[utoipa::path(post, path = "/api/partner/application/submit", request_body = SubmitApplication,
    responses((status = 200, body = ConventionToSign), (status = 409, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn submit(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ConventionToSign>, ApiError> {
    let (req, _) = parse_json::<SubmitApplication>(&headers, &body)?;
    convention_to_sign(&s, p, req, false).await
}

/// Renew: sign the convention of the current model (its term is near, or
/// a new CGP version is out).
#[utoipa::path(post, path = "/api/partner/convention/renew", request_body = SubmitApplication,
    responses((status = 200, body = ConventionToSign), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn renew(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ConventionToSign>, ApiError> {
    let (req, _) = parse_json::<SubmitApplication>(&headers, &body)?;
    convention_to_sign(&s, p, req, true).await
}

/// Send a new signature code by SMS.
#[utoipa::path(post, path = "/api/partner/convention/code", responses((status = 200, body = CodeSent), (status = 429, body = ApiError)), security(("bearer" = [])))]
pub async fn resend_code(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<CodeSent>, ApiError> {
    let (code, now) = (code(), s.clock.now());
    let (store, sms) = (s.store.clone(), s.sms.clone());
    let sent_to = blocking(move || {
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
    responses((status = 200, body = ApplicationView), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn sign(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ApplicationView>, ApiError> {
    let (req, _) = parse_json::<SignRequest>(&headers, &body)?;
    let pid = crate::accounts::own_partner(&p)?;
    let (store, pf, now) = (s.store.clone(), files(&s), s.clock.now());
    blocking(move || {
        store.sign(&p, &req.code, &pf, now)?;
        store.application(&pid, &pf, now)
    })
    .await
    .map(Json)
}

/// The partner ends its convention, from a date (today or later).
#[utoipa::path(post, path = "/api/partner/convention/terminate", request_body = Termination,
    responses((status = 200, body = ApplicationView), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn terminate(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<ApplicationView>, ApiError> {
    let (req, _) = parse_json::<Termination>(&headers, &body)?;
    let pid = crate::accounts::partner_manager(&p)?;
    let (store, pf, now) = (s.store.clone(), files(&s), s.clock.now());
    let pid2 = pid.clone();
    let view = blocking(move || {
        store.terminate(&pid2, TerminatedBy::Partner, req, now)?;
        store.application(&pid2, &pf, now)
    })
    .await?;
    s.sessions.remove_partner(&pid);
    Ok(Json(view))
}

/// The partner's structure, with its bons plans count.
#[utoipa::path(get, path = "/api/partner/status", responses((status = 200, body = PartnerStatus)), security(("bearer" = [])))]
pub async fn my_status(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<PartnerStatus>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.my_status(&p, now)).await.map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(partners))
        .routes(routes!(apply))
        .routes(routes!(my_application, save_draft))
        .routes(routes!(update_profile))
        .routes(routes!(cgp))
        .routes(routes!(submit))
        .routes(routes!(renew))
        .routes(routes!(resend_code))
        .routes(routes!(sign))
        .routes(routes!(terminate))
        .routes(routes!(my_status))
        .merge(crate::partners::documents::http::routes())
        .merge(crate::partners::region::http::routes())
        .merge(crate::partners::staff::http::routes())
        .merge(crate::partners::bank::http::routes())
}
