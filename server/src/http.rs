//! The HTTP layer: extractors, handlers and the OpenAPI document. Handlers only
//! authenticate, convert and forward to the [`Store`]; the rules live in
//! `passregion-core` and the SQL behind the store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use passregion_core::card::CardNumber;
use passregion_core::credential::{
    AppCredential, AppCredentialClaims, CardQr, OfflineLimits, PublicKey,
};
use passregion_core::qr::QrUse;
use passregion_core::{Catalogue, Clock, PartnerCategory, Season};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use axum::extract::DefaultBodyLimit;
use passregion_core::sync::{
    EnrolRequest, EnrolResponse, MAX_PUSH_ITEMS, PullResponse, PushRequest, PushResponse,
};

use crate::error::{ApiError, ServiceError};
use crate::model::*;
use crate::qr::QrResolver;
use crate::store::{
    CardChange, CardRef, Catalogues, Channel, DebitReceipt, Idempotency, Store, StoredResponse,
    sha256_hex,
};
use crate::sync_store::CardFlag;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Catalogues by season.
    pub catalogues: Arc<Catalogues>,
    /// Failed birth-date and login attempts per IP and per account.
    pub failures: Arc<FailureWindow>,
    /// Reads card QR codes.
    pub qr: Arc<dyn QrResolver>,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// Recently resolved sessions.
    pub sessions: Arc<SessionCache>,
    /// Signing keys and trust list.
    pub keys: Arc<crate::keys::ServerKeys>,
    /// Offline limits of new app credentials.
    pub offline: crate::store::OfflineDefaults,
    /// Storage of the sync protocol.
    pub sync: Arc<dyn crate::sync_store::SyncStore>,
    /// Offline caps given to enrolled partner devices.
    pub partner_caps: passregion_core::sync::PartnerCaps,
    /// Storage of partner onboarding and referents.
    pub onboarding: Arc<dyn crate::onboarding::OnboardingStore>,
    /// Sends the convention signature codes.
    pub sms: Arc<dyn crate::onboarding::SmsSender>,
    /// Storage of collective bookings.
    pub collective: Arc<dyn crate::collective::CollectiveStore>,
}

/// A short-lived cache of resolved sessions, so that a busy counter does not
/// read the sessions table on every request. An entry lives 30 seconds: a
/// logout removes it at once; a change of role or of partner status is seen
/// within 30 seconds.
#[derive(Debug, Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, (Principal, DateTime<Utc>)>>,
}

impl SessionCache {
    const TTL: Duration = Duration::seconds(30);

    fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Principal> {
        let map = self.map.lock().ok()?;
        map.get(token_hash)
            .filter(|(_, at)| now - *at < Self::TTL && *at <= now)
            .map(|(p, _)| p.clone())
    }

    fn put(&self, token_hash: String, p: Principal, now: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() > 50_000 {
                map.retain(|_, (_, at)| now - *at < Self::TTL);
            }
            map.insert(token_hash, (p, now));
        }
    }

    fn remove(&self, token_hash: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(token_hash);
        }
    }
}

/// Counts failures per key over a sliding window (anti brute force).
#[derive(Debug)]
pub struct FailureWindow {
    window: Duration,
    max: usize,
    map: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl FailureWindow {
    /// At most `max` failures per key within `window`.
    pub fn new(max: usize, window: Duration) -> FailureWindow {
        FailureWindow {
            window,
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the key is over its limit.
    pub fn blocked(&self, key: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut map) = self.map.lock() else {
            return true;
        };
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, v| v.last().is_some_and(|t| *t > now - window));
        }
        match map.get_mut(key) {
            Some(v) => {
                v.retain(|t| *t > now - self.window);
                v.len() >= self.max
            }
            None => false,
        }
    }

    /// Records a failure.
    pub fn record(&self, key: &str, now: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            map.entry(key.to_owned()).or_default().push(now);
        }
    }
}

