//! The steps of `PartnersRepo` that are rules, over the storage traits (`ApplicationsTx`, `ConventionsTx`, `PartnersTx`), shared by the SQLite (`store.rs`) and PostgreSQL (`store_pg.rs`) implementations.

use chrono::{DateTime, Utc};
use passregion_core::application::{valid_bic, valid_iban};
use passregion_core::partner::{MIN_BONS_PLANS_PER_SEASON, valid_siret};
use passregion_core::season::region_date;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::partners::application::{
    self, ApplicationsTx, DocumentRef, PartnerRow, RequiredDocuments,
};
use crate::partners::application_repo::ConventionsTx;
use crate::partners::convention;
use crate::partners::model::{
    ApplicationDocument, ApplicationDraft, ApplicationView, Cgp, RegionPartnerRecord,
};
use crate::partners::service::{self, PartnersTx, own_partner};
use crate::platform::files::DocumentStore;

/// Most documents of one application.
pub(crate) const MAX_DOCUMENTS: usize = 20;

/// Who may change which fields of a partner in its state.
pub(crate) type Allowed = fn(&PartnerRow, &ApplicationDraft) -> Result<(), ServiceError>;

/// A partner, or 404.
pub(crate) fn row(tx: &dyn ApplicationsTx, pid: &str) -> Result<PartnerRow, ServiceError> {
    tx.partner_row(pid)?
        .ok_or(ServiceError::NotFound("Partenaire"))
}

/// The application as it stands now, under the current CGP.
pub(crate) fn view_now(
    tx: &dyn ConventionsTx,
    pid: &str,
    required: &RequiredDocuments,
    now: DateTime<Utc>,
) -> Result<ApplicationView, ServiceError> {
    let cgp = tx.current_cgp()?.map(|g| g.version);
    application::view(tx, pid, required, cgp.as_deref(), region_date(now))
}

/// Applies checked fields to the partner, `allowed` saying whether they may
/// change in its state (a draft, or a validated profile).
pub(crate) fn edit(
    tx: &dyn ConventionsTx,
    pid: &str,
    draft: &ApplicationDraft,
    required: &RequiredDocuments,
    now: DateTime<Utc>,
    allowed: Allowed,
) -> Result<ApplicationView, ServiceError> {
    let mut r = row(tx, pid)?;
    allowed(&r, draft)?;
    application::apply_draft(&mut r, draft)?;
    tx.save_draft(&r)?;
    view_now(tx, pid, required, now)
}

/// Adds a document to a draft (at most [`MAX_DOCUMENTS`]).
pub(crate) fn add_document(
    tx: &dyn ApplicationsTx,
    pid: &str,
    account: &str,
    doc: &ApplicationDocument,
) -> Result<(), ServiceError> {
    application::editable(&row(tx, pid)?)?;
    if tx.documents(pid)?.len() >= MAX_DOCUMENTS {
        return Err(ServiceError::Invalid {
            field: "file",
            message: "20 documents au plus par demande.".into(),
        });
    }
    tx.insert_document(pid, account, doc)
}

/// Removes a document from a draft.
pub(crate) fn remove_document(
    tx: &dyn ApplicationsTx,
    pid: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    application::editable(&row(tx, pid)?)?;
    if !tx.remove_document(pid, id, now)? {
        return Err(ServiceError::NotFound("Document"));
    }
    Ok(())
}

/// A document for its owner or the Region's instruction or finances;
/// another partner's does not exist for the caller.
pub(crate) fn visible_document(
    who: &Principal,
    found: Option<DocumentRef>,
) -> Result<DocumentRef, ServiceError> {
    let doc = found.ok_or(ServiceError::NotFound("Document"))?;
    let allowed = match who.role {
        crate::accounts::model::Role::Region => {
            use crate::accounts::{RegionDesk, region_allows};
            region_allows(who.region_role, RegionDesk::Instruction)
                || region_allows(who.region_role, RegionDesk::Finance)
        }
        crate::accounts::model::Role::Partner => {
            own_partner(who).is_ok_and(|p| p == doc.partner_id)
        }
        _ => false,
    };
    allowed
        .then_some(doc)
        .ok_or(ServiceError::NotFound("Document"))
}

