//! The partners repository the handlers call: each method runs one rule of
//! `partners::{application, convention, service}` in a read or a write job.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use passregion_core::application::DocumentKind;
use passregion_core::season::region_date;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::partners::application::{self, ApplicationsTx, DocumentRef, RequiredDocuments};
use crate::partners::application_repo::ConventionsTx;
use crate::partners::convention::{self, TerminatedBy};
use crate::partners::model::{
    ApplicationDocument, ApplicationDraft, ApplicationView, Cgp, PartnerDecision, PartnerStatus,
    RegionPartnerRecord, Termination,
};
use crate::partners::repo::{activity, statuses};
use crate::partners::service::{self, own_partner};
use crate::partners::store_rules as rules;
use crate::platform::db::Cached;
use crate::platform::files::DocumentStore;
use crate::platform::sql::new_id;
use crate::platform::store::SqliteStore;
use rusqlite::OptionalExtension;

/// What the partner rules need besides the database.
#[derive(Clone)]
pub struct PartnerFiles {
    /// Documents and convention PDFs, by hash.
    pub files: Arc<DocumentStore>,
    /// Documents asked per category.
    pub required: Arc<RequiredDocuments>,
}

/// Storage and rules of partner applications and conventions.
pub trait PartnersRepo: Send + Sync + 'static {
    /// The partner's application as it stands.
    fn application(
        &self,
        partner_id: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError>;
    /// Saves fields of the caller's draft.
    fn save_draft(
        &self,
        who: &Principal,
        draft: ApplicationDraft,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError>;
    /// A validated partner's manager changes its profile (address, pin,
    /// contact, phone; not its category; bank details go through
    /// `partners::bank`).
    fn update_profile(
        &self,
        who: &Principal,
        draft: ApplicationDraft,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError>;
    /// Adds a document to the caller's draft (its bytes already checked
    /// and stored by hash).
    fn add_document(
        &self,
        who: &Principal,
        doc: ApplicationDocument,
    ) -> Result<ApplicationDocument, ServiceError>;
    /// Removes a document from the caller's draft.
    fn remove_document(
        &self,
        who: &Principal,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// A document, for its owner or the Region.
    fn document(&self, who: &Principal, id: &str) -> Result<DocumentRef, ServiceError>;
    /// The hash of a partner's newest convention PDF (the signed one once signed).
    fn convention_pdf(&self, partner_id: &str) -> Result<String, ServiceError>;
    /// The current CGP.
    fn cgp(&self) -> Result<Cgp, ServiceError>;
    /// Publishes `cgp` when no version is published yet (first start).
    fn ensure_cgp(&self, cgp: Cgp, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Publishes a CGP version (and its convention model's term); whether it is new.
    fn publish_cgp(&self, cgp: Cgp, now: DateTime<Utc>) -> Result<bool, ServiceError>;
    /// Sends the caller's application (or signs up for the next model when
    /// `renewal`) and stores a code; returns the phone to text.
    fn submit(
        &self,
        who: &Principal,
        cgp_version: &str,
        renewal: bool,
        code: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError>;
    /// Stores a new code for the caller's convention; returns its phone.
    fn new_code(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError>;
    /// Signs the caller's convention with the typed code.
    fn sign(
        &self,
        who: &Principal,
        code: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// The caller's structure.
    fn my_status(&self, who: &Principal, now: DateTime<Utc>)
    -> Result<PartnerStatus, ServiceError>;
    /// Partners for the Region, optionally by status.
    fn partners_for_region(
        &self,
        status: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PartnerStatus>, ServiceError>;
    /// A partner's record for the Region.
    fn region_record(
        &self,
        partner_id: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<RegionPartnerRecord, ServiceError>;
    /// The Region takes up a signed application.
    fn start_instruction(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// The Region's decision; returns the status and the message told to the partner.
    fn decide(
        &self,
        id: &str,
        d: &PartnerDecision,
        now: DateTime<Utc>,
    ) -> Result<(PartnerStatus, String), ServiceError>;
    /// Suspends (`Some(reason)`) or reinstates (`None`); returns the message told.
    fn suspend(
        &self,
        partner_id: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError>;
    /// Terminates; returns the message told.
    fn terminate(
        &self,
        partner_id: &str,
        by: TerminatedBy,
        t: Termination,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError>;
    /// The partners in force whose convention ends within the core's
    /// `RENEWAL_WARNING` and who were not reminded of that term yet: a
    /// notice is stored and the term marked, in one write; returns them and
    /// the message to send.
    fn due_renewal_reminders(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, ServiceError>;
    /// The manager's e-mail and the phone of a partner (to tell it).
    fn contacts(&self, partner_id: &str) -> Result<(Option<String>, Option<String>), ServiceError>;
}

/// Applies checked fields to the partner (`store_rules::edit`) in a write.
fn edit(
    store: &SqliteStore,
    pid: String,
    draft: ApplicationDraft,
    pf: &PartnerFiles,
    now: DateTime<Utc>,
    allowed: rules::Allowed,
) -> Result<ApplicationView, ServiceError> {
    let required = pf.required.clone();
    store
        .db
        .write(move |c| rules::edit(c, &pid, &draft, &required, now, allowed))
}

impl PartnersRepo for SqliteStore {
    fn application(
        &self,
        partner_id: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError> {
        let (pid, required) = (partner_id.to_owned(), pf.required.clone());
        self.db
            .read(move |c| rules::view_now(c, &pid, &required, now))
    }

    fn save_draft(
        &self,
        who: &Principal,
        draft: ApplicationDraft,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        edit(self, pid, draft, pf, now, |r, _| application::editable(r))
    }

    fn update_profile(
        &self,
        who: &Principal,
        draft: ApplicationDraft,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        edit(self, pid, draft, pf, now, application::editable_profile)
    }

    fn add_document(
        &self,
        who: &Principal,
        doc: ApplicationDocument,
    ) -> Result<ApplicationDocument, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        let account = who.account_id.clone();
        self.db.write(move |c| {
            rules::add_document(c, &pid, &account, &doc)?;
            Ok(doc)
        })
    }

    fn remove_document(
        &self,
        who: &Principal,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        let id = id.to_owned();
        self.db
            .write(move |c| rules::remove_document(c, &pid, &id, now))
    }

    fn document(&self, who: &Principal, id: &str) -> Result<DocumentRef, ServiceError> {
        let id = id.to_owned();
        let found = self.db.read(move |c| c.document_ref(&id))?;
        rules::visible_document(who, found)
    }

    fn convention_pdf(&self, partner_id: &str) -> Result<String, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.read(move |c| rules::convention_pdf(c, &pid))
    }

    fn cgp(&self) -> Result<Cgp, ServiceError> {
        self.db
            .read(|c| c.current_cgp()?.ok_or(ServiceError::NotFound("CGP")))
    }

    fn ensure_cgp(&self, cgp: Cgp, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.db.write(move |c| rules::ensure_cgp(c, &cgp, now))
    }

    fn publish_cgp(&self, cgp: Cgp, now: DateTime<Utc>) -> Result<bool, ServiceError> {
        self.db.write(move |c| c.insert_cgp(&cgp, now))
    }

    fn submit(
        &self,
        who: &Principal,
        cgp_version: &str,
        renewal: bool,
        code: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        let (account, version, code) = (
            who.account_id.clone(),
            cgp_version.to_owned(),
            code.to_owned(),
        );
        let (files, required) = (pf.files.clone(), pf.required.clone());
        self.db.write(move |c| {
            let s = rules::Submission {
                pid: &pid,
                account: &account,
                version: &version,
                renewal,
                code: &code,
                files: &files,
                required: &required,
            };
            rules::submit(c, &s, now)
        })
    }

    fn new_code(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        let code = code.to_owned();
        self.db
            .write(move |c| service::new_code(c, &pid, &code, now))
    }

    fn sign(
        &self,
        who: &Principal,
        code: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        let (code, files) = (code.to_owned(), pf.files.clone());
        self.db
            .write_outcome(move |c| convention::sign(c, &pid, &code, &files, now))
    }

    fn my_status(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError> {
        let pid = own_partner(who)?;
        self.db.read(move |c| {
            statuses(c, "p.id = ?1", &pid, now)?
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
            .read(move |c| statuses(c, "(?1 = '' OR p.status = ?1)", &status, now))
    }

    fn region_record(
        &self,
        partner_id: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<RegionPartnerRecord, ServiceError> {
        let (pid, required) = (partner_id.to_owned(), pf.required.clone());
        self.db.read(move |c| {
            let email: Option<String> = c
                .one(
                    "SELECT email FROM accounts WHERE partner_id = ?1 ORDER BY created_at LIMIT 1",
                    [&pid],
                    |r| r.get(0),
                )
                .optional()?;
            let act = activity(c, &pid, now)?;
            rules::region_record(c, &pid, &required, email, act, now)
        })
    }

    fn start_instruction(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        let pid = partner_id.to_owned();
        self.db
            .write(move |c| convention::start_instruction(c, &pid, now))
    }

    fn decide(
        &self,
        id: &str,
        d: &PartnerDecision,
        now: DateTime<Utc>,
    ) -> Result<(PartnerStatus, String), ServiceError> {
        let decision = service::check_decision(d)?;
        let id = id.to_owned();
        self.db
            .write(move |c| service::decide(c, &id, &decision, now))
    }

    fn suspend(
        &self,
        partner_id: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.write(move |c| match &reason {
            Some(r) => convention::suspend(c, &pid, r, region_date(now), now),
            None => convention::reinstate(c, &pid, now),
        })
    }

    fn terminate(
        &self,
        partner_id: &str,
        by: TerminatedBy,
        t: Termination,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.write(move |c| {
            convention::terminate(
                c,
                &pid,
                by,
                &t.reason,
                t.effective_on,
                region_date(now),
                now,
            )
        })
    }

    fn due_renewal_reminders(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, ServiceError> {
        let (today, until) = rules::renewal_days(now);
        self.db.write(move |c| {
            let due: Vec<(String, String)> = {
                let mut stmt = c.prepare(&rules::due_renewals_sql())?;
                let rows = stmt.query_map(rusqlite::params![today, until], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
                rows.collect::<Result<_, _>>()?
            };
            let mut out = Vec::with_capacity(due.len());
            for (pid, ends) in due {
                let message = rules::remind_renewal(c, &pid, &ends, now)?;
                c.exec(
                    "UPDATE partners SET renewal_reminded_for = convention_ends_on WHERE id = ?1",
                    [&pid],
                )?;
                out.push((pid, message));
            }
            Ok(out)
        })
    }

    fn contacts(&self, partner_id: &str) -> Result<(Option<String>, Option<String>), ServiceError> {
        let pid = partner_id.to_owned();
        self.db.read(move |c| {
            let email: Option<String> = c
                .one(
                    "SELECT email FROM accounts WHERE partner_id = ?1 AND email_verified_at IS NOT NULL
                     ORDER BY created_at LIMIT 1",
                    [&pid],
                    |r| r.get(0),
                )
                .optional()?;
            let phone = crate::partners::service::PartnersTx::phone(c, &pid)?;
            Ok((email, phone))
        })
    }
}

/// A document's metadata once its bytes are stored.
pub(crate) fn new_document(
    kind: DocumentKind,
    filename: String,
    stored: &crate::platform::files::StoredFile,
    now: DateTime<Utc>,
) -> ApplicationDocument {
    ApplicationDocument {
        id: new_id(),
        kind,
        label: kind.label().to_owned(),
        filename,
        content_type: stored.kind.content_type().to_owned(),
        size_bytes: stored.size,
        sha256: stored.sha256.clone(),
        uploaded_at: now,
    }
}
