//! Handlers of orders, cards, card QR codes and app credentials.

use crate::accounts::session::EstablishmentStaff;
use crate::accounts::session::Youth;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use passregion_core::credential::CardQr;
use passregion_core::qr::QrUse;

use crate::accounts::model::Principal;
use crate::accounts::session::Auth;
use crate::cards::CardChange;
use crate::cards::model::CardFilter;
use crate::cards::model::CardQrView;
use crate::cards::model::CardView;
use crate::cards::model::CredentialRequest;
use crate::cards::model::CredentialResponse;
use crate::cards::model::Order;
use crate::cards::model::OrderDecision;
use crate::cards::model::OrderFilter;
use crate::cards::model::OrderRequest;
use crate::cards::model::ReasonRequest;
use crate::cards::model::TrustRoot;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Path;
use crate::web::extract::Query;
use crate::web::extract::blocking;
use crate::web::problem::ApiError;

/// Order the PASS (bon de commande).
#[utoipa::path(post, path = "/api/youth/orders", request_body = OrderRequest,
    responses((status = 201, body = Order), (status = 409, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn create_order(
    State(s): State<AppState>,
    Youth(p): Youth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let (req, _) = parse_json::<OrderRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let order = blocking(move || store.create_order(&p, req, now)).await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// The youth's orders.
#[utoipa::path(get, path = "/api/youth/orders", responses((status = 200, body = Vec<Order>)), security(("bearer" = [])))]
pub async fn my_orders(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Order>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.my_orders(&p)).await.map(Json)
}

/// The youth's card and balances.
#[utoipa::path(get, path = "/api/youth/card", responses((status = 200, body = CardView), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn my_card(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<CardView>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.my_card(&p, now)).await.map(Json)
}

/// The youth confirms the card arrived.
#[utoipa::path(post, path = "/api/youth/card/activate", responses((status = 200, body = CardView), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn activate_card(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<CardView>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.activate_card(&p, now))
        .await
        .map(Json)
}

/// The card's signed QR (`PR1:`), as text and SVG, for the youth's screen.
#[utoipa::path(get, path = "/api/youth/card/qr", responses((status = 200, body = CardQrView)), security(("bearer" = [])))]
pub async fn my_card_qr(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<CardQrView>, ApiError> {
    let text = card_qr_text(&s, p, None).await?;
    let svg = passregion_core::qr::render_svg(&text, QrUse::PhoneScreen, 256)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(Json(CardQrView { text, svg }))
}

/// The card's signed QR as an SVG image.
#[utoipa::path(get, path = "/api/youth/card/qr.svg", responses((status = 200, content_type = "image/svg+xml")), security(("bearer" = [])))]
pub async fn my_card_qr_svg(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Response, ApiError> {
    let text = card_qr_text(&s, p, None).await?;
    let svg = passregion_core::qr::render_svg(&text, QrUse::PhoneScreen, 256)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The card's signed QR as a PNG image (for the youth, or for printing).
#[utoipa::path(get, path = "/api/youth/card/qr.png", responses((status = 200, content_type = "image/png")), security(("bearer" = [])))]
pub async fn my_card_qr_png(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Response, ApiError> {
    let text = card_qr_text(&s, p, None).await?;
    png(&text)
}

/// The QR to print on a card of the établissement (PNG, error correction Q).
#[utoipa::path(get, path = "/api/establishment/cards/{id}/qr.png", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png")), security(("bearer" = [])))]
pub async fn establishment_card_qr(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let text = card_qr_text(&s, p, Some(id)).await?;
    png(&text)
}

pub(crate) fn png(text: &str) -> Result<Response, ApiError> {
    let bytes = passregion_core::qr::render_png(text, QrUse::PrintedCard, 8)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], bytes).into_response())
}

pub(crate) async fn card_qr_text(
    s: &AppState,
    p: Principal,
    card_id: Option<String>,
) -> Result<String, ApiError> {
    let store = s.store.clone();
    let (id, version, season) =
        blocking(move || store.card_qr_data(&p, card_id.as_deref())).await?;
    let card_id =
        uuid::Uuid::parse_str(&id).map_err(|_| ServiceError::Internal("card id".into()))?;
    CardQr {
        card_id,
        card_version: version,
        season,
    }
    .sign(&s.keys.issuer())
    .map_err(|e| ServiceError::Internal(e.to_string()).into())
}

/// Issues an app credential bound to the device's public key: the app then
/// shows dynamic QR codes (`PD1:`) signed by the device, even offline.
#[utoipa::path(post, path = "/api/youth/credentials", request_body = CredentialRequest,
    responses((status = 201, body = CredentialResponse), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn issue_credential(
    State(s): State<AppState>,
    Youth(p): Youth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<CredentialResponse>), ApiError> {
    let (req, _) = parse_json::<CredentialRequest>(&headers, &body)?;
    let (store, keys, now, defaults) = (s.store.clone(), s.keys.clone(), s.clock.now(), s.offline);
    let issued = blocking(move || {
        crate::cards::credentials::issue(store.as_ref(), &keys, &p, &req, defaults, now)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// A lost or stolen phone: revokes the card's app credentials (the codes it
/// can show stop working, online at once and offline as partners sync) and
/// ends the youth's other sessions.
#[utoipa::path(post, path = "/api/youth/lost-phone",
    responses((status = 200, body = crate::accounts::model::Notice), (status = 403, body = ApiError)), security(("bearer" = [])))]
pub async fn lost_phone(
    State(s): State<AppState>,
    Youth(p): Youth,
    headers: HeaderMap,
) -> Result<Json<crate::accounts::model::Notice>, ApiError> {
    let (store, now, who) = (s.store.clone(), s.clock.now(), p.clone());
    let revoked = blocking(move || store.revoke_youth_credentials(&who, now)).await?;
    let keep = crate::accounts::session::session_hash(&headers);
    crate::accounts::security::end_other_sessions(s.store.clone(), &s.sessions, &p, &keep).await?;
    Ok(Json(crate::accounts::model::Notice {
        message: format!(
            "Les QR codes de votre ancien téléphone ne fonctionnent plus ({revoked} révoqué(s)) et vos autres sessions sont fermées. Reconnectez-vous sur votre nouveau téléphone."
        ),
    }))
}

/// The signed trust list of issuer keys (for partner apps verifying offline).
#[utoipa::path(get, path = "/api/trust-list", responses((status = 200, body = passregion_core::credential::SignedTrustList, description = "Signed trust list")))]
pub async fn trust_list(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        s.keys.signed_json(),
    )
        .into_response()
}

/// The root public key that signs the trust list (base64url).
#[utoipa::path(get, path = "/api/trust-root", responses((status = 200, body = TrustRoot)))]
pub async fn trust_root(State(s): State<AppState>) -> Json<TrustRoot> {
    Json(TrustRoot {
        root_public_key: s.keys.root_public_key().to_base64(),
    })
}

/// The établissement's orders (the validation queue), newest first,
/// filtered on the server by status, public and track (class or diploma).
#[utoipa::path(get, path = "/api/establishment/orders", params(OrderFilter),
    responses((status = 200, body = Vec<Order>), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn establishment_orders(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<OrderFilter>,
) -> Result<Json<Vec<Order>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.establishment_orders(&p, &q))
        .await
        .map(Json)
}

/// Validate (issuing the card) or refuse an order.
#[utoipa::path(post, path = "/api/establishment/orders/{id}/decision", request_body = OrderDecision,
    params(("id" = String, Path)), responses((status = 200, body = Order), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn decide_order(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Order>, ApiError> {
    let (req, _) = parse_json::<OrderDecision>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.decide_order(&p, &id, req, now))
        .await
        .map(Json)
}

/// The établissement's cards, of one status or all.
#[utoipa::path(get, path = "/api/establishment/cards", params(CardFilter),
    responses((status = 200, body = Vec<CardView>), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn establishment_cards(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<CardFilter>,
) -> Result<Json<Vec<CardView>>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.establishment_cards(&p, &q, now))
        .await
        .map(Json)
}

pub(crate) async fn change_card(
    s: AppState,
    p: Principal,
    id: String,
    change: CardChange,
) -> Result<Json<CardView>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.change_card(&p, &id, change, now))
        .await
        .map(Json)
}

