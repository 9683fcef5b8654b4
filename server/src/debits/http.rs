//! Handlers of debits: inspect, debit, refund, transaction lists.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::require;
use crate::web::extract::limit;
use crate::web::extract::parse_json;
use crate::web::extract::stored;

use axum::Json;
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::card::CardNumber;
use std::net::SocketAddr;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::session::Auth;
use crate::app::AppState;
use crate::debits::card::CardRef;
use crate::debits::card::Channel;
use crate::debits::model::CardInspection;
use crate::debits::model::CardSelector;
use crate::debits::model::DebitReceipt;
use crate::debits::model::DebitRequest;
use crate::debits::model::RefundRequest;
use crate::debits::model::Transaction;
use crate::debits::model::TransactionPage;
use crate::error::ServiceError;
use crate::web::extract::Body;
use crate::web::extract::PageQuery;
use crate::web::extract::Path;
use crate::web::extract::Query;
use crate::web::extract::blocking;
use crate::web::extract::idempotency;
use crate::web::limits::client_ip;
use crate::web::problem::ApiError;

/// Turns the card selector of a request into a card reference, checking the
/// per-IP and per-account failure limits for typed numbers.
pub(crate) async fn card_ref(
    s: &AppState,
    sel: &CardSelector,
    scanned_at: Option<DateTime<Utc>>,
) -> Result<(CardRef, Channel), ApiError> {
    match (&sel.qr, &sel.card_number, sel.birth_date) {
        (Some(text), None, None) => {
            let qr = s.qr.clone();
            let text = text.clone();
            let now = s.clock.now();
            let now = match scanned_at {
                None => now,
                Some(t) if t <= now + Duration::minutes(5) && t >= now - Duration::hours(72) => t,
                Some(_) => {
                    return Err(ServiceError::Invalid {
                        field: "scanned_at",
                        message: "L'heure du scan doit dater de moins de 72 heures.".into(),
                    }
                    .into());
                }
            };
            let scanned = blocking(move || qr.resolve(&text, now)).await?;
            Ok((CardRef::Scanned(scanned), Channel::Qr))
        }
        (None, Some(number), Some(birth)) => {
            let number = CardNumber::parse(number).map_err(ServiceError::from)?;
            Ok((CardRef::Number(number, birth), Channel::Web))
        }
        _ => Err(ServiceError::Invalid {
            field: "card_number",
            message:
                "Indiquez soit le QR code lu, soit le numéro de carte et la date de naissance."
                    .into(),
        }
        .into()),
    }
}

pub(crate) fn failure_keys(p: &Principal, connect: &ConnectInfo<SocketAddr>) -> [String; 2] {
    [
        format!("card-ip:{}", client_ip(connect)),
        format!("card-account:{}", p.account_id),
    ]
}

pub(crate) fn check_failures(s: &AppState, keys: &[String; 2]) -> Result<(), ApiError> {
    let now = s.clock.now();
    if keys.iter().any(|k| s.failures.blocked(k, now)) {
        return Err(ServiceError::TooManyAttempts.into());
    }
    Ok(())
}

pub(crate) fn note_failure<T>(s: &AppState, keys: &[String; 2], r: &Result<T, ApiError>) {
    if let Err(e) = r
        && matches!(e.code, "carte_ou_date_incorrecte" | "carte_bloquee")
    {
        let now = s.clock.now();
        for k in keys {
            s.failures.record(k, now);
        }
    }
}

/// What this partner may debit on a card (after scanning it or typing its number).
#[utoipa::path(post, path = "/api/partner/cards/inspect", request_body = CardSelector,
    responses((status = 200, body = CardInspection), (status = 422, body = ApiError), (status = 423, body = ApiError)), security(("bearer" = [])))]
pub async fn inspect_card(
    State(s): State<AppState>,
    Auth(p): Auth,
    connect: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<CardInspection>, ApiError> {
    require(&p, Role::Partner)?;
    let (sel, _) = parse_json::<CardSelector>(&headers, &body)?;
    let keys = failure_keys(&p, &connect);
    check_failures(&s, &keys)?;
    let (card, _) = card_ref(&s, &sel, None).await?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let r = blocking(move || store.inspect_card(&p, card, now)).await;
    note_failure(&s, &keys, &r);
    r.map(Json)
}

/// Debit a card (web form: card number + birth date; or scanned QR).
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/partner/debits", request_body = DebitRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per debit attempt")),
    responses((status = 201, body = DebitReceipt), (status = 409, body = ApiError), (status = 422, body = ApiError),
        (status = 423, body = ApiError), (status = 429, body = ApiError)), security(("bearer" = [])))]
pub async fn debit(
    State(s): State<AppState>,
    Auth(p): Auth,
    connect: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    require(&p, Role::Partner)?;
    let (req, hash) = parse_json::<DebitRequest>(&headers, &body)?;
    let idem = idempotency(&headers, &p, "debit", &hash)?;
    let keys = failure_keys(&p, &connect);
    check_failures(&s, &keys)?;
    let (card, channel) = card_ref(&s, &req.card(), req.scanned_at).await?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let r = blocking(move || store.debit(&p, card, req, channel, idem, now)).await;
    note_failure(&s, &keys, &r);
    r.map(stored)
}

/// Cancel (refund) a debit, in full or in part, within the refund window.
/// Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/partner/transactions/{id}/refund", request_body = RefundRequest,
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 201, body = Transaction), (status = 409, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn refund(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    require(&p, Role::Partner)?;
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
    Auth(p): Auth,
    Query(q): Query<PageQuery>,
) -> Result<Json<TransactionPage>, ApiError> {
    require(&p, Role::Region)?;
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
