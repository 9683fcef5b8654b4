//! Storage of the établissement's desk: the `DeskRepo` adapter over the
//! writer (bulk calls cut in chunks, one idempotent write job each; the
//! rules in `desk/service.rs` and `desk/staff.rs`) and the SQL of
//! `DeskTx`, `EstablishmentStaffTx` and the card's history.

use chrono::{DateTime, Utc};
use passregion_core::Season;
use passregion_core::api::desk::{
    BulkItem, BulkOrderDecision, BulkResult, BulkRevalidation, CardEvent, EstablishmentStaffMember,
};
use passregion_core::api::establishments::Establishment;
use passregion_core::status::{CardEventKind, EstablishmentRole, StaffStatus};
use rusqlite::{Connection, OptionalExtension, params};

use crate::accounts::model::Principal;
use crate::cards::CardChange;
use crate::cards::model::OrderDecision;
use crate::cards::service::{CheckedChange, CheckedDecision, check_change, check_decision};
use crate::error::ServiceError;
use crate::establishments::desk::service::{self as desk, DeskTx};
use crate::establishments::desk::staff::{
    self, EstablishmentStaffTx, KnownAccount, NewStaffInvitation,
};
use crate::platform::db::{Cached, Outcome};
use crate::platform::idempotency::{Idempotency, idempotent, json_response};
use crate::platform::sql::{parse_ts, ts};
use crate::platform::store::SqliteStore;

