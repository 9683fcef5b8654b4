//! Handlers of debits: inspect, debit, refund, transaction lists.

use crate::accounts::session::PartnerStaff;
use crate::accounts::session::RegionStaff;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::limit;
use crate::web::extract::parse_json;
use crate::web::extract::stored;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::accounts::session::Auth;
use crate::debits::lookup::{self, LookupAttempt};
use crate::debits::model::CardInspection;
use crate::debits::model::CardSelector;
use crate::debits::model::DebitReceipt;
use crate::debits::model::DebitRequest;
use crate::debits::model::RefundRequest;
use crate::debits::model::Transaction;
use crate::debits::model::TransactionPage;
use crate::platform::run_blocking;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::PageQuery;
use crate::web::extract::Path;
use crate::web::extract::Query;
use crate::web::extract::blocking;
use crate::web::extract::idempotency;
use crate::web::limits::ClientAddress;
use crate::web::problem::ApiError;

/// What this partner may debit on a card (after scanning it or typing its number).
#[utoipa::path(post, path = "/api/partner/cards/inspect", request_body = CardSelector,
    responses((status = 200, body = CardInspection), (status = 422, body = ApiError), (status = 423, body = ApiError)), security(("bearer" = [])))]
pub async fn inspect_card(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    ClientAddress(source): ClientAddress,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<CardInspection>, ApiError> {
    let (sel, _) = parse_json::<CardSelector>(&headers, &body)?;
    let attempt = LookupAttempt::new(&p, &source.to_string(), &sel);
    let now = s.clock.now();
    attempt.check(&s.budgets, now)?;
    let store = s.store.clone();
    let r = async {
        let (card, _) = lookup::resolve(s.qr.clone(), &sel, None, now).await?;
        run_blocking(move || store.inspect_card(&p, card, now)).await
    }
    .await;
    attempt.record(&s.budgets, now, &r);
    Ok(Json(r?))
}

/// Debit a card (web form: card number + birth date; or scanned QR).
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/partner/debits", request_body = DebitRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per debit attempt")),
    responses((status = 201, body = DebitReceipt), (status = 409, body = ApiError), (status = 422, body = ApiError),
        (status = 423, body = ApiError), (status = 429, body = ApiError)), security(("bearer" = [])))]
pub async fn debit(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    ClientAddress(source): ClientAddress,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (req, hash) = parse_json::<DebitRequest>(&headers, &body)?;
    let idem = idempotency(&headers, &p, "debit", &hash)?;
    let attempt = LookupAttempt::debit(&p, &source.to_string(), &req.card());
    let now = s.clock.now();
    attempt.check(&s.budgets, now)?;
    let store = s.store.clone();
    let r = async {
        let (card, channel) =
            match lookup::resolve(s.qr.clone(), &req.card(), req.scanned_at, now).await {
                Ok(resolved) => resolved,
                Err(refused) => {
                    // The retry of a debit already applied (its answer was
                    // lost) gets that answer, even once its code has expired.
                    let (store, idem) = (store.clone(), idem.clone());
                    return match run_blocking(move || store.replayed_debit(&idem)).await? {
                        Some(answer) => Ok(answer),
                        None => Err(refused),
                    };
                }
            };
        run_blocking(move || store.debit(&p, card, req, channel, idem, now)).await
    }
    .await;
    Ok(stored(attempt.settle(&s.budgets, now, r)?))
}

/// Cancel (refund) a debit, in full or in part, within the refund window.
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/partner/transactions/{id}/refund", request_body = RefundRequest,
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 201, body = Transaction), (status = 409, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn refund(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (req, hash) = parse_json::<RefundRequest>(&headers, &body)?;
    let idem = idempotency(&headers, &p, &format!("refund/{id}"), &hash)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.refund(&p, &id, req, idem, now))
        .await
        .map(stored)
}

/// The partner's transactions, cursor-paged.
#[utoipa::path(get, path = "/api/partner/transactions", params(PageQuery),
    responses((status = 200, body = TransactionPage)), security(("bearer" = [])))]
pub async fn partner_transactions(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<PageQuery>,
) -> Result<Json<TransactionPage>, ApiError> {
    let (after, n) = limit(&q);
    let store = s.store.clone();
    blocking(move || store.partner_transactions(&p, after, n))
        .await
        .map(Json)
}

/// The youth's history of debits and refunds.
#[utoipa::path(get, path = "/api/youth/transactions", responses((status = 200, body = Vec<Transaction>)), security(("bearer" = [])))]
pub async fn my_transactions(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Transaction>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.my_transactions(&p)).await.map(Json)
}

/// Every transaction, as it happens (cursor-paged).
#[utoipa::path(get, path = "/api/region/transactions", params(PageQuery),
    responses((status = 200, body = TransactionPage)), security(("bearer" = [])))]
pub async fn region_transactions(
    State(s): State<AppState>,
    RegionStaff(_): RegionStaff,
    Query(q): Query<PageQuery>,
) -> Result<Json<TransactionPage>, ApiError> {
    let (after, n) = limit(&q);
    let store = s.store.clone();
    blocking(move || store.region_transactions(after, n))
        .await
        .map(Json)
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_transactions))
        .routes(routes!(inspect_card))
        .routes(routes!(debit))
        .routes(routes!(partner_transactions))
        .routes(routes!(refund))
        .routes(routes!(region_transactions))
}