/// Suspend a card.
#[utoipa::path(post, path = "/api/establishment/cards/{id}/suspend", request_body = ReasonRequest,
    params(("id" = String, Path)), responses((status = 200, body = CardView)), security(("bearer" = [])))]
pub async fn suspend_card(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<CardView>, ApiError> {
    let (req, _) = parse_json::<ReasonRequest>(&headers, &body)?;
    change_card(s, p, id, CardChange::Suspend(req.reason)).await
}

/// Lift a suspension.
#[utoipa::path(post, path = "/api/establishment/cards/{id}/reactivate",
    params(("id" = String, Path)), responses((status = 200, body = CardView)), security(("bearer" = [])))]
pub async fn reactivate_card(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
) -> Result<Json<CardView>, ApiError> {
    change_card(s, p, id, CardChange::Reactivate).await
}

/// Revalidate a card for the next season.
#[utoipa::path(post, path = "/api/establishment/cards/{id}/revalidate",
    params(("id" = String, Path)), responses((status = 200, body = CardView)), security(("bearer" = [])))]
pub async fn revalidate_card(
    State(s): State<AppState>,
    EstablishmentStaff(p): EstablishmentStaff,
    Path(id): Path<String>,
) -> Result<Json<CardView>, ApiError> {
    change_card(s, p, id, CardChange::Revalidate).await
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_order, my_orders))
        .routes(routes!(my_card))
        .routes(routes!(activate_card))
        .routes(routes!(my_card_qr))
        .routes(routes!(my_card_qr_svg))
        .routes(routes!(my_card_qr_png))
        .routes(routes!(issue_credential))
        .routes(routes!(lost_phone))
        .routes(routes!(establishment_card_qr))
        .routes(routes!(trust_list))
        .routes(routes!(trust_root))
        .routes(routes!(establishment_orders))
        .routes(routes!(decide_order))
        .routes(routes!(establishment_cards))
        .routes(routes!(suspend_card))
        .routes(routes!(reactivate_card))
        .routes(routes!(revalidate_card))
}
