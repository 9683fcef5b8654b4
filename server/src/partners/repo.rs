//! Storage of partner applications, conventions and decisions. The rules
//! are in `partners::service`; this file holds the SQL.

use passregion_core::status::{BonPlanStatus, ConventionStatus};

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::Season;
use passregion_core::partner::MIN_BONS_PLANS_PER_SEASON;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::partners::model::ApplicationRequest;
use crate::partners::model::Partner;
use crate::partners::model::PartnerDecision;
use crate::partners::model::PartnerStatus;
use crate::partners::service;
use crate::partners::service::NewApplication;
use crate::partners::service::PartnersTx;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

pub(crate) const STATUS_SELECT: &str =
    "SELECT p.id, p.name, p.category, p.city, p.status, p.convention_signed_at,
    p.decision_reason,
    (SELECT COUNT(*) FROM bons_plans b WHERE b.partner_id = p.id AND b.status = ?4
       AND b.created_at >= ?1 AND b.created_at < ?2)
    FROM partners p";

pub(crate) fn statuses(
    c: &rusqlite::Connection,
    clause: &str,
    arg: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PartnerStatus>, ServiceError> {
    let season = Season::of_instant(now);
    let from = ts(season
        .first_day()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc());
    let to = ts(season
        .next()
        .first_day()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc());
    let sql = format!("{STATUS_SELECT} WHERE {clause} ORDER BY p.name LIMIT 5000");
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(
        params![from, to, arg, BonPlanStatus::Published.as_str()],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, u32>(7)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, cat, city, status, signed, reason, n) = row?;
        out.push(PartnerStatus {
            partner_id: id,
            name,
            category: crate::platform::sql::enum_from(&cat)?,
            city,
            status,
            convention_signed_at: signed
                .as_deref()
                .map(crate::platform::sql::parse_ts)
                .transpose()?,
            decision_reason: reason,
            bons_plans_this_season: n,
            meets_bons_plans_minimum: n >= MIN_BONS_PLANS_PER_SEASON,
        });
    }
    Ok(out)
}

