//! Storage of the sync protocol: the `SyncRepo` adapters over the writer
//! (enrolment and push decided in `sync/service.rs`) and the reads of devices,
//! changes and overspend flags.

use passregion_core::status::ConventionStatus;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::sync::DirectoryEntry;
use passregion_core::sync::EnrolRequest;
use passregion_core::sync::ItemResult;
use rusqlite::OptionalExtension;
use rusqlite::params;
use uuid::Uuid;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::platform::store::SqliteStore;
use crate::region::model::CardFlag;
use crate::sync::apply::PushItem;
use crate::sync::service;

/// A page of changes.
#[derive(Debug, Clone)]
pub struct ChangePage {
    /// Last change included.
    pub cursor: i64,
    /// Whether more changes wait.
    pub more: bool,
    /// Partners changed.
    pub partners: Vec<DirectoryEntry>,
    /// Cards to refuse.
    pub revoked_cards: Vec<Uuid>,
    /// Cards no longer refused.
    pub restored_cards: Vec<Uuid>,
    /// Credentials to refuse.
    pub revoked_credentials: Vec<Uuid>,
    /// Replaced cards and their current version.
    pub card_versions: Vec<passregion_core::sync::CardVersion>,
}

/// A partner row of the change feed, as both engines read it.
pub(crate) struct FeedPartner {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) address: String,
    pub(crate) city: String,
    pub(crate) postal_code: String,
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    pub(crate) status: String,
}

impl ChangePage {
    /// A page after `cursor` of the `rows` changes read with `limit`.
    pub(crate) fn empty(cursor: i64, rows: usize, limit: u32) -> ChangePage {
        ChangePage {
            cursor,
            more: rows as u32 == limit,
            partners: Vec::new(),
            revoked_cards: Vec::new(),
            restored_cards: Vec::new(),
            revoked_credentials: Vec::new(),
            card_versions: Vec::new(),
        }
    }

    /// A changed partner: listed, active while its convention is validated.
    pub(crate) fn partner(&mut self, p: FeedPartner) -> Result<(), ServiceError> {
        self.partners.push(DirectoryEntry {
            id: p.id,
            name: p.name,
            category: crate::platform::sql::enum_from(&p.category)?,
            address: p.address,
            city: p.city,
            postal_code: p.postal_code,
            latitude: p.latitude,
            longitude: p.longitude,
            active: p.status == ConventionStatus::Validated.as_str(),
        });
        Ok(())
    }

    /// A changed card: refused while suspended or flagged, restored
    /// otherwise; a replaced card's version refuses its older codes.
    pub(crate) fn card(&mut self, id: &str, blocked: bool, version: u32) {
        let Ok(u) = Uuid::parse_str(id) else { return };
        if version > 1 {
            self.card_versions.push(passregion_core::sync::CardVersion {
                card_id: u,
                version,
            });
        }
        if blocked {
            self.revoked_cards.push(u);
        } else {
            self.restored_cards.push(u);
        }
    }

    /// A revoked credential.
    pub(crate) fn credential(&mut self, id: &str) {
        if let Ok(u) = Uuid::parse_str(id) {
            self.revoked_credentials.push(u);
        }
    }
}

/// An overspend flag as the Region sees it (the card's last four digits).
pub(crate) fn card_flag(
    card_id: String,
    number: &str,
    reason: String,
    amount: i64,
    created: &str,
) -> Result<CardFlag, ServiceError> {
    Ok(CardFlag {
        card_id,
        card: format!("•••• {}", number.get(12..).unwrap_or("")),
        reason,
        amount: Money::from_cents(amount.max(0))?,
        created_at: crate::platform::sql::parse_ts(created)?,
    })
}

