//! A validated partner's change of bank details (issue 15, the classic
//! payout-fraud vector): its manager asks, a code goes by SMS to the phone
//! **already on file** (not to a number the request could bring), the code
//! confirms it, then the Region approves or refuses. While a confirmed change
//! waits, `partners.bank_details_pending_since` is set and no payout is
//! made. Writes go through `BankTx` (SQL in `bank/repo.rs`).

pub mod http;
pub mod repo;
pub mod repo_pg;

use chrono::{DateTime, Utc};
use passregion_core::application::{Standing, masked_iban, standing, valid_bic, valid_iban};
use passregion_core::partner::{CODE_VALIDITY, check_code, masked_phone};
use passregion_core::season::region_date;
use passregion_core::status::BankChangeDecisionStatus;

use crate::error::ServiceError;
use crate::partners::application_repo::ConventionsTx;
use crate::partners::error::PartnersError;
use crate::partners::model::{BankChange, BankChangeDecision, BankChangeRequest};
use crate::partners::service::{PartnersTx, count_sms};
use crate::platform::db::Outcome;
use crate::platform::sql::{new_id, require_text, sha256_hex};

/// A change as stored.
#[derive(Debug, Clone)]
pub(crate) struct BankChangeRow {
    pub(crate) id: String,
    pub(crate) partner_id: String,
    pub(crate) partner_name: String,
    pub(crate) iban: String,
    pub(crate) bic: String,
    pub(crate) current_iban: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) code_hash: String,
    pub(crate) code_expires_at: DateTime<Utc>,
    pub(crate) attempts: u32,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) confirmed_at: Option<DateTime<Utc>>,
    pub(crate) decision: Option<BankChangeDecisionStatus>,
    pub(crate) reason: Option<String>,
}

impl BankChangeRow {
    /// As the partner sees it (IBANs masked) or the Region (whole).
    pub(crate) fn view(&self, for_region: bool) -> BankChange {
        let show = |i: &str| {
            if for_region {
                i.to_owned()
            } else {
                masked_iban(i)
            }
        };
        BankChange {
            id: self.id.clone(),
            partner_id: self.partner_id.clone(),
            partner_name: self.partner_name.clone(),
            iban: show(&self.iban),
            bic: self.bic.clone(),
            current_iban: self.current_iban.as_deref().map(show),
            created_at: self.created_at,
            confirmed_at: self.confirmed_at,
            decision: self.decision.map(|d| d.as_str().to_owned()),
            reason: self.reason.clone(),
            code_sent_to: self.phone.as_deref().map(masked_phone).unwrap_or_default(),
        }
    }
}

