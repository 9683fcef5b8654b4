//! The rules of collective bookings (FAQ §14): an établissement's staff
//! requests a service from a partner for a group of its own youths; nothing
//! is debited until the partner confirms it, before the end of the service
//! day (Region time); then each youth's avantage is debited by
//! `debits::service::apply_debit` (the counter's rule, a savepoint per card),
//! and the youths who could not be debited are listed with the reason.
//!
//! Bounds: 1 to [`MAX_CARDS`] cards of the établissement; a price per youth
//! above zero and at most the avantage's season amount
//! (`Avantage::max_entitlement`) and `CollectiveCaps::per_youth_cents`; a
//! total at most `per_booking_cents`; an établissement's requested and
//! confirmed bookings of one day at most `per_day_cents`. Writes go through
//! the storage-only [`CollectiveTx`], implemented for SQLite in
//! `establishments/collective.rs`.

use chrono::DateTime;
use chrono::Days;
use chrono::NaiveDate;
use chrono::TimeZone;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::debit::Quantity;
use passregion_core::season::REGION_TZ;
use passregion_core::season::region_date;
use passregion_core::status::CollectiveBookingStatus;
use passregion_core::status::ConventionStatus;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::partner_of;
use crate::cards::error::CardsError;
use crate::config::CollectiveCaps;
use crate::debits::card::CardRow;
use crate::debits::error::DebitsError;
use crate::debits::service::DebitAt;
use crate::debits::service::DebitTx;
use crate::debits::service::apply_debit;
use crate::debits::service::quantity;
use crate::error::ServiceError;
use crate::establishments::error::EstablishmentsError;
use crate::establishments::model::CollectiveBooking;
use crate::establishments::model::CollectiveBookingRequest;
use crate::establishments::service::own_establishment;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Outcome;
use crate::platform::sql::enum_from;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;
use crate::web::problem::ApiError;

/// Most cards in one collective booking.
pub const MAX_CARDS: usize = 100;

/// Furthest service date, in days after the request.
pub const MAX_DAYS_AHEAD: u64 = 90;

/// Longest label.
const MAX_LABEL: usize = 120;

/// A checked request, ready to be stored.
#[derive(Debug, Clone)]
pub(crate) struct NewBooking {
    pub(crate) id: String,
    pub(crate) establishment_id: String,
    pub(crate) partner_id: String,
    pub(crate) avantage: String,
    pub(crate) season: Season,
    pub(crate) unit_kind: AvantageKind,
    /// Per youth: cents or entries.
    pub(crate) price_units: i64,
    /// Euro value of the whole booking, in cents.
    pub(crate) total_cents: i64,
    pub(crate) label: String,
    pub(crate) service_date: NaiveDate,
    pub(crate) requested_by: String,
    pub(crate) requested_at: DateTime<Utc>,
    pub(crate) request_day: NaiveDate,
    pub(crate) card_ids: Vec<String>,
}

/// A stored booking, as the rules need it.
#[derive(Debug, Clone)]
pub(crate) struct BookingRow {
    pub(crate) establishment_id: String,
    pub(crate) partner_id: String,
    pub(crate) avantage: String,
    pub(crate) unit_kind: AvantageKind,
    pub(crate) price_units: i64,
    pub(crate) status: CollectiveBookingStatus,
    pub(crate) service_date: NaiveDate,
    pub(crate) card_ids: Vec<String>,
}

/// How a booking leaves the requested state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Transition<'a> {
    pub(crate) status: CollectiveBookingStatus,
    /// Who (none: found expired).
    pub(crate) by: Option<&'a str>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) reason: Option<&'a str>,
}

