//! The partners repository on PostgreSQL (ADR 0036): each method runs the same rule as `partners::store` (`store_rules`, `convention`, `service`) in one PostgreSQL transaction. Every write on a partner first locks its row (`repo_pg::lock_partner`): the code's attempts, the signature and the stage changes of one application run one at a time across instances, as under SQLite's single writer.

use chrono::{DateTime, Utc};
use passregion_core::season::region_date;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::partners::application::{self, ApplicationsTx, DocumentRef};
use crate::partners::application_repo::ConventionsTx;
use crate::partners::convention::{self, TerminatedBy};
use crate::partners::model::{
    ApplicationDocument, ApplicationDraft, ApplicationView, Cgp, PartnerDecision, PartnerStatus,
    RegionPartnerRecord, Termination,
};
use crate::partners::repo_pg::{activity, lock_partner, pg_sql, statuses};
use crate::partners::service::{self, PartnersTx, own_partner};
use crate::partners::store::{PartnerFiles, PartnersRepo};
use crate::partners::store_rules as rules;
use crate::platform::pg::PgTx;
use crate::platform::store::PgStore;

/// Serialises the first publication of a CGP across instances ("PRcgp").
const CGP_LOCK: i64 = 0x0050_5263_6770;

impl PgStore {
    /// Runs `f` on a partner's application with its row locked.
    fn on_partner<T>(
        &self,
        pid: &str,
        f: impl Fn(&PgTx<'_, '_>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        self.pool.write(|tx| {
            lock_partner(tx, pid)?;
            f(&PgTx::new(tx))
        })
    }

    fn edit(
        &self,
        pid: &str,
        draft: &ApplicationDraft,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
        allowed: rules::Allowed,
    ) -> Result<ApplicationView, ServiceError> {
        self.on_partner(pid, |tx| {
            rules::edit(tx, pid, draft, &pf.required, now, allowed)
        })
    }
}

impl PartnersRepo for PgStore {
    fn application(
        &self,
        partner_id: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError> {
        self.pool
            .read(|tx| rules::view_now(&PgTx::new(tx), partner_id, &pf.required, now))
    }

    fn save_draft(
        &self,
        who: &Principal,
        draft: ApplicationDraft,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        self.edit(&pid, &draft, pf, now, |r, _| application::editable(r))
    }

    fn update_profile(
        &self,
        who: &Principal,
        draft: ApplicationDraft,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<ApplicationView, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        self.edit(&pid, &draft, pf, now, application::editable_profile)
    }

    fn add_document(
        &self,
        who: &Principal,
        doc: ApplicationDocument,
    ) -> Result<ApplicationDocument, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        // Under the partner's lock: the 20 documents' bound holds across
        // instances.
        self.on_partner(&pid, |tx| {
            rules::add_document(tx, &pid, &who.account_id, &doc)
        })?;
        Ok(doc)
    }

    fn remove_document(
        &self,
        who: &Principal,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        self.on_partner(&pid, |tx| rules::remove_document(tx, &pid, id, now))
    }

    fn document(&self, who: &Principal, id: &str) -> Result<DocumentRef, ServiceError> {
        let found = self.pool.read(|tx| PgTx::new(tx).document_ref(id))?;
        rules::visible_document(who, found)
    }

    fn convention_pdf(&self, partner_id: &str) -> Result<String, ServiceError> {
        self.pool
            .read(|tx| rules::convention_pdf(&PgTx::new(tx), partner_id))
    }

    fn cgp(&self) -> Result<Cgp, ServiceError> {
        self.pool.read(|tx| {
            PgTx::new(tx)
                .current_cgp()?
                .ok_or(ServiceError::NotFound("CGP"))
        })
    }

    fn ensure_cgp(&self, cgp: Cgp, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.pool.write(|tx| {
            // Instances starting together: one publishes, the others find it.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CGP_LOCK])?;
            rules::ensure_cgp(&PgTx::new(tx), &cgp, now)
        })
    }