/// Storage and rules of partner onboarding.
pub trait PartnersRepo: Send + Sync + 'static {
    /// Records an application (partner `pending` + its account) and a code.
    fn apply(
        &self,
        req: &ApplicationRequest,
        siret: String,
        phone: String,
        password_hash: String,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, String), ServiceError>;
    /// Stores a new code for the caller's structure; returns its phone.
    fn new_code(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError>;
    /// Signs the convention with the typed code.
    fn sign(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError>;
    /// The caller's structure.
    fn my_status(&self, who: &Principal, now: DateTime<Utc>)
    -> Result<PartnerStatus, ServiceError>;
    /// Partners for the Region, optionally by status.
    fn partners_for_region(
        &self,
        status: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PartnerStatus>, ServiceError>;
    /// The Region's decision.
    fn decide(
        &self,
        id: &str,
        d: &PartnerDecision,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError>;
}

impl PartnersRepo for SqliteStore {
    fn apply(
        &self,
        req: &ApplicationRequest,
        siret: String,
        phone: String,
        password_hash: String,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, String), ServiceError> {
        let app = service::check_fields(req, siret, phone, password_hash, code, now)?;
        self.db.write(move |c| service::apply(c, &app))
    }

    fn new_code(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let pid = service::own_partner(who)?;
        let code = code.to_owned();
        self.db
            .write(move |c| service::new_code(c, &pid, &code, now))
    }

    fn sign(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError> {
        let pid = service::own_partner(who)?;
        let code = code.to_owned();
        self.db
            .write_outcome(move |c| service::sign(c, &pid, &code, now))
    }

    fn my_status(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError> {
        let pid = service::own_partner(who)?;
        self.db.read(move |c| {
            statuses(c, "p.id = ?3", &pid, now)?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Partenaire"))
        })
    }

    fn partners_for_region(
        &self,
        status: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PartnerStatus>, ServiceError> {
        let status = status.unwrap_or("").to_owned();
        self.db
            .read(move |c| statuses(c, "(?3 = '' OR p.status = ?3)", &status, now))
    }

    fn decide(
        &self,
        id: &str,
        d: &PartnerDecision,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError> {
        let decision = service::check_decision(d)?;
        let id = id.to_owned();
        self.db
            .write(move |c| service::decide(c, &id, &decision, now))
    }
}

impl PartnersTx for Connection {
    fn email_taken(&self, email: &str) -> Result<bool, ServiceError> {
        Ok(self
            .query_row("SELECT 1 FROM accounts WHERE email = ?1", [email], |_| {
                Ok(true)
            })
            .optional()?
            .unwrap_or(false))
    }

    fn insert_application(&self, a: &NewApplication) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
             status, created_at, siret, phone, contact_name)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?13, ?9, ?10, ?11, ?12)",
            params![
                a.partner_id,
                a.name,
                a.category,
                a.address,
                a.city,
                a.postal_code,
                a.latitude,
                a.longitude,
                ts(a.created_at),
                a.siret,
                a.phone,
                a.contact_name,
                a.status.as_str()
            ],
        )?;
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id, created_at,
             email_verified_at, partner_role) VALUES (?1, ?2, ?3, 'partner', ?4, ?5, ?6, ?6, 'manager')",
            params![
                a.account_id,
                a.email,
                a.password_hash,
                a.contact_name,
                a.partner_id,
                ts(a.created_at)
            ],
        )?;
        self.exec(
            "INSERT INTO convention_codes (partner_id, code_hash, expires_at, window_start, sends)
             VALUES (?1, ?2, ?3, ?4, 1)",
            params![
                a.partner_id,
                a.code_hash,
                ts(a.code_expires_at),
                ts(a.created_at)
            ],
        )?;
        Ok(())
    }

    fn phone_and_signature(
        &self,
        partner_id: &str,
    ) -> Result<(Option<String>, bool), ServiceError> {
        let (phone, signed): (Option<String>, Option<String>) = self.one(
            "SELECT phone, convention_signed_at FROM partners WHERE id = ?1",
            [partner_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((phone, signed.is_some()))
    }

    fn convention_signed(&self, partner_id: &str) -> Result<bool, ServiceError> {
        let signed: Option<String> = self.one(
            "SELECT convention_signed_at FROM partners WHERE id = ?1",
            [partner_id],
            |r| r.get(0),
        )?;
        Ok(signed.is_some())
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

    fn record_signature(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partners SET convention_signed_at = ?2 WHERE id = ?1",
            params![partner_id, ts(now)],
        )?;
        self.exec(
            "DELETE FROM convention_codes WHERE partner_id = ?1",
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
        Ok(statuses(self, "p.id = ?3", partner_id, now)?
            .into_iter()
            .next())
    }
}

/// The partner directory.
pub trait DirectoryRepo: Send + Sync + 'static {
    /// Validated partners (public directory).
    fn partners(
        &self,
        q: Option<&str>,
        category: Option<PartnerCategory>,
    ) -> Result<Vec<Partner>, ServiceError>;
}

impl DirectoryRepo for SqliteStore {
    fn partners(
        &self,
        q: Option<&str>,
        category: Option<PartnerCategory>,
    ) -> Result<Vec<Partner>, ServiceError> {
        let pattern = format!("%{}%", q.unwrap_or("").trim().to_lowercase());
        let cat = category.map(|c| c.code().to_owned()).unwrap_or_default();
        self.db.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, category, address, city, postal_code, latitude, longitude
                 FROM partners WHERE status = ?3
                 AND (lower(name) LIKE ?1 OR lower(city) LIKE ?1)
                 AND (?2 = '' OR category = ?2) ORDER BY name LIMIT 5000",
            )?;
            let validated = ConventionStatus::Validated.as_str();
            let rows = stmt.query_map(params![pattern, cat, validated], |r| {
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
