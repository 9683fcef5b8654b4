//! The rules of the desk's bulk actions inside the writer: the list's
//! bounds, each item in its own savepoint, and the French reason of each
//! refusal. The decisions themselves are the one-by-one rules of
//! `cards::service` (`decide_order`, `change_card` with the core's card and
//! eligibility rules); storage goes through the SQL-only [`DeskTx`],
//! implemented for SQLite in `desk/repo.rs`.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use passregion_core::api::desk::{BULK_MAX_ITEMS, BulkItem, BulkResult};
use passregion_core::public::{EligibilityError, age_on};
use passregion_core::season::region_date;
use passregion_core::status::BulkItemStatus;
use passregion_core::{CardError, CardState, Season};

use crate::cards::error::CardsError;
use crate::cards::service::{
    CardsTx, CheckedChange, CheckedDecision, OrdersTx, change_card, decide_order, eligibility_day,
};
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::establishments::desk::error::DeskError;
use crate::platform::catalogues::Catalogues;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::sql::sha256_hex;
use crate::web::problem::ApiError;

/// Items of a bulk call per writer job: each job is one slot of a group
/// commit, so a call of 1000 holds the writer for 100 at a time.
pub const BULK_CHUNK: usize = 100;

/// The idempotency record of chunk `i` of a bulk call: its own key (a space
/// cannot appear in an `Idempotency-Key` header, so no client key meets
/// it) and a hash of the whole request with the chunk's number.
pub(crate) fn chunk_key(idem: &Idempotency, i: usize) -> Idempotency {
    Idempotency {
        account_id: idem.account_id.clone(),
        key: format!("{} {i}", idem.key),
        request_hash: sha256_hex(format!("{}\n{i}", idem.request_hash).as_bytes()),
    }
}

/// The storage of the bulk actions inside the writer's transaction: the
/// orders' and cards' (SQL only) and the per-item savepoint.
pub(crate) trait DeskTx: OrdersTx + CardsTx {
    /// Opens the savepoint of one item.
    fn savepoint(&self) -> Result<(), ServiceError>;
    /// Keeps what the item wrote.
    fn release(&self) -> Result<(), ServiceError>;
    /// Undoes what the item wrote (and closes its savepoint).
    fn rollback(&self) -> Result<(), ServiceError>;
}

/// Checks the ids of a bulk call: 1 to [`BULK_MAX_ITEMS`], each once,
/// plausible ids. Nothing is read before.
pub(crate) fn check_ids(field: &'static str, ids: &[String]) -> Result<(), ServiceError> {
    let invalid = |message: &str| ServiceError::Invalid {
        field,
        message: message.to_owned(),
    };
    if ids.is_empty() {
        return Err(invalid("Sélectionnez au moins un élément."));
    }
    if ids.len() > BULK_MAX_ITEMS {
        return Err(DeskError::TooManyItems {
            max: BULK_MAX_ITEMS,
        }
        .into());
    }
    let mut seen = HashSet::with_capacity(ids.len());
    for id in ids {
        if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("Identifiant invalide dans la sélection."));
        }
        if !seen.insert(id.as_str()) {
            return Err(invalid("Chaque élément ne peut figurer qu'une fois."));
        }
    }
    Ok(())
}

/// Runs a bulk call chunk by chunk: `job` runs one chunk of [`BULK_CHUNK`]
/// ids in its own idempotent write (under the chunk's key, [`chunk_key`])
/// and returns the stored answer; the items are gathered in order and
/// counted.
pub(crate) fn in_chunks(
    ids: &[String],
    idem: &Idempotency,
    mut job: impl FnMut(Idempotency, Vec<String>) -> Result<StoredResponse, ServiceError>,
) -> Result<BulkResult, ServiceError> {
    let mut items = Vec::with_capacity(ids.len());
    for (i, part) in ids.chunks(BULK_CHUNK).enumerate() {
        let stored = job(chunk_key(idem, i), part.to_vec())?;
        let part: Vec<BulkItem> = serde_json::from_str(&stored.body)
            .map_err(|e| ServiceError::Internal(format!("stored bulk answer: {e}")))?;
        items.extend(part);
    }
    Ok(summary(items))
}

