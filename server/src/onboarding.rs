//! Partner onboarding (FAQ §8–11, §16): an online application, the
//! convention signed with a code sent by SMS, the Region's decision, the
//! yearly minimum of bons plans, and the établissements' thematic referents
//! handed to partners on request. Storage behind [`OnboardingStore`]; the
//! rules (SIRET, phone, code) are in `passregion_core::partner`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use passregion_core::partner::{
    CODE_VALIDITY, CodeError, MIN_BONS_PLANS_PER_SEASON, check_code, masked_phone, mobile_phone,
    signature_code, valid_siret,
};
use passregion_core::{PartnerCategory, Season};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Cached;
use crate::error::{ApiError, ServiceError};
use crate::http::{AppState, Auth, Body, Path, Query, parse_json_body};
use crate::model::{LoginResponse, Principal, Role};
use crate::store::{SqliteStore, new_id, require_role, require_text, sha256_hex, ts};

/// Sends text messages. The demo writes them to a file (`DATA_DIR/sms-outbox.log`),
/// standing in for an SMS gateway.
pub trait SmsSender: Send + Sync + 'static {
    /// Sends `text` to `phone` (+33…).
    fn send(&self, phone: &str, text: &str) -> Result<(), ServiceError>;
}

/// Appends messages to a file, one line each.
pub struct FileSms {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileSms {
    /// Messages go to `path`.
    pub fn new(path: PathBuf) -> FileSms {
        FileSms {
            path,
            lock: Mutex::new(()),
        }
    }
}

impl SmsSender for FileSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), ServiceError> {
        let _g = self.lock.lock().map_err(|_| ServiceError::Unavailable)?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        writeln!(f, "{phone}\t{text}").map_err(|e| ServiceError::Internal(e.to_string()))?;
        tracing::info!(to = %masked_phone(phone), "SMS sent");
        Ok(())
    }
}

/// `POST /api/partners/applications`: a structure applies online.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// Name of the structure.
    pub name: String,
    /// Kind of partnership.
    #[schema(value_type = String, example = "librairie")]
    pub category: PartnerCategory,
    /// SIRET (14 digits).
    pub siret: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude (WGS84), for the partner map.
    pub latitude: Option<f64>,
    /// Longitude (WGS84).
    pub longitude: Option<f64>,
    /// Contact person.
    pub contact_name: String,
    /// Login e-mail of the partner space.
    pub email: String,
    /// Mobile phone that receives the signature code.
    pub phone: String,
    /// Password of the partner space.
    pub password: String,
    /// The Conditions Générales de Partenariat were read and accepted.
    pub accept_conditions: bool,
}

/// Answer to an application.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationResponse {
    /// The partner structure (status `pending`).
    pub partner_id: String,
    /// Where the code went (masked).
    pub code_sent_to: String,
    /// A session in the new partner space, to sign the convention.
    pub session: LoginResponse,
}

/// `POST /api/partner/convention/sign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// The six-digit code received by SMS.
    pub code: String,
}

/// The partner's application as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerStatus {
    /// Partner id.
    pub partner_id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[schema(value_type = String)]
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// `pending`, `validated`, `rejected` or `terminated`.
    pub status: String,
    /// When the convention was signed (by SMS code).
    pub convention_signed_at: Option<DateTime<Utc>>,
    /// The Region's note on its decision.
    pub decision_reason: Option<String>,
    /// Bons plans published (validated) this season.
    pub bons_plans_this_season: u32,
    /// Whether the convention's yearly minimum of bons plans is met.
    pub meets_bons_plans_minimum: bool,
}

/// `POST /api/region/partners/{id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerDecision {
    /// Validate (the partner may accept the PASS) or refuse.
    pub validate: bool,
    /// Required when refusing.
    pub reason: Option<String>,
}

/// A thematic referent of an établissement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Referent {
    /// Id (absent when declaring).
    #[serde(default)]
    pub id: String,
    /// Établissement (absent when declaring: the caller's).
    #[serde(default)]
    pub establishment_id: String,
    /// Établissement name (absent when declaring).
    #[serde(default)]
    pub establishment_name: String,
    /// `sport`, `culture`, `sante` or `administratif`.
    pub theme: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: Option<String>,
}

