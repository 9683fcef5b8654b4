//! The card's life: orders and their validation, cards and seasons, app credentials and card QR codes.

use crate::debits::ledger::balances;

use rusqlite::Connection;
use rusqlite::OptionalExtension;

use crate::cards::model::CardView;
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;

pub mod credentials;
pub mod credentials_pg;
pub mod error;
pub mod http;
pub mod import;
pub mod import_repo;
pub mod import_repo_pg;
pub mod lost;
pub mod model;
pub mod orders;
pub mod orders_pg;
pub mod printing;
pub mod privacy;
pub mod repo;
pub mod repo_pg;
pub mod service;

/// A change of a card by its établissement.
#[derive(Debug, Clone)]
pub enum CardChange {
    /// Suspend with a reason.
    Suspend(String),
    /// Lift the suspension.
    Reactivate,
    /// Move to the next season.
    Revalidate,
}

pub(crate) fn card_view(
    conn: &Connection,
    catalogues: &Catalogues,
    card: &CardRow,
) -> Result<CardView, ServiceError> {
    let posted_at = conn
        .query_row(
            "SELECT posted_at FROM cards WHERE id = ?1",
            [&card.id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten();
    view_of(
        card,
        balances(conn, catalogues, card, None)?,
        posted_at.as_deref(),
    )
}

/// A card as the API shows it, from its row, balances and posting date
/// (either engine).
pub(crate) fn view_of(
    card: &CardRow,
    balances: Vec<crate::cards::model::Balance>,
    posted_at: Option<&str>,
) -> Result<CardView, ServiceError> {
    Ok(CardView {
        id: card.id.clone(),
        number: card.number.clone(),
        status: card.status,
        status_reason: card.status_reason.clone(),
        season: card.season.to_string(),
        valid_until: card.season.last_day(),
        first_name: card.first_name.clone(),
        last_name: card.last_name.clone(),
        establishment_id: card.establishment_id.clone(),
        balances,
        posted_at: posted_at.map(crate::platform::sql::parse_ts).transpose()?,
        renewal: None,
    })
}

/// A view with the season's end notice on `now` (core rule).
pub(crate) fn with_renewal(
    mut view: CardView,
    card: &CardRow,
    now: chrono::DateTime<chrono::Utc>,
) -> CardView {
    view.renewal = passregion_core::renewal::renewal_notice(
        card.season,
        passregion_core::season::region_date(now),
    );
    view
}

/// [`card_view`] as the holder or her établissement sees it on `now`: with
/// the season's end notice (core rule).
pub(crate) fn card_view_on(
    conn: &Connection,
    catalogues: &Catalogues,
    card: &CardRow,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<CardView, ServiceError> {
    Ok(with_renewal(card_view(conn, catalogues, card)?, card, now))
}