/// Runs blocking storage work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::from(ServiceError::Internal("task failed".into())))?
        .map_err(ApiError::from)
}

/// The authenticated caller.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(ServiceError::Unauthenticated)?;
        let hash = sha256_hex(token.as_bytes());
        let now = state.clock.now();
        if let Some(p) = state.sessions.get(&hash, now) {
            return Ok(Auth(p));
        }
        let store = state.store.clone();
        let key = hash.clone();
        let p = blocking(move || store.principal(&key, now)).await?;
        match p {
            Some(p) => {
                state.sessions.put(hash, p.clone(), now);
                Ok(Auth(p))
            }
            None => Err(ServiceError::Unauthenticated.into()),
        }
    }
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
                crate::error::describe_serde(&e.to_string())
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

fn require(who: &Principal, role: Role) -> Result<(), ApiError> {
    if who.role == role {
        Ok(())
    } else {
        Err(ServiceError::Forbidden.into())
    }
}

fn client_ip(connect: &ConnectInfo<SocketAddr>) -> String {
    connect.0.ip().to_string()
}

// ------------------------------------------------------------------ public

/// Liveness.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)))]
pub async fn health(State(s): State<AppState>) -> Json<Health> {
    let now = s.clock.now();
    Json(Health {
        status: "ok",
        time: now,
        season: Season::of_instant(now).to_string(),
    })
}

/// The OpenAPI document.
pub async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// Log in.
#[utoipa::path(post, path = "/api/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
pub async fn login(
    State(s): State<AppState>,
    connect: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<LoginResponse>, ApiError> {
    let (req, _) = parse_json::<LoginRequest>(&headers, &body)?;
    let now = s.clock.now();
    let ip_key = format!("login-ip:{}", client_ip(&connect));
    let email = req.email.trim().to_lowercase();
    let mail_key = format!("login-mail:{}", sha256_hex(email.as_bytes()));
    if email.len() > 254 || req.password.len() > 1024 {
        return Err(ServiceError::BadLogin.into());
    }
    if s.failures.blocked(&ip_key, now) || s.failures.blocked(&mail_key, now) {
        return Err(ServiceError::TooManyAttempts.into());
    }
    let store = s.store.clone();
    let record = blocking(move || store.account_by_email(&email)).await?;
    let password = req.password;
    let ok_account = blocking(move || {
        Ok(match record {
            Some(r) if crate::auth::verify_password(&password, &r.password_hash) => Some(r.view),
            Some(_) => None,
            None => {
                // Same work whether the account exists or not.
                crate::auth::burn_time(&password);
                None
            }
        })
    })
    .await?;
    let Some(account) = ok_account else {
        s.failures.record(&ip_key, now);
        s.failures.record(&mail_key, now);
        return Err(ServiceError::BadLogin.into());
    };
    open_session(&s, account).await.map(Json)
}

/// Checks the e-mail and password of a new account.
pub fn check_new_account(email: &str, password: &str) -> Result<(), ServiceError> {
    crate::store::check_email("email", email)?;
    let n = password.chars().count();
    if !(8..=200).contains(&n) {
        return Err(ServiceError::Invalid {
            field: "password",
            message: "Le mot de passe doit comporter de 8 à 200 caractères.".into(),
        });
    }
    Ok(())
}

/// Opens a session for an account that just proved who it is.
pub async fn open_session(s: &AppState, account: AccountView) -> Result<LoginResponse, ApiError> {
    let token = crate::auth::new_token();
    let expires_at = s.clock.now() + s.session_ttl;
    let store = s.store.clone();
    let (hash, id) = (sha256_hex(token.as_bytes()), account.id.clone());
    blocking(move || store.create_session(hash, id, expires_at)).await?;
    Ok(LoginResponse {
        token,
        expires_at,
        account,
    })
}

/// Parses a JSON body (other modules' handlers).
pub fn parse_json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(T, String), ApiError> {
    parse_json(headers, body)
}

/// A youth creates an account (then logs in and orders the PASS).
#[utoipa::path(post, path = "/api/auth/register", request_body = RegisterRequest,
    responses((status = 201, body = LoginResponse), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn register(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<LoginResponse>), ApiError> {
    let (req, _) = parse_json::<RegisterRequest>(&headers, &body)?;
    let email = req.email.trim().to_lowercase();
    check_new_account(&email, &req.password)?;
    let name = req.display_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field: "display_name",
            message: "Indiquez votre nom (80 caractères au plus).".into(),
        }
        .into());
    }
    let password = req.password;
    let hash = blocking(move || {
        crate::auth::hash_password(&password).map_err(|e| ServiceError::Internal(e.to_string()))
    })
    .await?;
    let store = s.store.clone();
    let new = crate::store::NewAccount {
        email: email.clone(),
        password_hash: hash,
        role: Role::Youth,
        display_name: name.clone(),
        partner_id: None,
        establishment_id: None,
    };
    let id = blocking(move || store.create_account(new)).await?;
    let session = open_session(
        &s,
        AccountView {
            id,
            email,
            role: Role::Youth,
            display_name: name,
            partner_id: None,
            partner_category: None,
            establishment_id: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Log out (ends the session).
#[utoipa::path(post, path = "/api/auth/logout", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Auth(_): Auth,
) -> Result<StatusCode, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim()
        .to_owned();
    let hash = sha256_hex(token.as_bytes());
    s.sessions.remove(&hash);
    let store = s.store.clone();
    blocking(move || store.delete_session(hash)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The season's catalogue of avantages.
#[utoipa::path(get, path = "/api/catalogue", params(("season" = Option<String>, Query, description = "2026-2027")),
    responses((status = 200, description = "The catalogue"), (status = 404, body = ApiError)))]
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