/// Storage of onboarding.
pub trait OnboardingStore: Send + Sync + 'static {
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
    /// Declares a referent of the caller's établissement.
    fn add_referent(
        &self,
        who: &Principal,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError>;
    /// Referents (of the caller's établissement, or all of a theme for a partner).
    fn referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<Referent>, ServiceError>;
}

const STATUS_SELECT: &str =
    "SELECT p.id, p.name, p.category, p.city, p.status, p.convention_signed_at,
    p.decision_reason,
    (SELECT COUNT(*) FROM bons_plans b WHERE b.partner_id = p.id AND b.status = 'valide'
       AND b.created_at >= ?1 AND b.created_at < ?2)
    FROM partners p";

fn statuses(
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
    let rows = stmt.query_map(params![from, to, arg], |r| {
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
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, cat, city, status, signed, reason, n) = row?;
        out.push(PartnerStatus {
            partner_id: id,
            name,
            category: crate::store::enum_from(&cat)?,
            city,
            status,
            convention_signed_at: signed.as_deref().map(crate::store::parse_ts).transpose()?,
            decision_reason: reason,
            bons_plans_this_season: n,
            meets_bons_plans_minimum: n >= MIN_BONS_PLANS_PER_SEASON,
        });
    }
    Ok(out)
}

fn own_partner(who: &Principal) -> Result<String, ServiceError> {
    require_role(who, Role::Partner)?;
    who.partner
        .as_ref()
        .map(|p| p.0.clone())
        .ok_or(ServiceError::Forbidden)
}

const THEMES: [&str; 4] = ["sport", "culture", "sante", "administratif"];

