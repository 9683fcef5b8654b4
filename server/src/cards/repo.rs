//! Cards: the youth's card, the établissement's cards, suspension, revalidation, the season's loading.
//! The rules are in `cards::service`; this file holds the SQL.

use crate::platform::db::Cached;

use crate::debits::card::card_from_row;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardStatus;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::MovementKind;
use passregion_core::ledger::Totals;
use rusqlite::Connection;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::cards::CardChange;
use crate::cards::model::CardFilter;
use crate::cards::model::CardView;
use crate::cards::service;
use crate::cards::service::CardsTx;
use crate::cards::service::SeasonTx;
use crate::cards::service::StatusEvent;
use crate::cards::{card_view, card_view_on};
use crate::debits::card::CARD_COLS;
use crate::debits::card::CardRow;
use crate::debits::card::card_by;
use crate::debits::ledger::append_ledger;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// Storage and rules of cards.
pub trait CardsRepo: Send + Sync + 'static {
    /// The youth's card and balances.
    fn my_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError>;
    /// The youth confirms reception of the card.
    fn activate_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError>;
    /// The établissement's cards, of one status or all.
    fn establishment_cards(
        &self,
        who: &Principal,
        filter: &CardFilter,
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
    /// Loads the avantages of every card whose season has started and is not
    /// loaded yet, `batch` cards per transaction
    /// ([`service::LOADING_BATCH`] in the background job).
    fn load_due_seasons(&self, now: DateTime<Utc>, batch: usize) -> Result<usize, ServiceError>;
}

impl CardsRepo for SqliteStore {
    fn my_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError> {
        let id = service::youth_account(who)?;
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let card = card_by(c, "account_id", &id)?.ok_or(ServiceError::NotFound("Carte"))?;
            card_view_on(c, &cats, &card, now)
        })
    }

    fn activate_card(
        &self,
        who: &Principal,
        _now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        let id = service::youth_account(who)?;
        let cats = self.catalogues.clone();
        self.db
            .write(move |c| service::activate_card(c, &cats, &id))
    }

    fn establishment_cards(
        &self,
        who: &Principal,
        filter: &CardFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<CardView>, ServiceError> {
        let eid = service::own_establishment(who)?;
        let status = service::check_card_filter(filter)?;
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let sql = format!(
                "SELECT {CARD_COLS} FROM cards WHERE establishment_id = ?1 AND (?2 = '' OR status = ?2)
                 ORDER BY last_name, first_name LIMIT 5000"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([&eid, &status], card_from_row)?;
            let mut out = Vec::new();
            for r in rows {
                let card = r??;
                out.push(card_view_on(c, &cats, &card, now)?);
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
        let change = service::check_change(who, change)?;
        let card_id = card_id.to_owned();
        let cats = self.catalogues.clone();
        self.db
            .write(move |c| service::change_card(c, &cats, &card_id, change, now))
    }

    fn load_due_seasons(&self, now: DateTime<Utc>, batch: usize) -> Result<usize, ServiceError> {
        service::load_in_batches(|after| {
            let cats = self.catalogues.clone();
            self.db
                .write(move |c| service::load_due_batch(c, &cats, now, &after, batch))
        })
    }
}

impl SeasonTx for Connection {
    fn avantage_totals(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
    ) -> Result<Totals, ServiceError> {
        crate::debits::ledger::totals(self, card_id, season, avantage)
    }

    fn taken_over(&self, card_id: &str, season: Season) -> Result<bool, ServiceError> {
        Ok(self.one(
            "SELECT EXISTS (SELECT 1 FROM card_imports WHERE card_id = ?1 AND season = ?2)",
            params![card_id, season.start_year()],
            |r| r.get(0),
        )?)
    }

    fn append_load(
        &self,
        card: &CardRow,
        avantage: &str,
        kind: AvantageKind,
        units: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        append_ledger(
            self,
            &card.id,
            card.season,
            avantage,
            kind,
            MovementKind::Load,
            units,
            None,
            now,
        )?;
        Ok(())
    }
}

impl CardsTx for Connection {
    fn card(&self, id: &str) -> Result<Option<CardRow>, ServiceError> {
        card_by(self, "id", id)
    }

    fn account_card(&self, account_id: &str) -> Result<Option<CardRow>, ServiceError> {
        card_by(self, "account_id", account_id)
    }

    fn set_card_status(&self, id: &str, status: CardStatus) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE cards SET status = ?2 WHERE id = ?1",
            params![id, status.code()],
        )?;
        Ok(())
    }

    fn set_card_state(
        &self,
        id: &str,
        status: CardStatus,
        season: Season,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE cards SET status = ?2, season = ?3, status_reason = ?4 WHERE id = ?1",
            params![id, status.code(), season.start_year(), reason],
        )?;
        Ok(())
    }

    fn record_status_event(&self, e: &StatusEvent<'_>) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO card_status_events (card_id, status, reason, at, kind, season, account_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                e.card_id,
                e.status.code(),
                e.reason,
                ts(e.at),
                e.kind.as_str(),
                e.season.start_year(),
                e.by
            ],
        )?;
        Ok(())
    }

    fn revoke_card_credentials(&self, id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE app_credentials SET revoked_at = ?2 WHERE card_id = ?1 AND revoked_at IS NULL",
            params![id, ts(now)],
        )?;
        Ok(())
    }

    fn cards_to_load(
        &self,
        season: Season,
        after: &str,
        limit: usize,
    ) -> Result<Vec<CardRow>, ServiceError> {
        let sql = format!(
            "SELECT {CARD_COLS} FROM cards c WHERE season = ?1 AND c.id > ?2 AND NOT EXISTS (
               SELECT 1 FROM ledger l WHERE l.card_id = c.id AND l.season = c.season
               AND l.movement IN ('load', 'opening'))
             AND NOT EXISTS (SELECT 1 FROM card_imports i WHERE i.card_id = c.id AND i.season = c.season)
             ORDER BY c.id LIMIT ?3"
        );
        let mut stmt = self.prepare(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(
            rusqlite::params![season.start_year(), after, limit],
            card_from_row,
        )?;
        let mut cards = Vec::new();
        for r in rows {
            cards.push(r??);
        }
        Ok(cards)
    }

    fn card_view(&self, cats: &Catalogues, card: &CardRow) -> Result<CardView, ServiceError> {
        card_view(self, cats, card)
    }
}
