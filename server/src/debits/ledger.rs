//! The append-only ledger: running totals per card, season and avantage; balances derived from it.

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::MovementKind;
use passregion_core::ledger::Totals;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::cards::model::Balance;
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::ts;

pub(crate) fn kind_code(k: AvantageKind) -> &'static str {
    match k {
        AvantageKind::Credit => "credit",
        AvantageKind::Entries => "entries",
    }
}

pub(crate) fn kind_from(s: &str) -> Result<AvantageKind, ServiceError> {
    match s {
        "credit" => Ok(AvantageKind::Credit),
        "entries" => Ok(AvantageKind::Entries),
        _ => Err(ServiceError::Internal("bad unit kind".into())),
    }
}

/// Formats ledger units: `15.00` for euros, `5` for entries.
pub(crate) fn units_text(kind: AvantageKind, units: i64) -> String {
    match kind {
        AvantageKind::Credit => Money::from_cents(units.abs())
            .map(|m| {
                if units < 0 {
                    format!("-{m}")
                } else {
                    m.to_string()
                }
            })
            .unwrap_or_default(),
        AvantageKind::Entries => units.to_string(),
    }
}

pub(crate) fn totals(
    conn: &Connection,
    card_id: &str,
    season: Season,
    avantage: &str,
) -> Result<Totals, ServiceError> {
    Ok(conn
        .one(
            "SELECT loaded_total, debited_total, refunded_total FROM ledger
             WHERE card_id = ?1 AND season = ?2 AND avantage = ?3 ORDER BY id DESC LIMIT 1",
            params![card_id, season.start_year(), avantage],
            |r| {
                Ok(Totals {
                    loaded: r.get(0)?,
                    debited: r.get(1)?,
                    refunded: r.get(2)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// Appends one movement to the ledger, with the running totals after it
/// (checked by `passregion_core::ledger::Totals::apply`). Returns the totals.
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_ledger(
    conn: &Connection,
    card_id: &str,
    season: Season,
    avantage: &str,
    unit_kind: AvantageKind,
    movement: MovementKind,
    units: i64,
    transaction_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Totals, ServiceError> {
    let before = totals(conn, card_id, season, avantage)?;
    append_ledger_after(
        conn,
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

/// The running totals after one movement on `before` (a movement that the
/// ledger's own checks would refuse is an internal error: the rule decided it).
pub(crate) fn totals_after(
    before: Totals,
    movement: MovementKind,
    units: i64,
) -> Result<Totals, ServiceError> {
    before
        .apply(movement, units)
        .map_err(|e| ServiceError::Internal(format!("ledger: {e}")))
}

/// [`append_ledger`] when the caller has just read the totals (same transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_ledger_after(
    conn: &Connection,
    card_id: &str,
    season: Season,
    avantage: &str,
    unit_kind: AvantageKind,
    movement: MovementKind,
    units: i64,
    transaction_id: Option<&str>,
    before: Totals,
    now: DateTime<Utc>,
) -> Result<Totals, ServiceError> {
    let after = totals_after(before, movement, units)?;
    conn.exec(
        "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
         loaded_total, debited_total, refunded_total, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            card_id,
            season.start_year(),
            avantage,
            kind_code(unit_kind),
            movement.code(),
            units,
            transaction_id,
            after.loaded,
            after.debited,
            after.refunded,
            ts(now)
        ],
    )?;
    Ok(after)
}

pub(crate) fn balances(
    conn: &Connection,
    catalogues: &Catalogues,
    card: &CardRow,
    only_category: Option<PartnerCategory>,
) -> Result<Vec<Balance>, ServiceError> {
    balances_with(catalogues, card, only_category, &mut |a| {
        totals(conn, &card.id, card.season, a)
    })
}

/// The card's balances of its season's catalogue (those loaded, of
/// `only_category`), from the running totals `totals` reads for an
/// avantage code: the one rule of every storage engine.
pub(crate) fn balances_with(
    catalogues: &Catalogues,
    card: &CardRow,
    only_category: Option<PartnerCategory>,
    totals: &mut dyn FnMut(&str) -> Result<Totals, ServiceError>,
) -> Result<Vec<Balance>, ServiceError> {
    let Some(cat) = catalogues.get(card.season) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for a in &cat.avantages {
        if only_category.is_some_and(|c| !a.allows(c)) {
            continue;
        }
        let t = totals(&a.code)?;
        if t.loaded == 0 {
            continue;
        }
        out.push(Balance {
            avantage: a.code.clone(),
            label: a.label.clone(),
            kind: a.kind,
            loaded: units_text(a.kind, t.loaded),
            remaining: units_text(a.kind, t.balance()),
            categories: a.categories.clone(),
        });
    }
    Ok(out)
}