/// Établissements (for the order form).
#[utoipa::path(get, path = "/api/establishments", params(SearchQuery), responses((status = 200, body = Vec<Establishment>)))]
pub async fn establishments(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Establishment>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.establishments(q.q.as_deref()))
        .await
        .map(Json)
}

fn parse_category(c: Option<&str>) -> Result<Option<PartnerCategory>, ApiError> {
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

/// Partner directory (validated partners, with coordinates).
#[utoipa::path(get, path = "/api/partners", params(SearchQuery), responses((status = 200, body = Vec<Partner>)))]
pub async fn partners(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<Partner>>, ApiError> {
    let cat = parse_category(q.category.as_deref())?;
    let store = s.store.clone();
    blocking(move || store.partners(q.q.as_deref(), cat))
        .await
        .map(Json)
}

/// Published bons plans.
#[utoipa::path(get, path = "/api/bons-plans", params(SearchQuery), responses((status = 200, body = Vec<BonPlan>)))]
pub async fn bons_plans(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<BonPlan>>, ApiError> {
    let cat = parse_category(q.category.as_deref())?;
    let store = s.store.clone();
    blocking(move || store.bons_plans(cat)).await.map(Json)
}

/// The caller's account.
#[utoipa::path(get, path = "/api/me", responses((status = 200)), security(("bearer" = [])))]
pub async fn me(Auth(p): Auth) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "account_id": p.account_id,
        "role": p.role,
        "partner_id": p.partner.as_ref().map(|x| x.0.clone()),
        "partner_category": p.partner.as_ref().map(|x| x.1),
        "establishment_id": p.establishment_id,
    }))
}

// ------------------------------------------------------------------- youth

/// Order the PASS (bon de commande).
#[utoipa::path(post, path = "/api/youth/orders", request_body = OrderRequest,
    responses((status = 201, body = Order), (status = 409, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn create_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    require(&p, Role::Youth)?;
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

/// The youth's history of debits and refunds.
#[utoipa::path(get, path = "/api/youth/transactions", responses((status = 200, body = Vec<Transaction>)), security(("bearer" = [])))]
pub async fn my_transactions(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Transaction>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.my_transactions(&p)).await.map(Json)
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

fn png(text: &str) -> Result<Response, ApiError> {
    let bytes = passregion_core::qr::render_png(text, QrUse::PrintedCard, 8)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], bytes).into_response())
}