/// Counts the items done and refused.
pub(crate) fn summary(items: Vec<BulkItem>) -> BulkResult {
    let done = items
        .iter()
        .filter(|i| i.status == BulkItemStatus::Done)
        .count();
    BulkResult {
        done: u32::try_from(done).unwrap_or(u32::MAX),
        refused: u32::try_from(items.len() - done).unwrap_or(u32::MAX),
        items,
    }
}

/// A failure of storage, not a refusal by the rules: it ends the chunk
/// (rolled back) and the call.
fn fatal(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Db(_)
            | ServiceError::Pg(_)
            | ServiceError::Internal(_)
            | ServiceError::Unavailable
    )
}

/// Runs one item in its own savepoint: kept when it is done, undone when
/// the rules refuse it (`Ok(Err(_))`); a storage failure is `Err`.
fn in_savepoint<T>(
    tx: &dyn DeskTx,
    f: impl FnOnce() -> Result<T, ServiceError>,
) -> Result<Result<T, ServiceError>, ServiceError> {
    tx.savepoint()?;
    match f() {
        Ok(v) => {
            tx.release()?;
            Ok(Ok(v))
        }
        Err(e) => {
            tx.rollback()?;
            if fatal(&e) { Err(e) } else { Ok(Err(e)) }
        }
    }
}

fn item(id: &str, name: String, outcome: Result<Option<String>, (&str, String)>) -> BulkItem {
    match outcome {
        Ok(season) => BulkItem {
            id: id.to_owned(),
            status: BulkItemStatus::Done,
            name,
            code: None,
            message: None,
            season,
        },
        Err((code, message)) => BulkItem {
            id: id.to_owned(),
            status: BulkItemStatus::Refused,
            name,
            code: Some(code.to_owned()),
            message: Some(message),
            season: None,
        },
    }
}

/// An id that is not one of the établissement's: the answer of an unknown
/// id, without a name (nothing of another établissement leaks).
fn not_found(id: &str, what: &'static str) -> BulkItem {
    let api = ApiError::from(ServiceError::NotFound(what));
    item(id, String::new(), Err((api.code, api.message)))
}

/// Decides the orders of one chunk, each in its own savepoint, with the
/// one-by-one rule (`cards::service::decide_order`).
pub(crate) fn decide_chunk(
    tx: &dyn DeskTx,
    cats: &Catalogues,
    ids: &[String],
    d: &CheckedDecision,
    now: DateTime<Utc>,
) -> Result<Vec<BulkItem>, ServiceError> {
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(order) = tx.establishment_order(id, &d.establishment_id)? else {
            items.push(not_found(id, "Commande"));
            continue;
        };
        let name = format!("{} {}", order.first_name, order.last_name);
        let outcome = match in_savepoint(tx, || decide_order(tx, cats, id, d, now))? {
            Ok(_) => Ok(None),
            Err(e) => {
                let api = ApiError::from(e);
                Err((api.code, api.message))
            }
        };
        items.push(item(id, name, outcome));
    }
    Ok(items)
}

/// Revalidates the cards of one chunk, each in its own savepoint, with the
/// one-by-one rule (`cards::service::change_card`: the core's season and
/// eligibility rules); a refusal says why in French.
pub(crate) fn revalidate_chunk(
    tx: &dyn DeskTx,
    cats: &Catalogues,
    ids: &[String],
    ch: &CheckedChange,
    now: DateTime<Utc>,
) -> Result<Vec<BulkItem>, ServiceError> {
    let today = region_date(now);
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(card) = tx
            .card(id)?
            .filter(|c| c.establishment_id == ch.establishment_id)
        else {
            items.push(not_found(id, "Carte"));
            continue;
        };
        let name = format!("{} {}", card.first_name, card.last_name);
        let outcome = match in_savepoint(tx, || change_card(tx, cats, id, ch.clone(), now))? {
            Ok(view) => Ok(Some(view.season)),
            Err(e) => Err(revalidation_refusal(&card, e, today)),
        };
        items.push(item(id, name, outcome));
    }
    Ok(items)
}

