//! Extractors with our error shape, JSON parsing with a canonical hash, the `Idempotency-Key` header, blocking storage work.

use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use passregion_core::PartnerCategory;
use serde::de::DeserializeOwned;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::sql::sha256_hex;
use crate::web::problem::ApiError;

/// The query-string types (shared with the clients).
pub use passregion_core::api::PageQuery;
pub use passregion_core::api::SearchQuery;

/// Runs blocking storage work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::platform::run_blocking(f)
        .await
        .map_err(ApiError::from)
}

/// Query parameters, with our error shape on failure.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Path parameters, with our error shape on failure.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The request body as bytes, with our error shape on failure (413…).
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(ApiError::from)
    }
}

/// Parses a JSON body; returns the value and a canonical hash of it.
pub fn parse_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(T, String), ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE)
        && !ct
            .to_str()
            .is_ok_and(|s| s.trim_start().starts_with("application/json"))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "type_contenu_invalide",
            "Le corps de la requête doit être du JSON (Content-Type: application/json).",
        ));
    }
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "json_invalide",
            "Le corps de la requête n'est pas du JSON valide.",
        )
    })?;
    let canonical = serde_json::to_string(&value).unwrap_or_default();
    let parsed = serde_json::from_value::<T>(value).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "donnees_invalides",
            format!(
                "Données invalides : {}",
                crate::web::problem::describe_serde(&e.to_string())
            ),
        )
    })?;
    Ok((parsed, sha256_hex(canonical.as_bytes())))
}

/// Reads the `Idempotency-Key` header.
pub(crate) fn idempotency(
    headers: &HeaderMap,
    who: &Principal,
    route: &str,
    body_hash: &str,
) -> Result<Idempotency, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(ServiceError::IdempotencyKeyMissing)?;
    Ok(Idempotency {
        account_id: who.account_id.clone(),
        key: key.to_owned(),
        request_hash: sha256_hex(format!("{route}\n{body_hash}").as_bytes()),
    })
}

pub(crate) fn stored(resp: StoredResponse) -> Response {
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        resp.body,
    )
        .into_response()
}

pub(crate) fn parse_category(c: Option<&str>) -> Result<Option<PartnerCategory>, ApiError> {
    match c.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => PartnerCategory::ALL
            .into_iter()
            .find(|k| k.code() == c)
            .map(Some)
            .ok_or_else(|| {
                ServiceError::Invalid {
                    field: "category",
                    message: "Catégorie de partenaire inconnue.".into(),
                }
                .into()
            }),
    }
}

pub(crate) fn limit(q: &PageQuery) -> (i64, u32) {
    (
        q.after.unwrap_or(0).max(0),
        q.limit.unwrap_or(100).clamp(1, 500),
    )
}
