//! Storage of partner applications, conventions and decisions. The rules
//! are in `partners::service`, `partners::application` and
//! `partners::convention`; this file holds the SQL of the codes and the
//! directory, and the repository the handlers call.

use passregion_core::status::{BonPlanStatus, ConventionStatus};

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::Season;
use passregion_core::application::standing;
use passregion_core::partner::MIN_BONS_PLANS_PER_SEASON;
use passregion_core::season::region_date;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::error::ServiceError;
use crate::partners::application::ApplicationsTx;
use crate::partners::model::Partner;
use crate::partners::model::PartnerStatus;
use crate::partners::service::PartnersTx;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// The SQL condition of a partner whose convention is in force on the day
/// bound to parameter `?{day}` (`YYYY-MM-DD`): the same rule as the core's
/// `application::standing`, for the directory and listings.
pub(crate) fn in_force_sql(alias: &str, day: usize) -> String {
    format!(
        "({alias}.status = 'validated' AND {alias}.suspended_at IS NULL
          AND ({alias}.terminates_on IS NULL OR {alias}.terminates_on > ?{day})
          AND ({alias}.convention_ends_on IS NULL OR {alias}.convention_ends_on >= ?{day}))"
    )
}

/// The instants (`ts`) the season of `now` starts and the next one starts:
/// the bons plans counted for a partner's activity are created in between.
pub(crate) fn season_bounds(now: DateTime<Utc>) -> (String, String) {
    let season = Season::of_instant(now);
    let bound = |d: NaiveDate| ts(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    (bound(season.first_day()), bound(season.next().first_day()))
}

/// A partner as listed, from its row and its activity (bons plans this
/// season, last debit).
pub(crate) fn status_of(
    row: crate::partners::application::PartnerRow,
    (n, last): (u32, Option<DateTime<Utc>>),
    today: NaiveDate,
) -> PartnerStatus {
    PartnerStatus {
        stage: row.stage(),
        standing: standing(row.convention_facts(), today),
        partner_id: row.id,
        name: row.name,
        category: row.category,
        city: row.city,
        status: row.status.as_str().to_owned(),
        convention_signed_at: row.convention_signed_at,
        convention_ends_on: row.convention_ends_on,
        decision_reason: row.decision_reason,
        bons_plans_this_season: n,
        meets_bons_plans_minimum: n >= MIN_BONS_PLANS_PER_SEASON,
        last_activity_at: last,
    }
}

/// Bons plans published this season and the last debit of a partner.
pub(crate) fn activity(
    c: &Connection,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<(u32, Option<DateTime<Utc>>), ServiceError> {
    let (from, until) = season_bounds(now);
    let n: u32 = c.one(
        "SELECT COUNT(*) FROM bons_plans WHERE partner_id = ?1 AND status = ?2
         AND created_at >= ?3 AND created_at < ?4",
        params![partner_id, BonPlanStatus::Published.as_str(), from, until],
        |r| r.get(0),
    )?;
    let last: Option<String> = c
        .query_row(
            "SELECT created_at FROM transactions WHERE partner_id = ?1 ORDER BY seq DESC LIMIT 1",
            [partner_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok((n, last.as_deref().map(parse_ts).transpose()?))
}

/// The partners matching `clause` (over `partners p`, with `?1` bound to
/// `arg`), as listed for the Region or the partner itself.
pub(crate) fn statuses(
    c: &Connection,
    clause: &str,
    arg: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PartnerStatus>, ServiceError> {
    let sql = format!("SELECT p.id FROM partners p WHERE {clause} ORDER BY p.name LIMIT 5000");
    let ids: Vec<String> = {
        let mut stmt = c.prepare(&sql)?;
        let rows = stmt.query_map([arg], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let today = region_date(now);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(row) = c.partner_row(&id)? else {
            continue;
        };
        out.push(status_of(row, activity(c, &id, now)?, today));
    }
    Ok(out)
}

impl PartnersTx for Connection {
    fn phone(&self, partner_id: &str) -> Result<Option<String>, ServiceError> {
        Ok(self
            .query_row(
                "SELECT phone FROM partners WHERE id = ?1",
                [partner_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    fn store_code(
        &self,
        partner_id: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
        window: &crate::partners::service::CodeWindow,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO convention_codes (partner_id, code_hash, expires_at, attempts, window_start, sends)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (partner_id) DO UPDATE SET code_hash = excluded.code_hash,
             expires_at = excluded.expires_at, attempts = excluded.attempts,
             window_start = excluded.window_start, sends = excluded.sends",
            params![
                partner_id,
                code_hash,
                ts(expires_at),
                window.attempts,
                ts(window.start),
                window.sends
            ],
        )?;
        Ok(())
    }

    fn code_window(
        &self,
        partner_id: &str,
    ) -> Result<Option<crate::partners::service::CodeWindow>, ServiceError> {
        let row: Option<(Option<String>, u32, u32)> = self
            .query_row(
                "SELECT window_start, sends, attempts FROM convention_codes WHERE partner_id = ?1",
                [partner_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(start, sends, attempts)| {
            Ok(crate::partners::service::CodeWindow {
                // A code stored before the limits existed starts its day now.
                start: start
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?
                    .unwrap_or_default(),
                sends,
                attempts,
            })
        })
        .transpose()
    }

    fn sms_sent_since(&self, phone_hash: &str, since: DateTime<Utc>) -> Result<u32, ServiceError> {
        Ok(self.one(
            "SELECT COUNT(*) FROM sms_sends WHERE phone_hash = ?1 AND sent_at >= ?2",
            params![phone_hash, ts(since)],
            |r| r.get(0),
        )?)
    }

    fn record_sms(&self, phone_hash: &str, at: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO sms_sends (phone_hash, sent_at) VALUES (?1, ?2)",
            params![phone_hash, ts(at)],
        )?;
        Ok(())
    }

    fn code(&self, partner_id: &str) -> Result<Option<(String, DateTime<Utc>, u32)>, ServiceError> {
        let row: Option<(String, String, u32)> = self
            .query_row(
                "SELECT code_hash, expires_at, attempts FROM convention_codes WHERE partner_id = ?1",
                [partner_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(hash, expires, attempts)| Ok((hash, parse_ts(&expires)?, attempts)))
            .transpose()
    }

    fn count_code_attempt(&self, partner_id: &str) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE convention_codes SET attempts = attempts + 1 WHERE partner_id = ?1",
            [partner_id],
        )?;
        Ok(())
    }

    fn decision_state(&self, partner_id: &str) -> Result<Option<(String, bool)>, ServiceError> {
        let row: Option<(String, Option<String>)> = self
            .query_row(
                "SELECT status, convention_signed_at FROM partners WHERE id = ?1",
                [partner_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(status, signed)| (status, signed.is_some())))
    }

    fn set_partner_status(
        &self,
        partner_id: &str,
        status: ConventionStatus,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partners SET status = ?2, decision_reason = ?3 WHERE id = ?1",
            params![partner_id, status.as_str(), reason],
        )?;
        Ok(())
    }

    fn partner_status(
        &self,
        partner_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PartnerStatus>, ServiceError> {
        Ok(statuses(self, "p.id = ?1", partner_id, now)?
            .into_iter()
            .next())
    }
}

/// The directory's query: partners in force on `?3`, whose name or city
/// contains `?1` (lower case; ASCII letters compared ignoring case), of
/// category `?2` (all when empty).
pub(crate) fn directory_sql() -> String {
    format!(
        "SELECT id, name, category, address, city, postal_code, latitude, longitude
         FROM partners p WHERE {in_force}
         AND (lower(name) LIKE ?1 OR lower(city) LIKE ?1)
         AND (?2 = '' OR category = ?2) ORDER BY name LIMIT 5000",
        in_force = in_force_sql("p", 3)
    )
}

/// The directory's pattern and category parameters.
pub(crate) fn directory_args(
    q: Option<&str>,
    category: Option<PartnerCategory>,
) -> (String, String) {
    (
        format!("%{}%", q.unwrap_or("").trim().to_lowercase()),
        category.map(|c| c.code().to_owned()).unwrap_or_default(),
    )
}

/// The partner directory.
pub trait DirectoryRepo: Send + Sync + 'static {
    /// Validated partners (public directory).
    fn partners(
        &self,
        q: Option<&str>,
        category: Option<PartnerCategory>,
        today: NaiveDate,
    ) -> Result<Vec<Partner>, ServiceError>;
}

impl DirectoryRepo for SqliteStore {
    fn partners(
        &self,
        q: Option<&str>,
        category: Option<PartnerCategory>,
        today: NaiveDate,
    ) -> Result<Vec<Partner>, ServiceError> {
        let (pattern, cat) = directory_args(q, category);
        self.db.read(move |c| {
            let sql = directory_sql();
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![pattern, cat, today.to_string()], |r| {
                let category: String = r.get(2)?;
                Ok((
                    category,
                    Partner {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        category: PartnerCategory::Librairie,
                        address: r.get(3)?,
                        city: r.get(4)?,
                        postal_code: r.get(5)?,
                        latitude: r.get(6)?,
                        longitude: r.get(7)?,
                    },
                ))
            })?;
            let mut out = Vec::new();
            for r in rows {
                let (cat, mut p) = r?;
                p.category = enum_from(&cat)?;
                out.push(p);
            }
            Ok(out)
        })
    }
}
