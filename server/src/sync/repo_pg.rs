//! `SyncRepo` on PostgreSQL (ADR 0036): enrolment, the offline push (each chunk of items in one READ COMMITTED transaction, each item under the locks of `sync/apply_pg.rs`), the change feed and the overspend flags. The rules are shared with SQLite (`sync/service.rs`, `ChangePage`'s builders).

use chrono::DateTime;
use chrono::Utc;
use passregion_core::sync::EnrolRequest;
use passregion_core::sync::ItemResult;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::platform::pg::PgTx;
use crate::platform::store::PgStore;
use crate::region::model::CardFlag;
use crate::sync::apply::PushItem;
use crate::sync::repo::ChangePage;
use crate::sync::repo::FeedPartner;
use crate::sync::repo::SyncRepo;
use crate::sync::repo::card_flag;
use crate::sync::service;

impl SyncRepo for PgStore {
    fn enrol_device(
        &self,
        who: &Principal,
        req: &EnrolRequest,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let (partner_id, label) = service::check_enrolment(who, req)?;
        self.pool.write(|tx| {
            service::enrol(
                &PgTx::new(tx),
                partner_id.clone(),
                who.account_id.clone(),
                req.device_public_key.clone(),
                label.clone(),
                now,
            )
        })
    }

    fn partner_devices(
        &self,
        partner_id: &str,
    ) -> Result<Vec<(String, String, bool)>, ServiceError> {
        self.pool.read(|tx| {
            let rows = tx.query(
                "SELECT id, public_key, revoked_at IS NOT NULL FROM partner_devices
                 WHERE partner_id = $1",
                &[&partner_id],
            )?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect()
        })
    }

    /// Each chunk in one transaction, run again as a whole on a deadlock
    /// (two pushes locking two cards in opposite orders): an item's savepoint
    /// never turns such a conflict into a rejected item.
    fn apply_offline(
        &self,
        who: &Principal,
        items: Vec<PushItem>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        let terminated = match &who.partner {
            Some((pid, _, false)) => self.pool.read(|tx| {
                let day: Option<String> = tx
                    .query_opt(
                        "SELECT terminates_on FROM partners WHERE id = $1 AND status = 'validated'",
                        &[pid],
                    )?
                    .map(|r| r.try_get::<_, Option<String>>(0))
                    .transpose()?
                    .flatten();
                day.as_deref()
                    .map(crate::platform::sql::parse_date)
                    .transpose()
            })?,
            _ => None,
        };
        let pusher = service::check_pusher(who, &self.policy, terminated, now)?;
        let chunk = self.policy.push_chunk.max(1);
        let mut results = Vec::with_capacity(items.len());
        for part in items.chunks(chunk) {
            let done = self.pool.write(|tx| {
                service::apply_offline(
                    &PgTx::new(tx),
                    &self.catalogues,
                    &pusher,
                    part.to_vec(),
                    now,
                )
            })?;
            service::count_chunk(&service::scanned_at(part), &done, now);
            results.extend(done);
        }
        Ok(results)
    }

    fn changes(&self, cursor: i64, limit: u32) -> Result<ChangePage, ServiceError> {
        self.pool.read(|tx| {
            let rows = tx.query(
                "SELECT kind, entity_id, MAX(seq) AS s FROM change_log WHERE seq > $1
                 GROUP BY kind, entity_id ORDER BY s LIMIT $2",
                &[&cursor, &i64::from(limit)],
            )?;
            let mut page = ChangePage::empty(cursor, rows.len(), limit);
            for row in rows {
                let (kind, id, seq): (String, String, i64) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                page.cursor = page.cursor.max(seq);
                match kind.as_str() {
                    "partner" => {
                        let p = tx.query_opt(
                            "SELECT id, name, category, address, city, postal_code, latitude,
                                    longitude, status
                             FROM partners WHERE id = $1",
                            &[&id],
                        )?;
                        if let Some(r) = p {
                            page.partner(FeedPartner {
                                id: r.try_get(0)?,
                                name: r.try_get(1)?,
                                category: r.try_get(2)?,
                                address: r.try_get(3)?,
                                city: r.try_get(4)?,
                                postal_code: r.try_get(5)?,
                                latitude: r.try_get(6)?,
                                longitude: r.try_get(7)?,
                                status: r.try_get(8)?,
                            })?;
                        }
                    }
                    "card" => {
                        let r = tx.query_one(
                            "SELECT status = $2 OR EXISTS (SELECT 1 FROM card_flags f
                                                           WHERE f.card_id = cards.id),
                                    version
                             FROM cards WHERE id = $1",
                            &[&id, &passregion_core::CardStatus::Suspendue.code()],
                        )?;
                        let version = u32::try_from(r.try_get::<_, i64>(1)?)
                            .map_err(|_| ServiceError::Internal("bad card version".into()))?;
                        page.card(&id, r.try_get(0)?, version);
                    }
                    _ => page.credential(&id),
                }
            }
            Ok(page)
        })
    }

    fn flags(&self) -> Result<Vec<CardFlag>, ServiceError> {
        self.pool.read(|tx| {
            let rows = tx.query(
                "SELECT f.card_id, c.number, f.reason, f.amount_cents, f.created_at
                 FROM card_flags f JOIN cards c ON c.id = f.card_id ORDER BY f.id DESC LIMIT 1000",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    let number: String = r.try_get(1)?;
                    let created: String = r.try_get(4)?;
                    card_flag(
                        r.try_get(0)?,
                        &number,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        &created,
                    )
                })
                .collect()
        })
    }
}
