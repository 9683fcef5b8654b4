//! `GET /api/help` (public: the login screen links to it).

use axum::Json;
use axum::extract::State;
use passregion_core::api::HelpInfo;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The help screen: FAQ, support phone and hours, accessibility statement, versions.
#[utoipa::path(get, path = "/api/help", responses((status = 200, body = HelpInfo)))]
pub async fn help(State(s): State<AppState>) -> Json<HelpInfo> {
    Json(s.help.as_ref().clone())
}

/// The routes of the help screen.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(help))
}