async fn card_qr_text(
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
    .sign(s.keys.issuer())
    .map_err(|e| ServiceError::Internal(e.to_string()).into())
}

/// Issues an app credential bound to the device's public key: the app then
/// shows dynamic QR codes (`PD1:`) signed by the device, even offline.
#[utoipa::path(post, path = "/api/youth/credentials", request_body = CredentialRequest,
    responses((status = 201, body = CredentialResponse), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn issue_credential(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<CredentialResponse>), ApiError> {
    require(&p, Role::Youth)?;
    let (req, _) = parse_json::<CredentialRequest>(&headers, &body)?;
    let device_key = PublicKey::from_base64(req.device_public_key.trim()).map_err(|_| {
        ServiceError::Invalid {
            field: "device_public_key",
            message: "Clé publique de l'appareil invalide (Ed25519, 32 octets en base64url)."
                .into(),
        }
    })?;
    let (store, now, defaults) = (s.store.clone(), s.clock.now(), s.offline);
    let pk = device_key.to_base64();
    let cred = blocking(move || store.register_credential(&p, pk, defaults, now)).await?;
    let claims = AppCredentialClaims {
        credential_id: uuid::Uuid::parse_str(&cred.credential_id)
            .map_err(|_| ServiceError::Internal("id".into()))?,
        card_id: uuid::Uuid::parse_str(&cred.card_id)
            .map_err(|_| ServiceError::Internal("id".into()))?,
        device_key,
        limits: OfflineLimits {
            allowance_cents: u32::try_from(cred.allowance_cents).unwrap_or(0),
            per_transaction_max_cents: u32::try_from(cred.per_transaction_max_cents).unwrap_or(0),
            max_count: cred.max_count,
        },
        issued_at: cred.issued_at,
        expires_at: cred.expires_at,
    };
    let signed = AppCredential::issue(s.keys.issuer(), &claims)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let money = |c: i64| passregion_core::Money::from_cents(c).unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(CredentialResponse {
            credential: signed.to_base64(),
            credential_id: cred.credential_id,
            card_id: cred.card_id,
            allowance: money(cred.allowance_cents),
            per_transaction_max: money(cred.per_transaction_max_cents),
            max_count: cred.max_count,
            issued_at: cred.issued_at,
            expires_at: cred.expires_at,
            server_time: now,
        }),
    ))
}

/// The signed trust list of issuer keys (for partner apps verifying offline).
#[utoipa::path(get, path = "/api/trust-list", responses((status = 200, description = "Signed trust list")))]
pub async fn trust_list(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        s.keys.signed.to_json(),
    )
        .into_response()
}

/// The root public key that signs the trust list (base64url).
#[utoipa::path(get, path = "/api/trust-root", responses((status = 200)))]
pub async fn trust_root(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "root_public_key": s.keys.root_public_key().to_base64() }))
}

// ----------------------------------------------------------- establishment

/// Orders to validate.
#[utoipa::path(get, path = "/api/establishment/orders", params(("status" = Option<String>, Query, description = "en_attente, validee, refusee")),
    responses((status = 200, body = Vec<Order>)), security(("bearer" = [])))]
pub async fn establishment_orders(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Order>>, ApiError> {
    let store = s.store.clone();
    let status = q.get("status").cloned();
    blocking(move || store.establishment_orders(&p, status.as_deref()))
        .await
        .map(Json)
}

/// Validate (issuing the card) or refuse an order.
#[utoipa::path(post, path = "/api/establishment/orders/{id}/decision", request_body = OrderDecision,
    params(("id" = String, Path)), responses((status = 200, body = Order), (status = 409, body = ApiError)), security(("bearer" = [])))]
