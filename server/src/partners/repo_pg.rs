//! Partners on PostgreSQL (ADR 0036): the SQL of `partners::repo` (codes, SMS counts, decisions, listings, the directory) in PostgreSQL's dialect. The rules stay in `partners::{service, convention, application}`; every write of a partner's application locks the partner's row first (`lock_partner`), so its read-modify-writes (code attempts, stage changes) are serialised across instances.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::season::region_date;
use passregion_core::status::BonPlanStatus;
use passregion_core::status::ConventionStatus;
use r2d2_postgres::postgres::Transaction;

use crate::error::ServiceError;
use crate::partners::application::ApplicationsTx;
use crate::partners::model::Partner;
use crate::partners::model::PartnerStatus;
use crate::partners::repo::DirectoryRepo;
use crate::partners::repo::directory_args;
use crate::partners::repo::directory_sql;
use crate::partners::repo::season_bounds;
use crate::partners::repo::status_of;
use crate::partners::service::CodeWindow;
use crate::partners::service::PartnersTx;
use crate::platform::pg::PgTx;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// SQLite's numbered placeholders (`?N`) as PostgreSQL's (`$N`), for the
/// SQL shared by both engines (it has no other question mark).
pub(crate) fn pg_sql(sql: &str) -> String {
    sql.replace('?', "$")
}

/// Locks a partner's row until the end of the transaction: the writes of
/// one application (its code and attempts, its stage) run one at a time
/// across instances. An unknown partner locks nothing (the rule answers 404).
pub(crate) fn lock_partner(tx: &mut Transaction<'_>, partner_id: &str) -> Result<(), ServiceError> {
    tx.execute(
        "SELECT 1 FROM partners WHERE id = $1 FOR UPDATE",
        &[&partner_id],
    )?;
    Ok(())
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Bons plans published this season and the last debit of a partner.
pub(crate) fn activity(
    tx: &mut Transaction<'_>,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<(u32, Option<DateTime<Utc>>), ServiceError> {
    let (from, until) = season_bounds(now);
    let n: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM bons_plans WHERE partner_id = $1 AND status = $2
             AND created_at >= $3 AND created_at < $4",
            &[
                &partner_id,
                &BonPlanStatus::Published.as_str(),
                &from,
                &until,
            ],
        )?
        .try_get(0)?;
    let last: Option<String> = tx
        .query_opt(
            "SELECT created_at FROM transactions WHERE partner_id = $1 ORDER BY seq DESC LIMIT 1",
            &[&partner_id],
        )?
        .map(|r| r.try_get(0))
        .transpose()?;
    Ok((u32_of(n), last.as_deref().map(parse_ts).transpose()?))
}

