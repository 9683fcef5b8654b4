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

use crate::error::ServiceError;
use crate::state::AppState;
use crate::web::extract::Query;
use crate::web::problem::ApiError;

/// Liveness: the writer thread, the trust list's freshness and the free disk
/// space of the data directory (503 when any is wrong, so that a load
/// balancer stops sending traffic here).
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(s): State<AppState>) -> (axum::http::StatusCode, Json<Health>) {
    let now = s.clock.now();
    let trust = s.keys.freshness(now);
    // Off the async threads: on PostgreSQL this takes a connection and asks it.
    let engine = s.engine.clone();
    let writer = tokio::task::spawn_blocking(move || engine.alive())
        .await
        .unwrap_or(false);
    let disk = s.disk.state();
    let ok = writer && !trust.stale && !disk.low;
    let status = if ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if ok { "ok" } else { "degraded" }.to_owned(),
            time: now,
            season: Season::of_instant(now).to_string(),
            writer,
            trust_list: passregion_core::api::TrustListHealth {
                version: trust.version,
                expires_at: trust.expires_at,
                stale: trust.stale,
                automatic_renewal: trust.automatic_renewal,
            },
            disk: passregion_core::api::DiskHealth {
                available_bytes: disk.available_bytes,
                threshold_bytes: s.disk.threshold_bytes,
                low: disk.low,
            },
        }),
    )
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

/// The operations metrics in the Prometheus text format (ADR 0034), for a
/// client on this machine not forwarded by a trusted proxy, or with the
/// bearer token of `--metrics-token`; anyone else gets the 404 of an unknown
/// route. Not in the API document: it is no part of the apps' API.
pub async fn metrics(State(s): State<AppState>, req: axum::extract::Request) -> Response {
    let peer = crate::web::metrics::peer(req.extensions());
    if !s.metrics.allows(peer, req.headers(), &s.trusted_proxies.0) {
        return ApiError::route_not_found().into_response();
    }
    let store = s.store.clone();
    match crate::platform::run_blocking(move || store.outbox_counts()).await {
        Ok((pending, abandoned)) => {
            crate::platform::metrics::notification_outbox(pending, abandoned)
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the outbox could not be counted"),
    }
    let text = crate::platform::metrics::render().unwrap_or_default();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Adds the server time to every response, so phones correct their clocks,
/// and `Cache-Control: no-store` to every API answer that does not set its
/// own: API answers are personal (sessions, cards, QR codes, credentials) and
/// must not stay in a shared or browser cache.
pub async fn server_time(
    State(s): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&s.clock.now().to_rfc3339()) {
        res.headers_mut().insert("x-server-time", v);
    }
    if api
        && !res
            .headers()
            .contains_key(axum::http::header::CACHE_CONTROL)
    {
        res.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
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
        .merge(crate::establishments::desk::http::routes())
        .merge(crate::region::http::routes())
        .merge(crate::region::staff::http::routes())
        .merge(crate::stats::http::routes())
        .merge(crate::sync::http::routes())
        .merge(crate::help::http::routes())
        .merge(crate::cards::privacy::http::routes())
        .merge(crate::cards::lost::http::routes())
        .merge(crate::cards::printing::http::routes())
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
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::web::metrics::track))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            server_time,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::openapi_document;

    fn doc() -> serde_json::Value {
        serde_json::to_value(openapi_document()).unwrap()
    }

    fn json_schema<'a>(v: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
        &v["content"]["application/json"]["schema"]
            .as_object()
            .unwrap_or_else(|| panic!("{path}: no JSON schema"))["$ref"]
    }

    #[test]
    fn every_json_answer_and_body_has_a_schema() {
        let d = doc();
        for (path, ops) in d["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                for (status, r) in op["responses"].as_object().unwrap() {
                    if status.starts_with('2') && status != "204" {
                        let content = r["content"].as_object();
                        assert!(content.is_some(), "{method} {path} {status}: no content");
                        // Images are bytes; every JSON answer has a schema.
                        if let Some(json) = r["content"].get("application/json") {
                            let s = &json["schema"];
                            assert!(
                                s.as_object().is_some_and(|s| !s.is_empty()),
                                "{method} {path} {status}: free JSON answer"
                            );
                        }
                    }
                }
                // A file upload's body is bytes; every JSON body has a schema.
                if let Some(b) = op.get("requestBody")
                    && let Some(json) = b["content"].get("application/json")
                {
                    assert!(
                        json["schema"].as_object().is_some_and(|s| !s.is_empty()),
                        "{method} {path}: free JSON request body"
                    );
                }
            }
        }
    }

    #[test]
    fn sync_devices_and_me_have_real_schemas() {
        let d = doc();
        let p = &d["paths"];
        let cases = [
            (
                &p["/api/partner/devices"]["post"]["responses"]["201"],
                "EnrolResponse",
            ),
            (
                &p["/api/partner/devices"]["post"]["requestBody"],
                "EnrolRequest",
            ),
            (
                &p["/api/sync/push"]["post"]["responses"]["200"],
                "PushResponse",
            ),
            (&p["/api/sync/push"]["post"]["requestBody"], "PushRequest"),
            (
                &p["/api/sync/pull"]["get"]["responses"]["200"],
                "PullResponse",
            ),
            (&p["/api/me"]["get"]["responses"]["200"], "Me"),
            (
                &p["/api/trust-root"]["get"]["responses"]["200"],
                "TrustRoot",
            ),
        ];
        for (v, name) in cases {
            assert_eq!(
                json_schema(v, name),
                &serde_json::json!(format!("#/components/schemas/{name}"))
            );
        }
        // Money is a string; a null the server always sends is required.
        let s = &d["components"]["schemas"];
        assert_eq!(s["OfflineDebit"]["properties"]["price"]["type"], "string");
        let required = s["AccountView"]["required"].as_array().unwrap();
        assert!(required.contains(&serde_json::json!("partner_id")));
        let required = s["Transaction"]["required"].as_array().unwrap();
        assert!(required.contains(&serde_json::json!("refund_of")));
        assert!(!required.contains(&serde_json::json!("balance_after")));
    }
}