pub async fn decide_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Order>, ApiError> {
    require(&p, Role::Establishment)?;
    let (req, _) = parse_json::<OrderDecision>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.decide_order(&p, &id, req, now))
        .await
        .map(Json)
}

/// The établissement's cards.
#[utoipa::path(get, path = "/api/establishment/cards", responses((status = 200, body = Vec<CardView>)), security(("bearer" = [])))]
pub async fn establishment_cards(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<CardView>>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.establishment_cards(&p, now))
        .await
        .map(Json)
}

async fn change_card(
    s: AppState,
    p: Principal,
    id: String,
    change: CardChange,
) -> Result<Json<CardView>, ApiError> {
    require(&p, Role::Establishment)?;
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
    Auth(p): Auth,
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
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<CardView>, ApiError> {
    change_card(s, p, id, CardChange::Reactivate).await
}

/// Revalidate a card for the next season.
#[utoipa::path(post, path = "/api/establishment/cards/{id}/revalidate",
    params(("id" = String, Path)), responses((status = 200, body = CardView)), security(("bearer" = [])))]
pub async fn revalidate_card(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<CardView>, ApiError> {
    change_card(s, p, id, CardChange::Revalidate).await
}

// ----------------------------------------------------------------- partner

/// Turns the card selector of a request into a card reference, checking the
/// per-IP and per-account failure limits for typed numbers.
async fn card_ref(
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

fn failure_keys(p: &Principal, connect: &ConnectInfo<SocketAddr>) -> [String; 2] {
    [
        format!("card-ip:{}", client_ip(connect)),
        format!("card-account:{}", p.account_id),
    ]
}

fn check_failures(s: &AppState, keys: &[String; 2]) -> Result<(), ApiError> {
    let now = s.clock.now();
    if keys.iter().any(|k| s.failures.blocked(k, now)) {
        return Err(ServiceError::TooManyAttempts.into());
    }
    Ok(())
}

fn note_failure<T>(s: &AppState, keys: &[String; 2], r: &Result<T, ApiError>) {
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

fn limit(q: &PageQuery) -> (i64, u32) {
    (
        q.after.unwrap_or(0).max(0),
        q.limit.unwrap_or(100).clamp(1, 500),
    )
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

/// The partner's reimbursements: totals and batches.
#[utoipa::path(get, path = "/api/partner/reimbursements",
    responses((status = 200, body = ReimbursementSummary)), security(("bearer" = [])))]
pub async fn partner_reimbursements(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<ReimbursementSummary>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.partner_reimbursements(&p))
        .await
        .map(Json)
}

/// The partner's bons plans.
#[utoipa::path(get, path = "/api/partner/bons-plans", responses((status = 200, body = Vec<BonPlan>)), security(("bearer" = [])))]
pub async fn partner_bons_plans(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<BonPlan>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.partner_bons_plans(&p))
        .await
        .map(Json)
}

/// Submit a bon plan for moderation.
#[utoipa::path(post, path = "/api/partner/bons-plans", request_body = BonPlanRequest,
    responses((status = 201, body = BonPlan)), security(("bearer" = [])))]
pub async fn submit_bon_plan(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<BonPlan>), ApiError> {
    require(&p, Role::Partner)?;
    let (req, _) = parse_json::<BonPlanRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let plan = blocking(move || store.submit_bon_plan(&p, req, now)).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

// ------------------------------------------------------------------ region

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

/// Every reimbursement batch.
#[utoipa::path(get, path = "/api/region/reimbursements", responses((status = 200, body = Vec<Batch>)), security(("bearer" = [])))]
pub async fn region_batches(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Batch>>, ApiError> {
    require(&p, Role::Region)?;
    let store = s.store.clone();
    blocking(move || store.batches()).await.map(Json)
}

/// Close a reimbursement batch per partner for the transactions before `period_end`.
#[utoipa::path(post, path = "/api/region/reimbursements/close", request_body = CloseRequest,
    responses((status = 200, body = Vec<Batch>)), security(("bearer" = [])))]
