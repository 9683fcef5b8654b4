//! The ledger on PostgreSQL (ADR 0036): the helpers of `debits::ledger` over a PostgreSQL transaction, for the domains that move or show a card's balances (cards). The caller has locked the card's row (`debits::repo_pg::lock_card`) before it appends.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::MovementKind;
use passregion_core::ledger::Totals;
use r2d2_postgres::postgres::Transaction;

use crate::cards::model::Balance;
use crate::debits::card::CardRow;
use crate::debits::ledger::balances_with;
use crate::debits::repo_pg::append_ledger_after;
use crate::debits::repo_pg::totals;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;

/// The card's balances (`debits::ledger::balances` on PostgreSQL).
pub(crate) fn balances(
    tx: &mut Transaction<'_>,
    catalogues: &Catalogues,
    card: &CardRow,
    only_category: Option<PartnerCategory>,
) -> Result<Vec<Balance>, ServiceError> {
    balances_with(catalogues, card, only_category, &mut |avantage| {
        totals(tx, &card.id, card.season, avantage)
    })
}

/// Appends one movement after the totals read now
/// (`debits::ledger::append_ledger` on PostgreSQL; the card's row locked
/// by the caller).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_ledger(
    tx: &mut Transaction<'_>,
    card_id: &str,
    season: Season,
    avantage: &str,
    unit_kind: AvantageKind,
    movement: MovementKind,
    units: i64,
    transaction_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Totals, ServiceError> {
    let before = totals(tx, card_id, season, avantage)?;
    append_ledger_after(
        tx,
        card_id,
        season,
        avantage,
        unit_kind,
        movement,
        units,
        transaction_id,
        before,
        now,
    )
}
