//! Cards on PostgreSQL (ADR 0036): the SQL of `cards::repo` in PostgreSQL's dialect. The rules stay in `cards::service`; every write transaction of a card locks its row first (`debits::repo_pg::lock_card`), so its status and balances change one transaction at a time across instances. The season's loading runs on one instance per tick (`pg_try_advisory_xact_lock`), and the ledger's unique index on loads backs it.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardStatus;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::MovementKind;
use passregion_core::ledger::Totals;
use r2d2_postgres::postgres::Transaction;

use crate::accounts::model::Principal;
use crate::cards::CardChange;
use crate::cards::model::CardFilter;
use crate::cards::model::CardView;
use crate::cards::repo::CardsRepo;
use crate::cards::service;
use crate::cards::service::CardsTx;
use crate::cards::service::SeasonTx;
use crate::cards::service::StatusEvent;
use crate::cards::view_of;
use crate::cards::with_renewal;
use crate::debits::card::CARD_COLS;
use crate::debits::card::CardRow;
use crate::debits::ledger_pg;
use crate::debits::repo_pg::PgTx;
use crate::debits::repo_pg::card_from;
use crate::debits::repo_pg::lock_card;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// The advisory lock key of the season's loading job ("PRload").
const SEASON_LOADING_LOCK: i64 = 0x5052_6c6f_6164;

/// Takes a background job's lock for this transaction; `false` when
/// another instance holds it (that instance runs the job this tick).
pub(crate) fn try_job_lock(tx: &mut Transaction<'_>, key: i64) -> Result<bool, ServiceError> {
    Ok(tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&key])?
        .try_get(0)?)
}

/// A card as the API shows it, read in `tx`.
pub(crate) fn card_view(
    tx: &mut Transaction<'_>,
    cats: &Catalogues,
    card: &CardRow,
) -> Result<CardView, ServiceError> {
    let posted_at: Option<String> = tx
        .query_opt("SELECT posted_at FROM cards WHERE id = $1", &[&card.id])?
        .map(|r| r.try_get(0))
        .transpose()?
        .flatten();
    let balances = ledger_pg::balances(tx, cats, card, None)?;
    view_of(card, balances, posted_at.as_deref())
}

/// A card by a unique column, not locked (reads).
pub(crate) fn card_by(
    tx: &mut Transaction<'_>,
    column: &str,
    value: &str,
) -> Result<Option<CardRow>, ServiceError> {
    tx.query_opt(
        &format!("SELECT {CARD_COLS} FROM cards WHERE {column} = $1"),
        &[&value],
    )?
    .as_ref()
    .map(card_from)
    .transpose()
}

/// The card of an account, its row locked until the end of `tx`.
pub(crate) fn lock_account_card(
    tx: &mut Transaction<'_>,
    account_id: &str,
) -> Result<Option<CardRow>, ServiceError> {
    let id: Option<String> = tx
        .query_opt("SELECT id FROM cards WHERE account_id = $1", &[&account_id])?
        .map(|r| r.try_get(0))
        .transpose()?;
    match id {
        Some(id) => lock_card(tx, &id),
        None => Ok(None),
    }
}

impl CardsRepo for PgStore {
    fn my_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError> {
        let id = service::youth_account(who)?;
        self.pool.read(|tx| {
            let card = card_by(tx, "account_id", &id)?.ok_or(ServiceError::NotFound("Carte"))?;
            Ok(with_renewal(
                card_view(tx, &self.catalogues, &card)?,
                &card,
                now,
            ))
        })
    }

    fn activate_card(
        &self,
        who: &Principal,
        _now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        let id = service::youth_account(who)?;
        self.pool
            .write(|tx| service::activate_card(&PgTx::new(tx), &self.catalogues, &id))
    }

