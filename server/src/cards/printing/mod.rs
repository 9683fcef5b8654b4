//! The print queue (issue 16): validated and replaced cards wait to be
//! printed and posted by the Region's card maker; the Region exports them
//! (CSV with each card's signed QR text), marks them posted with the date,
//! and sees those waiting more than a week (the FAQ promises a week).

pub mod batch;
pub mod http;
pub mod pg;

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use crate::cards::model::PrintItem;
use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::sql::{parse_ts, ts};
use crate::platform::store::SqliteStore;

/// The delay after which a card not posted is late.
pub const POSTING_DELAY: Duration = Duration::days(7);

/// Most cards marked posted at once.
pub const MAX_POSTED_PER_CALL: usize = 5_000;

/// A card of the queue with what its QR needs.
#[derive(Debug, Clone)]
pub struct QueuedCard {
    /// What is printed and posted.
    pub item: PrintItem,
    /// The card's version (its printed QR carries it).
    pub version: u32,
    /// The card's season's first year.
    pub season_year: i32,
}

/// The print queue's storage.
pub trait PrintRepo: Send + Sync + 'static {
    /// Cards waiting to be posted, oldest first (at most 10,000).
    fn print_queue(&self, now: DateTime<Utc>) -> Result<Vec<QueuedCard>, ServiceError>;
    /// Marks cards posted at `now`; returns how many were waiting.
    fn mark_posted(&self, ids: Vec<String>, now: DateTime<Utc>) -> Result<u32, ServiceError>;
}

impl PrintRepo for SqliteStore {
    fn print_queue(&self, now: DateTime<Utc>) -> Result<Vec<QueuedCard>, ServiceError> {
        self.db.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT k.id, k.number, k.first_name, k.last_name, e.name, o.address, o.postal_code,
                        o.city, k.season, k.version,
                        COALESCE((SELECT MAX(r.retired_at) FROM retired_card_numbers r WHERE r.card_id = k.id),
                                 o.decided_at, o.created_at) AS since
                 FROM cards k JOIN orders o ON o.id = k.order_id
                 JOIN establishments e ON e.id = k.establishment_id
                 WHERE k.status = 'expediee' AND k.posted_at IS NULL
                 ORDER BY since, k.id LIMIT 10000",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ),
                    (
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, i64>(9)?,
                        r.get::<_, String>(10)?,
                    ),
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let ((id, number, first, last, etab), (address, pc, city, year, version, since)) =
                    row?;
                out.push(queued(
                    PrintItemCols {
                        card_id: id,
                        number,
                        first_name: first,
                        last_name: last,
                        establishment: etab,
                        address,
                        postal_code: pc,
                        city,
                        season_year: year,
                        version,
                        since,
                    },
                    now,
                )?);
            }
            Ok(out)
        })
    }

    fn mark_posted(&self, ids: Vec<String>, now: DateTime<Utc>) -> Result<u32, ServiceError> {
        check_posted(&ids)?;
        self.db.write(move |c| {
            let mut n = 0u32;
            for id in &ids {
                let changed = c.exec(
                    "UPDATE cards SET posted_at = ?2 WHERE id = ?1 AND status = 'expediee'
                     AND posted_at IS NULL",
                    params![id, ts(now)],
                )?;
                if changed == 1
                    && let Some(holder) = crate::accounts::notify::card_holder(c, id)?
                {
                    let (key, subject, body) = posted_mail(id, now);
                    crate::accounts::notify::enqueue(c, &holder, &key, subject, &body, now)?;
                }
                n += u32::try_from(changed).unwrap_or(0);
            }
            Ok(n)
        })
    }
}

/// A queued card's values as stored (either engine).
pub(crate) struct PrintItemCols {
    pub(crate) card_id: String,
    pub(crate) number: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) establishment: String,
    pub(crate) address: String,
    pub(crate) postal_code: String,
    pub(crate) city: String,
    pub(crate) season_year: i64,
    pub(crate) version: i64,
    /// Since when it waits (its replacement, else its order's decision).
    pub(crate) since: String,
}

/// A queued card, late when it waits more than [`POSTING_DELAY`] on `now`.
pub(crate) fn queued(c: PrintItemCols, now: DateTime<Utc>) -> Result<QueuedCard, ServiceError> {
    let since = parse_ts(&c.since)?;
    let season_year =
        i32::try_from(c.season_year).map_err(|_| ServiceError::Internal("season".into()))?;
    let season = passregion_core::Season::starting(season_year)
        .map_err(|_| ServiceError::Internal("season".into()))?;
    Ok(QueuedCard {
        item: PrintItem {
            card_id: c.card_id,
            number: c.number,
            first_name: c.first_name,
            last_name: c.last_name,
            establishment: c.establishment,
            address: c.address,
            postal_code: c.postal_code,
            city: c.city,
            season: season.to_string(),
            waiting_since: since,
            late: now - since > POSTING_DELAY,
        },
        version: u32::try_from(c.version).map_err(|_| ServiceError::Internal("version".into()))?,
        season_year,
    })
}

/// Refuses more than [`MAX_POSTED_PER_CALL`] cards at once.
pub(crate) fn check_posted(ids: &[String]) -> Result<(), ServiceError> {
    if ids.len() > MAX_POSTED_PER_CALL {
        return Err(ServiceError::Invalid {
            field: "card_ids",
            message: format!("Au plus {MAX_POSTED_PER_CALL} cartes par envoi."),
        });
    }
    Ok(())
}

/// The e-mail telling the holder her card is posted: (dedupe key, subject, body).
pub(crate) fn posted_mail(card_id: &str, now: DateTime<Utc>) -> (String, &'static str, String) {
    let date = passregion_core::season::region_date(now).format("%d/%m/%Y");
    (
        format!("expediee:{card_id}:{}", ts(now)),
        "PASS'Région : votre carte est expédiée",
        format!(
            "Bonjour,\n\nVotre PASS'Région a été expédiée le {date}. Dès réception, activez-la dans l'application (« J'ai reçu ma carte »)."
        ),
    )
}