/// Storage of the sync protocol.
pub trait SyncRepo: Send + Sync + 'static {
    /// Enrols a partner phone; returns the device id.
    fn enrol_device(
        &self,
        who: &Principal,
        req: &EnrolRequest,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError>;
    /// The partner's devices: (id, public key, revoked).
    fn partner_devices(
        &self,
        partner_id: &str,
    ) -> Result<Vec<(String, String, bool)>, ServiceError>;
    /// Applies checked offline debits in order, each in its own savepoint,
    /// [`crate::config::Policy::push_chunk`] items per writer job: other
    /// writes run between two chunks, and an item sees what the items before
    /// it wrote (committed by an earlier job or in its own). An error stops
    /// the push; the chunks already committed are reported as duplicates when
    /// it is sent again.
    fn apply_offline(
        &self,
        who: &Principal,
        items: Vec<PushItem>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError>;
    /// Changes after `cursor`.
    fn changes(&self, cursor: i64, limit: u32) -> Result<ChangePage, ServiceError>;
    /// Cards flagged for overspend.
    fn flags(&self) -> Result<Vec<CardFlag>, ServiceError>;
}

impl SyncRepo for SqliteStore {
    fn enrol_device(
        &self,
        who: &Principal,
        req: &EnrolRequest,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let (partner_id, label) = service::check_enrolment(who, req)?;
        let (account, key) = (who.account_id.clone(), req.device_public_key.clone());
        self.db
            .write(move |c| service::enrol(c, partner_id, account, key, label, now))
    }

    fn partner_devices(
        &self,
        partner_id: &str,
    ) -> Result<Vec<(String, String, bool)>, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, public_key, revoked_at IS NOT NULL FROM partner_devices WHERE partner_id = ?1",
            )?;
            let rows = stmt.query_map([pid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn apply_offline(
        &self,
        who: &Principal,
        items: Vec<PushItem>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        // A terminated partner's day of termination, for the grace of the
        // offline debits made before it.
        let terminated = match &who.partner {
            Some((pid, _, false)) => {
                let pid = pid.clone();
                self.db.read(move |c| {
                    let day: Option<String> = c
                        .query_row(
                            "SELECT terminates_on FROM partners WHERE id = ?1 AND status = 'validated'",
                            [&pid],
                            |r| r.get(0),
                        )
                        .optional()?
                        .flatten();
                    day.as_deref()
                        .map(crate::platform::sql::parse_date)
                        .transpose()
                })?
            }
            _ => None,
        };
        let pusher = service::check_pusher(who, &self.policy, terminated, now)?;
        let chunk = self.policy.push_chunk.max(1);
        let mut results = Vec::with_capacity(items.len());
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let part: Vec<PushItem> = items.by_ref().take(chunk).collect();
            let scanned = service::scanned_at(&part);
            let (cats, pusher) = (self.catalogues.clone(), pusher.clone());
            let done = self
                .db
                .write(move |c| service::apply_offline(c, &cats, &pusher, part, now))?;
            service::count_chunk(&scanned, &done, now);
            results.extend(done);
        }
        Ok(results)
    }

    fn changes(&self, cursor: i64, limit: u32) -> Result<ChangePage, ServiceError> {
        self.db.read(move |c| {
            let rows: Vec<(String, String, i64)> = {
                let mut stmt = c.prepare_cached(
                    "SELECT kind, entity_id, MAX(seq) AS s FROM change_log WHERE seq > ?1
                     GROUP BY kind, entity_id ORDER BY s LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![cursor, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut page = ChangePage::empty(cursor, rows.len(), limit);
            let mut partner_stmt = c.prepare_cached(
                "SELECT id, name, category, address, city, postal_code, latitude, longitude, status
                 FROM partners WHERE id = ?1",
            )?;
            for (kind, id, seq) in rows {
                page.cursor = page.cursor.max(seq);
                match kind.as_str() {
                    "partner" => {
                        let p = partner_stmt
                            .query_row([&id], |r| {
                                Ok(FeedPartner {
                                    id: r.get(0)?,
                                    name: r.get(1)?,
                                    category: r.get(2)?,
                                    address: r.get(3)?,
                                    city: r.get(4)?,
                                    postal_code: r.get(5)?,
                                    latitude: r.get(6)?,
                                    longitude: r.get(7)?,
                                    status: r.get(8)?,
                                })
                            })
                            .optional()?;
                        if let Some(p) = p {
                            page.partner(p)?;
                        }
                    }
                    "card" => {
                        let (blocked, version): (bool, u32) = c.one(
                            "SELECT status = ?2 OR EXISTS (SELECT 1 FROM card_flags f WHERE f.card_id = cards.id),
                                    version
                             FROM cards WHERE id = ?1",
                            [id.as_str(), passregion_core::CardStatus::Suspendue.code()],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )?;
                        page.card(&id, blocked, version);
                    }
                    _ => page.credential(&id),
                }
            }
            Ok(page)
        })
    }

    fn flags(&self) -> Result<Vec<CardFlag>, ServiceError> {
        self.db.read(|c| {
            let mut stmt = c.prepare(
                "SELECT f.card_id, c.number, f.reason, f.amount_cents, f.created_at
                 FROM card_flags f JOIN cards c ON c.id = f.card_id ORDER BY f.id DESC LIMIT 1000",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (card_id, number, reason, amount, created) = row?;
                out.push(card_flag(card_id, &number, reason, amount, &created)?);
            }
            Ok(out)
        })
    }
}