pub async fn close_batches(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Vec<Batch>>, ApiError> {
    require(&p, Role::Region)?;
    let (req, _) = parse_json::<CloseRequest>(&headers, &body)?;
    let now = s.clock.now();
    let end = req.period_end.unwrap_or(now).min(now);
    let store = s.store.clone();
    blocking(move || store.close_reimbursements(end, now))
        .await
        .map(Json)
}

/// Mark a batch as paid.
#[utoipa::path(post, path = "/api/region/reimbursements/{id}/pay", params(("id" = String, Path)),
    responses((status = 200, body = Batch)), security(("bearer" = [])))]
pub async fn pay_batch(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<Batch>, ApiError> {
    require(&p, Role::Region)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    blocking(move || store.pay_batch(&id, now)).await.map(Json)
}

/// Check the ledger: for every card, `loaded = balance + debited − refunded`.
#[utoipa::path(get, path = "/api/region/ledger/check", responses((status = 200, body = LedgerCheck)), security(("bearer" = [])))]
pub async fn ledger_check(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<LedgerCheck>, ApiError> {
    require(&p, Role::Region)?;
    let store = s.store.clone();
    blocking(move || store.check_ledger()).await.map(Json)
}

/// Bons plans waiting for moderation.
#[utoipa::path(get, path = "/api/region/bons-plans/pending", responses((status = 200, body = Vec<BonPlan>)), security(("bearer" = [])))]
pub async fn pending_bons_plans(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<BonPlan>>, ApiError> {
    require(&p, Role::Region)?;
    let store = s.store.clone();
    blocking(move || store.bons_plans_to_moderate())
        .await
        .map(Json)
}

/// Publish or refuse a bon plan.
#[utoipa::path(post, path = "/api/region/bons-plans/{id}/decision", request_body = ModerationRequest,
    params(("id" = String, Path)), responses((status = 200, body = BonPlan)), security(("bearer" = [])))]
pub async fn moderate_bon_plan(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<BonPlan>, ApiError> {
    require(&p, Role::Region)?;
    let (req, _) = parse_json::<ModerationRequest>(&headers, &body)?;
    let store = s.store.clone();
    blocking(move || store.moderate_bon_plan(&id, req))
        .await
        .map(Json)
}

// -------------------------------------------------------------------- sync

/// Enrol a partner phone (its key signs every offline debit).
#[utoipa::path(post, path = "/api/partner/devices", request_body = serde_json::Value,
    responses((status = 201, description = "EnrolResponse")), security(("bearer" = [])))]
pub async fn enrol_device(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<EnrolResponse>), ApiError> {
    require(&p, Role::Partner)?;
    let (req, _) = parse_json::<EnrolRequest>(&headers, &body)?;
    PublicKey::from_base64(req.device_public_key.trim()).map_err(|_| ServiceError::Invalid {
        field: "device_public_key",
        message: "Clé publique de l'appareil invalide (Ed25519, 32 octets en base64url).".into(),
    })?;
    let (sync, now) = (s.sync.clone(), s.clock.now());
    let who = p.clone();
    let device_id = blocking(move || sync.enrol_device(&who, &req, now)).await?;
    let (partner_id, category, _) = p.partner.clone().ok_or(ServiceError::Forbidden)?;
    Ok((
        StatusCode::CREATED,
        Json(EnrolResponse {
            device_id,
            partner_id,
            category,
            caps: s.partner_caps,
            root_public_key: s.keys.root_public_key().to_base64(),
            server_time: now,
        }),
    ))
}

/// Push offline debits (at most 500): one result per item, in order.
#[utoipa::path(post, path = "/api/sync/push", request_body = serde_json::Value,
    responses((status = 200, description = "PushResponse")), security(("bearer" = [])))]
