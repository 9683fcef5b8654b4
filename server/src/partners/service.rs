//! The rules of partner onboarding: what an application must hold, the
//! convention signed with the SMS code (core `check_code`, a failed attempt
//! counted), the Region's decision (`pending` → `validated` / `rejected`,
//! validation needs the signed convention). Writes go through the
//! storage-only `PartnersTx` trait, implemented for SQLite in `partners/repo.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::partner::CODE_VALIDITY;
use passregion_core::partner::CodeError;
use passregion_core::partner::check_code;
use passregion_core::partner::may_send_code;
use passregion_core::status::ConventionStatus;

pub(crate) use crate::accounts::own_partner;

use crate::accounts::error::AccountsError;
use crate::cards::error::CardsError;
use crate::error::ServiceError;
use crate::partners::error::PartnersError;
use crate::partners::model::ApplicationRequest;
use crate::partners::model::PartnerDecision;
use crate::partners::model::PartnerStatus;
use crate::platform::db::Outcome;
use crate::platform::sql::check_postal_code;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;
use crate::platform::sql::sha256_hex;

/// The storage of partner onboarding inside the writer's transaction. SQL
/// only, no rule.
pub(crate) trait PartnersTx {
    /// Whether an account already uses the e-mail.
    fn email_taken(&self, email: &str) -> Result<bool, ServiceError>;
    /// Writes the partner, its account and its first code.
    fn insert_application(&self, app: &NewApplication) -> Result<(), ServiceError>;
    /// The partner's phone, and whether its convention is signed.
    fn phone_and_signature(&self, partner_id: &str)
    -> Result<(Option<String>, bool), ServiceError>;
    /// Whether the partner's convention is signed.
    fn convention_signed(&self, partner_id: &str) -> Result<bool, ServiceError>;
    /// Stores (or replaces) the partner's code, with its day's counts.
    fn store_code(
        &self,
        partner_id: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
        window: &CodeWindow,
    ) -> Result<(), ServiceError>;
    /// The day's counts of the partner's codes, if it has one.
    fn code_window(&self, partner_id: &str) -> Result<Option<CodeWindow>, ServiceError>;
    /// How many SMS went to this (hashed) number since `since`.
    fn sms_sent_since(&self, phone_hash: &str, since: DateTime<Utc>) -> Result<u32, ServiceError>;
    /// Records an SMS sent to this (hashed) number.
    fn record_sms(&self, phone_hash: &str, at: DateTime<Utc>) -> Result<(), ServiceError>;
    /// The partner's code: its hash, expiry and failed attempts.
    fn code(&self, partner_id: &str) -> Result<Option<(String, DateTime<Utc>, u32)>, ServiceError>;
    /// Counts one more failed attempt on the partner's code.
    fn count_code_attempt(&self, partner_id: &str) -> Result<(), ServiceError>;
    /// Records the signature and deletes the code.
    fn record_signature(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// The partner's status and whether its convention is signed.
    fn decision_state(&self, partner_id: &str) -> Result<Option<(String, bool)>, ServiceError>;
    /// Stores the Region's decision.
    fn set_partner_status(
        &self,
        partner_id: &str,
        status: ConventionStatus,
        reason: Option<&str>,
    ) -> Result<(), ServiceError>;
    /// The partner as it sees its structure.
    fn partner_status(
        &self,
        partner_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PartnerStatus>, ServiceError>;
}

/// A checked application, ready to be stored.
#[derive(Debug)]
pub(crate) struct NewApplication {
    pub(crate) partner_id: String,
    pub(crate) account_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) address: String,
    pub(crate) city: String,
    pub(crate) postal_code: String,
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    pub(crate) siret: String,
    pub(crate) phone: String,
    pub(crate) contact_name: String,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) status: ConventionStatus,
    pub(crate) code_hash: String,
    pub(crate) code_expires_at: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
}

/// Checks the fields of an application stored as given (texts, postal code,
/// coordinates in metropolitan France); the partner starts `pending`.
pub(crate) fn check_fields(
    req: &ApplicationRequest,
    siret: String,
    phone: String,
    password_hash: String,
    code: &str,
    now: DateTime<Utc>,
) -> Result<NewApplication, ServiceError> {
    let name = require_text("name", &req.name, 120)?;
    let address = require_text("address", &req.address, 200)?;
    let city = require_text("city", &req.city, 80)?;
    let contact_name = require_text("contact_name", &req.contact_name, 80)?;
    let postal_code = check_postal_code(&req.postal_code)?;
    let latitude = req.latitude.unwrap_or(45.76);
    let longitude = req.longitude.unwrap_or(4.84);
    if !(40.0..=52.0).contains(&latitude) || !(-6.0..=10.0).contains(&longitude) {
        return Err(ServiceError::Invalid {
            field: "latitude",
            message: "Coordonnées hors de France métropolitaine.".into(),
        });
    }
    Ok(NewApplication {
        partner_id: new_id(),
        account_id: new_id(),
        name,
        category: req.category.code().to_owned(),
        address,
        city,
        postal_code,
        latitude,
        longitude,
        siret,
        phone,
        contact_name,
        email: req.email.trim().to_lowercase(),
        password_hash,
        status: ConventionStatus::Pending,
        code_hash: sha256_hex(code.as_bytes()),
        code_expires_at: now + CODE_VALIDITY,
        created_at: now,
    })
}