/// The storage of collective bookings inside the writer's transaction, on
/// top of a debit's. SQL only, no rule.
pub(crate) trait CollectiveTx: DebitTx {
    /// A partner's category and convention status.
    fn partner_category_status(
        &self,
        partner_id: &str,
    ) -> Result<Option<(String, String)>, ServiceError>;
    /// A card by id.
    fn card(&self, id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// The euro value (cents) of an établissement's bookings requested on a
    /// Region day, counting only those requested or confirmed.
    fn requested_on(&self, establishment_id: &str, day: NaiveDate) -> Result<i64, ServiceError>;
    /// Stores a booking and its cards (in request order).
    fn insert_booking(&self, b: &NewBooking) -> Result<(), ServiceError>;
    /// A booking.
    fn booking(&self, id: &str) -> Result<Option<BookingRow>, ServiceError>;
    /// Moves a booking out of the requested state.
    fn set_status(&self, id: &str, t: Transition<'_>) -> Result<(), ServiceError>;
    /// Records what the confirmation did with one card: its debit, or the
    /// refusal's code and French message.
    fn record_line(
        &self,
        booking_id: &str,
        card_id: &str,
        transaction_id: Option<&str>,
        refusal: Option<(&str, &str)>,
    ) -> Result<(), ServiceError>;
    /// A booking as the API shows it.
    fn booking_view(&self, id: &str, now: DateTime<Utc>)
    -> Result<CollectiveBooking, ServiceError>;
    /// Opens a savepoint around one card's debit.
    fn savepoint(&self) -> Result<(), ServiceError>;
    /// Keeps what the card's debit wrote.
    fn release(&self) -> Result<(), ServiceError>;
    /// Undoes what the card's debit wrote.
    fn rollback(&self) -> Result<(), ServiceError>;
}

/// Until when a booking may be confirmed: the end of its service day in
/// Region time.
pub(crate) fn confirm_before(service_date: NaiveDate) -> DateTime<Utc> {
    let next = service_date
        .checked_add_days(Days::new(1))
        .unwrap_or(service_date);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    REGION_TZ
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// Whether a requested booking is past its confirmation deadline.
pub(crate) fn is_expired(service_date: NaiveDate, now: DateTime<Utc>) -> bool {
    region_date(now) > service_date
}

/// The status to show: a requested booking past its deadline is expired,
/// even before anyone tried to confirm it.
pub(crate) fn shown_status(
    status: CollectiveBookingStatus,
    service_date: NaiveDate,
    now: DateTime<Utc>,
) -> CollectiveBookingStatus {
    if status == CollectiveBookingStatus::Requested && is_expired(service_date, now) {
        CollectiveBookingStatus::Expired
    } else {
        status
    }
}

/// `20,00 €` or `5 entrées`: a bound in a French message.
fn shown(kind: AvantageKind, units: i64) -> String {
    match kind {
        AvantageKind::Credit => format!("{},{:02} €", units / 100, units % 100),
        AvantageKind::Entries if units <= 1 => format!("{units} entrée"),
        AvantageKind::Entries => format!("{units} entrées"),
    }
}

/// Checks a request without storage: the caller's établissement, 1 to
/// [`MAX_CARDS`] distinct cards, a label, a service date from today to
/// [`MAX_DAYS_AHEAD`] days, an avantage of the service date's season, a price
/// of the avantage's kind above zero and within the per-youth caps, a total
/// within the per-booking cap. Returns the booking to store.
pub(crate) fn check_request(
    who: &Principal,
    cats: &Catalogues,
    caps: CollectiveCaps,
    req: &CollectiveBookingRequest,
    now: DateTime<Utc>,
) -> Result<NewBooking, ServiceError> {
    let establishment_id = own_establishment(who)?;
    let mut seen = std::collections::HashSet::new();
    if req.card_ids.is_empty()
        || req.card_ids.len() > MAX_CARDS
        || !req.card_ids.iter().all(|c| seen.insert(c.as_str()))
    {
        return Err(ServiceError::Invalid {
            field: "card_ids",
            message: format!("De 1 à {MAX_CARDS} cartes, chacune une seule fois."),
        });
    }
    let label = require_text("label", &req.label, MAX_LABEL)?;
    let today = region_date(now);
    let last = today
        .checked_add_days(Days::new(MAX_DAYS_AHEAD))
        .unwrap_or(today);
    if req.service_date < today || req.service_date > last {
        return Err(EstablishmentsError::ServiceDate.into());
    }
    let season = Season::of_date(req.service_date);
    let avantage = cats
        .get(season)
        .ok_or(ServiceError::Cards(CardsError::NoCatalogue))?
        .avantage(&req.avantage)
        .ok_or(ServiceError::Debits(DebitsError::UnknownAvantage))?;
    let price = quantity(avantage.kind, req.price_per_youth, req.entries_per_youth)?;
    if price.is_zero() {
        return Err(passregion_core::DebitError::ZeroPrice.into());
    }
    // The highest price per youth: what the avantage gives a youth at most
    // this season, and the Region's cap on its euro value.
    let season_most = avantage.max_entitlement().map_or(0, Quantity::units);
    let cap_units = match avantage.kind {
        AvantageKind::Credit => caps.per_youth_cents,
        AvantageKind::Entries => match avantage.entry_value.map(Money::cents) {
            Some(v) if v > 0 => caps.per_youth_cents / v,
            _ => i64::MAX,
        },
    };
    let max_units = season_most.min(cap_units);
    if price.units() > max_units {
        return Err(EstablishmentsError::PricePerYouthTooHigh {
            max: shown(avantage.kind, max_units),
        }
        .into());
    }
    let per_youth_cents = avantage.reimbursed_value(price).cents();
    let total_cents = per_youth_cents.saturating_mul(req.card_ids.len() as i64);
    if total_cents > caps.per_booking_cents {
        return Err(EstablishmentsError::BookingTooLarge {
            max: shown(AvantageKind::Credit, caps.per_booking_cents),
        }
        .into());
    }
    Ok(NewBooking {
        id: new_id(),
        establishment_id,
        partner_id: req.partner_id.clone(),
        avantage: avantage.code.clone(),
        season,
        unit_kind: avantage.kind,
        price_units: price.units(),
        total_cents,
        label,
        service_date: req.service_date,
        requested_by: who.account_id.clone(),
        requested_at: now,
        request_day: today,
        card_ids: req.card_ids.clone(),
    })
}

/// Stores a checked request: the partner's convention in force and its
/// category allowed for the avantage, every card one of the établissement's,
/// the day's cap not passed. Nothing is debited.
pub(crate) fn request_booking(
    tx: &dyn CollectiveTx,
    cats: &Catalogues,
    caps: CollectiveCaps,
    b: &NewBooking,
) -> Result<CollectiveBooking, ServiceError> {
    let category = validated_partner(tx, &b.partner_id)?.ok_or(ServiceError::Invalid {
        field: "partner_id",
        message: "Ce partenaire n'a pas de convention en vigueur.".into(),
    })?;
    let allowed = cats
        .get(b.season)
        .and_then(|c| c.avantage(&b.avantage))
        .is_some_and(|a| a.allows(category));
    if !allowed {
        return Err(ServiceError::Invalid {
            field: "avantage",
            message: "Ce partenaire ne peut pas débiter cet avantage.".into(),
        });
    }
    for card_id in &b.card_ids {
        if tx
            .card(card_id)?
            .is_none_or(|r| r.establishment_id != b.establishment_id)
        {
            return Err(EstablishmentsError::CardsNotOwn.into());
        }
    }
    let already = tx.requested_on(&b.establishment_id, b.request_day)?;
    if already.saturating_add(b.total_cents) > caps.per_day_cents {
        return Err(EstablishmentsError::DailyCapReached {
            max: shown(AvantageKind::Credit, caps.per_day_cents),
            left: shown(AvantageKind::Credit, (caps.per_day_cents - already).max(0)),
        }
        .into());
    }
    tx.insert_booking(b)?;
    tx.booking_view(&b.id, b.requested_at)
}

/// The category of a partner whose convention is in force (none otherwise).
fn validated_partner(
    tx: &dyn CollectiveTx,
    partner_id: &str,
) -> Result<Option<PartnerCategory>, ServiceError> {
    match tx.partner_category_status(partner_id)? {
        Some((cat, status)) if status == ConventionStatus::Validated.as_str() => {
            Ok(Some(enum_from(&cat)?))
        }
        _ => Ok(None),
    }
}

/// The booking of `id` if `owns` it, still requested. A booking past its
/// deadline is marked expired (committed) and refused.
fn open_booking(
    tx: &dyn CollectiveTx,
    id: &str,
    owns: impl Fn(&BookingRow) -> bool,
    now: DateTime<Utc>,
) -> Result<Result<BookingRow, ServiceError>, ServiceError> {
    let row = tx
        .booking(id)?
        .filter(|r| owns(r))
        .ok_or(ServiceError::NotFound("Réservation"))?;
    if row.status != CollectiveBookingStatus::Requested {
        return Err(EstablishmentsError::BookingAlreadyDecided(row.status).into());
    }
    if is_expired(row.service_date, now) {
        tx.set_status(
            id,
            Transition {
                status: CollectiveBookingStatus::Expired,
                by: None,
                at: now,
                reason: None,
            },
        )?;
        return Ok(Err(EstablishmentsError::BookingExpired.into()));
    }
    Ok(Ok(row))
}

/// The partner confirms the service: each youth's avantage is debited
/// through the shared debit path (its writes undone on its own refusal), the
/// outcome of each card recorded, the booking confirmed.
pub(crate) fn confirm_booking(
    tx: &dyn CollectiveTx,
    cats: &Catalogues,
    partner_id: &str,
    account_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Outcome<CollectiveBooking>, ServiceError> {
    let row = match open_booking(tx, id, |r| r.partner_id == partner_id, now)? {
        Ok(row) => row,
        Err(e) => return Ok(Outcome::CommitAndRefuse(e)),
    };
    let Some(category) = validated_partner(tx, partner_id)? else {
        return Err(ServiceError::Partners(
            crate::partners::error::PartnersError::PartnerNotValidated,
        ));
    };
    let at = DebitAt {
        partner_id,
        category,
        account_id,
        channel: "collective",
        now,
    };
    let (price, entries) = match row.unit_kind {
        AvantageKind::Credit => (Some(Money::from_cents(row.price_units)?), None),
        AvantageKind::Entries => (
            None,
            Some(
                u32::try_from(row.price_units)
                    .map_err(|_| ServiceError::Internal("bad entries of a booking".into()))?,
            ),
        ),
    };
    for card_id in &row.card_ids {
        let refuse = |e: ServiceError| -> Result<(), ServiceError> {
            let api = ApiError::from(e);
            tx.record_line(id, card_id, None, Some((api.code, &api.message)))
        };
        let Some(card) = tx
            .card(card_id)?
            .filter(|c| c.establishment_id == row.establishment_id)
        else {
            refuse(EstablishmentsError::CardsNotOwn.into())?;
            continue;
        };
        tx.savepoint()?;
        match apply_debit(tx, cats, &at, &card, &row.avantage, price, entries, None) {
            Ok(Outcome::Commit((t, _))) => {
                tx.release()?;
                tx.record_line(id, card_id, Some(&t.id), None)?;
            }
            Ok(Outcome::CommitAndRefuse(e)) => {
                tx.rollback()?;
                refuse(e)?;
            }
            Err(e) => {
                tx.rollback()?;
                return Err(e);
            }
        }
    }
    tx.set_status(
        id,
        Transition {
            status: CollectiveBookingStatus::Confirmed,
            by: Some(account_id),
            at: now,
            reason: None,
        },
    )?;
    Ok(Outcome::Commit(tx.booking_view(id, now)?))
}

/// What the confirmation did with one card, as the API shows it: debited
/// (it has a transaction), refused (a refusal's code), or not yet decided.
pub(crate) fn line_status(debited: bool, refused: bool) -> &'static str {
    match (debited, refused) {
        (true, _) => "debite",
        (false, true) => "refuse",
        (false, false) => "en_attente",
    }
}

/// The booking's partner declines, or its établissement cancels, a booking
/// still requested (with an optional reason). Nothing is debited.
pub(crate) fn close_booking(
    tx: &dyn CollectiveTx,
    closer: Closer<'_>,
    account_id: &str,
    id: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome<CollectiveBooking>, ServiceError> {
    let status = match closer {
        Closer::Partner(_) => CollectiveBookingStatus::Declined,
        Closer::Establishment(_) => CollectiveBookingStatus::Cancelled,
    };
    let owns = |r: &BookingRow| match closer {
        Closer::Partner(p) => r.partner_id == p,
        Closer::Establishment(e) => r.establishment_id == e,
    };
    if let Err(e) = open_booking(tx, id, owns, now)? {
        return Ok(Outcome::CommitAndRefuse(e));
    }
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| require_text("reason", r, 300))
        .transpose()?;
    tx.set_status(
        id,
        Transition {
            status,
            by: Some(account_id),
            at: now,
            reason: reason.as_deref(),
        },
    )?;
    Ok(Outcome::Commit(tx.booking_view(id, now)?))
}

/// Who closes a booking without debiting it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Closer<'a> {
    /// The booking's partner declines it.
    Partner(&'a str),
    /// The booking's établissement cancels it.
    Establishment(&'a str),
}

/// Which bookings a caller may list.
#[derive(Debug, Clone)]
pub(crate) enum BookingScope {
    /// An établissement's.
    Establishment(String),
    /// A partner's.
    Partner(String),
    /// Those including a youth's card.
    Youth(String),
    /// Every booking (the Region).
    All,
}

/// What a youth sees of a booking that includes its card: its own line
/// only (not the other youths' names).
pub(crate) fn for_youth(mut view: CollectiveBooking, own_cards: &[String]) -> CollectiveBooking {
    view.lines.retain(|l| own_cards.contains(&l.card_id));
    view.debited_cards = view.lines.iter().filter(|l| l.status == "debite").count();
    view
}

/// Which bookings the caller may list: an établissement its own, a partner
/// (convention in force) those asked of it, a youth those including its
/// card, the Region all.
pub(crate) fn booking_scope(who: &Principal) -> Result<BookingScope, ServiceError> {
    Ok(match who.role {
        Role::Establishment => BookingScope::Establishment(own_establishment(who)?),
        Role::Partner => BookingScope::Partner(partner_of(who)?.0.to_owned()),
        Role::Youth => BookingScope::Youth(who.account_id.clone()),
        Role::Region => BookingScope::All,
    })
}
