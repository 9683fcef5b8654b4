//! The rules of the convention (issue 13): sending the application (the CGP
//! version read must be the current one; the convention PDF is made, kept
//! by its hash and the SMS code sent), renewal under a new model, the
//! signature (the code checked by the core, the proof and the signed PDF
//! kept), the Region's instruction, suspension, reinstatement and
//! termination with an effective date.

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::application::{ApplicationStage, Standing, standing};
use passregion_core::partner::{CodeError, check_code, masked_phone};
use passregion_core::status::ConventionStatus;

use crate::error::ServiceError;
use crate::partners::application::{ApplicationsTx, ConventionRow, PartnerRow, RequiredDocuments};
use crate::partners::application_repo::ConventionsTx;
use crate::partners::convention_pdf::{
    ConventionDocument, SignatureBlock, convention_pdf, signed_convention_pdf,
};
use crate::partners::error::PartnersError;
use crate::partners::model::Cgp;
use crate::partners::service::PartnersTx;
use crate::platform::db::Outcome;
use crate::platform::files::DocumentStore;
use crate::platform::sql::{new_id, require_text, sha256_hex};

fn partner(tx: &dyn ApplicationsTx, id: &str) -> Result<PartnerRow, ServiceError> {
    tx.partner_row(id)?
        .ok_or(ServiceError::NotFound("Partenaire"))
}

fn current(tx: &dyn ConventionsTx) -> Result<Cgp, ServiceError> {
    tx.current_cgp()?
        .ok_or_else(|| ServiceError::Internal("no CGP published".into()))
}

fn document<'a>(
    row: &'a PartnerRow,
    address: &'a str,
    c: &'a ConventionRow,
    cgp: &'a Cgp,
) -> ConventionDocument<'a> {
    ConventionDocument {
        partner_name: &row.name,
        siret: row.siret.as_deref().unwrap_or(""),
        address,
        contact_name: &row.contact_name,
        category_label: row.category.label_fr(),
        cgp_version: &c.cgp_version,
        cgp_text: &cgp.body,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        convention_id: &c.id,
    }
}

fn full_address(row: &PartnerRow) -> String {
    format!("{}, {} {}", row.address, row.postal_code, row.city)
}

