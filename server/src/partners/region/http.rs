//! Handlers of the Region's side of partners: the list, a partner's record
//! (documents, SIRET and IBAN checks, bons plans, last activity), taking an
//! application up, the decision, suspension, reinstatement, termination,
//! the CGP versions. The partner is told each decision (in its space, by
//! SMS and by e-mail).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::Auth;
use crate::accounts::{RegionDesk, region_desk};
use crate::partners::convention::TerminatedBy;
use crate::partners::documents::http::{files, pdf_of};
use crate::partners::model::{
    Cgp, PartnerDecision, PartnerStatus, RegionPartnerRecord, Suspension, Termination,
};
use crate::platform::mail::Mail;
use crate::state::AppState;
use crate::web::extract::{Body, Path, Query, blocking, parse_json};
use crate::web::problem::ApiError;

/// Partners for the Region (applications to instruct, conventions, bons plans minimum).
#[utoipa::path(get, path = "/api/region/partners", params(("status" = Option<String>, Query)),
    responses((status = 200, body = Vec<PartnerStatus>)), security(("bearer" = [])))]
pub async fn region_partners(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<PartnerStatus>>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let status = q.get("status").cloned();
    blocking(move || store.partners_for_region(status.as_deref(), now))
        .await
        .map(Json)
}

async fn record(s: &AppState, id: String) -> Result<Json<RegionPartnerRecord>, ApiError> {
    let (store, pf, now) = (s.store.clone(), files(s), s.clock.now());
    blocking(move || store.region_record(&id, &pf, now))
        .await
        .map(Json)
}

/// A partner's record: its application, documents, checks and activity.
#[utoipa::path(get, path = "/api/region/partners/{id}", params(("id" = String, Path)),
    responses((status = 200, body = RegionPartnerRecord), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn partner_record(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<RegionPartnerRecord>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    record(&s, id).await
}

/// Take a signed application up (it is then *en instruction*).
#[utoipa::path(post, path = "/api/region/partners/{id}/instruction", params(("id" = String, Path)),
    responses((status = 200, body = RegionPartnerRecord), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn start_instruction(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<RegionPartnerRecord>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (store, now, pid) = (s.store.clone(), s.clock.now(), id.clone());
    blocking(move || store.start_instruction(&pid, now)).await?;
    record(&s, id).await
}

/// Tells a partner (SMS and e-mail, best effort: the notice in its space is
/// already stored with the decision).
pub(crate) async fn tell(s: &AppState, partner_id: String, message: String, now: DateTime<Utc>) {
    let (store, sms, mailer) = (s.store.clone(), s.sms.clone(), s.mailer.clone());
    let base = s.public_url.trim_end_matches('/').to_owned();
    let sent = blocking(move || {
        let (email, phone) = store.contacts(&partner_id)?;
        if let Some(phone) = phone
            && let Err(e) = sms.send(&phone, &format!("PASS'Région : {message}"))
        {
            tracing::warn!(error = %e, "partner notice: SMS not sent");
        }
        if let Some(to) = email {
            let mail = Mail {
                to,
                subject: "PASS'Région : votre partenariat".into(),
                body: format!(
                    "Bonjour,\n\n{message}\n\nRetrouvez le détail dans votre espace partenaire : {base}/#/partenaire/convention\n"
                ),
            };
            if let Err(e) = mailer.send(&mail) {
                tracing::warn!(error = %e, "partner notice: e-mail not sent");
            }
        }
        Ok(())
    })
    .await;
    if let Err(e) = sent {
        tracing::warn!(code = e.code, at = %now, "partner notice not sent");
    }
}

/// The Region validates or refuses an application (the convention must be signed).
#[utoipa::path(post, path = "/api/region/partners/{id}/decision", request_body = PartnerDecision,
    params(("id" = String, Path)), responses((status = 200, body = PartnerStatus)), security(("bearer" = [])))]
pub async fn region_decide(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PartnerStatus>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (req, _) = parse_json::<PartnerDecision>(&headers, &body)?;
    let (store, now, pid) = (s.store.clone(), s.clock.now(), id.clone());
    let (status, message) = blocking(move || store.decide(&pid, &req, now)).await?;
    // Its staff's next request reads the new standing.
    s.sessions.remove_partner(&id);
    tell(&s, id, message, now).await;
    Ok(Json(status))
}

/// Suspend a partner (debits and enrolments refused until reinstated).
#[utoipa::path(post, path = "/api/region/partners/{id}/suspend", request_body = Suspension,
    params(("id" = String, Path)), responses((status = 200, body = RegionPartnerRecord), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn region_suspend(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<RegionPartnerRecord>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (req, _) = parse_json::<Suspension>(&headers, &body)?;
    change(&s, id, move |store, pid, now| {
        store.suspend(pid, Some(req.reason), now)
    })
    .await
}

/// Lift a suspension.
#[utoipa::path(post, path = "/api/region/partners/{id}/reinstate",
    params(("id" = String, Path)), responses((status = 200, body = RegionPartnerRecord), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn reinstate(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<RegionPartnerRecord>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    change(&s, id, |store, pid, now| store.suspend(pid, None, now)).await
}

/// Terminate a partner's convention from a date (today or later).
#[utoipa::path(post, path = "/api/region/partners/{id}/terminate", request_body = Termination,
    params(("id" = String, Path)), responses((status = 200, body = RegionPartnerRecord), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn region_terminate(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<RegionPartnerRecord>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (req, _) = parse_json::<Termination>(&headers, &body)?;
    change(&s, id, move |store, pid, now| {
        store.terminate(pid, TerminatedBy::Region, req, now)
    })
    .await
}

/// Runs a change of a partner's standing, forgets its cached sessions (the
/// next debit reads the new standing) and tells it.
async fn change(
    s: &AppState,
    id: String,
    f: impl FnOnce(
        &dyn crate::state::Storage,
        &str,
        DateTime<Utc>,
    ) -> Result<String, crate::error::ServiceError>
    + Send
    + 'static,
) -> Result<Json<RegionPartnerRecord>, ApiError> {
    let (store, now, pid) = (s.store.clone(), s.clock.now(), id.clone());
    let message = blocking(move || f(store.as_ref(), &pid, now)).await?;
    s.sessions.remove_partner(&id);
    tell(s, id.clone(), message, now).await;
    record(s, id).await
}

/// A partner's newest convention as a PDF.
#[utoipa::path(get, path = "/api/region/partners/{id}/convention.pdf", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn region_convention_pdf(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    pdf_of(&s, id).await
}

/// Publish a CGP version (the convention model of new signatures and renewals).
#[utoipa::path(post, path = "/api/region/cgp", request_body = Cgp,
    responses((status = 200, body = Cgp), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn publish_cgp(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Cgp>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (req, _) = parse_json::<Cgp>(&headers, &body)?;
    let cgp = crate::partners::cgp::check(req, s.clock.now())?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let published = cgp.clone();
    let new = blocking(move || store.publish_cgp(published, now)).await?;
    if !new {
        return Err(crate::error::ServiceError::from(
            crate::partners::error::PartnersError::WrongState,
        )
        .into());
    }
    Ok(Json(cgp))
}

/// The routes of the Region's side.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(region_partners))
        .routes(routes!(partner_record))
        .routes(routes!(start_instruction))
        .routes(routes!(region_decide))
        .routes(routes!(region_suspend))
        .routes(routes!(reinstate))
        .routes(routes!(region_terminate))
        .routes(routes!(region_convention_pdf))
        .routes(routes!(publish_cgp))
}
