//! Storage of collective bookings (FAQ §14): the repository the handlers
//! call, and the SQL of `CollectiveTx`. The rules are in
//! `establishments::booking`.

use crate::platform::db::Outcome;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::status::CollectiveBookingStatus;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::partner_of;
use crate::debits::card::CardRow;
use crate::debits::card::card_by;
use crate::debits::ledger::kind_from;
use crate::debits::ledger::units_text;
use crate::error::ServiceError;
use crate::establishments::booking;
use crate::establishments::booking::BookingRow;
use crate::establishments::booking::BookingScope;
use crate::establishments::booking::Closer;
use crate::establishments::booking::CollectiveTx;
use crate::establishments::booking::NewBooking;
use crate::establishments::booking::Transition;
use crate::establishments::model::CollectiveBooking;
use crate::establishments::model::CollectiveBookingRequest;
use crate::establishments::model::CollectiveLine;
use crate::establishments::service::own_establishment;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::idempotent;
use crate::platform::idempotency::json_response;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// Most cards in one collective booking.
pub use crate::establishments::booking::MAX_CARDS;

/// Storage of collective bookings.
pub trait CollectiveRepo: Send + Sync + 'static {
    /// An établissement requests a booking (idempotent); nothing is debited.
    fn request_booking(
        &self,
        who: &Principal,
        req: CollectiveBookingRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// The booking's partner confirms it: the youths are debited (idempotent).
    fn confirm_booking(
        &self,
        who: &Principal,
        id: &str,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// The booking's partner declines it.
    fn decline_booking(
        &self,
        who: &Principal,
        id: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<CollectiveBooking, ServiceError>;
    /// The booking's établissement cancels it.
    fn cancel_booking(
        &self,
        who: &Principal,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<CollectiveBooking, ServiceError>;
    /// The bookings the caller may see (établissement, partner, youth,
    /// Region), newest first, at most 200.
    fn bookings(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Vec<CollectiveBooking>, ServiceError>;
}

impl CollectiveRepo for SqliteStore {
    fn request_booking(
        &self,
        who: &Principal,
        req: CollectiveBookingRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let caps = self.policy.collective;
        let new = booking::check_request(who, &self.catalogues, caps, &req, now)?;
        let cats = self.catalogues.clone();
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                let view = booking::request_booking(c, &cats, caps, &new)?;
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
        let account = who.account_id.clone();
        let cats = self.catalogues.clone();
        let id = id.to_owned();
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                match booking::confirm_booking(c, &cats, &partner_id, &account, &id, now)? {
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
        let account = who.account_id.clone();
        let id = id.to_owned();
        self.db.write_outcome(move |c| {
            booking::close_booking(
                c,
                Closer::Partner(&partner_id),
                &account,
                &id,
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
        let account = who.account_id.clone();
        let id = id.to_owned();
        self.db.write_outcome(move |c| {
            booking::close_booking(c, Closer::Establishment(&eid), &account, &id, None, now)
        })
    }

    fn bookings(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Vec<CollectiveBooking>, ServiceError> {
        let scope = booking::booking_scope(who)?;
        self.db.read(move |c| {
            let youth = match &scope {
                BookingScope::Youth(a) => Some(select_all(
                    c,
                    "SELECT id FROM cards WHERE account_id = ?1",
                    &[a],
                    |r| Ok(r.get::<_, String>(0).map_err(ServiceError::from)),
                )?),
                _ => None,
            };
            let (clause, arg) = match scope {
                BookingScope::Establishment(e) => ("b.establishment_id = ?1", e),
                BookingScope::Partner(p) => ("b.partner_id = ?1", p),
                BookingScope::Youth(a) => (
                    "b.id IN (SELECT l.booking_id FROM collective_booking_cards l
                     JOIN cards c ON c.id = l.card_id WHERE c.account_id = ?1)",
                    a,
                ),
                BookingScope::All => ("?1 = ''", String::new()),
            };
            let sql = format!(
                "SELECT b.id FROM collective_bookings b WHERE {clause}
                 ORDER BY b.requested_at DESC, b.id DESC LIMIT 200"
            );
            let mut stmt = c.prepare(&sql)?;
            let ids = stmt
                .query_map([arg], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            ids.iter()
                .map(|id| {
                    let view = c.booking_view(id, now)?;
                    Ok(match &youth {
                        Some(own) => booking::for_youth(view, own),
                        None => view,
                    })
                })
                .collect()
        })
    }
}

impl CollectiveTx for Connection {
    fn partner_category_status(
        &self,
        partner_id: &str,
    ) -> Result<Option<(String, String)>, ServiceError> {
        Ok(self
            .one(
                "SELECT category, status FROM partners WHERE id = ?1",
                [partner_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn card(&self, id: &str) -> Result<Option<CardRow>, ServiceError> {
        card_by(self, "id", id)
    }

    fn requested_on(&self, establishment_id: &str, day: NaiveDate) -> Result<i64, ServiceError> {
        Ok(self.one(
            "SELECT COALESCE(SUM(total_cents), 0) FROM collective_bookings
             WHERE establishment_id = ?1 AND request_day = ?2
               AND status IN ('demandee', 'confirmee')",
            params![establishment_id, day.to_string()],
            |r| r.get(0),
        )?)
    }

    fn insert_booking(&self, b: &NewBooking) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO collective_bookings (id, establishment_id, partner_id, avantage, season,
               unit_kind, price_units, total_cents, label, service_date, status, requested_by,
               requested_at, request_day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                b.id,
                b.establishment_id,
                b.partner_id,
                b.avantage,
                b.season.start_year(),
                b.unit_kind.code(),
                b.price_units,
                b.total_cents,
                b.label,
                b.service_date.to_string(),
                CollectiveBookingStatus::Requested.as_str(),
                b.requested_by,
                ts(b.requested_at),
                b.request_day.to_string(),
            ],
        )?;
        for (position, card_id) in b.card_ids.iter().enumerate() {
            self.exec(
                "INSERT INTO collective_booking_cards (booking_id, position, card_id)
                 VALUES (?1, ?2, ?3)",
                params![b.id, position as i64, card_id],
            )?;
        }
        Ok(())
    }

    fn booking(&self, id: &str) -> Result<Option<BookingRow>, ServiceError> {
        let Some((establishment_id, partner_id, avantage, kind, price_units, status, date)) = self
            .one(
                "SELECT establishment_id, partner_id, avantage, unit_kind, price_units, status,
                   service_date
                 FROM collective_bookings WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = self.prepare_cached(
            "SELECT card_id FROM collective_booking_cards WHERE booking_id = ?1 ORDER BY position",
        )?;
        let card_ids = stmt
            .query_map([id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(BookingRow {
            establishment_id,
            partner_id,
            avantage,
            unit_kind: kind_from(&kind)?,
            price_units,
            status: status_from(&status)?,
            service_date: parse_date(&date)?,
            card_ids,
        }))
    }

    fn set_status(&self, id: &str, t: Transition<'_>) -> Result<(), ServiceError> {
        let changed = self.exec(
            "UPDATE collective_bookings SET status = ?2, decided_by = ?3, decided_at = ?4,
               reason = ?5
             WHERE id = ?1 AND status = 'demandee'",
            params![id, t.status.as_str(), t.by, ts(t.at), t.reason],
        )?;
        if changed != 1 {
            return Err(ServiceError::Internal("booking not requested".into()));
        }
        Ok(())
    }

    fn record_line(
        &self,
        booking_id: &str,
        card_id: &str,
        transaction_id: Option<&str>,
        refusal: Option<(&str, &str)>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE collective_booking_cards SET transaction_id = ?3, code = ?4, message = ?5
             WHERE booking_id = ?1 AND card_id = ?2",
            params![
                booking_id,
                card_id,
                transaction_id,
                refusal.map(|r| r.0),
                refusal.map(|r| r.1)
            ],
        )?;
        Ok(())
    }

    fn booking_view(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<CollectiveBooking, ServiceError> {
        let mut view = self.one(
            "SELECT b.id, b.establishment_id, e.name, b.partner_id, p.name, b.avantage,
               b.unit_kind, b.price_units, b.total_cents, b.label, b.service_date, b.status,
               ra.display_name, b.requested_at, da.display_name, b.decided_at, b.reason
             FROM collective_bookings b
             JOIN establishments e ON e.id = b.establishment_id
             JOIN partners p ON p.id = b.partner_id
             JOIN accounts ra ON ra.id = b.requested_by
             LEFT JOIN accounts da ON da.id = b.decided_by
             WHERE b.id = ?1",
            [id],
            |r| {
                let build = || -> Result<CollectiveBooking, ServiceError> {
                    let kind = kind_from(&r.get::<_, String>(6)?)?;
                    let service_date = parse_date(&r.get::<_, String>(10)?)?;
                    let status = booking::shown_status(
                        status_from(&r.get::<_, String>(11)?)?,
                        service_date,
                        now,
                    );
                    Ok(CollectiveBooking {
                        id: r.get(0)?,
                        establishment_id: r.get(1)?,
                        establishment_name: r.get(2)?,
                        partner_id: r.get(3)?,
                        partner_name: r.get(4)?,
                        avantage: r.get(5)?,
                        unit_kind: kind.code().to_owned(),
                        price_per_youth: units_text(kind, r.get(7)?),
                        total: units_text(passregion_core::debit::AvantageKind::Credit, r.get(8)?),
                        label: r.get(9)?,
                        service_date,
                        status,
                        status_label: status.label().to_owned(),
                        confirm_before: booking::confirm_before(service_date),
                        requested_by: r.get(12)?,
                        requested_at: parse_ts(&r.get::<_, String>(13)?)?,
                        decided_by: r.get(14)?,
                        decided_at: r
                            .get::<_, Option<String>>(15)?
                            .as_deref()
                            .map(parse_ts)
                            .transpose()?,
                        reason: r.get(16)?,
                        debited_cards: 0,
                        lines: Vec::new(),
                    })
                };
                Ok(build())
            },
        )??;
        let mut stmt = self.prepare_cached(
            "SELECT l.card_id, c.first_name || ' ' || substr(c.last_name, 1, 1) || '.',
               l.transaction_id, t.unit_kind, t.units, t.reste_units, l.code, l.message
             FROM collective_booking_cards l
             JOIN cards c ON c.id = l.card_id
             LEFT JOIN transactions t ON t.id = l.transaction_id
             WHERE l.booking_id = ?1 ORDER BY l.position",
        )?;
        let rows = stmt.query_map([id], |r| {
            let transaction_id: Option<String> = r.get(2)?;
            let kind: Option<String> = r.get(3)?;
            let code: Option<String> = r.get(6)?;
            let text = |col: usize| -> rusqlite::Result<Option<String>> {
                let units: Option<i64> = r.get(col)?;
                Ok(match (kind.as_deref().map(kind_from), units) {
                    (Some(Ok(k)), Some(u)) => Some(units_text(k, u)),
                    _ => None,
                })
            };
            let status = booking::line_status(transaction_id.is_some(), code.is_some());
            Ok(CollectiveLine {
                card_id: r.get(0)?,
                holder: r.get(1)?,
                status: status.to_owned(),
                debited: text(4)?,
                reste_a_payer: text(5)?,
                transaction_id,
                code,
                message: r.get(7)?,
            })
        })?;
        view.lines = rows.collect::<Result<Vec<_>, _>>()?;
        view.debited_cards = view.lines.iter().filter(|l| l.status == "debite").count();
        Ok(view)
    }

    fn savepoint(&self) -> Result<(), ServiceError> {
        Ok(self.execute_batch("SAVEPOINT card")?)
    }

    fn release(&self) -> Result<(), ServiceError> {
        Ok(self.execute_batch("RELEASE card")?)
    }

    fn rollback(&self) -> Result<(), ServiceError> {
        Ok(self.execute_batch("ROLLBACK TO card; RELEASE card")?)
    }
}

pub(crate) fn status_from(s: &str) -> Result<CollectiveBookingStatus, ServiceError> {
    CollectiveBookingStatus::parse(s)
        .ok_or_else(|| ServiceError::Internal("bad booking status".into()))
}
