//! Handlers of accounts: login, registration, logout, the caller.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;

use crate::accounts::model::AccountView;
use crate::accounts::model::ChangePasswordRequest;
use crate::accounts::model::LoginRequest;
use crate::accounts::model::LoginResponse;
use crate::accounts::model::Me;
use crate::accounts::model::Notice;
use crate::accounts::model::PasswordResetConfirm;
use crate::accounts::model::PasswordResetRequest;
use crate::accounts::model::RegisterRequest;
use crate::accounts::model::RegisterResponse;
use crate::accounts::model::VerifyEmailRequest;
use crate::accounts::session::Auth;
use crate::accounts::session::session_hash;
use crate::error::ServiceError;
use crate::platform::sql::sha256_hex;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::blocking;
use crate::web::limits::ClientAddress;
use crate::web::problem::ApiError;

/// Log in.
#[utoipa::path(post, path = "/api/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
pub async fn login(
    State(s): State<AppState>,
    ClientAddress(source): ClientAddress,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<LoginResponse>, ApiError> {
    let (req, _) = parse_json::<LoginRequest>(&headers, &body)?;
    let done = crate::accounts::login::authenticate(
        s.store.clone(),
        &s.passwords,
        &s.budgets,
        &req.email,
        req.password,
        req.device_token.as_deref(),
        &source.to_string(),
        s.clock.now(),
    )
    .await?;
    let mut session = open_session(&s, done.account).await?;
    session.device_token = Some(done.device_token);
    Ok(Json(session))
}

/// A youth creates an account: the answer is the same whether the address is
/// free or taken (202); a confirmation link (or a notice) is sent to it.
#[utoipa::path(post, path = "/api/auth/register", request_body = RegisterRequest,
    responses((status = 202, body = RegisterResponse), (status = 422, body = ApiError), (status = 503, body = ApiError)))]
pub async fn register(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    let (req, _) = parse_json::<RegisterRequest>(&headers, &body)?;
    let answer = crate::accounts::registration::register(
        crate::accounts::registration::Registration {
            store: s.store.clone(),
            passwords: &s.passwords,
            mailer: s.mailer.clone(),
            mails: &s.budgets.mails,
            public_url: &s.public_url,
        },
        req,
        s.clock.now(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// Confirms the address with the link's token, and opens a session.
#[utoipa::path(post, path = "/api/auth/verify-email", request_body = VerifyEmailRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = ApiError)))]
pub async fn verify_email(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<LoginResponse>, ApiError> {
    let (req, _) = parse_json::<VerifyEmailRequest>(&headers, &body)?;
    let now = s.clock.now();
    let email =
        crate::accounts::registration::verify_email(s.store.clone(), &req.token, now).await?;
    let store = s.store.clone();
    let record = blocking(move || store.account_by_email(&email))
        .await?
        .ok_or(ServiceError::Accounts(
            crate::accounts::error::AccountsError::BadEmailToken,
        ))?;
    open_session(&s, record.view).await.map(Json)
}

/// Asks for a password reset link (the same answer whether the address has
/// an account or not).
#[utoipa::path(post, path = "/api/auth/password-reset", request_body = PasswordResetRequest,
    responses((status = 202, body = Notice), (status = 422, body = ApiError)))]
pub async fn password_reset(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Notice>), ApiError> {
    let (req, _) = parse_json::<PasswordResetRequest>(&headers, &body)?;
    let notice = crate::accounts::reset::request_reset(
        s.store.clone(),
        s.mailer.clone(),
        &s.budgets.mails,
        &s.public_url,
        req,
        s.clock.now(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(notice)))
}

/// Sets a new password with the link's token; ends every session.
#[utoipa::path(post, path = "/api/auth/password-reset/confirm", request_body = PasswordResetConfirm,
    responses((status = 200, body = Notice), (status = 400, body = ApiError), (status = 422, body = ApiError)))]
pub async fn password_reset_confirm(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Notice>, ApiError> {
    let (req, _) = parse_json::<PasswordResetConfirm>(&headers, &body)?;
    crate::accounts::reset::confirm_reset(
        s.store.clone(),
        &s.passwords,
        &s.sessions,
        req,
        s.clock.now(),
    )
    .await
    .map(Json)
    .map_err(Into::into)
}

/// Changes one's password (the current one is checked); ends the other sessions.
#[utoipa::path(post, path = "/api/me/password", request_body = ChangePasswordRequest,
    responses((status = 200, body = Notice), (status = 401, body = ApiError), (status = 422, body = ApiError), (status = 429, body = ApiError)), security(("bearer" = [])))]
