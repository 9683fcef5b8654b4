//! The établissement's desk on PostgreSQL (ADR 0036, ADR 0026): `DeskRepo` for `PgStore` and the SQL of `DeskTx` and `EstablishmentStaffTx` in PostgreSQL's dialect; the rules stay in `desk/service.rs` (chunks, a savepoint per item) and `desk/staff.rs`, the orders' and cards' SQL in `cards/*_pg.rs`.
//!
//! Each chunk is one transaction under its own idempotency key. It locks
//! its rows first, in id order (the one order of every multi-row lock: two
//! bulk calls sharing rows wait, never deadlock): the orders of a decision,
//! the cards of a revalidation, so a suspension of one of the cards on
//! another instance runs before or after the item, never in between. Each
//! item runs in a savepoint: a refused item's writes (and a failed
//! statement, which would otherwise abort the transaction) are undone, the
//! others kept; a storage failure (a serialization failure, a deadlock)
//! ends the chunk and is retried whole by the pool.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::api::desk::BulkItem;
use passregion_core::api::desk::BulkOrderDecision;
use passregion_core::api::desk::BulkResult;
use passregion_core::api::desk::BulkRevalidation;
use passregion_core::api::desk::CardEvent;
use passregion_core::api::desk::EstablishmentStaffMember;
use passregion_core::api::establishments::Establishment;
use r2d2_postgres::postgres::Transaction;

use crate::accounts::model::Principal;
use crate::accounts::repo_pg::lock_email;
use crate::cards::CardChange;
use crate::cards::model::OrderDecision;
use crate::cards::service::check_change;
use crate::cards::service::check_decision;
use crate::error::ServiceError;
use crate::establishments::desk::repo::DeskRepo;
use crate::establishments::desk::repo::history_event;
use crate::establishments::desk::repo::member_from;
use crate::establishments::desk::service::{self as desk, DeskTx};
use crate::establishments::desk::staff::{
    self, EstablishmentStaffTx, KnownAccount, NewStaffInvitation,
};
use crate::platform::db::Outcome;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::idempotent_on;
use crate::platform::idempotency::json_response;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

impl PgStore {
    /// Runs `chunk` on each part of `ids` in its own idempotent transaction,
    /// after locking the part's rows of `table` in id order.
    fn in_chunks_pg(
        &self,
        table: &str,
        ids: &[String],
        idem: &Idempotency,
        now: DateTime<Utc>,
        chunk: impl Fn(&PgTx<'_, '_>, &[String]) -> Result<Vec<BulkItem>, ServiceError>,
    ) -> Result<BulkResult, ServiceError> {
        let lock = format!("SELECT id FROM {table} WHERE id = ANY($1) ORDER BY id FOR UPDATE");
        desk::in_chunks(ids, idem, |key, part| {
            self.pool.write_outcome(|tx| {
                idempotent_on(&PgTx::new(tx), &key, now, |t| {
                    t.with(|tx| Ok(tx.execute(&lock, &[&part])?))?;
                    let items = chunk(t, &part)?;
                    Ok(Outcome::Commit(json_response(200, &items)?))
                })
            })
        })
    }
}