/// The code (the one-by-one call's) and the French reason of a refused
/// revalidation, written for the établissement: the age on the day that
/// counts and the public's bounds when the youth is no longer eligible.
pub(crate) fn revalidation_refusal(
    card: &CardRow,
    e: ServiceError,
    today: NaiveDate,
) -> (&'static str, String) {
    let state = CardState {
        status: card.status,
        season: card.season,
    };
    let message = match &e {
        ServiceError::Cards(CardsError::Eligibility(err)) => state
            .revalidation_target(today)
            .ok()
            .map(|target| eligibility_reason(card, err, target, eligibility_day(target, today))),
        ServiceError::Cards(CardsError::Card(CardError::AlreadyRevalidated)) => {
            let mut m = format!("Carte déjà valable pour la saison {}.", card.season);
            if card.season == Season::of_date(today) {
                m.push_str(" La revalidation pour la saison suivante ouvre le 1er avril.");
            }
            Some(m)
        }
        _ => None,
    };
    let api = ApiError::from(e);
    (api.code, message.unwrap_or(api.message))
}

fn eligibility_reason(
    card: &CardRow,
    err: &EligibilityError,
    target: Season,
    on: NaiveDate,
) -> String {
    let public = card.profile.public;
    let (min, max) = public.age_bounds();
    let age = age_on(card.birth_date, on).unwrap_or(0);
    let label = public.label_fr();
    match err {
        EligibilityError::TooOld => format!(
            "Âge limite dépassé pour la saison {target} : {age} ans au {}, au-delà des {max} ans du public « {label} ».",
            french_date(on)
        ),
        EligibilityError::TooYoung => format!(
            "Trop jeune pour la saison {target} : {age} ans au {}, en dessous des {min} ans du public « {label} ».",
            french_date(on)
        ),
        EligibilityError::TrackRequired | EligibilityError::TrackNotAllowed => format!(
            "La classe ou le diplôme enregistré ne correspond pas au public « {label} » : la carte ne peut pas être revalidée pour la saison {target}."
        ),
        EligibilityError::BirthDateInFuture => format!(
            "La date de naissance enregistrée est postérieure au {} : la carte ne peut pas être revalidée.",
            french_date(on)
        ),
    }
}

/// `1er juin 2027`, `15 avril 2027`.
pub(crate) fn french_date(d: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let day = match d.day() {
        1 => "1er".to_owned(),
        n => n.to_string(),
    };
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or_default();
    format!("{day} {month} {}", d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_in_french() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(french_date(d(2027, 6, 1)), "1er juin 2027");
        assert_eq!(french_date(d(2027, 4, 15)), "15 avril 2027");
        assert_eq!(french_date(d(2026, 12, 31)), "31 décembre 2026");
    }

    #[test]
    fn a_bulk_list_is_bounded_and_each_id_once() {
        let ids = |n: usize| (0..n).map(|i| format!("id-{i}")).collect::<Vec<_>>();
        assert!(check_ids("card_ids", &ids(1)).is_ok());
        assert!(check_ids("card_ids", &ids(BULK_MAX_ITEMS)).is_ok());
        assert!(matches!(
            check_ids("card_ids", &ids(BULK_MAX_ITEMS + 1)),
            Err(ServiceError::Desk(DeskError::TooManyItems { max: 1000 }))
        ));
        assert!(check_ids("card_ids", &[]).is_err());
        assert!(check_ids("card_ids", &["a".into(), "a".into()]).is_err());
        assert!(check_ids("card_ids", &["a b".into()]).is_err());
    }
}