pub async fn sync_push(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PushResponse>, ApiError> {
    require(&p, Role::Partner)?;
    let (req, _) = parse_json::<PushRequest>(&headers, &body)?;
    if req.items.len() > MAX_PUSH_ITEMS {
        return Err(ServiceError::Invalid {
            field: "items",
            message: format!("Au plus {MAX_PUSH_ITEMS} débits par envoi."),
        }
        .into());
    }
    let (partner_id, _, _) = p.partner.clone().ok_or(ServiceError::Forbidden)?;
    let sync = s.sync.clone();
    let devices: HashMap<String, PublicKey> = blocking(move || sync.partner_devices(&partner_id))
        .await?
        .into_iter()
        .filter(|(_, _, revoked)| !revoked)
        .filter_map(|(id, key, _)| PublicKey::from_base64(&key).ok().map(|k| (id, k)))
        .collect();
    let (keys, now) = (s.keys.clone(), s.clock.now());
    let checked = blocking(move || {
        Ok(req
            .items
            .into_iter()
            .map(|item| crate::sync_check::check(item, &devices, &keys, now))
            .collect::<Vec<_>>())
    })
    .await?;
    let sync = s.sync.clone();
    let results = blocking(move || sync.apply_offline(&p, checked, now)).await?;
    Ok(Json(PushResponse {
        results,
        server_time: now,
    }))
}

/// Changes after a cursor: partner directory, revoked cards and credentials,
/// and the trust list on the first pull.
#[utoipa::path(get, path = "/api/sync/pull", params(("cursor" = Option<i64>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, description = "PullResponse")), security(("bearer" = [])))]
pub async fn sync_pull(
    State(s): State<AppState>,
    Auth(_): Auth,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PullResponse>, ApiError> {
    let parse = |k: &str, default: i64| -> Result<i64, ApiError> {
        q.get(k).map_or(Ok(default), |v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "parametres_invalides",
                    "Les paramètres de la requête sont invalides.",
                )
            })
        })
    };
    let cursor = parse("cursor", 0)?.max(0);
    let limit = u32::try_from(parse("limit", 5000)?.clamp(1, 10_000)).unwrap_or(5000);
    let sync = s.sync.clone();
    let page = blocking(move || sync.changes(cursor, limit)).await?;
    Ok(Json(PullResponse {
        cursor: page.cursor,
        more: page.more,
        partners: page.partners,
        revoked_cards: page.revoked_cards,
        revoked_credentials: page.revoked_credentials,
        restored_cards: page.restored_cards,
        trust_list: (cursor == 0).then(|| s.keys.signed.to_json()),
        server_time: s.clock.now(),
    }))
}

