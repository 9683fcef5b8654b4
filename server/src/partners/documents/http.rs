//! Handlers of documents and convention PDFs: a draft's uploads (type from
//! the content, size bounded by the document store), viewing them (the
//! applicant and the Region only), the convention PDF.

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use passregion_core::application::DocumentKind;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::Auth;
use crate::error::ServiceError;
use crate::partners::model::ApplicationDocument;
use crate::partners::store::{PartnerFiles, new_document};
use crate::state::AppState;
use crate::web::extract::{Body, Path, Query, blocking};
use crate::web::problem::ApiError;

pub(crate) fn files(s: &AppState) -> PartnerFiles {
    s.partner_files.clone()
}

/// Where an upload says what it is.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// `kbis_statuts`, `rib`, `attestation_assurance`, `affiliation_federation` or `autre`.
    pub kind: String,
    /// The file's name.
    pub filename: String,
}

/// Add a document to the draft: the body is the file (PDF, JPEG or PNG,
/// recognised from its content; size bounded).
#[utoipa::path(post, path = "/api/partner/application/documents", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ApplicationDocument), (status = 413, body = ApiError), (status = 415, body = ApiError)), security(("bearer" = [])))]
pub async fn upload_document(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<UploadQuery>,
    Body(body): Body,
) -> Result<(StatusCode, Json<ApplicationDocument>), ApiError> {
    crate::accounts::partner_manager(&p)?;
    let kind = DocumentKind::parse(&q.kind).ok_or(ServiceError::Invalid {
        field: "kind",
        message: "Type de document inconnu.".into(),
    })?;
    let filename = crate::partners::application::clean_filename(&q.filename)?;
    let (store, pf, now) = (s.store.clone(), files(&s), s.clock.now());
    let doc = blocking(move || {
        let stored = pf.files.put(&body)?;
        store.add_document(&p, new_document(kind, filename, &stored, now))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// Remove a document from the draft.
#[utoipa::path(delete, path = "/api/partner/application/documents/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn remove_document(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.remove_document(&p, &id, now)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn file_response(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{safe}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".to_owned(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// A document of an application: for the applicant and the Region only.
#[utoipa::path(get, path = "/api/documents/{id}", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn document(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (store, pf) = (s.store.clone(), files(&s));
    let (doc, bytes) = blocking(move || {
        let doc = store.document(&p, &id)?;
        let bytes = pf.files.get(&doc.sha256)?;
        Ok((doc, bytes))
    })
    .await?;
    Ok(file_response(bytes, &doc.content_type, &doc.filename))
}

/// The newest convention as a PDF (the signed one once signed).
#[utoipa::path(get, path = "/api/partner/convention.pdf",
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn convention_pdf(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Response, ApiError> {
    let pid = crate::accounts::own_partner(&p)?;
    pdf_of(&s, pid).await
}

pub(crate) async fn pdf_of(s: &AppState, pid: String) -> Result<Response, ApiError> {
    let (store, pf) = (s.store.clone(), files(s));
    let bytes = blocking(move || {
        let sha = store.convention_pdf(&pid)?;
        Ok(pf.files.get(&sha)?)
    })
    .await?;
    Ok(file_response(
        bytes,
        "application/pdf",
        "convention-pass-region.pdf",
    ))
}

/// The routes of documents and PDFs.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(remove_document))
        .routes(routes!(document))
        .routes(routes!(convention_pdf))
        .merge(
            // The upload's own ceiling; the document store enforces the
            // configured size with a clear answer below it.
            OpenApiRouter::new()
                .routes(routes!(upload_document))
                .layer(DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
}
