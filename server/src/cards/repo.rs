//! Cards: the youth's card, the établissement's cards, suspension, revalidation, the season's loading.

use crate::platform::db::Cached;

use crate::debits::card::card_from_row;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardState;
use passregion_core::Season;
use passregion_core::public::check_eligibility;
use passregion_core::season::region_date;
use rusqlite::params;

use crate::accounts::establishment_of;
use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::cards::CardChange;
use crate::cards::card_view;
use crate::cards::load_season;
use crate::cards::model::CardView;
use crate::debits::card::CARD_COLS;
use crate::debits::card::card_by;
use crate::error::ServiceError;
use crate::platform::sql::require_text;
use crate::platform::store::SqliteStore;

/// Storage and rules of cards.
pub trait CardsRepo: Send + Sync + 'static {
    /// The youth's card and balances.
    fn my_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError>;
    /// The youth confirms reception of the card.
    fn activate_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError>;
    /// The établissement's cards.
    fn establishment_cards(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Vec<CardView>, ServiceError>;
    /// Suspends, reactivates or revalidates a card.
    fn change_card(
        &self,
        who: &Principal,
        card_id: &str,
        change: CardChange,
        now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError>;
    /// Loads the avantages of every card whose season has started and is not loaded yet.
    fn load_due_seasons(&self, now: DateTime<Utc>) -> Result<usize, ServiceError>;
}

impl CardsRepo for SqliteStore {
    fn my_card(&self, who: &Principal, _now: DateTime<Utc>) -> Result<CardView, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let card = card_by(c, "account_id", &id)?.ok_or(ServiceError::NotFound("Carte"))?;
            card_view(c, &cats, &card)
        })
    }

    fn activate_card(
        &self,
        who: &Principal,
        _now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let mut card = card_by(c, "account_id", &id)?.ok_or(ServiceError::NotFound("Carte"))?;
            let next = CardState {
                status: card.status,
                season: card.season,
            }
            .activate()?;
            c.exec(
                "UPDATE cards SET status = ?2 WHERE id = ?1",
                params![card.id, next.status.code()],
            )?;
            card.status = next.status;
            card_view(c, &cats, &card)
        })
    }

    fn establishment_cards(
        &self,
        who: &Principal,
        _now: DateTime<Utc>,
    ) -> Result<Vec<CardView>, ServiceError> {
        let eid = establishment_of(who)?.to_owned();
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let sql = format!(
                "SELECT {CARD_COLS} FROM cards WHERE establishment_id = ?1 ORDER BY last_name, first_name LIMIT 2000"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([&eid], card_from_row)?;
            let mut out = Vec::new();
            for r in rows {
                let card = r??;
                out.push(card_view(c, &cats, &card)?);
            }
            Ok(out)
        })
    }

    fn change_card(
        &self,
        who: &Principal,
        card_id: &str,
        change: CardChange,
        now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        let eid = establishment_of(who)?.to_owned();
        let reason = match &change {
            CardChange::Suspend(r) => Some(require_text("reason", r, 500)?),
            _ => None,
        };
        let card_id = card_id.to_owned();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let mut card = card_by(c, "id", &card_id)?
                .filter(|card| card.establishment_id == eid)
                .ok_or(ServiceError::NotFound("Carte"))?;
            let state = CardState {
                status: card.status,
                season: card.season,
            };
            let next = match change {
                CardChange::Suspend(_) => state.suspend()?,
                CardChange::Reactivate => state.reactivate()?,
                CardChange::Revalidate => {
                    let today = region_date(now);
                    let next = state.revalidate(today)?;
                    // Still eligible on the first day it is used in the new season.
                    let on = next.season.first_day().max(today);
                    check_eligibility(&card.profile, card.birth_date, on)?;
                    next
                }
            };
            c.exec(
                "UPDATE cards SET status = ?2, season = ?3, status_reason = ?4 WHERE id = ?1",
                params![
                    card.id,
                    next.status.code(),
                    next.season.start_year(),
                    reason
                ],
            )?;
            card.status = next.status;
            card.season = next.season;
            card.status_reason = reason;
            if Season::of_instant(now) >= card.season {
                load_season(c, &cats, &card, now)?;
            }
            card_view(c, &cats, &card)
        })
    }

    fn load_due_seasons(&self, now: DateTime<Utc>) -> Result<usize, ServiceError> {
        let cats = self.catalogues.clone();
        let current = Season::of_instant(now);
        self.db.write(move |c| {
            let sql = format!(
                "SELECT {CARD_COLS} FROM cards c WHERE season = ?1 AND NOT EXISTS (
                   SELECT 1 FROM ledger l WHERE l.card_id = c.id AND l.season = c.season AND l.movement = 'load')"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([current.start_year()], card_from_row)?;
            let mut cards = Vec::new();
            for r in rows {
                cards.push(r??);
            }
            let mut n = 0;
            for card in cards {
                n += load_season(c, &cats, &card, now)?;
            }
            Ok(n)
        })
    }
}
