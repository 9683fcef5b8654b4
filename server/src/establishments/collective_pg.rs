//! Collective bookings on PostgreSQL (ADR 0036): the repository and the SQL of `CollectiveTx` in PostgreSQL's dialect; the rules stay in `establishments::booking`, each card's debit in `debits::service::apply_debit` (the `DebitTx` of `debits/repo_pg.rs`).
//!
//! Locks, in the order of ADR 0036 (the idempotency key first): a
//! confirmation locks every card of the booking in card id order (two
//! confirmations sharing cards never deadlock; the balances are read after
//! each card's lock), then the booking's row, so two instances confirming
//! one booking at once debit it once: the second finds it confirmed. A
//! decline or a cancellation locks the booking's row. A request locks its
//! établissement's row: the day's cap is counted one request at a time.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::debit::AvantageKind;
use passregion_core::status::CollectiveBookingStatus;
use r2d2_postgres::postgres::Row;
use r2d2_postgres::postgres::Transaction;

use crate::accounts::model::Principal;
use crate::accounts::partner_of;
use crate::cards::repo_pg::card_by;
use crate::debits::card::CardRow;
use crate::debits::ledger::kind_from;
use crate::debits::ledger::units_text;
use crate::debits::repo_pg::lock_card;
use crate::error::ServiceError;
use crate::establishments::booking;
use crate::establishments::booking::BookingRow;
use crate::establishments::booking::BookingScope;
use crate::establishments::booking::Closer;
use crate::establishments::booking::CollectiveTx;
use crate::establishments::booking::NewBooking;
use crate::establishments::booking::Transition;
use crate::establishments::collective::CollectiveRepo;
use crate::establishments::collective::status_from;
use crate::establishments::model::CollectiveBooking;
use crate::establishments::model::CollectiveBookingRequest;
use crate::establishments::model::CollectiveLine;
use crate::establishments::service::own_establishment;
use crate::platform::db::Outcome;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::idempotent_on;
use crate::platform::idempotency::json_response;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// Locks the booking's row until the end of the transaction.
fn lock_booking(tx: &mut Transaction<'_>, id: &str) -> Result<(), ServiceError> {
    tx.execute(
        "SELECT 1 FROM collective_bookings WHERE id = $1 FOR UPDATE",
        &[&id],
    )?;
    Ok(())
}

/// Locks every card of the booking, in card id order (the one order of
/// every multi-card lock: no deadlock), then the booking's row.
fn lock_for_confirmation(tx: &mut Transaction<'_>, id: &str) -> Result<(), ServiceError> {
    let cards = tx.query(
        "SELECT card_id FROM collective_booking_cards WHERE booking_id = $1 ORDER BY card_id",
        &[&id],
    )?;
    for r in &cards {
        let card_id: String = r.try_get(0)?;
        lock_card(tx, &card_id)?;
    }
    lock_booking(tx, id)
}

impl CollectiveRepo for PgStore {
    fn request_booking(
        &self,
        who: &Principal,
        req: CollectiveBookingRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let caps = self.policy.collective;
        let new = booking::check_request(who, &self.catalogues, caps, &req, now)?;
        self.pool.write_outcome(|tx| {
            idempotent_on(&PgTx::new(tx), &idem, now, |t| {
                t.with(|tx| {
                    tx.execute(
                        "SELECT 1 FROM establishments WHERE id = $1 FOR UPDATE",
                        &[&new.establishment_id],
                    )?;
                    Ok(())
                })?;
                let view = booking::request_booking(t, &self.catalogues, caps, &new)?;
                Ok(Outcome::from(json_response(201, &view)))
            })
        })
    }

    fn confirm_booking(
        &self,
        who: &Principal,
        id: &str,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let partner_id = partner_of(who)?.0.to_owned();
        self.pool.write_outcome(|tx| {
            idempotent_on(&PgTx::new(tx), &idem, now, |t| {
                t.with(|tx| lock_for_confirmation(tx, id))?;
                match booking::confirm_booking(
                    t,
                    &self.catalogues,
                    &partner_id,
                    &who.account_id,
                    id,
                    now,
                )? {
                    Outcome::Commit(view) => Ok(Outcome::from(json_response(200, &view))),
                    Outcome::CommitAndRefuse(e) => Ok(Outcome::CommitAndRefuse(e)),
                }
            })
        })
    }

