//! The rules of orders and of the card's life (who may, what is valid, which
//! transition), decided with the core rules; the writes go through the
//! storage-only `OrdersTx`, `CardsTx` and `SeasonTx` traits, implemented for
//! SQLite in `cards/orders.rs` and `cards/repo.rs`.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::CardState;
use passregion_core::CardStatus;
use passregion_core::Profile;
use passregion_core::Public;
use passregion_core::Season;
use passregion_core::card::CardNumber;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::Totals;
use passregion_core::public::check_eligibility;
use passregion_core::season::region_date;
use passregion_core::status::CardEventKind;
use passregion_core::status::OrderStatus;

use crate::accounts::establishment_of;
use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::cards::CardChange;
use crate::cards::error::CardsError;
use crate::cards::model::CardFilter;
use crate::cards::model::CardView;
use crate::cards::model::Order;
use crate::cards::model::OrderDecision;
use crate::cards::model::OrderFilter;
use crate::cards::model::OrderRequest;
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::check_postal_code;
use crate::platform::sql::enum_code;
use crate::platform::sql::new_id;
use crate::platform::sql::random_u64;
use crate::platform::sql::require_text;

/// The ledger reads and writes of a season's loading. SQL only.
pub(crate) trait SeasonTx {
    /// The running totals of a card × season × avantage.
    fn avantage_totals(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
    ) -> Result<Totals, ServiceError>;
    /// Whether the card's balances for `season` were taken over from the
    /// previous system (its opening rows replace the season's loading).
    fn taken_over(&self, card_id: &str, season: Season) -> Result<bool, ServiceError>;
    /// Appends a `load` movement of `units` to the card's ledger.
    fn append_load(
        &self,
        card: &CardRow,
        avantage: &str,
        kind: AvantageKind,
        units: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

/// The storage an order needs inside the writer's transaction. SQL only, no
/// rule; the SQLite implementation is in `cards/orders.rs`.
pub(crate) trait OrdersTx: SeasonTx {
    /// Whether an établissement exists.
    fn establishment_exists(&self, id: &str) -> Result<bool, ServiceError>;
    /// Whether the account already holds a card.
    fn has_card(&self, account_id: &str) -> Result<bool, ServiceError>;
    /// Inserts an order; `false` when a unique index refused it.
    fn insert_order(&self, order: &NewOrder, id: &str) -> Result<bool, ServiceError>;
    /// An order.
    fn order(&self, id: &str) -> Result<Option<Order>, ServiceError>;
    /// An order of an établissement.
    fn establishment_order(
        &self,
        id: &str,
        establishment_id: &str,
    ) -> Result<Option<Order>, ServiceError>;
    /// The account that placed an order.
    fn order_account(&self, id: &str) -> Result<String, ServiceError>;
    /// Records the decision on an order.
    fn set_order_status(
        &self,
        id: &str,
        status: OrderStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Inserts the card issued for an order; `false` when a unique index
    /// refused it.
    fn insert_card(
        &self,
        card: &CardRow,
        account_id: &str,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError>;
}

/// The storage of the card's life inside the writer's transaction. SQL only,
/// no rule; the SQLite implementation is in `cards/repo.rs`.
pub(crate) trait CardsTx: SeasonTx {
    /// A card by id.
    fn card(&self, id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// The card of a youth account.
    fn account_card(&self, account_id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// Stores a card's status.
    fn set_card_status(&self, id: &str, status: CardStatus) -> Result<(), ServiceError>;
    /// Stores a card's status, season and status reason.
    fn set_card_state(
        &self,
        id: &str,
        status: CardStatus,
        season: Season,
        reason: Option<&str>,
    ) -> Result<(), ServiceError>;
    /// Appends a change of a card to its history.
    fn record_status_event(&self, e: &StatusEvent<'_>) -> Result<(), ServiceError>;
    /// Revokes every app credential of a card still in force (partners pull
    /// the revocation; offline debits scanned after it are refused at push).
    fn revoke_card_credentials(&self, id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// At most `limit` cards of `season` whose avantages are not loaded yet,
    /// in id order after `after` (locked on PostgreSQL).
    fn cards_to_load(
        &self,
        season: Season,
        after: &str,
        limit: usize,
    ) -> Result<Vec<CardRow>, ServiceError>;
    /// A card as the API shows it (with its balances).
    fn card_view(&self, cats: &Catalogues, card: &CardRow) -> Result<CardView, ServiceError>;
}

/// A change appended to a card's history (`card_status_events`).
#[derive(Debug)]
pub(crate) struct StatusEvent<'a> {
    pub(crate) card_id: &'a str,
    pub(crate) kind: CardEventKind,
    /// The card's status after the change.
    pub(crate) status: CardStatus,
    /// The card's season after the change.
    pub(crate) season: Season,
    pub(crate) reason: Option<&'a str>,
    /// The account that made it.
    pub(crate) by: &'a str,
    pub(crate) at: DateTime<Utc>,
}

/// The day a card revalidated on `today` for `target` must still be
/// eligible on: the first day it is used in that season.
pub(crate) fn eligibility_day(target: Season, today: NaiveDate) -> NaiveDate {
    target.first_day().max(today)
}

/// A checked order, ready to be stored.
#[derive(Debug)]
pub(crate) struct NewOrder {
    pub(crate) account_id: String,
    pub(crate) season: Season,
    pub(crate) establishment_id: String,
    pub(crate) profile: Profile,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) birth_date: NaiveDate,
    pub(crate) address: String,
    pub(crate) postal_code: String,
    pub(crate) city: String,
    pub(crate) status: OrderStatus,
    pub(crate) created_at: DateTime<Utc>,
}

/// Loads a card's avantages for its season, once per avantage (the unique
/// index makes a second load impossible too); never for a season whose
/// balances the card brought from the previous system (issue 16: what it
/// had left, even nothing, stays what it has).
pub(crate) fn load_season<T: SeasonTx + ?Sized>(
    tx: &T,
    catalogues: &Catalogues,
    card: &CardRow,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let Some(cat) = catalogues.get(card.season) else {
        return Ok(0);
    };
    if tx.taken_over(&card.id, card.season)? {
        return Ok(0);
    }
    let mut n = 0;
    for e in cat.entitlements(&card.profile) {
        if tx.avantage_totals(&card.id, card.season, &e.code)?.loaded > 0 {
            continue;
        }
        tx.append_load(card, &e.code, e.quantity.kind(), e.quantity.units(), now)?;
        n += 1;
    }
    Ok(n)
}

/// Checks an order before the transaction: a youth, the texts, the postal
/// code, the eligibility (core rule) on the Region's date.
pub(crate) fn check_order(
    who: &Principal,
    req: OrderRequest,
    now: DateTime<Utc>,
) -> Result<NewOrder, ServiceError> {
    require_role(who, Role::Youth)?;
    let first_name = require_text("first_name", &req.first_name, 80)?;
    let last_name = require_text("last_name", &req.last_name, 80)?;
    let address = require_text("address", &req.address, 200)?;
    let city = require_text("city", &req.city, 80)?;
    let postal_code = check_postal_code(&req.postal_code)?;
    let profile = Profile {
        public: req.public,
        track: req.track,
        disabled: req.disabled,
    };
    check_eligibility(&profile, req.birth_date, region_date(now))?;
    Ok(NewOrder {
        account_id: who.account_id.clone(),
        season: Season::of_instant(now),
        establishment_id: req.establishment_id,
        profile,
        first_name,
        last_name,
        birth_date: req.birth_date,
        address,
        postal_code,
        city,
        status: OrderStatus::Pending,
        created_at: now,
    })
}

/// Stores a checked order: the établissement must exist, the youth must not
/// hold a card nor a live order.
pub(crate) fn create_order(tx: &dyn OrdersTx, order: &NewOrder) -> Result<Order, ServiceError> {
    if !tx.establishment_exists(&order.establishment_id)? {
        return Err(ServiceError::Invalid {
            field: "establishment_id",
            message: "Cet établissement n'existe pas.".into(),
        });
    }
    if tx.has_card(&order.account_id)? {
        return Err(ServiceError::Cards(CardsError::DuplicateOrder));
    }
    let id = new_id();
    if !tx.insert_order(order, &id)? {
        return Err(ServiceError::Cards(CardsError::DuplicateOrder));
    }
    tx.order(&id)?.ok_or(ServiceError::NotFound("Commande"))
}

/// A decision checked before the transaction.
#[derive(Debug, Clone)]
pub(crate) struct CheckedDecision {
    pub(crate) establishment_id: String,
    pub(crate) validate: bool,
    pub(crate) reason: Option<String>,
}

/// Checks a decision on an order: the caller's établissement, a reason when
/// refusing.
pub(crate) fn check_decision(
    who: &Principal,
    decision: OrderDecision,
) -> Result<CheckedDecision, ServiceError> {
    let establishment_id = establishment_of(who)?.to_owned();
    let reason = match (decision.validate, decision.reason.as_deref()) {
        (false, Some(r)) => Some(require_text("reason", r, 500)?),
        (false, None) => {
            return Err(ServiceError::Invalid {
                field: "reason",
                message: "Indiquez le motif du refus.".into(),
            });
        }
        (true, _) => None,
    };
    Ok(CheckedDecision {
        establishment_id,
        validate: decision.validate,
        reason,
    })
}

/// Validates (issuing the card, loaded when its season has started) or
/// refuses a pending order of the établissement.
pub(crate) fn decide_order(
    tx: &dyn OrdersTx,
    cats: &Catalogues,
    order_id: &str,
    d: &CheckedDecision,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    let eid = &d.establishment_id;
    let order = tx
        .establishment_order(order_id, eid)?
        .ok_or(ServiceError::NotFound("Commande"))?;
    if order.status != OrderStatus::Pending {
        return Err(ServiceError::Cards(CardsError::OrderAlreadyDecided));
    }
    let status = if d.validate {
        OrderStatus::Validated
    } else {
        OrderStatus::Refused
    };
    tx.set_order_status(order_id, status, d.reason.as_deref(), now)?;
    if d.validate {
        let account = tx.order_account(order_id)?;
        let season: Season = order
            .season
            .parse()
            .map_err(|_| ServiceError::Internal("season".into()))?;
        let card = CardRow {
            id: uuid::Uuid::new_v4().to_string(),
            number: CardNumber::generate(random_u64).as_str().to_owned(),
            establishment_id: eid.clone(),
            season,
            status: CardStatus::Expediee,
            profile: Profile {
                public: order.public,
                track: order.track,
                disabled: order.disabled,
            },
            first_name: order.first_name.clone(),
            last_name: order.last_name.clone(),
            birth_date: order.birth_date,
            status_reason: None,
            version: 1,
        };
        if !tx.insert_card(&card, &account, order_id, now)? {
            return Err(ServiceError::Cards(CardsError::DuplicateOrder));
        }
        if Season::of_instant(now) >= season {
            load_season(tx, cats, &card, now)?;
        }
    }
    tx.order(order_id)?
        .ok_or(ServiceError::NotFound("Commande"))
}

/// Checks the filters of an établissement's order list: (status, public,
/// track) as stored, `""` for any.
pub(crate) fn check_order_filter(
    f: &OrderFilter,
) -> Result<(String, String, String), ServiceError> {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let status = match given(&f.status) {
        None => String::new(),
        Some(s) => OrderStatus::parse(s)
            .ok_or_else(|| invalid_filter("status", "Statut : en_attente, validee ou refusee."))?
            .as_str()
            .to_owned(),
    };
    let public = match given(&f.public) {
        None => String::new(),
        Some(s) => Public::ALL
            .into_iter()
            .map(|p| enum_code(&p))
            .find(|c| c == s)
            .ok_or_else(|| invalid_filter("public", "Public inconnu."))?,
    };
    let track = match given(&f.track) {
        None => String::new(),
        Some(s) => Public::ALL
            .into_iter()
            .flat_map(|p| p.tracks().iter().map(enum_code))
            .find(|c| c == s)
            .ok_or_else(|| invalid_filter("track", "Classe ou diplôme inconnu."))?,
    };
    Ok((status, public, track))
}

/// Checks the status filter of an établissement's card list (`""`: any).
pub(crate) fn check_card_filter(f: &CardFilter) -> Result<String, ServiceError> {
    match f.status.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(String::new()),
        Some(s) => CardStatus::from_code(s)
            .map(|c| c.code().to_owned())
            .ok_or_else(|| invalid_filter("status", "Statut : expediee, active ou suspendue.")),
    }
}

fn invalid_filter(field: &'static str, message: &str) -> ServiceError {
    ServiceError::Invalid {
        field,
        message: message.to_owned(),
    }
}

/// The youth's account, for the youth's own card.
pub(crate) fn youth_account(who: &Principal) -> Result<String, ServiceError> {
    require_role(who, Role::Youth)?;
    Ok(who.account_id.clone())
}

/// The caller's établissement, for its orders and cards.
pub(crate) fn own_establishment(who: &Principal) -> Result<String, ServiceError> {
    Ok(establishment_of(who)?.to_owned())
}

/// The youth confirms reception: the card becomes active (core rule).
pub(crate) fn activate_card(
    tx: &dyn CardsTx,
    cats: &Catalogues,
    account_id: &str,
) -> Result<CardView, ServiceError> {
    let mut card = tx
        .account_card(account_id)?
        .ok_or(ServiceError::NotFound("Carte"))?;
    let next = CardState {
        status: card.status,
        season: card.season,
    }
    .activate()?;
    tx.set_card_status(&card.id, next.status)?;
    card.status = next.status;
    tx.card_view(cats, &card)
}

/// A change checked before the transaction.
#[derive(Debug, Clone)]
pub(crate) struct CheckedChange {
    pub(crate) establishment_id: String,
    pub(crate) change: CardChange,
    pub(crate) reason: Option<String>,
    /// Who makes it (kept in the card's history).
    pub(crate) by: String,
}

/// Checks a change of a card: the caller's établissement, a reason to suspend.
pub(crate) fn check_change(
    who: &Principal,
    change: CardChange,
) -> Result<CheckedChange, ServiceError> {
    let establishment_id = establishment_of(who)?.to_owned();
    let reason = match &change {
        CardChange::Suspend(r) => Some(require_text("reason", r, 500)?),
        _ => None,
    };
    Ok(CheckedChange {
        establishment_id,
        change,
        reason,
        by: who.account_id.clone(),
    })
}

/// Suspends, reactivates or revalidates a card of the établissement with the
/// core card rules (a revalidated card must still be eligible on the first day
/// it is used in the new season), and loads its season once started.
pub(crate) fn change_card(
    tx: &dyn CardsTx,
    cats: &Catalogues,
    card_id: &str,
    ch: CheckedChange,
    now: DateTime<Utc>,
) -> Result<CardView, ServiceError> {
    let mut card = tx
        .card(card_id)?
        .filter(|card| card.establishment_id == ch.establishment_id)
        .ok_or(ServiceError::NotFound("Carte"))?;
    let state = CardState {
        status: card.status,
        season: card.season,
    };
    let (next, kind) = match ch.change {
        CardChange::Suspend(_) => (state.suspend()?, CardEventKind::Suspension),
        CardChange::Reactivate => (state.reactivate()?, CardEventKind::Reactivation),
        CardChange::Revalidate => {
            let today = region_date(now);
            let next = state.revalidate(today)?;
            let on = eligibility_day(next.season, today);
            check_eligibility(&card.profile, card.birth_date, on)?;
            (next, CardEventKind::Revalidation)
        }
    };
    tx.set_card_state(&card.id, next.status, next.season, ch.reason.as_deref())?;
    tx.record_status_event(&StatusEvent {
        card_id: &card.id,
        kind,
        status: next.status,
        season: next.season,
        reason: ch.reason.as_deref(),
        by: &ch.by,
        at: now,
    })?;
    if next.status == CardStatus::Suspendue {
        tx.revoke_card_credentials(&card.id, now)?;
    }
    card.status = next.status;
    card.season = next.season;
    card.status_reason = ch.reason;
    if Season::of_instant(now) >= card.season {
        load_season(tx, cats, &card, now)?;
    }
    tx.card_view(cats, &card)
}

/// Loads the avantages of every card of the current season not loaded yet.
/// Cards loaded per transaction by the season's loading job: at the rentrée
/// thousands of cards are due at once, and each transaction holds its cards
/// (their row locks on PostgreSQL, the writer on SQLite) while debits wait.
pub const LOADING_BATCH: usize = 200;

/// Loads one batch of the cards due (at most `batch`, in id order after
/// `after`): how many avantages it loaded, and where the next batch starts
/// (`None`: nothing left).
pub(crate) fn load_due_batch(
    tx: &dyn CardsTx,
    cats: &Catalogues,
    now: DateTime<Utc>,
    after: &str,
    batch: usize,
) -> Result<(usize, Option<String>), ServiceError> {
    let batch = batch.max(1);
    let cards = tx.cards_to_load(Season::of_instant(now), after, batch)?;
    let mut n = 0;
    for card in &cards {
        n += load_season(tx, cats, card, now)?;
    }
    let next = cards
        .last()
        .filter(|_| cards.len() == batch)
        .map(|c| c.id.clone());
    Ok((n, next))
}

/// Runs `batch_tx` (one batch in one transaction) until no card is left.
pub(crate) fn load_in_batches(
    mut batch_tx: impl FnMut(String) -> Result<(usize, Option<String>), ServiceError>,
) -> Result<usize, ServiceError> {
    let (mut total, mut after) = (0, String::new());
    loop {
        let (n, next) = batch_tx(after)?;
        total += n;
        match next {
            Some(id) => after = id,
            None => return Ok(total),
        }
    }
}