impl DeskRepo for PgStore {
    fn bulk_decide(
        &self,
        who: &Principal,
        req: BulkOrderDecision,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<BulkResult, ServiceError> {
        let decision = check_decision(
            who,
            OrderDecision {
                validate: req.validate,
                reason: req.reason,
            },
        )?;
        desk::check_ids("order_ids", &req.order_ids)?;
        self.in_chunks_pg("orders", &req.order_ids, &idem, now, |t, part| {
            desk::decide_chunk(t, &self.catalogues, part, &decision, now)
        })
    }

    fn bulk_revalidate(
        &self,
        who: &Principal,
        req: BulkRevalidation,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<BulkResult, ServiceError> {
        let change = check_change(who, CardChange::Revalidate)?;
        desk::check_ids("card_ids", &req.card_ids)?;
        self.in_chunks_pg("cards", &req.card_ids, &idem, now, |t, part| {
            desk::revalidate_chunk(t, &self.catalogues, part, &change, now)
        })
    }

    fn own_establishment(&self, who: &Principal) -> Result<Establishment, ServiceError> {
        let eid = crate::cards::service::own_establishment(who)?;
        self.pool.read(|tx| {
            let r = tx
                .query_opt(
                    "SELECT id, name, kind, city, postal_code FROM establishments WHERE id = $1",
                    &[&eid],
                )?
                .ok_or(ServiceError::NotFound("Établissement"))?;
            Ok(Establishment {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                kind: r.try_get(2)?,
                city: r.try_get(3)?,
                postal_code: r.try_get(4)?,
            })
        })
    }

    fn card_history(&self, who: &Principal, card_id: &str) -> Result<Vec<CardEvent>, ServiceError> {
        let eid = crate::cards::service::own_establishment(who)?;
        self.pool.read(|tx| {
            let own = tx.query_opt(
                "SELECT 1 FROM cards WHERE id = $1 AND establishment_id = $2",
                &[&card_id, &eid],
            )?;
            if own.is_none() {
                return Err(ServiceError::NotFound("Carte"));
            }
            history(tx, card_id)
        })
    }

    /// The address's advisory lock first (the one of account creation):
    /// two invitations of one address at once make one account.
    fn invite_establishment_staff(
        &self,
        inv: NewStaffInvitation,
    ) -> Result<(EstablishmentStaffMember, String), ServiceError> {
        self.pool.write(|tx| {
            lock_email(tx, &inv.email)?;
            staff::invite_tx(&PgTx::new(tx), &inv)
        })
    }

    fn establishment_staff(
        &self,
        establishment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<EstablishmentStaffMember>, ServiceError> {
        self.pool
            .read(|tx| members(tx, establishment_id, None, now))
    }

    /// The account's row locked first: a removal and a new invitation of
    /// the member run one after the other.
    fn remove_establishment_staff(
        &self,
        establishment_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            tx.execute(
                "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE",
                &[&account_id],
            )?;
            staff::remove_tx(&PgTx::new(tx), establishment_id, account_id, now)
        })
    }
}

/// A card's history, newest first (at most 500 changes).
fn history(tx: &mut Transaction<'_>, card_id: &str) -> Result<Vec<CardEvent>, ServiceError> {
    tx.query(
        "SELECT e.at, e.kind, e.status, e.season, e.reason, a.display_name
         FROM card_status_events e LEFT JOIN accounts a ON a.id = e.account_id
         WHERE e.card_id = $1 ORDER BY e.id DESC LIMIT 500",
        &[&card_id],
    )?
    .iter()
    .map(|r| {
        let season = r
            .try_get::<_, Option<i64>>(3)?
            .map(|y| {
                i32::try_from(y).map_err(|_| ServiceError::Internal("bad stored season".into()))
            })
            .transpose()?;
        history_event(
            &r.try_get::<_, String>(0)?,
            r.try_get::<_, Option<String>>(1)?.as_deref(),
            &r.try_get::<_, String>(2)?,
            season,
            r.try_get(4)?,
            r.try_get(5)?,
        )
    })
    .collect()
}

/// An établissement's members (not removed), or only `account_id`; heads
/// first (an account without a role before them, as on SQLite).
fn members(
    tx: &mut Transaction<'_>,
    establishment_id: &str,
    account_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<EstablishmentStaffMember>, ServiceError> {
    tx.query(
        "SELECT a.id, a.display_name, a.email::text, a.establishment_role,
                a.email_verified_at IS NOT NULL, a.created_at,
                (SELECT MAX(t.expires_at) FROM email_tokens t WHERE t.account_id = a.id
                  AND t.purpose = 'invitation' AND t.used_at IS NULL AND t.expires_at > $3)
         FROM accounts a
         WHERE a.establishment_id = $1 AND a.role = 'establishment' AND a.removed_at IS NULL
           AND ($2::TEXT IS NULL OR a.id = $2)
         ORDER BY a.establishment_role = 'staff' NULLS FIRST, a.created_at, a.id",
        &[&establishment_id, &account_id, &ts(now)],
    )?
    .iter()
    .map(|r| {
        member_from(
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get::<_, Option<String>>(3)?.as_deref(),
            r.try_get(4)?,
            &r.try_get::<_, String>(5)?,
            r.try_get::<_, Option<String>>(6)?.as_deref(),
        )
    })
    .collect()
}

impl DeskTx for PgTx<'_, '_> {
    fn savepoint(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("SAVEPOINT desk_item")?))
    }

    fn release(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("RELEASE desk_item")?))
    }

    fn rollback(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("ROLLBACK TO desk_item; RELEASE desk_item")?))
    }
}

impl EstablishmentStaffTx for PgTx<'_, '_> {
    fn known_account(&self, email: &str) -> Result<Option<KnownAccount>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT id, establishment_id, email_verified_at IS NOT NULL, removed_at IS NOT NULL
                 FROM accounts WHERE email = $1",
                &[&email],
            )?
            .map(|r| {
                Ok(KnownAccount {
                    id: r.try_get(0)?,
                    establishment_id: r.try_get(1)?,
                    confirmed: r.try_get(2)?,
                    removed: r.try_get(3)?,
                })
            })
            .transpose()
        })
    }

    fn insert_invited(&self, id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO accounts (id, email, password_hash, role, display_name,
                 establishment_id, establishment_role, created_at)
                 VALUES ($1, $2, $3, 'establishment', $4, $5, $6, $7)",
                &[
                    &id,
                    &inv.email,
                    &inv.placeholder_hash,
                    &inv.display_name,
                    &inv.establishment_id,
                    &inv.role.as_str(),
                    &ts(inv.created_at),
                ],
            )?;
            Ok(())
        })
    }

    fn reset_invited(&self, id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE accounts SET password_hash = $2, display_name = $3,
                 establishment_role = $4, email_verified_at = NULL, removed_at = NULL
                 WHERE id = $1",
                &[
                    &id,
                    &inv.placeholder_hash,
                    &inv.display_name,
                    &inv.role.as_str(),
                ],
            )?;
            tx.execute("DELETE FROM sessions WHERE account_id = $1", &[&id])?;
            Ok(())
        })
    }

    fn void_tokens(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        crate::accounts::invitation_pg::void_tokens(self, account_id, now)
    }

    fn insert_token(&self, account_id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError> {
        crate::accounts::invitation_pg::insert_token(
            self,
            account_id,
            &inv.token_hash,
            inv.created_at,
            inv.expires_at,
        )
    }

    fn establishment_name(&self, id: &str) -> Result<String, ServiceError> {
        self.with(|tx| {
            tx.query_opt("SELECT name FROM establishments WHERE id = $1", &[&id])?
                .map(|r| r.try_get(0))
                .transpose()?
                .ok_or(ServiceError::NotFound("Établissement"))
        })
    }

    fn member(
        &self,
        establishment_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<EstablishmentStaffMember>, ServiceError> {
        self.with(|tx| {
            Ok(members(tx, establishment_id, Some(account_id), now)?
                .into_iter()
                .next())
        })
    }

    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE accounts SET removed_at = $2 WHERE id = $1",
                &[&account_id, &ts(now)],
            )?;
            tx.execute("DELETE FROM sessions WHERE account_id = $1", &[&account_id])?;
            Ok(())
        })
    }
}
