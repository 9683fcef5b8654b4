//! The Region's print queue: list, CSV export for the card maker (with each
//! card's signed QR text), marking cards posted.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use passregion_core::credential::CardQr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::session::Auth;
use crate::accounts::{RegionDesk, region_desk};
use crate::cards::model::{PostedRequest, PostedResponse, PrintItem};
use crate::error::ServiceError;
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

fn csv_cell(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
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
    let (store, now) = (s.store.clone(), s.clock.now());
    let queue = blocking(move || store.print_queue(now)).await?;
    let issuer = s.keys.issuer();
    let mut out = String::from(
        "\u{feff}numero;prenom;nom;etablissement;adresse;code_postal;commune;saison;qr\r\n",
    );
    for q in queue {
        let card_id = uuid::Uuid::parse_str(&q.item.card_id)
            .map_err(|_| ServiceError::Internal("card id".into()))?;
        let season = passregion_core::Season::starting(q.season_year)
            .map_err(|_| ServiceError::Internal("season".into()))?;
        let qr = CardQr {
            card_id,
            card_version: q.version,
            season,
        }
        .sign(&issuer)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let i = &q.item;
        let cells = [
            i.number.as_str(),
            &i.first_name,
            &i.last_name,
            &i.establishment,
            &i.address,
            &i.postal_code,
            &i.city,
            &i.season,
            &qr,
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(";"),
        );
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cartes-a-imprimer.csv\"",
            ),
        ],
        out,
    )
        .into_response())
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
        .routes(routes!(mark_posted))
}