/// Stores a checked application unless its e-mail is taken; returns the
/// partner's and the account's ids.
pub(crate) fn apply(
    tx: &dyn PartnersTx,
    app: &NewApplication,
) -> Result<(String, String), ServiceError> {
    if tx.email_taken(&app.email)? {
        return Err(ServiceError::Accounts(AccountsError::EmailTaken));
    }
    count_sms(tx, &app.phone, 0, app.created_at)?;
    tx.insert_application(app)?;
    Ok((app.partner_id.clone(), app.account_id.clone()))
}

/// The counts of an application's codes over its current day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CodeWindow {
    /// When the day began (the first code of the day).
    pub(crate) start: DateTime<Utc>,
    /// Codes sent since.
    pub(crate) sends: u32,
    /// Wrong codes typed since (not reset by a resend).
    pub(crate) attempts: u32,
}

/// The window over which codes and their attempts are counted.
pub(crate) const CODE_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// Refuses an SMS to `phone` when the number already got
/// `MAX_SMS_PER_PHONE_PER_DAY` today (an application sends one to any
/// number); records it otherwise.
pub(crate) fn count_sms(
    tx: &dyn PartnersTx,
    phone: &str,
    sends: u32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let hash = sha256_hex(phone.as_bytes());
    let to_phone = tx.sms_sent_since(&hash, now - CODE_WINDOW)?;
    may_send_code(sends, to_phone).map_err(|e| ServiceError::Partners(PartnersError::Code(e)))?;
    tx.record_sms(&hash, now)
}

/// Stores a new code for a partner whose convention is not signed yet;
/// returns the phone to send it to. At most `MAX_CODE_SENDS_PER_DAY` codes
/// per application and `MAX_SMS_PER_PHONE_PER_DAY` SMS per number in a day;
/// the wrong attempts of the day carry over to the new code.
pub(crate) fn new_code(
    tx: &dyn PartnersTx,
    partner_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let (phone, signed) = tx.phone_and_signature(partner_id)?;
    if signed {
        return Err(ServiceError::Partners(
            PartnersError::ConventionAlreadySigned,
        ));
    }
    let phone = phone.ok_or(ServiceError::NotFound("Téléphone"))?;
    let window = match tx.code_window(partner_id)? {
        Some(w) if now - w.start < CODE_WINDOW => w,
        _ => CodeWindow {
            start: now,
            sends: 0,
            attempts: 0,
        },
    };
    count_sms(tx, &phone, window.sends, now)?;
    tx.store_code(
        partner_id,
        &sha256_hex(code.as_bytes()),
        now + CODE_VALIDITY,
        &CodeWindow {
            sends: window.sends + 1,
            ..window
        },
    )?;
    Ok(phone)
}

/// Signs the convention with the typed code (core `check_code`); a wrong,
/// expired or exhausted code is refused and its attempt still committed.
pub(crate) fn sign(
    tx: &dyn PartnersTx,
    partner_id: &str,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Outcome<PartnerStatus>, ServiceError> {
    let refuse = |e: PartnersError| Ok(Outcome::CommitAndRefuse(ServiceError::Partners(e)));
    if tx.convention_signed(partner_id)? {
        return refuse(PartnersError::ConventionAlreadySigned);
    }
    let Some((expected, expires, attempts)) = tx.code(partner_id)? else {
        return refuse(PartnersError::Code(CodeError::Expired));
    };
    let typed = sha256_hex(typed.trim().as_bytes());
    if let Err(e) = check_code(&typed, &expected, expires, attempts, now) {
        tx.count_code_attempt(partner_id)?;
        return refuse(PartnersError::Code(e));
    }
    tx.record_signature(partner_id, now)?;
    Ok(Outcome::from(
        tx.partner_status(partner_id, now)?
            .ok_or(ServiceError::NotFound("Partenaire")),
    ))
}

/// A decision checked before the transaction.
#[derive(Debug)]
pub(crate) struct CheckedDecision {
    pub(crate) validate: bool,
    pub(crate) reason: Option<String>,
}

/// Checks the Region's decision: a reason is required to refuse.
pub(crate) fn check_decision(d: &PartnerDecision) -> Result<CheckedDecision, ServiceError> {
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
    Ok(CheckedDecision {
        validate: d.validate,
        reason,
    })
}

/// The Region validates (the convention must be signed) or rejects a
/// pending partner.
pub(crate) fn decide(
    tx: &dyn PartnersTx,
    partner_id: &str,
    d: &CheckedDecision,
    now: DateTime<Utc>,
) -> Result<PartnerStatus, ServiceError> {
    let Some((status, signed)) = tx.decision_state(partner_id)? else {
        return Err(ServiceError::NotFound("Partenaire"));
    };
    if status != ConventionStatus::Pending.as_str() {
        return Err(ServiceError::Cards(CardsError::OrderAlreadyDecided));
    }
    if d.validate && !signed {
        return Err(ServiceError::Partners(PartnersError::ConventionNotSigned));
    }
    let next = if d.validate {
        ConventionStatus::Validated
    } else {
        ConventionStatus::Rejected
    };
    tx.set_partner_status(partner_id, next, d.reason.as_deref())?;
    tx.partner_status(partner_id, now)?
        .ok_or(ServiceError::NotFound("Partenaire"))
}