    fn establishment_cards(
        &self,
        who: &Principal,
        filter: &CardFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<CardView>, ServiceError> {
        let eid = service::own_establishment(who)?;
        let status = service::check_card_filter(filter)?;
        self.pool.read(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {CARD_COLS} FROM cards WHERE establishment_id = $1
                     AND ($2 = '' OR status = $2)
                     ORDER BY last_name, first_name LIMIT 5000"
                ),
                &[&eid, &status],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let card = card_from(r)?;
                let view = card_view(tx, &self.catalogues, &card)?;
                out.push(with_renewal(view, &card, now));
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
        self.pool.write(|tx| {
            service::change_card(
                &PgTx::new(tx),
                &self.catalogues,
                card_id,
                change.clone(),
                now,
            )
        })
    }

    fn load_due_seasons(&self, now: DateTime<Utc>, batch: usize) -> Result<usize, ServiceError> {
        service::load_in_batches(|after| {
            self.pool.write(|tx| {
                // One instance loads each batch; another one holding the lock
                // ends this tick (it loads the rest). A card loaded meanwhile
                // by its établissement is seen under its row lock.
                if !try_job_lock(tx, SEASON_LOADING_LOCK)? {
                    return Ok((0, None));
                }
                service::load_due_batch(&PgTx::new(tx), &self.catalogues, now, &after, batch)
            })
        })
    }
}

impl SeasonTx for PgTx<'_, '_> {
    fn avantage_totals(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
    ) -> Result<Totals, ServiceError> {
        self.with(|tx| crate::debits::repo_pg::totals(tx, card_id, season, avantage))
    }

    fn taken_over(&self, card_id: &str, season: Season) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM card_imports WHERE card_id = $1 AND season = $2)",
                    &[&card_id, &i64::from(season.start_year())],
                )?
                .try_get(0)?)
        })
    }

    fn append_load(
        &self,
        card: &CardRow,
        avantage: &str,
        kind: AvantageKind,
        units: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            ledger_pg::append_ledger(
                tx,
                &card.id,
                card.season,
                avantage,
                kind,
                MovementKind::Load,
                units,
                None,
                now,
            )
        })?;
        Ok(())
    }
}

/// Every card read through `CardsTx` is read for a change: its row is
/// locked until the end of the transaction (the state transition, the
/// season's loading and the replacement are read-modify-writes).
impl CardsTx for PgTx<'_, '_> {
    fn card(&self, id: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| lock_card(tx, id))
    }

    fn account_card(&self, account_id: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| lock_account_card(tx, account_id))
    }

    fn set_card_status(&self, id: &str, status: CardStatus) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE cards SET status = $2 WHERE id = $1",
                &[&id, &status.code()],
            )?;
            Ok(())
        })
    }

    fn set_card_state(
        &self,
        id: &str,
        status: CardStatus,
        season: Season,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE cards SET status = $2, season = $3, status_reason = $4 WHERE id = $1",
                &[
                    &id,
                    &status.code(),
                    &i64::from(season.start_year()),
                    &reason,
                ],
            )?;
            Ok(())
        })
    }

    fn record_status_event(&self, e: &StatusEvent<'_>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO card_status_events (card_id, status, reason, at, kind, season, account_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &e.card_id,
                    &e.status.code(),
                    &e.reason,
                    &ts(e.at),
                    &e.kind.as_str(),
                    &i64::from(e.season.start_year()),
                    &e.by,
                ],
            )?;
            Ok(())
        })
    }

    fn revoke_card_credentials(&self, id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE app_credentials SET revoked_at = $2 WHERE card_id = $1 AND revoked_at IS NULL",
                &[&id, &ts(now)],
            )?;
            Ok(())
        })
    }

    /// The cards to load, each locked in id order (one order for every
    /// loader: no deadlock), re-read after its lock.
    fn cards_to_load(
        &self,
        season: Season,
        after: &str,
        limit: usize,
    ) -> Result<Vec<CardRow>, ServiceError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|tx| {
            let ids = tx.query(
                "SELECT c.id FROM cards c WHERE c.season = $1 AND c.id > $2 AND NOT EXISTS (
                   SELECT 1 FROM ledger l WHERE l.card_id = c.id AND l.season = c.season
                   AND l.movement IN ('load', 'opening'))
                 AND NOT EXISTS (SELECT 1 FROM card_imports i WHERE i.card_id = c.id AND i.season = c.season)
                 ORDER BY c.id LIMIT $3",
                &[&i64::from(season.start_year()), &after, &limit],
            )?;
            let mut cards = Vec::with_capacity(ids.len());
            for r in &ids {
                let id: String = r.try_get(0)?;
                // Its season may have changed before the lock.
                if let Some(card) = lock_card(tx, &id)?.filter(|c| c.season == season) {
                    cards.push(card);
                }
            }
            Ok(cards)
        })
    }

    fn card_view(&self, cats: &Catalogues, card: &CardRow) -> Result<CardView, ServiceError> {
        self.with(|tx| card_view(tx, cats, card))
    }
}