/// The storage of bank changes inside the writer's transaction.
pub(crate) trait BankTx: PartnersTx + ConventionsTx {
    /// The partner's newest undecided change.
    fn open_change(&self, partner_id: &str) -> Result<Option<BankChangeRow>, ServiceError>;
    /// A change by id.
    fn change(&self, id: &str) -> Result<Option<BankChangeRow>, ServiceError>;
    /// Records a new change.
    fn insert_change(&self, c: &NewChange) -> Result<(), ServiceError>;
    /// Counts a wrong code.
    fn count_change_attempt(&self, id: &str) -> Result<(), ServiceError>;
    /// Marks a change confirmed and the partner's payouts held.
    fn confirm_change(&self, c: &BankChangeRow, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Records the decision; on approval the partner takes the new details;
    /// the hold is lifted either way.
    fn decide_change(
        &self,
        c: &BankChangeRow,
        decision: BankChangeDecisionStatus,
        reason: Option<&str>,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Confirmed changes waiting for the Region.
    fn changes_to_decide(&self) -> Result<Vec<BankChangeRow>, ServiceError>;
}

/// A checked request, ready to be stored.
#[derive(Debug)]
pub(crate) struct NewChange {
    pub(crate) id: String,
    pub(crate) partner_id: String,
    pub(crate) account_id: String,
    pub(crate) iban: String,
    pub(crate) bic: String,
    pub(crate) code_hash: String,
    pub(crate) code_expires_at: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
}

/// Asks for a change: the partner validated and not terminated, the new
/// IBAN and BIC valid, no confirmed change already waiting for the Region;
/// an unconfirmed earlier request is replaced. Returns the phone on file,
/// to text the code to.
pub(crate) fn request<T: BankTx>(
    tx: &T,
    partner_id: &str,
    account_id: &str,
    req: &BankChangeRequest,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), ServiceError> {
    let iban = valid_iban(&req.iban).ok_or(ServiceError::Invalid {
        field: "iban",
        message: "IBAN invalide : vérifiez le pays, la longueur et la clé.".into(),
    })?;
    let bic = valid_bic(&req.bic, Some(&iban)).ok_or(ServiceError::Invalid {
        field: "bic",
        message: "BIC invalide (8 ou 11 caractères, du pays de l'IBAN).".into(),
    })?;
    let row = tx
        .partner_row(partner_id)?
        .ok_or(ServiceError::NotFound("Partenaire"))?;
    if !matches!(
        standing(row.convention_facts(), region_date(now)),
        Standing::InForce | Standing::Suspended | Standing::Expired
    ) {
        return Err(PartnersError::WrongState.into());
    }
    if let Some(open) = tx.open_change(partner_id)? {
        if open.confirmed_at.is_some() {
            return Err(PartnersError::BankChangePending.into());
        }
        tx.decide_change(&open, BankChangeDecisionStatus::Replaced, None, None, now)?;
    }
    let phone = row.phone.ok_or(ServiceError::NotFound("Téléphone"))?;
    // At most MAX_SMS_PER_PHONE_PER_DAY texts to the number, whatever asks.
    count_sms(tx, &phone, 0, now)?;
    let change = NewChange {
        id: new_id(),
        partner_id: partner_id.to_owned(),
        account_id: account_id.to_owned(),
        iban,
        bic,
        code_hash: sha256_hex(code.as_bytes()),
        code_expires_at: now + CODE_VALIDITY,
        created_at: now,
    };
    tx.insert_change(&change)?;
    Ok((change.id, phone))
}

/// Confirms the open change with the typed code (core `check_code`); a
/// wrong code is counted and committed.
pub(crate) fn confirm<T: BankTx>(
    tx: &T,
    partner_id: &str,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Outcome<BankChange>, ServiceError> {
    let Some(open) = tx.open_change(partner_id)? else {
        return Err(PartnersError::NothingToSign.into());
    };
    if open.confirmed_at.is_some() {
        return Err(PartnersError::BankChangePending.into());
    }
    let typed = sha256_hex(typed.trim().as_bytes());
    if let Err(e) = check_code(
        &typed,
        &open.code_hash,
        open.code_expires_at,
        open.attempts,
        now,
    ) {
        tx.count_change_attempt(&open.id)?;
        return Ok(Outcome::CommitAndRefuse(PartnersError::Code(e).into()));
    }
    tx.confirm_change(&open, now)?;
    tx.add_notice(
        partner_id,
        "Votre changement de coordonnées bancaires est confirmé : il attend la validation de la Région, vos remboursements sont suspendus d'ici là.",
        now,
    )?;
    let confirmed = tx
        .change(&open.id)?
        .ok_or(ServiceError::NotFound("Changement"))?;
    Ok(Outcome::Commit(confirmed.view(false)))
}

/// The Region approves (the new details are used from the next payout) or
/// refuses (a reason told to the partner) a confirmed change.
pub(crate) fn decide<T: BankTx>(
    tx: &T,
    id: &str,
    d: &BankChangeDecision,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(BankChange, String), ServiceError> {
    let change = tx.change(id)?.ok_or(ServiceError::NotFound("Changement"))?;
    if change.confirmed_at.is_none() || change.decision.is_some() {
        return Err(PartnersError::WrongState.into());
    }
    let (decision, reason, message) = if d.approve {
        (
            BankChangeDecisionStatus::Approved,
            None,
            format!(
                "vos nouvelles coordonnées bancaires ({}) sont validées par la Région.",
                masked_iban(&change.iban)
            ),
        )
    } else {
        let reason = require_text("reason", d.reason.as_deref().unwrap_or(""), 500)?;
        let message = format!(
            "votre changement de coordonnées bancaires est refusé : {reason}. Vos remboursements reprennent sur le compte précédent."
        );
        (BankChangeDecisionStatus::Refused, Some(reason), message)
    };
    tx.decide_change(&change, decision, reason.as_deref(), Some(by), now)?;
    tx.add_notice(&change.partner_id, &format!("Région : {message}"), now)?;
    let decided = tx.change(id)?.ok_or(ServiceError::NotFound("Changement"))?;
    Ok((decided.view(true), message))
}