    fn decline_booking(
        &self,
        who: &Principal,
        id: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<CollectiveBooking, ServiceError> {
        let partner_id = partner_of(who)?.0.to_owned();
        self.pool.write_outcome(|tx| {
            lock_booking(tx, id)?;
            booking::close_booking(
                &PgTx::new(tx),
                Closer::Partner(&partner_id),
                &who.account_id,
                id,
                reason.as_deref(),
                now,
            )
        })
    }

    fn cancel_booking(
        &self,
        who: &Principal,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<CollectiveBooking, ServiceError> {
        let eid = own_establishment(who)?;
        self.pool.write_outcome(|tx| {
            lock_booking(tx, id)?;
            booking::close_booking(
                &PgTx::new(tx),
                Closer::Establishment(&eid),
                &who.account_id,
                id,
                None,
                now,
            )
        })
    }

    fn bookings(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Vec<CollectiveBooking>, ServiceError> {
        let scope = booking::booking_scope(who)?;
        self.pool.read(|tx| {
            let youth = match &scope {
                BookingScope::Youth(a) => Some(
                    tx.query("SELECT id FROM cards WHERE account_id = $1", &[a])?
                        .iter()
                        .map(|r| r.try_get::<_, String>(0))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                _ => None,
            };
            let (clause, arg) = match &scope {
                BookingScope::Establishment(e) => ("b.establishment_id = $1", e.clone()),
                BookingScope::Partner(p) => ("b.partner_id = $1", p.clone()),
                BookingScope::Youth(a) => (
                    "b.id IN (SELECT l.booking_id FROM collective_booking_cards l
                     JOIN cards c ON c.id = l.card_id WHERE c.account_id = $1)",
                    a.clone(),
                ),
                BookingScope::All => ("$1 = ''", String::new()),
            };
            let ids = tx
                .query(
                    &format!(
                        "SELECT b.id FROM collective_bookings b WHERE {clause}
                         ORDER BY b.requested_at DESC, b.id DESC LIMIT 200"
                    ),
                    &[&arg],
                )?
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<Result<Vec<_>, _>>()?;
            let t = PgTx::new(tx);
            ids.iter()
                .map(|id| {
                    let view = t.booking_view(id, now)?;
                    Ok(match &youth {
                        Some(own) => booking::for_youth(view, own),
                        None => view,
                    })
                })
                .collect()
        })
    }
}

/// A booking's head, as the API shows it (its lines filled after).
fn view_from(r: &Row, now: DateTime<Utc>) -> Result<CollectiveBooking, ServiceError> {
    let kind = kind_from(&r.try_get::<_, String>(6)?)?;
    let service_date = parse_date(&r.try_get::<_, String>(10)?)?;
    let status = booking::shown_status(
        status_from(&r.try_get::<_, String>(11)?)?,
        service_date,
        now,
    );
    Ok(CollectiveBooking {
        id: r.try_get(0)?,
        establishment_id: r.try_get(1)?,
        establishment_name: r.try_get(2)?,
        partner_id: r.try_get(3)?,
        partner_name: r.try_get(4)?,
        avantage: r.try_get(5)?,
        unit_kind: kind.code().to_owned(),
        price_per_youth: units_text(kind, r.try_get(7)?),
        total: units_text(AvantageKind::Credit, r.try_get(8)?),
        label: r.try_get(9)?,
        service_date,
        status,
        status_label: status.label().to_owned(),
        confirm_before: booking::confirm_before(service_date),
        requested_by: r.try_get(12)?,
        requested_at: parse_ts(&r.try_get::<_, String>(13)?)?,
        decided_by: r.try_get(14)?,
        decided_at: r
            .try_get::<_, Option<String>>(15)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
        reason: r.try_get(16)?,
        debited_cards: 0,
        lines: Vec::new(),
    })
}

/// One card's line of a booking.
fn line_from(r: &Row) -> Result<CollectiveLine, ServiceError> {
    let transaction_id: Option<String> = r.try_get(2)?;
    let kind: Option<String> = r.try_get(3)?;
    let code: Option<String> = r.try_get(6)?;
    let kind = kind.as_deref().map(kind_from).transpose()?;
    let text = |col: usize| -> Result<Option<String>, ServiceError> {
        let units: Option<i64> = r.try_get(col)?;
        Ok(kind.zip(units).map(|(k, u)| units_text(k, u)))
    };
    let status = booking::line_status(transaction_id.is_some(), code.is_some());
    Ok(CollectiveLine {
        card_id: r.try_get(0)?,
        holder: r.try_get(1)?,
        status: status.to_owned(),
        debited: text(4)?,
        reste_a_payer: text(5)?,
        transaction_id,
        code,
        message: r.try_get(7)?,
    })
}

impl CollectiveTx for PgTx<'_, '_> {
    fn partner_category_status(
        &self,
        partner_id: &str,
    ) -> Result<Option<(String, String)>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT category, status FROM partners WHERE id = $1",
                &[&partner_id],
            )?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
        })
    }

    /// Not locked here: a confirmation has locked its cards first.
    fn card(&self, id: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| card_by(tx, "id", id))
    }

    fn requested_on(&self, establishment_id: &str, day: NaiveDate) -> Result<i64, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT COALESCE(SUM(total_cents), 0)::BIGINT FROM collective_bookings
                     WHERE establishment_id = $1 AND request_day = $2
                       AND status IN ('demandee', 'confirmee')",
                    &[&establishment_id, &day.to_string()],
                )?
                .try_get(0)?)
        })
    }

    fn insert_booking(&self, b: &NewBooking) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO collective_bookings (id, establishment_id, partner_id, avantage,
                   season, unit_kind, price_units, total_cents, label, service_date, status,
                   requested_by, requested_at, request_day)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &b.id,
                    &b.establishment_id,
                    &b.partner_id,
                    &b.avantage,
                    &i64::from(b.season.start_year()),
                    &b.unit_kind.code(),
                    &b.price_units,
                    &b.total_cents,
                    &b.label,
                    &b.service_date.to_string(),
                    &CollectiveBookingStatus::Requested.as_str(),
                    &b.requested_by,
                    &ts(b.requested_at),
                    &b.request_day.to_string(),
                ],
            )?;
            for (position, card_id) in b.card_ids.iter().enumerate() {
                let position = i64::try_from(position)
                    .map_err(|_| ServiceError::Internal("bad position".into()))?;
                tx.execute(
                    "INSERT INTO collective_booking_cards (booking_id, position, card_id)
                     VALUES ($1, $2, $3)",
                    &[&b.id, &position, card_id],
                )?;
            }
            Ok(())
        })
    }

    fn booking(&self, id: &str) -> Result<Option<BookingRow>, ServiceError> {
        self.with(|tx| {
            let Some(r) = tx.query_opt(
                "SELECT establishment_id, partner_id, avantage, unit_kind, price_units, status,
                   service_date
                 FROM collective_bookings WHERE id = $1",
                &[&id],
            )?
            else {
                return Ok(None);
            };
            let card_ids = tx
                .query(
                    "SELECT card_id FROM collective_booking_cards WHERE booking_id = $1
                     ORDER BY position",
                    &[&id],
                )?
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(BookingRow {
                establishment_id: r.try_get(0)?,
                partner_id: r.try_get(1)?,
                avantage: r.try_get(2)?,
                unit_kind: kind_from(&r.try_get::<_, String>(3)?)?,
                price_units: r.try_get(4)?,
                status: status_from(&r.try_get::<_, String>(5)?)?,
                service_date: parse_date(&r.try_get::<_, String>(6)?)?,
                card_ids,
            }))
        })
    }

    fn set_status(&self, id: &str, t: Transition<'_>) -> Result<(), ServiceError> {
        self.with(|tx| {
            let changed = tx.execute(
                "UPDATE collective_bookings SET status = $2, decided_by = $3, decided_at = $4,
                   reason = $5
                 WHERE id = $1 AND status = 'demandee'",
                &[&id, &t.status.as_str(), &t.by, &ts(t.at), &t.reason],
            )?;
            if changed != 1 {
                return Err(ServiceError::Internal("booking not requested".into()));
            }
            Ok(())
        })
    }

    fn record_line(
        &self,
        booking_id: &str,
        card_id: &str,
        transaction_id: Option<&str>,
        refusal: Option<(&str, &str)>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE collective_booking_cards SET transaction_id = $3, code = $4, message = $5
                 WHERE booking_id = $1 AND card_id = $2",
                &[
                    &booking_id,
                    &card_id,
                    &transaction_id,
                    &refusal.map(|r| r.0),
                    &refusal.map(|r| r.1),
                ],
            )?;
            Ok(())
        })
    }

    fn booking_view(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<CollectiveBooking, ServiceError> {
        self.with(|tx| {
            let head = tx
                .query_opt(
                    "SELECT b.id, b.establishment_id, e.name, b.partner_id, p.name, b.avantage,
                       b.unit_kind, b.price_units, b.total_cents, b.label, b.service_date,
                       b.status, ra.display_name, b.requested_at, da.display_name, b.decided_at,
                       b.reason
                     FROM collective_bookings b
                     JOIN establishments e ON e.id = b.establishment_id
                     JOIN partners p ON p.id = b.partner_id
                     JOIN accounts ra ON ra.id = b.requested_by
                     LEFT JOIN accounts da ON da.id = b.decided_by
                     WHERE b.id = $1",
                    &[&id],
                )?
                .ok_or(ServiceError::NotFound("Réservation"))?;
            let mut view = view_from(&head, now)?;
            view.lines = tx
                .query(
                    "SELECT l.card_id, c.first_name || ' ' || substr(c.last_name, 1, 1) || '.',
                       l.transaction_id, t.unit_kind, t.units, t.reste_units, l.code, l.message
                     FROM collective_booking_cards l
                     JOIN cards c ON c.id = l.card_id
                     LEFT JOIN transactions t ON t.id = l.transaction_id
                     WHERE l.booking_id = $1 ORDER BY l.position",
                    &[&id],
                )?
                .iter()
                .map(line_from)
                .collect::<Result<Vec<_>, _>>()?;
            view.debited_cards = view.lines.iter().filter(|l| l.status == "debite").count();
            Ok(view)
        })
    }

    fn savepoint(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("SAVEPOINT card")?))
    }

    fn release(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("RELEASE card")?))
    }

    fn rollback(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("ROLLBACK TO card; RELEASE card")?))
    }
}