impl OnboardingStore for SqliteStore {
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
                return Err(ServiceError::EmailTaken);
            }
            let pid = new_id();
            c.exec(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
                 status, created_at, siret, phone, contact_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10, ?11, ?12)",
                params![pid, name, category, address, city, postal, lat, lon, ts(now), siret, phone, contact],
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
                return Err(ServiceError::ConventionAlreadySigned);
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
                return Ok(Err(ServiceError::ConventionAlreadySigned));
            }
            let row: Option<(String, String, u32)> = c
                .query_row(
                    "SELECT code_hash, expires_at, attempts FROM convention_codes WHERE partner_id = ?1",
                    [&pid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((expected, expires, attempts)) = row else {
                return Ok(Err(ServiceError::Code(CodeError::Expired)));
            };
            let expires = crate::store::parse_ts(&expires)?;
            if let Err(e) = check_code(&typed, &expected, expires, attempts, now) {
                c.exec(
                    "UPDATE convention_codes SET attempts = attempts + 1 WHERE partner_id = ?1",
                    [&pid],
                )?;
                return Ok(Err(ServiceError::Code(e)));
            }
            c.exec("UPDATE partners SET convention_signed_at = ?2 WHERE id = ?1", params![pid, ts(now)])?;
            c.exec("DELETE FROM convention_codes WHERE partner_id = ?1", [&pid])?;
            Ok(statuses(c, "p.id = ?3", &pid, now)?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Partenaire")))
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
            if status != "pending" {
                return Err(ServiceError::OrderAlreadyDecided);
            }
            if validate && signed.is_none() {
                return Err(ServiceError::ConventionNotSigned);
            }
            c.exec(
                "UPDATE partners SET status = ?2, decision_reason = ?3 WHERE id = ?1",
                params![id, if validate { "validated" } else { "rejected" }, reason],
            )?;
            statuses(c, "p.id = ?3", &id, now)?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Partenaire"))
        })
    }

    fn add_referent(
        &self,
        who: &Principal,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError> {
        require_role(who, Role::Establishment)?;
        let eid = who
            .establishment_id
            .clone()
            .ok_or(ServiceError::Forbidden)?;
        if !THEMES.contains(&r.theme.as_str()) {
            return Err(ServiceError::Invalid {
                field: "theme",
                message: "Thème : sport, culture, sante ou administratif.".into(),
            });
        }
        let name = require_text("name", &r.name, 80)?;
        let email = crate::store::check_email("email", &r.email)?;
        let phone = r
            .phone
            .as_deref()
            .map(|p| require_text("phone", p, 30))
            .transpose()?;
        let theme = r.theme.clone();
        self.db.write(move |c| {
            let id = new_id();
            c.exec(
                "INSERT INTO referents (id, establishment_id, theme, name, email, phone, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, eid, theme, name, email, phone, ts(now)],
            )?;
            let establishment_name: String = c.one(
                "SELECT name FROM establishments WHERE id = ?1",
                [&eid],
                |r| r.get(0),
            )?;
            Ok(Referent {
                id,
                establishment_id: eid,
                establishment_name,
                theme,
                name,
                email,
                phone,
            })
        })
    }

    fn referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<Referent>, ServiceError> {
        let (clause, arg) = match who.role {
            Role::Establishment => (
                "r.establishment_id = ?1",
                who.establishment_id
                    .clone()
                    .ok_or(ServiceError::Forbidden)?,
            ),
            Role::Partner if who.partner.as_ref().is_some_and(|p| p.2) => {
                ("(?1 = '' OR r.theme = ?1)", theme.unwrap_or("").to_owned())
            }
            Role::Region => ("(?1 = '' OR r.theme = ?1)", theme.unwrap_or("").to_owned()),
            _ => return Err(ServiceError::Forbidden),
        };
        self.db.read(move |c| {
            let sql = format!(
                "SELECT r.id, r.establishment_id, e.name, r.theme, r.name, r.email, r.phone
                 FROM referents r JOIN establishments e ON e.id = r.establishment_id
                 WHERE {clause} ORDER BY e.name, r.theme LIMIT 2000"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([arg], |r| {
                Ok(Referent {
                    id: r.get(0)?,
                    establishment_id: r.get(1)?,
                    establishment_name: r.get(2)?,
                    theme: r.get(3)?,
                    name: r.get(4)?,
                    email: r.get(5)?,
                    phone: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

fn code(state: &AppState) -> String {
    let _ = state;
    signature_code(rand::random())
}

fn sms_text(code: &str) -> String {
    format!(
        "PASS'Région : votre code de signature de la convention de partenariat est {code}. Il est valable 15 minutes."
    )
}

/// Apply to become a partner (public): creates the partner space and sends the
/// signature code by SMS.
#[utoipa::path(post, path = "/api/partners/applications", request_body = ApplicationRequest,
    responses((status = 201, body = ApplicationResponse), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn apply(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<ApplicationResponse>), ApiError> {
    let (req, _) = parse_json_body::<ApplicationRequest>(&headers, &body)?;
    if !req.accept_conditions {
        return Err(ServiceError::Invalid {
            field: "accept_conditions",
            message: "Vous devez accepter les Conditions Générales de Partenariat.".into(),
        }
        .into());
    }
    let siret = valid_siret(&req.siret).ok_or(ServiceError::Invalid {
        field: "siret",
        message: "Le SIRET comporte 14 chiffres (clé de contrôle invalide).".into(),
    })?;
    let phone = mobile_phone(&req.phone).ok_or(ServiceError::Invalid {
        field: "phone",
        message: "Indiquez un numéro de mobile (06 ou 07) pour recevoir le code.".into(),
    })?;
    crate::http::check_new_account(&req.email, &req.password)?;
    let password = req.password.clone();
    let hash = crate::http::blocking(move || {
        crate::auth::hash_password(&password).map_err(|e| ServiceError::Internal(e.to_string()))
    })
    .await?;
    let (code, now) = (code(&s), s.clock.now());
    let (store, sms) = (s.onboarding.clone(), s.sms.clone());
    let text = sms_text(&code);
    let phone2 = phone.clone();
    let (email, contact, category) = (
        req.email.trim().to_lowercase(),
        req.contact_name.trim().to_owned(),
        req.category,
    );
    let (partner_id, account_id) = crate::http::blocking(move || {
        let ids = store.apply(&req, siret, phone2.clone(), hash, &code, now)?;
        sms.send(&phone2, &text)?;
        Ok(ids)
    })
    .await?;
    let session = crate::http::open_session(
        &s,
        crate::model::AccountView {
            id: account_id,
            email,
            role: Role::Partner,
            display_name: contact,
            partner_id: Some(partner_id.clone()),
            partner_category: Some(category),
            establishment_id: None,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApplicationResponse {
            partner_id,
            code_sent_to: masked_phone(&phone),
            session,
        }),
    ))
}

/// Send a new signature code by SMS.
#[utoipa::path(post, path = "/api/partner/convention/code", responses((status = 200)), security(("bearer" = [])))]
pub async fn resend_code(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (code, now) = (code(&s), s.clock.now());
    let (store, sms) = (s.onboarding.clone(), s.sms.clone());
    let sent_to = crate::http::blocking(move || {
        let phone = store.new_code(&p, &code, now)?;
        sms.send(&phone, &sms_text(&code))?;
        Ok(masked_phone(&phone))
    })
    .await?;
    Ok(Json(serde_json::json!({ "code_sent_to": sent_to })))
}

/// Sign the convention with the code received by SMS.
#[utoipa::path(post, path = "/api/partner/convention/sign", request_body = SignRequest,
    responses((status = 200, body = PartnerStatus), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn sign(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PartnerStatus>, ApiError> {
    let (req, _) = parse_json_body::<SignRequest>(&headers, &body)?;
    let (store, now) = (s.onboarding.clone(), s.clock.now());
    crate::http::blocking(move || store.sign(&p, &req.code, now))
        .await
        .map(Json)
}

/// The partner's application and convention, with its bons plans count.
#[utoipa::path(get, path = "/api/partner/status", responses((status = 200, body = PartnerStatus)), security(("bearer" = [])))]
pub async fn my_status(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<PartnerStatus>, ApiError> {
    let (store, now) = (s.onboarding.clone(), s.clock.now());
    crate::http::blocking(move || store.my_status(&p, now))
        .await
        .map(Json)
}

/// Partners for the Region (applications to instruct, bons plans minimum).
#[utoipa::path(get, path = "/api/region/partners", params(("status" = Option<String>, Query)),
    responses((status = 200, body = Vec<PartnerStatus>)), security(("bearer" = [])))]
pub async fn region_partners(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<PartnerStatus>>, ApiError> {
    require_role(&p, Role::Region)?;
    let (store, now) = (s.onboarding.clone(), s.clock.now());
    let status = q.get("status").cloned();
    crate::http::blocking(move || store.partners_for_region(status.as_deref(), now))
        .await
        .map(Json)
}

/// The Region validates or refuses an application (the convention must be signed).
#[utoipa::path(post, path = "/api/region/partners/{id}/decision", request_body = PartnerDecision,
    params(("id" = String, Path)), responses((status = 200, body = PartnerStatus)), security(("bearer" = [])))]
pub async fn decide(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<PartnerStatus>, ApiError> {
    require_role(&p, Role::Region)?;
    let (req, _) = parse_json_body::<PartnerDecision>(&headers, &body)?;
    let (store, now) = (s.onboarding.clone(), s.clock.now());
    crate::http::blocking(move || store.decide(&id, &req, now))
        .await
        .map(Json)
}

/// Declare a thematic referent of the établissement.
#[utoipa::path(post, path = "/api/establishment/referents", request_body = Referent,
    responses((status = 201, body = Referent)), security(("bearer" = [])))]
pub async fn add_referent(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Referent>), ApiError> {
    let (req, _) = parse_json_body::<Referent>(&headers, &body)?;
    let (store, now) = (s.onboarding.clone(), s.clock.now());
    let r = crate::http::blocking(move || store.add_referent(&p, &req, now)).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Referents: the établissement's own, or (partners, Region) by theme.
#[utoipa::path(get, path = "/api/referents", params(("theme" = Option<String>, Query)),
    responses((status = 200, body = Vec<Referent>)), security(("bearer" = [])))]
pub async fn referents(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Json<Vec<Referent>>, ApiError> {
    let store = s.onboarding.clone();
    let theme = q.get("theme").cloned();
    crate::http::blocking(move || store.referents(&p, theme.as_deref()))
        .await
        .map(Json)
}