/// Makes the convention to sign under the current CGP (its PDF stored by
/// hash) and records it.
fn new_convention(
    tx: &dyn ConventionsTx,
    row: &PartnerRow,
    cgp: &Cgp,
    files: &DocumentStore,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ConventionRow, ServiceError> {
    if cgp.convention_ends_on < today {
        return Err(ServiceError::Internal(
            "current CGP model already ended".into(),
        ));
    }
    let mut c = ConventionRow {
        id: new_id(),
        cgp_version: cgp.version.clone(),
        starts_on: today,
        ends_on: cgp.convention_ends_on,
        document_sha256: String::new(),
        signed_at: None,
        signed_document_sha256: None,
        signed_phone_masked: None,
        signature_attempts: 0,
        migrated: false,
    };
    let address = full_address(row);
    let pdf = convention_pdf(&document(row, &address, &c, cgp))
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    c.document_sha256 = files.put(&pdf)?.sha256;
    tx.insert_convention(&row.id, &c, now)?;
    Ok(c)
}

/// A convention signed outside the platform, imported with its dates
/// (`import-partners`, issue 16): its PDF made under the current CGP and
/// stored by hash, taken as signed at the import (no SMS code), marked
/// migrated. The caller stores it.
pub(crate) fn migrated(
    row: &PartnerRow,
    cgp: &Cgp,
    files: &DocumentStore,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ConventionRow, ServiceError> {
    let mut c = ConventionRow {
        id: new_id(),
        cgp_version: cgp.version.clone(),
        starts_on,
        ends_on,
        document_sha256: String::new(),
        signed_at: Some(now),
        signed_document_sha256: None,
        signed_phone_masked: None,
        signature_attempts: 0,
        migrated: true,
    };
    let address = full_address(row);
    let pdf = convention_pdf(&document(row, &address, &c, cgp))
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let sha = files.put(&pdf)?.sha256;
    c.signed_document_sha256 = Some(sha.clone());
    c.document_sha256 = sha;
    Ok(c)
}

/// Sends the application: complete, the current CGP accepted. Returns the
/// phone the code goes to (the caller stores the code through
/// [`crate::partners::service::new_code`] in the same transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn submit(
    tx: &dyn ConventionsTx,
    partner_id: &str,
    account_id: &str,
    cgp_version: &str,
    required: &RequiredDocuments,
    files: &DocumentStore,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let row = partner(tx, partner_id)?;
    crate::partners::application::editable(&row)?;
    let docs = tx.documents(partner_id)?;
    let missing = crate::partners::application::missing(&row, &docs, &required.of(row.category));
    if !missing.is_empty() {
        return Err(PartnersError::ApplicationIncomplete(missing).into());
    }
    let cgp = current(tx)?;
    if cgp.version != cgp_version.trim() {
        return Err(PartnersError::CgpOutdated.into());
    }
    tx.accept_cgp(partner_id, account_id, &cgp.version, now)?;
    new_convention(tx, &row, &cgp, files, today, now)?;
    tx.mark_submitted(partner_id, now)
}

/// A validated partner signs the next model: when its convention ends
/// within a month, or a newer CGP version is out.
#[allow(clippy::too_many_arguments)]
pub(crate) fn renew(
    tx: &dyn ConventionsTx,
    partner_id: &str,
    account_id: &str,
    cgp_version: &str,
    files: &DocumentStore,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let row = partner(tx, partner_id)?;
    let stand = standing(row.convention_facts(), today);
    if !matches!(stand, Standing::InForce | Standing::Expired) {
        return Err(PartnersError::WrongState.into());
    }
    let cgp = current(tx)?;
    if cgp.version != cgp_version.trim() {
        return Err(PartnersError::CgpOutdated.into());
    }
    let latest = tx.latest_convention(partner_id)?;
    match &latest {
        Some(c) if c.signed_at.is_none() && c.cgp_version == cgp.version => {
            // Already made: the code is sent again for it.
            return Ok(());
        }
        Some(c) if c.signed_at.is_some() && c.cgp_version == cgp.version => {
            return Err(PartnersError::ConventionAlreadySigned.into());
        }
        _ => {}
    }
    tx.accept_cgp(partner_id, account_id, &cgp.version, now)?;
    new_convention(tx, &row, &cgp, files, today, now)?;
    Ok(())
}

/// Signs the newest convention with the typed code. A wrong, expired or
/// exhausted code is refused and the attempt still committed. The signed
/// PDF (the shown one's hash, the masked phone, the time, the attempts) is
/// stored by hash.
pub(crate) fn sign<T: ConventionsTx + PartnersTx>(
    tx: &T,
    partner_id: &str,
    typed: &str,
    files: &DocumentStore,
    now: DateTime<Utc>,
) -> Result<Outcome<()>, ServiceError> {
    let refuse = |e: PartnersError| Ok(Outcome::CommitAndRefuse(ServiceError::Partners(e)));
    let row = partner(tx, partner_id)?;
    let Some(mut c) = tx.latest_convention(partner_id)? else {
        return refuse(PartnersError::NothingToSign);
    };
    if c.signed_at.is_some() {
        return refuse(PartnersError::ConventionAlreadySigned);
    }
    let Some((expected, expires, attempts)) = tx.code(partner_id)? else {
        return refuse(PartnersError::Code(CodeError::Expired));
    };
    let typed_hash = sha256_hex(typed.trim().as_bytes());
    if let Err(e) = check_code(&typed_hash, &expected, expires, attempts, now) {
        tx.count_code_attempt(partner_id)?;
        return refuse(PartnersError::Code(e));
    }
    let phone = row
        .phone
        .as_deref()
        .map(masked_phone)
        .ok_or(ServiceError::NotFound("Téléphone"))?;
    let cgp = current(tx)?;
    let body = if cgp.version == c.cgp_version {
        cgp.body.clone()
    } else {
        cgp_body(tx, &c.cgp_version)?
    };
    let model = Cgp { body, ..cgp };
    let address = full_address(&row);
    let pdf = signed_convention_pdf(
        &document(&row, &address, &c, &model),
        &SignatureBlock {
            signed_at: now,
            masked_phone: &phone,
            document_sha256: &c.document_sha256,
            attempts,
        },
    )
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    c.signed_document_sha256 = Some(files.put(&pdf)?.sha256);
    c.signed_at = Some(now);
    c.signed_phone_masked = Some(phone);
    c.signature_attempts = attempts;
    tx.record_convention_signature(partner_id, &c)?;
    Ok(Outcome::Commit(()))
}

/// A convention made under an older version is signed with that text.
fn cgp_body(tx: &dyn ConventionsTx, version: &str) -> Result<String, ServiceError> {
    Ok(tx
        .cgp(version)?
        .ok_or_else(|| ServiceError::Internal("unknown CGP version".into()))?
        .body)
}

/// The Region takes up a signed application.
pub(crate) fn start_instruction(
    tx: &dyn ConventionsTx,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let row = partner(tx, partner_id)?;
    match row.stage() {
        ApplicationStage::Signed => tx.mark_instruction(partner_id, now),
        ApplicationStage::InInstruction => Ok(()),
        _ => Err(PartnersError::WrongState.into()),
    }
}

/// The Region suspends a partner in force, with a reason told to it.
pub(crate) fn suspend(
    tx: &dyn ConventionsTx,
    partner_id: &str,
    reason: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let reason = require_text("reason", reason, 500)?;
    let row = partner(tx, partner_id)?;
    if standing(row.convention_facts(), today) != Standing::InForce {
        return Err(PartnersError::WrongState.into());
    }
    tx.set_suspension(partner_id, Some((now, &reason)))?;
    let message = format!("Votre partenariat est suspendu par la Région : {reason}");
    tx.add_notice(partner_id, &message, now)?;
    Ok(message)
}

/// The Region lifts a suspension.
pub(crate) fn reinstate(
    tx: &dyn ConventionsTx,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let row = partner(tx, partner_id)?;
    if row.suspended_at.is_none() || row.status != ConventionStatus::Validated {
        return Err(PartnersError::WrongState.into());
    }
    tx.set_suspension(partner_id, None)?;
    let message = "La suspension de votre partenariat est levée : vous pouvez de nouveau accepter le PASS'Région.".to_owned();
    tx.add_notice(partner_id, &message, now)?;
    Ok(message)
}

/// Who ends a convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminatedBy {
    /// The partner's manager.
    Partner,
    /// The Region.
    Region,
}

/// Terminates a validated partner's convention from `effective_on` (today
/// or later): from that day debits and enrolments are refused; offline
/// debits made before it are still accepted at push within the core's
/// `TERMINATION_GRACE`.
pub(crate) fn terminate(
    tx: &dyn ConventionsTx,
    partner_id: &str,
    by: TerminatedBy,
    reason: &str,
    effective_on: NaiveDate,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let reason = require_text("reason", reason, 500)?;
    let row = partner(tx, partner_id)?;
    if effective_on < today
        || row.status != ConventionStatus::Validated
        || row.terminates_on.is_some()
    {
        return Err(PartnersError::BadTermination.into());
    }
    let code = match by {
        TerminatedBy::Partner => "partner",
        TerminatedBy::Region => "region",
    };
    tx.set_termination(partner_id, effective_on, &reason, code)?;
    let who = match by {
        TerminatedBy::Partner => "à votre demande",
        TerminatedBy::Region => "par la Région",
    };
    let message = format!(
        "Votre convention de partenariat est résiliée {who} à compter du {} : {reason}",
        effective_on.format("%d/%m/%Y")
    );
    tx.add_notice(partner_id, &message, now)?;
    Ok(message)
}
