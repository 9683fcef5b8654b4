//! The public error: HTTP status, stable machine code, French message (`application/problem+json`).

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::JsonRejection;
use axum::extract::rejection::PathRejection;
use axum::extract::rejection::QueryRejection;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

/// The public error: what every non-2xx response carries
/// (`application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiError {
    /// HTTP status, repeated in the body.
    pub status: u16,
    /// Stable machine code (snake_case, French), e.g. `credit_epuise`.
    pub code: &'static str,
    /// Message for people, in French.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ApiError {
    /// Builds an error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status.as_u16(),
            code,
            message: message.into(),
            field: None,
        }
    }

    pub(crate) fn field(mut self, field: &'static str) -> ApiError {
        self.field = Some(field);
        self
    }

    /// 404 for unknown routes.
    pub fn route_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "route_inconnue",
            "Cette adresse n'existe pas.",
        )
    }

    /// 405 for known routes with the wrong method.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "methode_non_autorisee",
            "Cette méthode n'est pas acceptée ici.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let status = r.status();
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "type_contenu_invalide",
                "Le corps de la requête doit être du JSON (Content-Type: application/json).",
            ),
            JsonRejection::JsonSyntaxError(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "json_invalide",
                "Le corps de la requête n'est pas du JSON valide.",
            ),
            JsonRejection::JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "donnees_invalides",
                format!("Données invalides : {}", describe_serde(&e.body_text())),
            ),
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "corps_trop_volumineux",
                "Le corps de la requête est trop volumineux.",
            ),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "requete_invalide",
                "La requête n'a pas pu être lue.",
            ),
        }
    }
}

/// Keeps serde's explanation of a type error (field name, expected type) but
/// never echoes the submitted value back, and bounds its length.
pub fn describe_serde(text: &str) -> String {
    let t = text.split_once(": ").map(|(_, rest)| rest).unwrap_or(text);
    // Drop quoted values (they may be what the person typed).
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in t.chars().take(300).filter(|c| !c.is_control()) {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push('…');
            }
            Some(_) => {}
            None if c == '"' => quote = Some('"'),
            None => out.push(c),
        }
    }
    if let Some(i) = out.find(" at line") {
        out.truncate(i);
    }
    out
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "introuvable",
            "Identifiant invalide ou introuvable.",
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "parametres_invalides",
            "Les paramètres de la requête sont invalides.",
        )
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> ApiError {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "corps_trop_volumineux",
                "Le corps de la requête est trop volumineux.",
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "requete_invalide",
                "La requête n'a pas pu être lue.",
            )
        }
    }
}