pub async fn change_password(
    State(s): State<AppState>,
    ClientAddress(source): ClientAddress,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Notice>, ApiError> {
    let (req, _) = parse_json::<ChangePasswordRequest>(&headers, &body)?;
    crate::accounts::security::change_password(
        crate::accounts::security::Security {
            store: s.store.clone(),
            passwords: &s.passwords,
            budgets: &s.budgets,
            sessions: &s.sessions,
        },
        &p,
        &session_hash(&headers),
        &source.to_string(),
        req,
        s.clock.now(),
    )
    .await
    .map(Json)
    .map_err(Into::into)
}

/// Ends one's other sessions (this one stays open).
#[utoipa::path(post, path = "/api/me/sessions/end-others", responses((status = 200, body = Notice)), security(("bearer" = [])))]
pub async fn end_other_sessions(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
) -> Result<Json<Notice>, ApiError> {
    let n = crate::accounts::security::end_other_sessions(
        s.store.clone(),
        &s.sessions,
        &p,
        &session_hash(&headers),
    )
    .await?;
    Ok(Json(Notice {
        message: format!("{n} autre(s) session(s) fermée(s)."),
    }))
}

/// The account's open sessions (this one marked).
#[utoipa::path(get, path = "/api/me/sessions", responses((status = 200, body = Vec<crate::accounts::model::SessionView>)), security(("bearer" = [])))]
pub async fn my_sessions(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
) -> Result<Json<Vec<crate::accounts::model::SessionView>>, ApiError> {
    let (store, now, ttl, current) = (
        s.store.clone(),
        s.clock.now(),
        s.session_ttl,
        session_hash(&headers),
    );
    blocking(move || store.my_sessions(&p.account_id, &current, ttl, now))
        .await
        .map(Json)
}

/// Closes one of the account's sessions (e.g. a lost phone's).
#[utoipa::path(delete, path = "/api/me/sessions/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiError)), security(("bearer" = [])))]
pub async fn end_session(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::web::extract::Path(id): crate::web::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = s.store.clone();
    let account = p.account_id.clone();
    let hash = blocking(move || store.end_session(&account, &id)).await?;
    let hash = hash.ok_or(ServiceError::NotFound("Session"))?;
    s.sessions.remove(&hash);
    Ok(StatusCode::NO_CONTENT)
}

/// The account's messages (also sent by e-mail), newest first.
#[utoipa::path(get, path = "/api/me/notices", responses((status = 200, body = Vec<crate::accounts::model::AccountNotice>)), security(("bearer" = [])))]
pub async fn my_notices(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<crate::accounts::model::AccountNotice>>, ApiError> {
    let store = s.store.clone();
    blocking(move || store.notices_of(&p.account_id))
        .await
        .map(Json)
}

/// Log out (ends the session).
#[utoipa::path(post, path = "/api/auth/logout", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Auth(_): Auth,
) -> Result<StatusCode, ApiError> {
    let hash = session_hash(&headers);
    s.sessions.remove(&hash);
    let store = s.store.clone();
    blocking(move || store.delete_session(hash)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(get, path = "/api/me", responses((status = 200, body = Me)), security(("bearer" = [])))]
pub async fn me(Auth(p): Auth) -> Json<Me> {
    Json(Me {
        partner_id: p.partner.as_ref().map(|x| x.0.clone()),
        partner_category: p.partner.as_ref().map(|x| x.1),
        partner_role: p.partner_role,
        account_id: p.account_id,
        role: p.role,
        establishment_id: p.establishment_id,
        establishment_role: p.establishment_role,
        region_role: p.region_role,
    })
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(register))
        .routes(routes!(verify_email))
        .routes(routes!(password_reset))
        .routes(routes!(password_reset_confirm))
        .routes(routes!(change_password))
        .routes(routes!(end_other_sessions))
        .routes(routes!(my_sessions))
        .routes(routes!(end_session))
        .routes(routes!(my_notices))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Opens a session for an account that just proved who it is.
pub async fn open_session(s: &AppState, account: AccountView) -> Result<LoginResponse, ApiError> {
    let token = crate::accounts::password::new_token();
    let expires_at = s.clock.now() + s.session_ttl;
    let store = s.store.clone();
    let (hash, id) = (sha256_hex(token.as_bytes()), account.id.clone());
    blocking(move || store.create_session(hash, id, expires_at)).await?;
    Ok(LoginResponse {
        token,
        expires_at,
        account,
        device_token: None,
    })
}