/// The hash of the partner's newest convention PDF (the signed one once signed).
pub(crate) fn convention_pdf(tx: &dyn ApplicationsTx, pid: &str) -> Result<String, ServiceError> {
    let conv = tx
        .latest_convention(pid)?
        .ok_or(ServiceError::NotFound("Convention"))?;
    Ok(conv.signed_document_sha256.unwrap_or(conv.document_sha256))
}

/// Publishes `cgp` when none is published yet.
pub(crate) fn ensure_cgp(
    tx: &dyn ConventionsTx,
    cgp: &Cgp,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if tx.current_cgp()?.is_none() {
        tx.insert_cgp(cgp, now)?;
    }
    Ok(())
}

/// What a submission (or a renewal) needs.
pub(crate) struct Submission<'a> {
    pub(crate) pid: &'a str,
    pub(crate) account: &'a str,
    pub(crate) version: &'a str,
    pub(crate) renewal: bool,
    pub(crate) code: &'a str,
    pub(crate) files: &'a DocumentStore,
    pub(crate) required: &'a RequiredDocuments,
}

/// Sends the application (or signs up for the next model) and stores a
/// code; returns the phone to text.
pub(crate) fn submit<T: ConventionsTx + PartnersTx>(
    tx: &T,
    s: &Submission<'_>,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let today = region_date(now);
    if s.renewal {
        convention::renew(tx, s.pid, s.account, s.version, s.files, today, now)?;
    } else {
        convention::submit(
            tx, s.pid, s.account, s.version, s.required, s.files, today, now,
        )?;
    }
    service::new_code(tx, s.pid, s.code, now)
}

/// A partner's record for the Region, from its row, application, first
/// account's address and activity.
pub(crate) fn region_record(
    tx: &dyn ConventionsTx,
    pid: &str,
    required: &RequiredDocuments,
    email: Option<String>,
    (n, last): (u32, Option<DateTime<Utc>>),
    now: DateTime<Utc>,
) -> Result<RegionPartnerRecord, ServiceError> {
    let row = row(tx, pid)?;
    let application = view_now(tx, pid, required, now)?;
    Ok(RegionPartnerRecord {
        application,
        email: email.unwrap_or_default(),
        siret_valid: row.siret.as_deref().and_then(valid_siret).is_some(),
        iban_valid: row.iban.as_deref().and_then(valid_iban).is_some(),
        bic_valid: row
            .bic
            .as_deref()
            .and_then(|b| valid_bic(b, row.iban.as_deref()))
            .is_some(),
        iban: row.iban,
        bons_plans_this_season: n,
        bons_plans_minimum: MIN_BONS_PLANS_PER_SEASON,
        last_activity_at: last,
    })
}

/// The partners due a renewal reminder on `?1` (today) whose convention
/// ends by `?2`: in force, not terminating, not reminded of that term.
pub(crate) fn due_renewals_sql() -> String {
    format!(
        "SELECT p.id, p.convention_ends_on FROM partners p WHERE {}
         AND p.terminates_on IS NULL AND p.convention_ends_on IS NOT NULL
         AND p.convention_ends_on <= ?2
         AND (p.renewal_reminded_for IS NULL OR p.renewal_reminded_for <> p.convention_ends_on)
         LIMIT 1000",
        crate::partners::repo::in_force_sql("p", 1)
    )
}

/// The days of a renewal reminder round: today and the last term it covers.
pub(crate) fn renewal_days(now: DateTime<Utc>) -> (String, String) {
    let today = region_date(now);
    let until = today + passregion_core::application::RENEWAL_WARNING;
    (today.to_string(), until.to_string())
}

/// Stores the renewal notice of a convention ending on `ends`; returns the
/// message to send (the caller marks the term reminded).
pub(crate) fn remind_renewal(
    tx: &dyn ConventionsTx,
    pid: &str,
    ends: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let end = crate::platform::sql::parse_date(ends)?;
    let message = format!(
        "votre convention PASS'Région prend fin le {} : signez la nouvelle convention dans votre espace pour continuer à accepter la carte.",
        end.format("%d/%m/%Y")
    );
    tx.add_notice(
        pid,
        &format!(
            "Votre convention {}",
            message.trim_start_matches("votre convention ")
        ),
        now,
    )?;
    Ok(message)
}
