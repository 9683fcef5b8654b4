//! Every route and the OpenAPI document.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use passregion_core::Catalogue;
use passregion_core::Season;
use passregion_core::api::Health;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::OpenApi;

use crate::app::AppState;
use crate::error::ServiceError;
use crate::web::extract::Query;
use crate::web::problem::ApiError;

/// Liveness.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)))]
pub async fn health(State(s): State<AppState>) -> Json<Health> {
    let now = s.clock.now();
    Json(Health {
        status: "ok".to_owned(),
        time: now,
        season: Season::of_instant(now).to_string(),
    })
}

/// The season's catalogue of avantages.
#[utoipa::path(get, path = "/api/catalogue", params(("season" = Option<String>, Query, description = "2026-2027")),
    responses((status = 200, body = Catalogue, description = "The catalogue"), (status = 404, body = ApiError)))]
pub async fn catalogue(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Catalogue>, ApiError> {
    let season = match q.get("season") {
        Some(v) => v.parse::<Season>().map_err(|_| ServiceError::Invalid {
            field: "season",
            message: "Une saison s'écrit 2026-2027.".into(),
        })?,
        None => Season::of_instant(s.clock.now()),
    };
    s.catalogues
        .get(season)
        .cloned()
        .map(Json)
        .ok_or_else(|| ServiceError::NotFound("Catalogue").into())
}

/// Adds the server time to every response, so phones correct their clocks.
pub async fn server_time(
    State(s): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut res = next.run(req).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&s.clock.now().to_rfc3339()) {
        res.headers_mut().insert("x-server-time", v);
    }
    res
}

/// The API document.
/// The API document: its description and security scheme; the paths come
/// from each domain's `routes()`, so no endpoint exists without its entry.
#[derive(OpenApi)]
#[openapi(
    info(title = "PASS'Région API", description = "The Region's source of truth: accounts, orders, cards, avantages, the ledger, debits and reimbursements. Errors are application/problem+json bodies with a stable `code` and a French `message`."),
    components(schemas(ApiError, crate::debits::model::DebitReceipt)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Every documented route: each domain's `routes()`, merged.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(catalogue))
        .merge(crate::accounts::http::routes())
        .merge(crate::cards::http::routes())
        .merge(crate::debits::http::routes())
        .merge(crate::reimbursements::http::routes())
        .merge(crate::bons_plans::http::routes())
        .merge(crate::partners::http::routes())
        .merge(crate::establishments::http::routes())
        .merge(crate::region::http::routes())
        .merge(crate::sync::http::routes())
}

/// The OpenAPI document, as built from the routes.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// Every route.
pub fn router(state: AppState) -> Router {
    let (routes, doc) = api().split_for_parts();
    let doc = Arc::new(doc);
    routes
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()).into_response() }
            }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            server_time,
        ))
        .with_state(state)
}