    fn publish_cgp(&self, cgp: Cgp, now: DateTime<Utc>) -> Result<bool, ServiceError> {
        self.pool.write(|tx| PgTx::new(tx).insert_cgp(&cgp, now))
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
        let s = rules::Submission {
            pid: &pid,
            account: &who.account_id,
            version: cgp_version,
            renewal,
            code,
            files: &pf.files,
            required: &pf.required,
        };
        self.on_partner(&pid, |tx| rules::submit(tx, &s, now))
    }

    fn new_code(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        self.on_partner(&pid, |tx| service::new_code(tx, &pid, code, now))
    }

    fn sign(
        &self,
        who: &Principal,
        code: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        // The code's attempts are read and counted under the partner's
        // lock: two instances checking codes at once never exceed the bound,
        // and a code signs once.
        self.pool.write_outcome(|tx| {
            lock_partner(tx, &pid)?;
            convention::sign(&PgTx::new(tx), &pid, code, &pf.files, now)
        })
    }

    fn my_status(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<PartnerStatus, ServiceError> {
        let pid = own_partner(who)?;
        self.pool.read(|tx| {
            statuses(&PgTx::new(tx), "p.id = $1", &pid, now)?
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
        let status = status.unwrap_or("");
        self.pool
            .read(|tx| statuses(&PgTx::new(tx), "($1 = '' OR p.status = $1)", status, now))
    }

    fn region_record(
        &self,
        partner_id: &str,
        pf: &PartnerFiles,
        now: DateTime<Utc>,
    ) -> Result<RegionPartnerRecord, ServiceError> {
        self.pool.read(|tx| {
            let email: Option<String> = tx
                .query_opt(
                    "SELECT email::text FROM accounts WHERE partner_id = $1
                     ORDER BY created_at LIMIT 1",
                    &[&partner_id],
                )?
                .map(|r| r.try_get(0))
                .transpose()?;
            let act = activity(tx, partner_id, now)?;
            rules::region_record(&PgTx::new(tx), partner_id, &pf.required, email, act, now)
        })
    }

    fn start_instruction(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.on_partner(partner_id, |tx| {
            convention::start_instruction(tx, partner_id, now)
        })
    }

    fn decide(
        &self,
        id: &str,
        d: &PartnerDecision,
        now: DateTime<Utc>,
    ) -> Result<(PartnerStatus, String), ServiceError> {
        let decision = service::check_decision(d)?;
        self.on_partner(id, |tx| service::decide(tx, id, &decision, now))
    }

    fn suspend(
        &self,
        partner_id: &str,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        self.on_partner(partner_id, |tx| match &reason {
            Some(r) => convention::suspend(tx, partner_id, r, region_date(now), now),
            None => convention::reinstate(tx, partner_id, now),
        })
    }

    fn terminate(
        &self,
        partner_id: &str,
        by: TerminatedBy,
        t: Termination,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        self.on_partner(partner_id, |tx| {
            convention::terminate(
                tx,
                partner_id,
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
        // Each due partner is claimed under its row lock (another instance
        // skips it, then finds it reminded): one notice per term.
        let sql = pg_sql(&rules::due_renewals_sql()) + " FOR UPDATE OF p SKIP LOCKED";
        self.pool.write(|tx| {
            let due: Vec<(String, String)> = tx
                .query(&sql, &[&today, &until])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, ServiceError>>()?;
            let mut out = Vec::with_capacity(due.len());
            for (pid, ends) in due {
                let message = rules::remind_renewal(&PgTx::new(tx), &pid, &ends, now)?;
                tx.execute(
                    "UPDATE partners SET renewal_reminded_for = convention_ends_on WHERE id = $1",
                    &[&pid],
                )?;
                out.push((pid, message));
            }
            Ok(out)
        })
    }

    fn contacts(&self, partner_id: &str) -> Result<(Option<String>, Option<String>), ServiceError> {
        self.pool.read(|tx| {
            let email: Option<String> = tx
                .query_opt(
                    "SELECT email::text FROM accounts
                     WHERE partner_id = $1 AND email_verified_at IS NOT NULL
                     ORDER BY created_at LIMIT 1",
                    &[&partner_id],
                )?
                .map(|r| r.try_get(0))
                .transpose()?;
            let phone = PgTx::new(tx).phone(partner_id)?;
            Ok((email, phone))
        })
    }
}
