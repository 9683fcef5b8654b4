//! A lost or stolen card (issue 16): the youth (or her établissement)
//! blocks it at once. The card keeps its id and balances but gets a new
//! number and a new version: the old number, the old printed code and every
//! app code stop working online at once, the app codes offline at the
//! partners' next pull (their credentials are revoked); the old number is
//! never issued or accepted again. The replacement is posted
//! (`expediee`) and activated on receipt like a first card.

pub mod http;
pub mod pg;

use chrono::{DateTime, Utc};
use passregion_core::CardNumber;
use passregion_core::card::CardStatus;
use rusqlite::{Connection, OptionalExtension, params};

use crate::cards::error::CardsError;
use crate::cards::service::CardsTx;
use crate::cards::service::StatusEvent;
use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::sql::{random_u64, ts};
use passregion_core::status::CardEventKind;

/// The storage of a replacement, on top of the cards' own.
pub(crate) trait LostTx: CardsTx {
    /// Whether a number is in use or was ever retired.
    fn number_known(&self, number: &str) -> Result<bool, ServiceError>;
    /// Retires the card's number and gives it `new_number` and the next version.
    fn replace_number(
        &self,
        card_id: &str,
        old: &str,
        new_number: &str,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

impl LostTx for Connection {
    fn number_known(&self, number: &str) -> Result<bool, ServiceError> {
        Ok(self
            .one(
                "SELECT 1 FROM cards WHERE number = ?1
                 UNION ALL SELECT 1 FROM retired_card_numbers WHERE number = ?1",
                [number],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false))
    }

    fn replace_number(
        &self,
        card_id: &str,
        old: &str,
        new_number: &str,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO retired_card_numbers (number, card_id, reason, declared_by, retired_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![old, card_id, reason, by, ts(now)],
        )?;
        self.exec(
            "UPDATE cards SET number = ?2, version = version + 1, posted_at = NULL WHERE id = ?1",
            params![card_id, new_number],
        )?;
        Ok(())
    }
}

/// Declares a card lost or stolen (see the module documentation); the
/// card is read (on PostgreSQL: locked) first. A card
/// suspended by its établissement is not replaced here (the établissement
/// decides).
pub(crate) fn declare_lost(
    tx: &dyn LostTx,
    card_id: &str,
    stolen: bool,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let card = tx.card(card_id)?.ok_or(ServiceError::NotFound("Carte"))?;
    if card.status == CardStatus::Suspendue {
        return Err(ServiceError::Cards(CardsError::CardSuspended));
    }
    // A fresh number, never seen (the space of numbers is large: a clash is
    // retried, boundedly).
    let mut number = None;
    for _ in 0..16 {
        let candidate = CardNumber::generate(random_u64).as_str().to_owned();
        if !tx.number_known(&candidate)? {
            number = Some(candidate);
            break;
        }
    }
    let number = number.ok_or_else(|| ServiceError::Internal("no fresh card number".into()))?;
    let reason = if stolen { "volee" } else { "perdue" };
    tx.replace_number(&card.id, &card.number, &number, reason, by, now)?;
    tx.revoke_card_credentials(&card.id, now)?;
    let text = if stolen {
        "Carte déclarée volée : remplacée par une nouvelle carte"
    } else {
        "Carte déclarée perdue : remplacée par une nouvelle carte"
    };
    tx.set_card_state(&card.id, CardStatus::Expediee, card.season, Some(text))?;
    tx.record_status_event(&StatusEvent {
        card_id: &card.id,
        kind: CardEventKind::Replacement,
        status: CardStatus::Expediee,
        season: card.season,
        reason: Some(text),
        by,
        at: now,
    })?;
    Ok(())
}

/// The youth declares her own card lost or stolen; returns the card as
/// replaced.
pub(crate) fn youth_lost(
    tx: &dyn LostTx,
    cats: &crate::platform::catalogues::Catalogues,
    account: &str,
    stolen: bool,
    now: DateTime<Utc>,
) -> Result<crate::cards::model::CardView, ServiceError> {
    let card = tx
        .account_card(account)?
        .ok_or(ServiceError::NotFound("Carte"))?;
    declare_lost(tx, &card.id, stolen, account, now)?;
    let card = tx.card(&card.id)?.ok_or(ServiceError::NotFound("Carte"))?;
    tx.card_view(cats, &card)
}

/// The établissement `eid` declares one of its cards lost or stolen.
pub(crate) fn establishment_lost(
    tx: &dyn LostTx,
    cats: &crate::platform::catalogues::Catalogues,
    eid: &str,
    card_id: &str,
    stolen: bool,
    by: &str,
    now: DateTime<Utc>,
) -> Result<crate::cards::model::CardView, ServiceError> {
    // Another établissement's card does not exist for the caller.
    tx.card(card_id)?
        .filter(|k| k.establishment_id == eid)
        .ok_or(ServiceError::NotFound("Carte"))?;
    declare_lost(tx, card_id, stolen, by, now)?;
    let card = tx.card(card_id)?.ok_or(ServiceError::NotFound("Carte"))?;
    tx.card_view(cats, &card)
}

/// Lost cards, for the handlers.
pub trait LostCardsRepo: Send + Sync + 'static {
    /// The youth's own card.
    fn youth_card_lost(
        &self,
        who: &crate::accounts::model::Principal,
        stolen: bool,
        now: DateTime<Utc>,
    ) -> Result<crate::cards::model::CardView, ServiceError>;
    /// A card of the caller's établissement.
    fn establishment_card_lost(
        &self,
        who: &crate::accounts::model::Principal,
        card_id: &str,
        stolen: bool,
        now: DateTime<Utc>,
    ) -> Result<crate::cards::model::CardView, ServiceError>;
}

impl LostCardsRepo for crate::platform::store::SqliteStore {
    fn youth_card_lost(
        &self,
        who: &crate::accounts::model::Principal,
        stolen: bool,
        now: DateTime<Utc>,
    ) -> Result<crate::cards::model::CardView, ServiceError> {
        let (account, cats) = (who.account_id.clone(), self.catalogues.clone());
        self.db
            .write(move |c| youth_lost(c, &cats, &account, stolen, now))
    }

    fn establishment_card_lost(
        &self,
        who: &crate::accounts::model::Principal,
        card_id: &str,
        stolen: bool,
        now: DateTime<Utc>,
    ) -> Result<crate::cards::model::CardView, ServiceError> {
        let eid = crate::accounts::establishment_of(who)?.to_owned();
        let (account, id, cats) = (
            who.account_id.clone(),
            card_id.to_owned(),
            self.catalogues.clone(),
        );
        self.db
            .write(move |c| establishment_lost(c, &cats, &eid, &id, stolen, &account, now))
    }
}
