//! The steps of an inspection, a debit and a refund inside one transaction, over the storage-only `…Tx` traits: the one sequence of every storage engine (SQLite in `debits/repo.rs`, PostgreSQL in `debits/repo_pg.rs`).

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::RefundPolicy;

use crate::accounts::notify::NotifyTx;
use crate::config::Policy;
use crate::debits::card::CardRef;
use crate::debits::card::Channel;
use crate::debits::ledger::balances_with;
use crate::debits::lookup::CardLookupTx;
use crate::debits::lookup::identify;
use crate::debits::model::CardInspection;
use crate::debits::model::DebitReceipt;
use crate::debits::model::DebitRequest;
use crate::debits::qr::ScannedCard;
use crate::debits::refund::RefundAsked;
use crate::debits::refund::RefundTx;
use crate::debits::service::DebitAt;
use crate::debits::service::DebitTx;
use crate::debits::service::apply_debit;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Outcome;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::json_response;

/// What a card's inspection reads: a card look-up, then the ledger.
pub(crate) trait InspectTx: CardLookupTx + DebitTx {}
impl<X: CardLookupTx + DebitTx> InspectTx for X {}

/// What a debit of a designated card reads and writes: the look-up, the
/// debit, and the receipt in the outbox.
pub(crate) trait CardDebitTx: CardLookupTx + DebitTx + NotifyTx {}
impl<X: CardLookupTx + DebitTx + NotifyTx> CardDebitTx for X {}

/// What a partner sees of a card before debiting it: the card identified
/// (with the birth-date check and lockout), its balances the partner's
/// `category` may debit.
pub(crate) fn inspect<X: InspectTx>(
    tx: &X,
    cats: &Catalogues,
    policy: &Policy,
    card: &CardRef,
    category: PartnerCategory,
    now: DateTime<Utc>,
) -> Result<Outcome<CardInspection>, ServiceError> {
    let row = match identify(tx, card, policy, now)? {
        Outcome::Commit(r) => r,
        Outcome::CommitAndRefuse(e) => return Ok(Outcome::CommitAndRefuse(e)),
    };
    let balances = balances_with(cats, &row, Some(category), &mut |a| {
        tx.totals(&row.id, row.season, a)
    })?;
    Ok(Outcome::Commit(crate::debits::service::inspection(
        &row, balances, now,
    )))
}

/// A partner's debit of a designated card.
pub(crate) struct DebitAsked<'a> {
    pub(crate) partner_id: &'a str,
    pub(crate) category: PartnerCategory,
    pub(crate) account_id: &'a str,
    pub(crate) card: &'a CardRef,
    pub(crate) req: &'a DebitRequest,
    pub(crate) channel: Channel,
    pub(crate) now: DateTime<Utc>,
}

/// Identifies the card (birth-date check, lockout), debits it with the
/// shared rule (`service::apply_debit`), queues the holder's receipt in the
/// same transaction, and answers the receipt (201). The caller wraps it in
/// the idempotency rule.
pub(crate) fn debit<X: CardDebitTx>(
    tx: &X,
    cats: &Catalogues,
    policy: &Policy,
    asked: &DebitAsked<'_>,
) -> Result<Outcome<StoredResponse>, ServiceError> {
    let row = match identify(tx, asked.card, policy, asked.now)? {
        Outcome::Commit(r) => r,
        Outcome::CommitAndRefuse(e) => return Ok(Outcome::CommitAndRefuse(e)),
    };
    let used_qr = match asked.card {
        CardRef::Scanned(ScannedCard { used: Some(u), .. }) => Some(u),
        _ => None,
    };
    let at = DebitAt {
        partner_id: asked.partner_id,
        category: asked.category,
        account_id: asked.account_id,
        channel: match asked.channel {
            Channel::Web => "web",
            Channel::Qr => "qr",
        },
        now: asked.now,
    };
    let req = asked.req;
    let (t, balance) = match apply_debit(
        tx,
        cats,
        &at,
        &row,
        &req.avantage,
        req.price,
        req.entries,
        used_qr,
    )? {
        Outcome::Commit(v) => v,
        Outcome::CommitAndRefuse(e) => return Ok(Outcome::CommitAndRefuse(e)),
    };
    tx.enqueue_to_holder(
        &row.id,
        &format!("debit:{}", t.id),
        "PASS'Région : reçu de votre achat",
        &crate::debits::receipt_text(&t, &balance),
        asked.now,
    )?;
    Ok(Outcome::from(json_response(
        201,
        &DebitReceipt {
            transaction: t,
            balance,
            holder: row.holder(),
        },
    )))
}

/// A partner's refund, answered as the API does (201 and the refund).
pub(crate) fn refund(
    tx: &dyn RefundTx,
    cats: &Catalogues,
    window: RefundPolicy,
    asked: &RefundAsked<'_>,
) -> Result<Outcome<StoredResponse>, ServiceError> {
    match crate::debits::refund::refund(tx, cats, window, asked)? {
        Outcome::Commit(t) => Ok(Outcome::from(json_response(201, &t))),
        Outcome::CommitAndRefuse(e) => Ok(Outcome::CommitAndRefuse(e)),
    }
}
