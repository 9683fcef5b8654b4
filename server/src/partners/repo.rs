//! Storage of partner applications, conventions and decisions.

use crate::platform::db::Outcome;

use passregion_core::status::{BonPlanStatus, ConventionStatus};

use crate::accounts::error::AccountsError;
use crate::cards::error::CardsError;
use crate::partners::error::PartnersError;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::Season;
use passregion_core::partner::CODE_VALIDITY;
use passregion_core::partner::CodeError;
use passregion_core::partner::MIN_BONS_PLANS_PER_SEASON;
use passregion_core::partner::check_code;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::error::ServiceError;
use crate::partners::model::ApplicationRequest;
use crate::partners::model::Partner;
use crate::partners::model::PartnerDecision;
use crate::partners::model::PartnerStatus;
use crate::platform::sql::enum_from;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;
use crate::platform::sql::sha256_hex;
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

pub(crate) fn own_partner(who: &Principal) -> Result<String, ServiceError> {
    require_role(who, Role::Partner)?;
    who.partner
        .as_ref()
        .map(|p| p.0.clone())
        .ok_or(ServiceError::Forbidden)
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
        let name = require_text("name", &req.name, 120)?;
        let address = require_text("address", &req.address, 200)?;
        let city = require_text("city", &req.city, 80)?;
        let contact = require_text("contact_name", &req.contact_name, 80)?;
        let postal = req.postal_code.trim().to_owned();
        if postal.len() != 5 || !postal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ServiceError::Invalid {
                field: "postal_code",
                message: "Le code postal comporte 5 chiffres.".into(),
            });
        }
        let lat = req.latitude.unwrap_or(45.76);
        let lon = req.longitude.unwrap_or(4.84);
        if !(40.0..=52.0).contains(&lat) || !(-6.0..=10.0).contains(&lon) {
            return Err(ServiceError::Invalid {
                field: "latitude",
                message: "Coordonnées hors de France métropolitaine.".into(),
            });
        }
        let email = req.email.trim().to_lowercase();
        let category = req.category.code().to_owned();
        let code_hash = sha256_hex(code.as_bytes());
        self.db.write(move |c| {
            let taken: bool = c
                .query_row("SELECT 1 FROM accounts WHERE email = ?1", [&email], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if taken {
                return Err(ServiceError::Accounts(AccountsError::EmailTaken));
            }
            let pid = new_id();
            c.exec(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
                 status, created_at, siret, phone, contact_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?13, ?9, ?10, ?11, ?12)",
                params![pid, name, category, address, city, postal, lat, lon, ts(now), siret, phone, contact, ConventionStatus::Pending.as_str()],
            )?;
            let aid = new_id();
            c.exec(
                "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id, created_at)
                 VALUES (?1, ?2, ?3, 'partner', ?4, ?5, ?6)",
                params![aid, email, password_hash, contact, pid, ts(now)],
            )?;
            c.exec(
                "INSERT INTO convention_codes (partner_id, code_hash, expires_at) VALUES (?1, ?2, ?3)",
                params![pid, code_hash, ts(now + CODE_VALIDITY)],
            )?;
            Ok((pid, aid))
        })
    }

    fn new_code(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let pid = own_partner(who)?;
        let code_hash = sha256_hex(code.as_bytes());
        self.db.write(move |c| {
            let (phone, signed): (Option<String>, Option<String>) = c.one(
                "SELECT phone, convention_signed_at FROM partners WHERE id = ?1",
                [&pid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if signed.is_some() {
                return Err(ServiceError::Partners(PartnersError::ConventionAlreadySigned));
            }
            let phone = phone.ok_or(ServiceError::NotFound("Téléphone"))?;
            c.exec(
                "INSERT INTO convention_codes (partner_id, code_hash, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (partner_id) DO UPDATE SET code_hash = excluded.code_hash,
                 expires_at = excluded.expires_at, attempts = 0",
                params![pid, code_hash, ts(now + CODE_VALIDITY)],
            )?;
            Ok(phone)
        })
    }

    fn sign(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError> {
        let pid = own_partner(who)?;
        let typed = sha256_hex(code.trim().as_bytes());
        self.db.write_outcome(move |c| {
            let signed: Option<String> =
                c.one("SELECT convention_signed_at FROM partners WHERE id = ?1", [&pid], |r| r.get(0))?;
            if signed.is_some() {
                return Ok(Outcome::CommitAndRefuse(ServiceError::Partners(PartnersError::ConventionAlreadySigned)));
            }
            let row: Option<(String, String, u32)> = c
                .query_row(
                    "SELECT code_hash, expires_at, attempts FROM convention_codes WHERE partner_id = ?1",
                    [&pid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((expected, expires, attempts)) = row else {
                return Ok(Outcome::CommitAndRefuse(ServiceError::Partners(PartnersError::Code(CodeError::Expired))));
            };
            let expires = crate::platform::sql::parse_ts(&expires)?;
            if let Err(e) = check_code(&typed, &expected, expires, attempts, now) {
                c.exec(
                    "UPDATE convention_codes SET attempts = attempts + 1 WHERE partner_id = ?1",
                    [&pid],
                )?;
                return Ok(Outcome::CommitAndRefuse(ServiceError::Partners(PartnersError::Code(e))));
            }
            c.exec("UPDATE partners SET convention_signed_at = ?2 WHERE id = ?1", params![pid, ts(now)])?;
            c.exec("DELETE FROM convention_codes WHERE partner_id = ?1", [&pid])?;
            Ok(Outcome::from(statuses(c, "p.id = ?3", &pid, now)?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Partenaire"))))
        })
    }

    fn my_status(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError> {
        let pid = own_partner(who)?;
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
        let reason = match (d.validate, d.reason.as_deref()) {
            (false, None) => {
                return Err(ServiceError::Invalid {
                    field: "reason",
                    message: "Indiquez le motif du refus.".into(),
                });
            }
            (_, Some(r)) => Some(require_text("reason", r, 500)?),
            (true, None) => None,
        };
        let (id, validate) = (id.to_owned(), d.validate);
        self.db.write(move |c| {
            let row: Option<(String, Option<String>)> = c
                .query_row(
                    "SELECT status, convention_signed_at FROM partners WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((status, signed)) = row else {
                return Err(ServiceError::NotFound("Partenaire"));
            };
            if status != ConventionStatus::Pending.as_str() {
                return Err(ServiceError::Cards(CardsError::OrderAlreadyDecided));
            }
            if validate && signed.is_none() {
                return Err(ServiceError::Partners(PartnersError::ConventionNotSigned));
            }
            c.exec(
                "UPDATE partners SET status = ?2, decision_reason = ?3 WHERE id = ?1",
                params![
                    id,
                    if validate {
                        ConventionStatus::Validated
                    } else {
                        ConventionStatus::Rejected
                    }
                    .as_str(),
                    reason
                ],
            )?;
            statuses(c, "p.id = ?3", &id, now)?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Partenaire"))
        })
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
