//! The rules of partner onboarding: what an application must hold, the
//! convention signed with the SMS code (core `check_code`, a failed attempt
//! counted), the Region's decision (`pending` → `validated` / `rejected`,
//! validation needs the signed convention). Writes go through the
//! storage-only `PartnersTx` trait, implemented for SQLite in `partners/repo.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::partner::CODE_VALIDITY;
use passregion_core::partner::may_send_code;
use passregion_core::status::ConventionStatus;

pub(crate) use crate::accounts::own_partner;

use crate::cards::error::CardsError;
use crate::error::ServiceError;
use crate::partners::application::ApplicationsTx;
use crate::partners::application_repo::ConventionsTx;
use crate::partners::error::PartnersError;
use crate::partners::model::PartnerDecision;
use crate::partners::model::PartnerStatus;
use crate::platform::sql::require_text;
use crate::platform::sql::sha256_hex;

/// The storage of partner onboarding inside the writer's transaction. SQL
/// only, no rule.
pub(crate) trait PartnersTx {
    /// The partner's phone for codes.
    fn phone(&self, partner_id: &str) -> Result<Option<String>, ServiceError>;
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
pub(crate) fn new_code<T: PartnersTx + ApplicationsTx>(
    tx: &T,
    partner_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    match tx.latest_convention(partner_id)? {
        None => return Err(PartnersError::NothingToSign.into()),
        Some(c) if c.signed_at.is_some() => {
            return Err(PartnersError::ConventionAlreadySigned.into());
        }
        Some(_) => {}
    }
    let phone = tx
        .phone(partner_id)?
        .ok_or(ServiceError::NotFound("Téléphone"))?;
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
/// pending partner; returns its status and the message told to it (stored
/// as a notice, sent by the caller).
pub(crate) fn decide<T: PartnersTx + ConventionsTx>(
    tx: &T,
    partner_id: &str,
    d: &CheckedDecision,
    now: DateTime<Utc>,
) -> Result<(PartnerStatus, String), ServiceError> {
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
    tx.mark_decided(partner_id, now)?;
    let message = match &d.reason {
        _ if d.validate => {
            "Votre demande de partenariat PASS'Région est validée : vous pouvez accepter la carte."
                .to_owned()
        }
        Some(r) => format!("Votre demande de partenariat PASS'Région est refusée : {r}"),
        None => "Votre demande de partenariat PASS'Région est refusée.".to_owned(),
    };
    tx.add_notice(partner_id, &message, now)?;
    let status = tx
        .partner_status(partner_id, now)?
        .ok_or(ServiceError::NotFound("Partenaire"))?;
    Ok((status, message))
}
