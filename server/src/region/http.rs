//! Handlers of the Region's views.

use crate::accounts::session::RegionStaff;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::State;

use crate::region::model::CardFlag;
use crate::region::model::LedgerCheck;
use crate::state::AppState;
use crate::web::extract::blocking;
use crate::web::problem::ApiError;

/// Check the ledger: for every card, `loaded = balance + debited − refunded`; and the
/// reimbursement batches: `Σ payable − owed = Σ (debits − refunds)` for every partner.
#[utoipa::path(get, path = "/api/region/ledger/check", responses((status = 200, body = LedgerCheck)), security(("bearer" = [])))]
pub async fn ledger_check(
    State(s): State<AppState>,
    RegionStaff(_): RegionStaff,
) -> Result<Json<LedgerCheck>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.check_ledger()).await.map(Json)
}

/// Cards flagged for offline overspend (the Region carries the amount).
#[utoipa::path(get, path = "/api/region/flags", responses((status = 200, body = Vec<CardFlag>)), security(("bearer" = [])))]
pub async fn region_flags(
    State(s): State<AppState>,
    RegionStaff(_): RegionStaff,
) -> Result<Json<Vec<CardFlag>>, ApiError> {
    let sync = s.store.clone();
    blocking(move || sync.flags()).await.map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ledger_check))
        .routes(routes!(region_flags))
}
