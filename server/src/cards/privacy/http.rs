//! `GET /api/youth/data`: the youth downloads everything kept about her.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::accounts::session::Auth;
use crate::cards::model::YouthDataExport;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::web::extract::blocking;
use crate::web::problem::ApiError;

/// The youth's data, as one JSON document (right of access).
#[utoipa::path(get, path = "/api/youth/data", responses((status = 200, body = YouthDataExport)), security(("bearer" = [])))]
pub async fn export(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<YouthDataExport>, ApiError> {
    require_role(&p, Role::Youth)?;
    let (store, now, years) = (s.store.clone(), s.clock.now(), s.retention_years);
    blocking(move || {
        let card = match store.my_card(&p, now) {
            Ok(c) => Some(c),
            Err(ServiceError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(YouthDataExport {
            exported_at: now,
            account: store.exported_account(&p.account_id)?,
            orders: store.my_orders(&p)?,
            addresses: store.exported_addresses(&p.account_id)?,
            transactions: if card.is_some() {
                store.my_transactions(&p)?
            } else {
                Vec::new()
            },
            card,
            retention: format!(
                "Vos données personnelles sont effacées {years} saisons après la dernière saison de votre carte ; les opérations restent, sans votre nom."
            ),
        })
    })
    .await
    .map(Json)
}

/// The routes of data protection.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}
