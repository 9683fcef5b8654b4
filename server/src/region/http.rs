//! Handlers of the Region's views.

use crate::accounts::session::{RegionFinance, RegionInstruction, RegionStaff};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::Json;
use axum::extract::State;

use axum::http::HeaderMap;

use crate::error::ServiceError;
use crate::region::anomalies::ACCOUNT_KEY_PREFIXES;
use crate::region::lookup::LookupKey;
use crate::region::model::CardFlag;
use crate::region::model::LedgerCheck;
use crate::region::model::{
    Anomaly, AnomalyKind, AnomalyQuery, AuditQuery, FeedPage, FeedQuery, HandledRequest,
    LookupAuditPage, LookupQuery, LookupResult,
};
use crate::state::AppState;
use crate::web::extract::blocking;
use crate::web::extract::{Body, Path, Query, parse_json};
use crate::web::limits::SpentKey;
use crate::web::problem::ApiError;

/// Check the ledger: for every card, `loaded = balance + debited − refunded`; and the
/// reimbursement batches: `Σ payable − owed = Σ (debits − refunds)` for every partner.
#[utoipa::path(get, path = "/api/region/ledger/check", responses((status = 200, body = LedgerCheck)), security(("bearer" = [])))]
pub async fn ledger_check(
    State(s): State<AppState>,
    RegionFinance(_): RegionFinance,
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

/// The account budgets spent now (wrong passwords, failed card look-ups):
/// what the server's memory knows, lost at a restart.
fn account_locks(s: &AppState, now: chrono::DateTime<chrono::Utc>) -> Vec<SpentKey> {
    ACCOUNT_KEY_PREFIXES
        .iter()
        .flat_map(|p| s.budgets.account.spent(p, now))
        .collect()
}

/// The fraud and anomalies desk: offline overspends, locked card numbers,
/// locked accounts, unusual refund rates, debits at night; newest first.
#[utoipa::path(get, path = "/api/region/anomalies", params(AnomalyQuery),
    responses((status = 200, body = Vec<Anomaly>)), security(("bearer" = [])))]
pub async fn anomalies(
    State(s): State<AppState>,
    RegionStaff(_): RegionStaff,
    Query(q): Query<AnomalyQuery>,
) -> Result<Json<Vec<Anomaly>>, ApiError> {
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(AnomalyKind::from_code(k).ok_or(ServiceError::Invalid {
            field: "kind",
            message: "Type d'anomalie inconnu.".into(),
        })?),
        None => None,
    };
    let now = s.clock.now();
    let (store, locks) = (s.store.clone(), account_locks(&s, now));
    blocking(move || store.anomalies(locks, kind, q.handled, now))
        .await
        .map(Json)
}

/// Marks an anomaly handled, once, with a note (who and when are recorded;
/// append-only).
#[utoipa::path(post, path = "/api/region/anomalies/{id}/handled", request_body = HandledRequest,
    params(("id" = String, Path)), responses((status = 200, body = Anomaly)), security(("bearer" = [])))]
pub async fn mark_handled(
    State(s): State<AppState>,
    RegionInstruction(p): RegionInstruction,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Anomaly>, ApiError> {
    let (req, _) = parse_json::<HandledRequest>(&headers, &body)?;
    let now = s.clock.now();
    let (store, locks) = (s.store.clone(), account_locks(&s, now));
    blocking(move || store.mark_anomaly_handled(locks, id, p.account_id, req.note, now))
        .await
        .map(Json)
}

/// Support's card and youth look-up (card number, e-mail or name; or a card
/// id): the card, its holder, balances and ledger. Every look-up is audited
/// before it is answered.
#[utoipa::path(get, path = "/api/region/lookup", params(LookupQuery),
    responses((status = 200, body = LookupResult)), security(("bearer" = [])))]
pub async fn lookup(
    State(s): State<AppState>,
    RegionInstruction(p): RegionInstruction,
    Query(q): Query<LookupQuery>,
) -> Result<Json<LookupResult>, ApiError> {
    let key = LookupKey::read(q.q.as_deref(), q.card_id.as_deref())?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.lookup(p.account_id, key, now))
        .await
        .map(Json)
}

/// The audit of look-ups, newest first: who, when, the kind of query and its
/// keyed hash, the cards shown.
#[utoipa::path(get, path = "/api/region/lookup-audit", params(AuditQuery),
    responses((status = 200, body = LookupAuditPage)), security(("bearer" = [])))]
pub async fn lookup_audit(
    State(s): State<AppState>,
    RegionInstruction(_): RegionInstruction,
    Query(q): Query<AuditQuery>,
) -> Result<Json<LookupAuditPage>, ApiError> {
    let limit = crate::region::page_size(q.limit);
    let store = s.store.clone();
    blocking(move || store.lookup_audit(q.before, limit))
        .await
        .map(Json)
}

/// The live transaction feed, newest first: `before` pages back, `after`
/// polls for what is new (the oldest `limit` newer rows; `more_newer` when
/// more wait).
#[utoipa::path(get, path = "/api/region/feed", params(FeedQuery),
    responses((status = 200, body = FeedPage)), security(("bearer" = [])))]
pub async fn feed(
    State(s): State<AppState>,
    RegionStaff(_): RegionStaff,
    Query(q): Query<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    if q.before.is_some() && q.after.is_some() {
        return Err(ServiceError::Invalid {
            field: "after",
            message: "Indiquez soit « before », soit « after ».".into(),
        }
        .into());
    }
    let limit = crate::region::page_size(q.limit);
    let store = s.store.clone();
    blocking(move || store.feed(q.before, q.after, limit))
        .await
        .map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ledger_check))
        .routes(routes!(region_flags))
        .routes(routes!(anomalies))
        .routes(routes!(mark_handled))
        .routes(routes!(lookup))
        .routes(routes!(lookup_audit))
        .routes(routes!(feed))
}