/// Cards flagged for offline overspend (the Region carries the amount).
#[utoipa::path(get, path = "/api/region/flags", responses((status = 200, body = Vec<CardFlag>)), security(("bearer" = [])))]
pub async fn region_flags(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<CardFlag>>, ApiError> {
    require(&p, Role::Region)?;
    let sync = s.sync.clone();
    blocking(move || sync.flags()).await.map(Json)
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
#[derive(OpenApi)]
#[openapi(
    info(title = "PASS'Région API", description = "The Region's source of truth: accounts, orders, cards, avantages, the ledger, debits and reimbursements. Errors are application/problem+json bodies with a stable `code` and a French `message`."),
    paths(
        health, login, register, logout, catalogue, establishments, partners, bons_plans, me,
        create_order, my_orders, my_card, activate_card, my_transactions, my_card_qr, my_card_qr_svg, my_card_qr_png,
        issue_credential, trust_list, trust_root, establishment_card_qr,
        establishment_orders, decide_order, establishment_cards, suspend_card, reactivate_card, revalidate_card,
        inspect_card, debit, refund, partner_transactions, partner_reimbursements, partner_bons_plans, submit_bon_plan,
        region_transactions, region_batches, close_batches, pay_batch, ledger_check, pending_bons_plans, moderate_bon_plan,
        enrol_device, sync_push, sync_pull, region_flags,
        crate::onboarding::apply, crate::onboarding::resend_code, crate::onboarding::sign, crate::onboarding::my_status,
        crate::onboarding::region_partners, crate::onboarding::decide, crate::onboarding::add_referent, crate::onboarding::referents,
        crate::collective::collective_debit,
    ),
    components(schemas(ApiError, DebitReceipt)),
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

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/openapi.json", get(openapi))
        .route("/api/auth/login", post(login))
        .route("/api/auth/register", post(register))
        .route("/api/auth/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/catalogue", get(catalogue))
        .route("/api/establishments", get(establishments))
        .route("/api/partners", get(partners))
        .route("/api/bons-plans", get(bons_plans))
        .route("/api/youth/orders", post(create_order).get(my_orders))
        .route("/api/youth/card", get(my_card))
        .route("/api/youth/card/activate", post(activate_card))
        .route("/api/youth/card/qr", get(my_card_qr))
        .route("/api/youth/card/qr.svg", get(my_card_qr_svg))
        .route("/api/youth/card/qr.png", get(my_card_qr_png))
        .route("/api/youth/credentials", post(issue_credential))
        .route(
            "/api/establishment/cards/{id}/qr.png",
            get(establishment_card_qr),
        )
        .route("/api/trust-list", get(trust_list))
        .route("/api/trust-root", get(trust_root))
        .route("/api/youth/transactions", get(my_transactions))
        .route("/api/establishment/orders", get(establishment_orders))
        .route(
            "/api/establishment/orders/{id}/decision",
            post(decide_order),
        )
        .route("/api/establishment/cards", get(establishment_cards))
        .route("/api/establishment/cards/{id}/suspend", post(suspend_card))
        .route(
            "/api/establishment/cards/{id}/reactivate",
            post(reactivate_card),
        )
        .route(
            "/api/establishment/cards/{id}/revalidate",
            post(revalidate_card),
        )
        .route("/api/partner/cards/inspect", post(inspect_card))
        .route("/api/partner/debits", post(debit))
        .route("/api/partner/transactions", get(partner_transactions))
        .route("/api/partner/transactions/{id}/refund", post(refund))
        .route("/api/partner/reimbursements", get(partner_reimbursements))
        .route(
            "/api/partner/bons-plans",
            get(partner_bons_plans).post(submit_bon_plan),
        )
        .route("/api/region/transactions", get(region_transactions))
        .route("/api/region/reimbursements", get(region_batches))
        .route("/api/region/reimbursements/close", post(close_batches))
        .route("/api/region/reimbursements/{id}/pay", post(pay_batch))
        .route("/api/region/ledger/check", get(ledger_check))
        .route("/api/region/bons-plans/pending", get(pending_bons_plans))
        .route(
            "/api/region/bons-plans/{id}/decision",
            post(moderate_bon_plan),
        )
        .route("/api/partner/devices", post(enrol_device))
        .route(
            "/api/sync/push",
            post(sync_push).layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        )
        .route("/api/sync/pull", get(sync_pull))
        .route("/api/region/flags", get(region_flags))
        .route("/api/partners/applications", post(crate::onboarding::apply))
        .route(
            "/api/partner/convention/code",
            post(crate::onboarding::resend_code),
        )
        .route(
            "/api/partner/convention/sign",
            post(crate::onboarding::sign),
        )
        .route("/api/partner/status", get(crate::onboarding::my_status))
        .route(
            "/api/region/partners",
            get(crate::onboarding::region_partners),
        )
        .route(
            "/api/region/partners/{id}/decision",
            post(crate::onboarding::decide),
        )
        .route(
            "/api/establishment/referents",
            post(crate::onboarding::add_referent),
        )
        .route("/api/referents", get(crate::onboarding::referents))
        .route(
            "/api/establishment/collective-debits",
            post(crate::collective::collective_debit),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            server_time,
        ))
        .with_state(state)
}

/// A random session token (256 bits, URL-safe base64).
pub fn encode_token(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
