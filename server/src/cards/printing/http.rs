//! The Region's print queue: list, the card maker's batch (CSV with each
//! card's signed QR text, or a ZIP with an SVG of each QR too), marking
//! cards posted.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::Auth;
use crate::accounts::{RegionDesk, region_desk};
use crate::cards::model::{PostedRequest, PostedResponse, PrintItem};
use crate::cards::printing::batch;
use crate::state::AppState;
use crate::web::extract::{Body, blocking, parse_json};
use crate::web::problem::ApiError;

/// Cards waiting to be printed and posted, oldest first (late ones flagged).
#[utoipa::path(get, path = "/api/region/print-queue", responses((status = 200, body = Vec<PrintItem>)), security(("bearer" = [])))]
pub async fn print_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<PrintItem>>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let queue = blocking(move || store.print_queue(now)).await?;
    Ok(Json(queue.into_iter().map(|q| q.item).collect()))
}

/// The queue, each card with its signed printed QR.
async fn signed_queue(s: &AppState) -> Result<Vec<batch::Printed>, ApiError> {
    let (store, now) = (s.store.clone(), s.clock.now());
    let queue = blocking(move || store.print_queue(now)).await?;
    Ok(batch::sign_all(queue, &s.keys.issuer())?)
}

fn download(content_type: &'static str, filename: &'static str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response()
}

/// The queue as a CSV for the card maker: one line per card with its
/// postal address and the signed text of its printed QR code.
#[utoipa::path(get, path = "/api/region/print-queue.csv",
    responses((status = 200, content_type = "text/csv")), security(("bearer" = [])))]
pub async fn print_queue_csv(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Response, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let body = batch::csv(&signed_queue(&s).await?)?;
    Ok(download(
        "text/csv; charset=utf-8",
        "attachment; filename=\"cartes-a-imprimer.csv\"",
        body,
    ))
}

/// The queue as a ZIP for the card maker: `cartes.csv` and one SVG of each
/// card's printed QR code, `qr/NUMERO.svg`.
#[utoipa::path(get, path = "/api/region/print-queue.zip",
    responses((status = 200, content_type = "application/zip")), security(("bearer" = [])))]
pub async fn print_queue_zip(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Response, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let printed = signed_queue(&s).await?;
    let body = blocking(move || batch::zip(&printed)).await?;
    Ok(download(
        "application/zip",
        "attachment; filename=\"cartes-a-imprimer.zip\"",
        body,
    ))
}

/// Marks cards posted today (the youths see *expédiée le …*).
#[utoipa::path(post, path = "/api/region/print-queue/posted", request_body = PostedRequest,
    responses((status = 200, body = PostedResponse), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn mark_posted(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PostedResponse>, ApiError> {
    region_desk(&p, RegionDesk::Instruction)?;
    let (req, _) = parse_json::<PostedRequest>(&headers, &body)?;
    let (store, now) = (s.store.clone(), s.clock.now());
    let posted = blocking(move || store.mark_posted(req.card_ids, now)).await?;
    Ok(Json(PostedResponse { posted }))
}

/// The routes of the print queue.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(print_queue))
        .routes(routes!(print_queue_csv))
        .routes(routes!(print_queue_zip))
        .routes(routes!(mark_posted))
}
