//! The debit of one identified card, through the core debit rule; shared by counter, collective and offline debits.

use crate::debits::qr::UsedQr;
use crate::platform::db::Outcome;
use passregion_core::ledger::Totals;
use passregion_core::{Avantage, DebitOutcome, Season};

use crate::cards::error::CardsError;
use crate::debits::error::DebitsError;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardState;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::debit::AvantageKind;
use passregion_core::debit::Quantity;
use passregion_core::season::region_date;

use crate::debits::card::CardRow;
use crate::debits::ledger::units_text;
use crate::debits::model::Transaction;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::new_id;

/// Who debits, how and when.
pub(crate) struct DebitAt<'a> {
    pub(crate) partner_id: &'a str,
    pub(crate) category: PartnerCategory,
    pub(crate) account_id: &'a str,
    pub(crate) channel: &'static str,
    pub(crate) now: DateTime<Utc>,
}

/// What a debit writes once decided.
pub(crate) struct NewDebit<'a> {
    pub(crate) id: String,
    pub(crate) card: &'a CardRow,
    pub(crate) at: &'a DebitAt<'a>,
    pub(crate) avantage: &'a Avantage,
    pub(crate) price: Quantity,
    pub(crate) outcome: DebitOutcome,
    pub(crate) reimbursed: Money,
    /// The ledger totals before the debit.
    pub(crate) before: Totals,
    pub(crate) used_qr: Option<&'a UsedQr>,
}

/// The storage a debit needs inside the writer's transaction: reads of the
/// ledger and of consumed QR codes, and the rows a debit writes. SQL only, no
/// rule; the SQLite implementation is in `debits/repo.rs`.
pub(crate) trait DebitTx {
    /// The running totals of a card × season × avantage.
    fn totals(&self, card_id: &str, season: Season, avantage: &str)
    -> Result<Totals, ServiceError>;
    /// Whether a dynamic QR (credential + counter) already served a debit.
    fn qr_used(&self, credential_id: &str, counter: u32) -> Result<bool, ServiceError>;
    /// Writes the transaction, its ledger row and the consumed QR; returns
    /// the transaction as the API shows it (`transaction`), which an engine
    /// may read back with the write itself.
    fn insert_debit(
        &self,
        cats: &Catalogues,
        debit: &NewDebit<'_>,
    ) -> Result<Transaction, ServiceError>;
    /// A transaction as the API shows it.
    fn transaction(&self, cats: &Catalogues, id: &str) -> Result<Transaction, ServiceError>;
}

/// The price of a debit in the avantage's unit: euros for a credit, a
/// number of entries (1 to 100) for entries.
pub(crate) fn quantity(
    kind: AvantageKind,
    price: Option<Money>,
    entries: Option<u32>,
) -> Result<Quantity, ServiceError> {
    match (kind, price, entries) {
        (AvantageKind::Credit, Some(p), None) => Ok(Quantity::Credit { amount: p }),
        (AvantageKind::Entries, None, Some(n)) if n <= 100 => Ok(Quantity::Entries { count: n }),
        (AvantageKind::Credit, _, _) => Err(ServiceError::Invalid {
            field: "price",
            message: "Indiquez le prix (en euros) de la prestation, sans nombre d'entrées.".into(),
        }),
        (AvantageKind::Entries, _, _) => Err(ServiceError::Invalid {
            field: "entries",
            message: "Indiquez le nombre d'entrées (1 à 100), sans prix.".into(),
        }),
    }
}

/// Which avantage of the card's catalogue a partner of `category` may debit:
/// the card usable on `now`'s date, the avantage in its season's catalogue,
/// the partner's category allowed.
pub(crate) fn debitable<'c>(
    cats: &'c Catalogues,
    row: &CardRow,
    avantage_code: &str,
    category: PartnerCategory,
    now: DateTime<Utc>,
) -> Result<&'c Avantage, ServiceError> {
    CardState {
        status: row.status,
        season: row.season,
    }
    .check_usable(region_date(now))?;
    let cat = cats
        .get(row.season)
        .ok_or(ServiceError::Cards(CardsError::NoCatalogue))?;
    let avantage = cat
        .avantage(avantage_code)
        .ok_or(ServiceError::Debits(DebitsError::UnknownAvantage))?;
    if !avantage.allows(category) {
        return Err(ServiceError::Debits(DebitsError::AvantageNotAllowed));
    }
    Ok(avantage)
}

/// Debits one card (already identified) with the core debit rule: the card
/// must be usable, the avantage allowed for the partner's category, a
/// dynamic QR not yet used; then writes the transaction, the ledger row and
/// the consumed QR through `tx`. A refusal is `Outcome::CommitAndRefuse`, so
/// that what the caller already wrote (a birth-date failure count) stays.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_debit(
    tx: &dyn DebitTx,
    cats: &Catalogues,
    at: &DebitAt<'_>,
    row: &CardRow,
    avantage_code: &str,
    price: Option<Money>,
    entries: Option<u32>,
    used_qr: Option<&UsedQr>,
) -> Result<Outcome<(Transaction, String)>, ServiceError> {
    let decided = (|| {
        let avantage = debitable(cats, row, avantage_code, at.category, at.now)?;
        let price = quantity(avantage.kind, price, entries)?;
        Ok((avantage, price))
    })();
    let (avantage, price) = match decided {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::CommitAndRefuse(e)),
    };
    let before = tx.totals(&row.id, row.season, &avantage.code)?;
    let available = Quantity::from_units(avantage.kind, before.balance())?;
    let outcome = match passregion_core::debit::debit(available, price) {
        Ok(o) => o,
        Err(e) => return Ok(Outcome::CommitAndRefuse(e.into())),
    };
    if let Some(u) = used_qr
        && tx.qr_used(&u.credential_id, u.counter)?
    {
        return Ok(Outcome::CommitAndRefuse(ServiceError::Debits(
            DebitsError::Qr("Replayed".into()),
        )));
    }
    let debit = NewDebit {
        id: new_id(),
        card: row,
        at,
        avantage,
        price,
        reimbursed: avantage.reimbursed_value(outcome.debited),
        outcome,
        before,
        used_qr,
    };
    let mut shown = tx.insert_debit(cats, &debit)?;
    let balance = units_text(avantage.kind, debit.outcome.new_balance.units());
    shown.balance_after = Some(balance.clone());
    Ok(Outcome::Commit((shown, balance)))
}

/// What a partner sees of a card before debiting it: whether it is usable
/// today (and why not, in French), and the balances its category may debit.
pub(crate) fn inspection(
    row: &CardRow,
    balances: Vec<passregion_core::api::cards::Balance>,
    now: DateTime<Utc>,
) -> crate::debits::model::CardInspection {
    let usable = CardState {
        status: row.status,
        season: row.season,
    }
    .check_usable(region_date(now));
    let reason = usable.as_ref().err().map(|e| {
        crate::web::problem::ApiError::from(ServiceError::Cards(CardsError::Card(e.clone())))
            .message
    });
    crate::debits::model::CardInspection {
        card_id: row.id.clone(),
        holder: row.holder(),
        status: row.status,
        season: row.season.to_string(),
        usable: usable.is_ok(),
        reason,
        balances,
    }
}