/// The partners matching `clause` (over `partners p`, with `$1` bound to
/// `arg`), as listed for the Region or the partner itself.
pub(crate) fn statuses(
    tx: &PgTx<'_, '_>,
    clause: &str,
    arg: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PartnerStatus>, ServiceError> {
    let ids: Vec<String> = tx.with(|t| {
        t.query(
            &format!("SELECT p.id FROM partners p WHERE {clause} ORDER BY p.name LIMIT 5000"),
            &[&arg],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect::<Result<_, ServiceError>>()
    })?;
    let today = region_date(now);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(row) = tx.partner_row(&id)? else {
            continue;
        };
        let act = tx.with(|t| activity(t, &id, now))?;
        out.push(status_of(row, act, today));
    }
    Ok(out)
}

impl PartnersTx for PgTx<'_, '_> {
    fn phone(&self, partner_id: &str) -> Result<Option<String>, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt("SELECT phone FROM partners WHERE id = $1", &[&partner_id])?
                .map(|r| r.try_get::<_, Option<String>>(0))
                .transpose()?
                .flatten())
        })
    }

    fn store_code(
        &self,
        partner_id: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
        window: &CodeWindow,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO convention_codes (partner_id, code_hash, expires_at, attempts, window_start, sends)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (partner_id) DO UPDATE SET code_hash = excluded.code_hash,
                 expires_at = excluded.expires_at, attempts = excluded.attempts,
                 window_start = excluded.window_start, sends = excluded.sends",
                &[
                    &partner_id,
                    &code_hash,
                    &ts(expires_at),
                    &i64::from(window.attempts),
                    &ts(window.start),
                    &i64::from(window.sends),
                ],
            )?;
            Ok(())
        })
    }

    fn code_window(&self, partner_id: &str) -> Result<Option<CodeWindow>, ServiceError> {
        self.with(|tx| {
            let Some(r) = tx.query_opt(
                "SELECT window_start, sends, attempts FROM convention_codes WHERE partner_id = $1",
                &[&partner_id],
            )?
            else {
                return Ok(None);
            };
            let start: Option<String> = r.try_get(0)?;
            Ok(Some(CodeWindow {
                // A code stored before the limits existed starts its day now.
                start: start
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?
                    .unwrap_or_default(),
                sends: u32_of(r.try_get(1)?),
                attempts: u32_of(r.try_get(2)?),
            }))
        })
    }

    fn sms_sent_since(&self, phone_hash: &str, since: DateTime<Utc>) -> Result<u32, ServiceError> {
        self.with(|tx| {
            // Two applications texting one number on two instances: the
            // count and the send it allows (`record_sms`) are one step.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('sms:' || $1, 0))",
                &[&phone_hash],
            )?;
            let n: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM sms_sends WHERE phone_hash = $1 AND sent_at >= $2",
                    &[&phone_hash, &ts(since)],
                )?
                .try_get(0)?;
            Ok(u32_of(n))
        })
    }

    fn record_sms(&self, phone_hash: &str, at: DateTime<Utc>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO sms_sends (phone_hash, sent_at) VALUES ($1, $2)",
                &[&phone_hash, &ts(at)],
            )?;
            Ok(())
        })
    }

    fn code(&self, partner_id: &str) -> Result<Option<(String, DateTime<Utc>, u32)>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT code_hash, expires_at, attempts FROM convention_codes WHERE partner_id = $1",
                &[&partner_id],
            )?
            .map(|r| {
                let expires: String = r.try_get(1)?;
                Ok((r.try_get(0)?, parse_ts(&expires)?, u32_of(r.try_get(2)?)))
            })
            .transpose()
        })
    }

    fn count_code_attempt(&self, partner_id: &str) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE convention_codes SET attempts = attempts + 1 WHERE partner_id = $1",
                &[&partner_id],
            )?;
            Ok(())
        })
    }

    fn decision_state(&self, partner_id: &str) -> Result<Option<(String, bool)>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT status, convention_signed_at IS NOT NULL FROM partners WHERE id = $1",
                &[&partner_id],
            )?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
        })
    }

    fn set_partner_status(
        &self,
        partner_id: &str,
        status: ConventionStatus,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE partners SET status = $2, decision_reason = $3 WHERE id = $1",
                &[&partner_id, &status.as_str(), &reason],
            )?;
            Ok(())
        })
    }

    fn partner_status(
        &self,
        partner_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PartnerStatus>, ServiceError> {
        Ok(statuses(self, "p.id = $1", partner_id, now)?
            .into_iter()
            .next())
    }
}

impl DirectoryRepo for PgStore {
    fn partners(
        &self,
        q: Option<&str>,
        category: Option<PartnerCategory>,
        today: NaiveDate,
    ) -> Result<Vec<Partner>, ServiceError> {
        let (pattern, cat) = directory_args(q, category);
        self.pool.read(|tx| {
            tx.query(
                &pg_sql(&directory_sql()),
                &[&pattern, &cat, &today.to_string()],
            )?
            .iter()
            .map(|r| {
                let category: String = r.try_get(2)?;
                Ok(Partner {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    category: enum_from(&category)?,
                    address: r.try_get(3)?,
                    city: r.try_get(4)?,
                    postal_code: r.try_get(5)?,
                    latitude: r.try_get(6)?,
                    longitude: r.try_get(7)?,
                })
            })
            .collect()
        })
    }
}
