//! The debit of one identified card, through the core debit rule; shared by counter, collective and offline debits.

use crate::platform::db::Outcome;

use crate::cards::error::CardsError;
use crate::debits::error::DebitsError;

use crate::platform::db::Cached;

use crate::debits::ledger::totals;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardState;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::debit::AvantageKind;
use passregion_core::debit::Quantity;
use passregion_core::ledger::MovementKind;
use passregion_core::season::region_date;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::debits::card::CardRow;
use crate::debits::ledger::append_ledger_after;
use crate::debits::ledger::kind_code;
use crate::debits::ledger::units_text;
use crate::debits::model::Transaction;
use crate::debits::transactions::transactions_where;
use crate::debits::transactions::with_labels;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::new_id;
use crate::platform::sql::ts;

/// Who debits, how and when.
pub(crate) struct DebitAt<'a> {
    pub(crate) partner_id: &'a str,
    pub(crate) category: PartnerCategory,
    pub(crate) account_id: &'a str,
    pub(crate) channel: &'static str,
    pub(crate) now: DateTime<Utc>,
}

/// Debits one card (already identified) with the core debit rule: the card
/// must be usable, the avantage allowed for the partner's category; writes the
/// transaction, the ledger row and the consumed QR. `Ok(Outcome::CommitAndRefuse(..))` is a refusal.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_debit(
    c: &Connection,
    cats: &Catalogues,
    at: &DebitAt<'_>,
    row: &CardRow,
    avantage_code: &str,
    price: Option<Money>,
    entries: Option<u32>,
    used_qr: Option<&crate::debits::qr::UsedQr>,
) -> Result<Outcome<(Transaction, String)>, ServiceError> {
    let state = CardState {
        status: row.status,
        season: row.season,
    };
    if let Err(e) = state.check_usable(region_date(at.now)) {
        return Ok(Outcome::CommitAndRefuse(e.into()));
    }
    let Some(cat) = cats.get(row.season) else {
        return Ok(Outcome::CommitAndRefuse(ServiceError::Cards(
            CardsError::NoCatalogue,
        )));
    };
    let Some(avantage) = cat.avantage(avantage_code) else {
        return Ok(Outcome::CommitAndRefuse(ServiceError::Debits(
            DebitsError::UnknownAvantage,
        )));
    };
    if !avantage.allows(at.category) {
        return Ok(Outcome::CommitAndRefuse(ServiceError::Debits(
            DebitsError::AvantageNotAllowed,
        )));
    }
    let price = match (avantage.kind, price, entries) {
        (AvantageKind::Credit, Some(p), None) => Quantity::Credit { amount: p },
        (AvantageKind::Entries, None, Some(n)) if n <= 100 => Quantity::Entries { count: n },
        (AvantageKind::Credit, _, _) => {
            return Ok(Outcome::CommitAndRefuse(ServiceError::Invalid {
                field: "price",
                message: "Indiquez le prix (en euros) de la prestation, sans nombre d'entrées."
                    .into(),
            }));
        }
        (AvantageKind::Entries, _, _) => {
            return Ok(Outcome::CommitAndRefuse(ServiceError::Invalid {
                field: "entries",
                message: "Indiquez le nombre d'entrées (1 à 100), sans prix.".into(),
            }));
        }
    };
    let t = totals(c, &row.id, row.season, &avantage.code)?;
    let available = Quantity::from_units(avantage.kind, t.balance())?;
    let outcome = match passregion_core::debit::debit(available, price) {
        Ok(o) => o,
        Err(e) => return Ok(Outcome::CommitAndRefuse(e.into())),
    };
    if let Some(u) = used_qr
        && qr_used(c, &u.credential_id, u.counter)?
    {
        return Ok(Outcome::CommitAndRefuse(ServiceError::Debits(
            DebitsError::Qr("Replayed".into()),
        )));
    }
    let value = avantage.reimbursed_value(outcome.debited);
    let id = new_id();
    c.exec(
        "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
             unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
             VALUES (?1, 'debit', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            id,
            row.id,
            at.partner_id,
            at.account_id,
            row.season.start_year(),
            avantage.code,
            kind_code(avantage.kind),
            price.units(),
            outcome.debited.units(),
            outcome.reste_a_payer.units(),
            value.cents(),
            at.channel,
            ts(at.now)
        ],
    )?;
    append_ledger_after(
        c,
        &row.id,
        row.season,
        &avantage.code,
        avantage.kind,
        MovementKind::Debit,
        outcome.debited.units(),
        Some(&id),
        t,
        at.now,
    )?;
    if let Some(u) = used_qr {
        c.exec(
            "INSERT INTO qr_uses (credential_id, counter, transaction_id) VALUES (?1, ?2, ?3)",
            params![u.credential_id, u.counter, id],
        )?;
    }
    let mut tx = with_labels(cats, transactions_where(c, "t.id = ?1", &[&id])?)
        .into_iter()
        .next()
        .ok_or(ServiceError::Internal("debit not found".into()))?;
    let balance = units_text(avantage.kind, outcome.new_balance.units());
    tx.balance_after = Some(balance.clone());
    Ok(Outcome::Commit((tx, balance)))
}

/// Whether a dynamic QR (credential + counter) already served a debit.
pub(crate) fn qr_used(
    conn: &Connection,
    credential_id: &str,
    counter: u32,
) -> Result<bool, ServiceError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM qr_uses WHERE credential_id = ?1 AND counter = ?2",
            params![credential_id, counter],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
