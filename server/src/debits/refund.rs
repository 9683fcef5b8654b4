//! The refund of a debit: decided with the core refund rule (never twice,
//! never above the debit, within the window), written through the
//! storage-only `RefundTx` trait (SQLite implementation in `debits/repo.rs`).
//!
//! A debit for which the partner was paid more than the card paid (an
//! offline debit accepted beyond the card's balance: the Region covered the
//! shortfall) is refunded up to what the partner was paid, and the partner
//! gives all of it back; the Region recovers its shortfall first and the card
//! gets back only what it paid (`core::reimbursement::refund_split`). No
//! money stays with the partner.

use chrono::{DateTime, Utc};
use passregion_core::debit::{AvantageKind, Quantity};
use passregion_core::ledger::Totals;
use passregion_core::reimbursement::refund_split;
use passregion_core::{Money, RefundPolicy, Season};

use crate::cards::error::CardsError;
use crate::debits::model::{RefundRequest, Transaction};
use crate::debits::service::DebitTx;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Outcome;
use crate::platform::sql::new_id;

/// A partner's request to cancel one of its debits.
pub(crate) struct RefundAsked<'a> {
    pub(crate) partner_id: &'a str,
    pub(crate) account_id: &'a str,
    pub(crate) transaction_id: &'a str,
    pub(crate) req: &'a RefundRequest,
    pub(crate) now: DateTime<Utc>,
}

/// A stored transaction of the partner, with what the ledger needs.
pub(crate) struct StoredDebit {
    pub(crate) transaction: Transaction,
    pub(crate) card_id: String,
    pub(crate) season: i32,
    /// Taken from the card.
    pub(crate) units: i64,
    /// What the partner is paid for it, in cents.
    pub(crate) amount_cents: i64,
}

/// What a refund writes once decided.
pub(crate) struct NewRefund<'a> {
    pub(crate) id: String,
    pub(crate) asked: &'a RefundAsked<'a>,
    pub(crate) original: &'a StoredDebit,
    pub(crate) season: Season,
    /// Units given back to the card (may be 0: the card paid nothing).
    pub(crate) card_units: i64,
    /// What the partner gives back.
    pub(crate) value: Money,
}

/// The storage a refund needs inside the writer's transaction (SQL only).
pub(crate) trait RefundTx: DebitTx {
    /// The transaction `id` of `partner_id`, if it exists.
    fn partner_debit(
        &self,
        id: &str,
        partner_id: &str,
    ) -> Result<Option<StoredDebit>, ServiceError>;
    /// Writes the refund transaction and its ledger row; the totals after.
    fn insert_refund(&self, refund: &NewRefund<'_>) -> Result<Totals, ServiceError>;
}

/// Cancels a debit, in full or in part: only a debit of this partner, in its
/// own unit (euros or entries), through `core::debit::refund`. A refusal is
/// `Outcome::CommitAndRefuse`.
pub(crate) fn refund(
    tx: &dyn RefundTx,
    cats: &Catalogues,
    window: RefundPolicy,
    asked: &RefundAsked<'_>,
) -> Result<Outcome<Transaction>, ServiceError> {
    let refuse = |e: ServiceError| Ok(Outcome::CommitAndRefuse(e));
    let Some(original) = tx.partner_debit(asked.transaction_id, asked.partner_id)? else {
        return refuse(ServiceError::NotFound("Transaction"));
    };
    let debit = &original.transaction;
    if debit.kind != "debit" {
        return refuse(ServiceError::Invalid {
            field: "transaction_id",
            message: "Seul un débit peut être annulé.".into(),
        });
    }
    let on_card = Quantity::from_units(debit.unit_kind, original.units)?;
    // The partner was paid more than the card paid: it may give back (and
    // gives back by default) all it was paid.
    let shortfall =
        debit.unit_kind == AvantageKind::Credit && original.amount_cents > original.units;
    let debited = if shortfall {
        Quantity::Credit {
            amount: Money::from_cents(original.amount_cents)?,
        }
    } else {
        on_card
    };
    let requested = match (debit.unit_kind, asked.req.amount, asked.req.entries) {
        (_, None, None) => None,
        (AvantageKind::Credit, Some(a), None) => Some(Quantity::Credit { amount: a }),
        (AvantageKind::Entries, None, Some(n)) => Some(Quantity::Entries { count: n }),
        _ => return refuse(passregion_core::RefundError::KindMismatch.into()),
    };
    let amount = match passregion_core::debit::refund(
        debited,
        debit.refunded,
        requested,
        debit.created_at,
        asked.now,
        window,
    ) {
        Ok(a) => a,
        Err(e) => return refuse(e.into()),
    };
    let season =
        Season::starting(original.season).map_err(|_| ServiceError::Internal("season".into()))?;
    let (value, card_units) = match (shortfall, amount, on_card) {
        (
            true,
            Quantity::Credit { amount: returned },
            Quantity::Credit {
                amount: paid_by_card,
            },
        ) => {
            let paid = Money::from_cents(original.amount_cents)?;
            let split = refund_split(paid, paid_by_card, returned)?;
            (split.partner_returns, split.card_credit.cents())
        }
        (true, _, _) => return Err(ServiceError::Internal("shortfall on entries".into())),
        (false, _, _) => {
            let value = cats
                .get(season)
                .and_then(|cat| cat.avantage(&debit.avantage))
                .map(|a| a.reimbursed_value(amount))
                .ok_or(ServiceError::Cards(CardsError::NoCatalogue))?;
            (value, amount.units())
        }
    };
    let new = NewRefund {
        id: new_id(),
        asked,
        original: &original,
        season,
        card_units,
        value,
    };
    let after = tx.insert_refund(&new)?;
    let mut shown = tx.transaction(cats, &new.id)?;
    shown.balance_after = Some(crate::debits::ledger::units_text(
        debit.unit_kind,
        after.balance(),
    ));
    crate::platform::metrics::refund();
    Ok(Outcome::Commit(shown))
}
