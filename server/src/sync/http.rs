//! Handlers of the sync protocol.

use crate::accounts::session::AppUser;
use crate::accounts::session::PartnerStaff;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::extract::parse_json;

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use passregion_core::credential::PublicKey;
use passregion_core::sync::EnrolRequest;
use passregion_core::sync::EnrolResponse;
use passregion_core::sync::MAX_PUSH_ITEMS;
use passregion_core::sync::PullResponse;
use passregion_core::sync::PushRequest;
use passregion_core::sync::PushResponse;
use std::collections::HashMap;

use crate::error::ServiceError;
use crate::state::AppState;
use crate::web::extract::Body;
use crate::web::extract::Query;
use crate::web::extract::blocking;
use crate::web::problem::ApiError;

/// Enrol a partner phone (its key signs every offline debit).
#[utoipa::path(post, path = "/api/partner/devices", request_body = EnrolRequest,
    responses((status = 201, body = EnrolResponse), (status = 403, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn enrol_device(
    State(s): State<AppState>,
    PartnerStaff(p): PartnerStaff,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<EnrolResponse>), ApiError> {
    let (req, _) = parse_json::<EnrolRequest>(&headers, &body)?;
    PublicKey::from_base64(req.device_public_key.trim()).map_err(|_| ServiceError::Invalid {
        field: "device_public_key",
        message: "Clé publique de l'appareil invalide (Ed25519, 32 octets en base64url).".into(),
    })?;
    let (sync, now) = (s.store.clone(), s.clock.now());
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
#[utoipa::path(post, path = "/api/sync/push", request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 403, body = ApiError), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn sync_push(
    State(s): State<AppState>,
    crate::accounts::session::Auth(p): crate::accounts::session::Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PushResponse>, ApiError> {
    // A partner in force, or one terminated whose earlier offline debits
    // are still within the grace (checked with the pusher below).
    crate::accounts::require_role(&p, crate::accounts::model::Role::Partner)?;
    let (req, _) = parse_json::<PushRequest>(&headers, &body)?;
    if req.items.len() > MAX_PUSH_ITEMS {
        return Err(ServiceError::Invalid {
            field: "items",
            message: format!("Au plus {MAX_PUSH_ITEMS} débits par envoi."),
        }
        .into());
    }
    let (partner_id, _, _) = p.partner.clone().ok_or(ServiceError::Forbidden)?;
    let sync = s.store.clone();
    // A revoked device is known, with no key: its items are refused as such.
    let devices: HashMap<String, Option<PublicKey>> =
        blocking(move || sync.partner_devices(&partner_id))
            .await?
            .into_iter()
            .filter_map(|(id, key, revoked)| match revoked {
                true => Some((id, None)),
                false => PublicKey::from_base64(&key).ok().map(|k| (id, Some(k))),
            })
            .collect();
    let (keys, now) = (s.keys.clone(), s.clock.now());
    let checked = blocking(move || {
        Ok(req
            .items
            .into_iter()
            .map(|item| crate::sync::check::check(item, &devices, &keys, now))
            .collect::<Vec<_>>())
    })
    .await?;
    let sync = s.store.clone();
    let results = blocking(move || sync.apply_offline(&p, checked, now)).await?;
    Ok(Json(PushResponse {
        results,
        server_time: now,
    }))
}

/// Changes after a cursor: partner directory, revoked cards and credentials,
/// and the trust list on the first pull.
#[utoipa::path(get, path = "/api/sync/pull", params(("cursor" = Option<i64>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = PullResponse), (status = 400, body = ApiError), (status = 403, body = ApiError)), security(("bearer" = [])))]
pub async fn sync_pull(
    State(s): State<AppState>,
    AppUser(who): AppUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PullResponse>, ApiError> {
    crate::platform::metrics::sync_pull(who.role.code());
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
    let sync = s.store.clone();
    let page = blocking(move || sync.changes(cursor, limit)).await?;
    Ok(Json(PullResponse {
        cursor: page.cursor,
        more: page.more,
        partners: page.partners,
        revoked_cards: page.revoked_cards,
        revoked_credentials: page.revoked_credentials,
        restored_cards: page.restored_cards,
        card_versions: page.card_versions,
        trust_list: Some(s.keys.signed_json()),
        server_time: s.clock.now(),
    }))
}

/// The routes of this domain, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enrol_device))
        .routes(routes!(sync_pull))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(sync_push))
                .layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        )
}