/// Storage of the établissement's desk.
pub trait DeskRepo: Send + Sync + 'static {
    /// Validates or refuses orders of the caller's établissement, [`BULK_CHUNK`](crate::establishments::desk::service::BULK_CHUNK)
    /// per writer job, each in its own savepoint; idempotent per chunk.
    fn bulk_decide(
        &self,
        who: &Principal,
        req: BulkOrderDecision,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<BulkResult, ServiceError>;
    /// Revalidates cards of the caller's établissement for the new season,
    /// [`BULK_CHUNK`](crate::establishments::desk::service::BULK_CHUNK) per writer job, each in its own savepoint; idempotent
    /// per chunk.
    fn bulk_revalidate(
        &self,
        who: &Principal,
        req: BulkRevalidation,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<BulkResult, ServiceError>;
    /// The caller's établissement.
    fn own_establishment(&self, who: &Principal) -> Result<Establishment, ServiceError>;
    /// The history of a card of the caller's établissement, newest first.
    fn card_history(&self, who: &Principal, card_id: &str) -> Result<Vec<CardEvent>, ServiceError>;
    /// In one write job: the invited account and its link's token. Returns
    /// the member and the établissement's name.
    fn invite_establishment_staff(
        &self,
        inv: NewStaffInvitation,
    ) -> Result<(EstablishmentStaffMember, String), ServiceError>;
    /// An établissement's staff (not removed), heads first.
    fn establishment_staff(
        &self,
        establishment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<EstablishmentStaffMember>, ServiceError>;
    /// Removes a member of an établissement's staff (404 if not one of its own).
    fn remove_establishment_staff(
        &self,
        establishment_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

impl SqliteStore {
    /// Runs `chunk` on each part of `ids` in its own idempotent write job
    /// and gathers the items in order.
    fn in_chunks<F>(
        &self,
        ids: Vec<String>,
        idem: &Idempotency,
        now: DateTime<Utc>,
        chunk: F,
    ) -> Result<BulkResult, ServiceError>
    where
        F: Fn(&Connection, &[String]) -> Result<Vec<BulkItem>, ServiceError>
            + Clone
            + Send
            + 'static,
    {
        desk::in_chunks(&ids, idem, |key, part| {
            let run = chunk.clone();
            self.db.write_outcome(move |c| {
                idempotent(c, &key, now, |c| {
                    let items = run(c, &part)?;
                    Ok(Outcome::Commit(json_response(200, &items)?))
                })
            })
        })
    }
}

impl DeskRepo for SqliteStore {
    fn bulk_decide(
        &self,
        who: &Principal,
        req: BulkOrderDecision,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<BulkResult, ServiceError> {
        let decision: CheckedDecision = check_decision(
            who,
            OrderDecision {
                validate: req.validate,
                reason: req.reason,
            },
        )?;
        desk::check_ids("order_ids", &req.order_ids)?;
        let cats = self.catalogues.clone();
        self.in_chunks(req.order_ids, &idem, now, move |c, part| {
            desk::decide_chunk(c, &cats, part, &decision, now)
        })
    }

    fn bulk_revalidate(
        &self,
        who: &Principal,
        req: BulkRevalidation,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<BulkResult, ServiceError> {
        let change: CheckedChange = check_change(who, CardChange::Revalidate)?;
        desk::check_ids("card_ids", &req.card_ids)?;
        let cats = self.catalogues.clone();
        self.in_chunks(req.card_ids, &idem, now, move |c, part| {
            desk::revalidate_chunk(c, &cats, part, &change, now)
        })
    }

    fn own_establishment(&self, who: &Principal) -> Result<Establishment, ServiceError> {
        let eid = crate::cards::service::own_establishment(who)?;
        self.db.read(move |c| {
            Ok(c.one(
                "SELECT id, name, kind, city, postal_code FROM establishments WHERE id = ?1",
                [eid],
                |r| {
                    Ok(Establishment {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        kind: r.get(2)?,
                        city: r.get(3)?,
                        postal_code: r.get(4)?,
                    })
                },
            )?)
        })
    }

    fn card_history(&self, who: &Principal, card_id: &str) -> Result<Vec<CardEvent>, ServiceError> {
        let eid = crate::cards::service::own_establishment(who)?;
        let id = card_id.to_owned();
        self.db.read(move |c| {
            let own = c
                .one(
                    "SELECT 1 FROM cards WHERE id = ?1 AND establishment_id = ?2",
                    params![id, eid],
                    |_| Ok(()),
                )
                .optional()?;
            if own.is_none() {
                return Err(ServiceError::NotFound("Carte"));
            }
            history(c, &id)
        })
    }

    fn invite_establishment_staff(
        &self,
        inv: NewStaffInvitation,
    ) -> Result<(EstablishmentStaffMember, String), ServiceError> {
        self.db.write(move |c| staff::invite_tx(c, &inv))
    }

    fn establishment_staff(
        &self,
        establishment_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<EstablishmentStaffMember>, ServiceError> {
        let eid = establishment_id.to_owned();
        self.db.read(move |c| members(c, &eid, None, now))
    }

    fn remove_establishment_staff(
        &self,
        establishment_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let (eid, id) = (establishment_id.to_owned(), account_id.to_owned());
        self.db.write(move |c| staff::remove_tx(c, &eid, &id, now))
    }
}

/// A card's history, newest first (at most 500 changes).
/// A card's history event from its stored values (both engines).
pub(crate) fn history_event(
    at: &str,
    kind: Option<&str>,
    status: &str,
    season: Option<i32>,
    reason: Option<String>,
    by: Option<String>,
) -> Result<CardEvent, ServiceError> {
    Ok(CardEvent {
        at: parse_ts(at)?,
        kind: kind
            .map(|k| {
                CardEventKind::parse(k)
                    .ok_or_else(|| ServiceError::Internal("bad stored card event".into()))
            })
            .transpose()?,
        status: passregion_core::CardStatus::from_code(status)
            .ok_or_else(|| ServiceError::Internal("bad stored card status".into()))?,
        season: season
            .map(|y| {
                Season::starting(y)
                    .map(|s| s.to_string())
                    .map_err(|_| ServiceError::Internal("bad stored season".into()))
            })
            .transpose()?,
        reason,
        by,
    })
}

fn history(c: &Connection, card_id: &str) -> Result<Vec<CardEvent>, ServiceError> {
    let mut stmt = c.prepare_cached(
        "SELECT e.at, e.kind, e.status, e.season, e.reason, a.display_name
         FROM card_status_events e LEFT JOIN accounts a ON a.id = e.account_id
         WHERE e.card_id = ?1 ORDER BY e.id DESC LIMIT 500",
    )?;
    let rows = stmt.query_map([card_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<i32>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, kind, status, season, reason, by) = row?;
        out.push(history_event(
            &at,
            kind.as_deref(),
            &status,
            season,
            reason,
            by,
        )?);
    }
    Ok(out)
}

/// The query of an établissement's members (not removed), or only of
/// `?2` (both engines; `?3`: now).
pub(crate) const MEMBERS: &str = "SELECT a.id, a.display_name, a.email, a.establishment_role,
                a.email_verified_at IS NOT NULL, a.created_at,
                (SELECT MAX(t.expires_at) FROM email_tokens t WHERE t.account_id = a.id
                  AND t.purpose = 'invitation' AND t.used_at IS NULL AND t.expires_at > ?3)
         FROM accounts a
         WHERE a.establishment_id = ?1 AND a.role = 'establishment' AND a.removed_at IS NULL
           AND (?2 IS NULL OR a.id = ?2)
         ORDER BY a.establishment_role = 'staff', a.created_at, a.id";

/// A member from its stored values (both engines).
pub(crate) fn member_from(
    account_id: String,
    display_name: String,
    email: String,
    role: Option<&str>,
    confirmed: bool,
    created: &str,
    expires: Option<&str>,
) -> Result<EstablishmentStaffMember, ServiceError> {
    let role = match role {
        // An établissement account without a role does what its staff do.
        None => EstablishmentRole::Staff,
        Some(r) => EstablishmentRole::parse(r)
            .ok_or_else(|| ServiceError::Internal("bad stored establishment role".into()))?,
    };
    Ok(EstablishmentStaffMember {
        account_id,
        display_name,
        email,
        role,
        status: if confirmed {
            StaffStatus::Active
        } else {
            StaffStatus::Invited
        },
        invitation_expires_at: match (confirmed, expires) {
            (false, Some(e)) => Some(parse_ts(e)?),
            _ => None,
        },
        created_at: parse_ts(created)?,
    })
}

/// An établissement's members (not removed), or only `account_id`.
fn members(
    c: &Connection,
    establishment_id: &str,
    account_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<EstablishmentStaffMember>, ServiceError> {
    let mut stmt = c.prepare_cached(MEMBERS)?;
    let rows = stmt.query_map(params![establishment_id, account_id, ts(now)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (account_id, display_name, email, role, confirmed, created, expires) = row?;
        out.push(member_from(
            account_id,
            display_name,
            email,
            role.as_deref(),
            confirmed,
            &created,
            expires.as_deref(),
        )?);
    }
    Ok(out)
}

impl DeskTx for Connection {
    fn savepoint(&self) -> Result<(), ServiceError> {
        self.exec("SAVEPOINT desk_item", [])?;
        Ok(())
    }

    fn release(&self) -> Result<(), ServiceError> {
        self.exec("RELEASE desk_item", [])?;
        Ok(())
    }

    fn rollback(&self) -> Result<(), ServiceError> {
        self.exec("ROLLBACK TO desk_item", [])?;
        self.exec("RELEASE desk_item", [])?;
        Ok(())
    }
}

impl EstablishmentStaffTx for Connection {
    fn known_account(&self, email: &str) -> Result<Option<KnownAccount>, ServiceError> {
        Ok(self
            .one(
                "SELECT id, establishment_id, email_verified_at IS NOT NULL, removed_at IS NOT NULL
                 FROM accounts WHERE email = ?1",
                [email],
                |r| {
                    Ok(KnownAccount {
                        id: r.get(0)?,
                        establishment_id: r.get(1)?,
                        confirmed: r.get(2)?,
                        removed: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn insert_invited(&self, id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, establishment_id,
             establishment_role, created_at) VALUES (?1, ?2, ?3, 'establishment', ?4, ?5, ?6, ?7)",
            params![
                id,
                inv.email,
                inv.placeholder_hash,
                inv.display_name,
                inv.establishment_id,
                inv.role.as_str(),
                ts(inv.created_at)
            ],
        )?;
        Ok(())
    }

    fn reset_invited(&self, id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET password_hash = ?2, display_name = ?3, establishment_role = ?4,
             email_verified_at = NULL, removed_at = NULL WHERE id = ?1",
            params![
                id,
                inv.placeholder_hash,
                inv.display_name,
                inv.role.as_str()
            ],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = ?1", [id])?;
        Ok(())
    }

    fn void_tokens(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        crate::accounts::invitation::void_tokens(self, account_id, now)
    }

    fn insert_token(&self, account_id: &str, inv: &NewStaffInvitation) -> Result<(), ServiceError> {
        crate::accounts::invitation::insert_token(
            self,
            account_id,
            &inv.token_hash,
            inv.created_at,
            inv.expires_at,
        )
    }

    fn establishment_name(&self, id: &str) -> Result<String, ServiceError> {
        use rusqlite::OptionalExtension;
        self.one("SELECT name FROM establishments WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or(ServiceError::NotFound("Établissement"))
    }

    fn member(
        &self,
        establishment_id: &str,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<EstablishmentStaffMember>, ServiceError> {
        Ok(members(self, establishment_id, Some(account_id), now)?
            .into_iter()
            .next())
    }

    fn remove_member(&self, account_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE accounts SET removed_at = ?2 WHERE id = ?1",
            params![account_id, ts(now)],
        )?;
        self.exec("DELETE FROM sessions WHERE account_id = ?1", [account_id])?;
        Ok(())
    }
}
