//! Collective bookings paid remotely by an établissement (FAQ §14): each card goes through the same debit rule as at a counter.
//! The rules are in `establishments::service`; this file holds the SQL.

use crate::platform::db::Outcome;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use rusqlite::Connection;
use rusqlite::OptionalExtension;

use crate::accounts::model::Principal;
use crate::debits::card::CardRow;
use crate::debits::card::card_by;
use crate::error::ServiceError;
use crate::establishments::model::CollectiveRequest;
use crate::establishments::service;
use crate::establishments::service::CollectiveTx;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::json_response;
use crate::platform::store::SqliteStore;

/// Most cards in one collective booking.
pub use crate::establishments::service::MAX_CARDS;

/// Storage of collective bookings.
pub trait CollectiveRepo: Send + Sync + 'static {
    /// Debits every card of the request (idempotent).
    fn collective_debit(
        &self,
        who: &Principal,
        req: CollectiveRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
}

impl CollectiveRepo for SqliteStore {
    fn collective_debit(
        &self,
        who: &Principal,
        req: CollectiveRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let eid = service::check_collective(who, &req)?;
        let account = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.write_outcome(move |c| {
            crate::platform::idempotency::idempotent(c, &idem, now, |c| {
                match service::collective_debit(c, &cats, &eid, &account, &req, now)? {
                    Outcome::Commit(response) => Ok(Outcome::from(json_response(201, &response))),
                    Outcome::CommitAndRefuse(e) => Ok(Outcome::CommitAndRefuse(e)),
                }
            })
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
