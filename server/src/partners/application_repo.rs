//! SQL of partner applications and conventions (issue 13). The rules are in
//! `partners::application` and `partners::convention`.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ServiceError;
use crate::partners::application::{ApplicationsTx, ConventionRow, DocumentRef, PartnerRow};
use crate::partners::model::{ApplicationDocument, Cgp, PartnerNotice};
use crate::partners::rows::{
    self, CONVENTION_COLUMNS, ConventionRaw, DOCUMENT_COLUMNS, PARTNER_COLUMNS, PartnerRaw,
};
use crate::platform::db::Cached;
use crate::platform::sql::{new_id, parse_ts, ts};

/// Writes of applications and conventions, inside the writer's transaction.
pub(crate) trait ConventionsTx: ApplicationsTx {
    /// The newest published CGP.
    fn current_cgp(&self) -> Result<Option<Cgp>, ServiceError>;
    /// A CGP version.
    fn cgp(&self, version: &str) -> Result<Option<Cgp>, ServiceError>;
    /// Publishes a CGP version (ignored when the version exists).
    fn insert_cgp(&self, cgp: &Cgp, now: DateTime<Utc>) -> Result<bool, ServiceError>;
    /// Records the acceptance of a CGP version.
    fn accept_cgp(
        &self,
        partner_id: &str,
        account_id: &str,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Marks the application sent.
    fn mark_submitted(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Adds a convention to sign.
    fn insert_convention(
        &self,
        partner_id: &str,
        c: &ConventionRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Records a convention's signature (and the partner's term), deletes the code.
    fn record_convention_signature(
        &self,
        partner_id: &str,
        c: &ConventionRow,
    ) -> Result<(), ServiceError>;
    /// Marks the application taken up by the Region.
    fn mark_instruction(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Records when the Region decided.
    fn mark_decided(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Suspends (`Some`) or reinstates (`None`) the partner.
    fn set_suspension(
        &self,
        partner_id: &str,
        suspension: Option<(DateTime<Utc>, &str)>,
    ) -> Result<(), ServiceError>;
    /// Records a termination.
    fn set_termination(
        &self,
        partner_id: &str,
        on: NaiveDate,
        reason: &str,
        by: &str,
    ) -> Result<(), ServiceError>;
    /// Adds a message for the partner.
    fn add_notice(
        &self,
        partner_id: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

impl ApplicationsTx for Connection {
    fn partner_row(&self, id: &str) -> Result<Option<PartnerRow>, ServiceError> {
        let sql = format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE id = ?1");
        let raw = self
            .query_row(&sql, [id], |r| {
                Ok(PartnerRaw {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    category: r.get(2)?,
                    siret: r.get(3)?,
                    address: r.get(4)?,
                    city: r.get(5)?,
                    postal_code: r.get(6)?,
                    latitude: r.get(7)?,
                    longitude: r.get(8)?,
                    contact_name: r.get(9)?,
                    phone: r.get(10)?,
                    iban: r.get(11)?,
                    bic: r.get(12)?,
                    status: r.get(13)?,
                    submitted_at: r.get(14)?,
                    instruction_started_at: r.get(15)?,
                    convention_signed_at: r.get(16)?,
                    decision_reason: r.get(17)?,
                    suspended_at: r.get(18)?,
                    suspension_reason: r.get(19)?,
                    terminates_on: r.get(20)?,
                    termination_reason: r.get(21)?,
                    convention_ends_on: r.get(22)?,
                })
            })
            .optional()?;
        raw.map(PartnerRaw::into_row).transpose()
    }

    fn save_draft(&self, r: &PartnerRow) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partners SET name = ?2, category = ?3, siret = ?4, address = ?5, city = ?6,
             postal_code = ?7, latitude = ?8, longitude = ?9, contact_name = ?10, phone = ?11,
             iban = ?12, bic = ?13 WHERE id = ?1",
            params![
                r.id,
                r.name,
                r.category.code(),
                r.siret,
                r.address,
                r.city,
                r.postal_code,
                r.latitude,
                r.longitude,
                r.contact_name,
                r.phone,
                r.iban,
                r.bic
            ],
        )?;
        Ok(())
    }

    fn documents(&self, partner_id: &str) -> Result<Vec<ApplicationDocument>, ServiceError> {
        let mut stmt = self.prepare_cached(&format!(
            "SELECT {DOCUMENT_COLUMNS}
             FROM application_documents WHERE partner_id = ?1 AND removed_at IS NULL
             ORDER BY uploaded_at, id"
        ))?;
        let rows = stmt.query_map([partner_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            out.push(rows::document(row?)?);
        }
        Ok(out)
    }

    fn insert_document(
        &self,
        partner_id: &str,
        account_id: &str,
        d: &ApplicationDocument,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO application_documents (id, partner_id, kind, filename, content_type,
             size_bytes, sha256, uploaded_by, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                d.id,
                partner_id,
                d.kind.as_str(),
                d.filename,
                d.content_type,
                i64::try_from(d.size_bytes).unwrap_or(i64::MAX),
                d.sha256,
                account_id,
                ts(d.uploaded_at)
            ],
        )?;
        Ok(())
    }

    fn remove_document(
        &self,
        partner_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        Ok(self.exec(
            "UPDATE application_documents SET removed_at = ?3
             WHERE id = ?1 AND partner_id = ?2 AND removed_at IS NULL",
            params![id, partner_id, ts(now)],
        )? == 1)
    }

    fn document_ref(&self, id: &str) -> Result<Option<DocumentRef>, ServiceError> {
        Ok(self
            .query_row(
                "SELECT partner_id, sha256, content_type, filename FROM application_documents
                 WHERE id = ?1",
                [id],
                |r| {
                    Ok(DocumentRef {
                        partner_id: r.get(0)?,
                        sha256: r.get(1)?,
                        content_type: r.get(2)?,
                        filename: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn cgp_accepted(&self, partner_id: &str) -> Result<Option<String>, ServiceError> {
        Ok(self
            .query_row(
                "SELECT version FROM cgp_acceptances WHERE partner_id = ?1
                 ORDER BY accepted_at DESC, id DESC LIMIT 1",
                [partner_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn latest_convention(&self, partner_id: &str) -> Result<Option<ConventionRow>, ServiceError> {
        let raw = self
            .query_row(
                &format!(
                    "SELECT {CONVENTION_COLUMNS}
                     FROM conventions WHERE partner_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1"
                ),
                [partner_id],
                |r| {
                    Ok(ConventionRaw {
                        id: r.get(0)?,
                        cgp_version: r.get(1)?,
                        starts_on: r.get(2)?,
                        ends_on: r.get(3)?,
                        document_sha256: r.get(4)?,
                        signed_at: r.get(5)?,
                        signed_document_sha256: r.get(6)?,
                        signed_phone_masked: r.get(7)?,
                        signature_attempts: r.get(8)?,
                        migrated: r.get(9)?,
                    })
                },
            )
            .optional()?;
        raw.map(ConventionRaw::into_row).transpose()
    }

    fn notices(&self, partner_id: &str) -> Result<Vec<PartnerNotice>, ServiceError> {
        let mut stmt = self.prepare_cached(
            "SELECT message, created_at FROM partner_notices WHERE partner_id = ?1
             ORDER BY created_at DESC, id DESC LIMIT 50",
        )?;
        let rows = stmt.query_map([partner_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (message, at) = row?;
            out.push(PartnerNotice {
                message,
                created_at: parse_ts(&at)?,
            });
        }
        Ok(out)
    }
}

/// The CGP version the `tail` of the query selects (`WHERE …` or `ORDER BY …`).
fn one_cgp<P: rusqlite::Params>(
    c: &Connection,
    tail: &str,
    params: P,
) -> Result<Option<Cgp>, ServiceError> {
    let sql = format!("SELECT version, title, body, convention_ends_on FROM cgp_versions {tail}");
    let raw: Option<(String, String, String, String)> = c
        .query_row(&sql, params, |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    raw.map(rows::cgp).transpose()
}

impl ConventionsTx for Connection {
    fn current_cgp(&self) -> Result<Option<Cgp>, ServiceError> {
        one_cgp(self, "ORDER BY published_at DESC, version DESC LIMIT 1", [])
    }

    fn cgp(&self, version: &str) -> Result<Option<Cgp>, ServiceError> {
        one_cgp(self, "WHERE version = ?1", [version])
    }

    fn insert_cgp(&self, cgp: &Cgp, now: DateTime<Utc>) -> Result<bool, ServiceError> {
        Ok(self.exec(
            "INSERT OR IGNORE INTO cgp_versions (version, title, body, convention_ends_on, published_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                cgp.version,
                cgp.title,
                cgp.body,
                cgp.convention_ends_on.to_string(),
                ts(now)
            ],
        )? == 1)
    }

    fn accept_cgp(
        &self,
        partner_id: &str,
        account_id: &str,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO cgp_acceptances (id, partner_id, account_id, version, accepted_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![new_id(), partner_id, account_id, version, ts(now)],
        )?;
        Ok(())
    }

    fn mark_submitted(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partners SET submitted_at = ?2 WHERE id = ?1",
            params![partner_id, ts(now)],
        )?;
        Ok(())
    }

    fn insert_convention(
        &self,
        partner_id: &str,
        c: &ConventionRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO conventions (id, partner_id, cgp_version, starts_on, ends_on,
             document_sha256, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                c.id,
                partner_id,
                c.cgp_version,
                c.starts_on.to_string(),
                c.ends_on.to_string(),
                c.document_sha256,
                ts(now)
            ],
        )?;
        Ok(())
    }

    fn record_convention_signature(
        &self,
        partner_id: &str,
        c: &ConventionRow,
    ) -> Result<(), ServiceError> {
        let signed_at = c
            .signed_at
            .ok_or_else(|| ServiceError::Internal("unsigned convention".into()))?;
        self.exec(
            "UPDATE conventions SET signed_at = ?2, signed_document_sha256 = ?3,
             signed_phone_masked = ?4, signature_attempts = ?5 WHERE id = ?1",
            params![
                c.id,
                ts(signed_at),
                c.signed_document_sha256,
                c.signed_phone_masked,
                c.signature_attempts
            ],
        )?;
        self.exec(
            "UPDATE partners SET convention_signed_at = ?2, convention_ends_on = ?3 WHERE id = ?1",
            params![partner_id, ts(signed_at), c.ends_on.to_string()],
        )?;
        self.exec(
            "DELETE FROM convention_codes WHERE partner_id = ?1",
            [partner_id],
        )?;
        Ok(())
    }

    fn mark_instruction(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partners SET instruction_started_at = ?2 WHERE id = ?1",
            params![partner_id, ts(now)],
        )?;
        Ok(())
    }

    fn mark_decided(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partners SET decided_at = ?2 WHERE id = ?1",
            params![partner_id, ts(now)],
        )?;
        Ok(())
    }

    fn set_suspension(
        &self,
        partner_id: &str,
        suspension: Option<(DateTime<Utc>, &str)>,
    ) -> Result<(), ServiceError> {
        let (at, reason) = match suspension {
            Some((at, reason)) => (Some(ts(at)), Some(reason)),
            None => (None, None),
        };
        self.exec(
            "UPDATE partners SET suspended_at = ?2, suspension_reason = ?3 WHERE id = ?1",
            params![partner_id, at, reason],
        )?;
        Ok(())
    }

    fn set_termination(
        &self,
        partner_id: &str,
        on: NaiveDate,
        reason: &str,
        by: &str,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE partners SET terminates_on = ?2, termination_reason = ?3, terminated_by = ?4
             WHERE id = ?1",
            params![partner_id, on.to_string(), reason, by],
        )?;
        Ok(())
    }

    fn add_notice(
        &self,
        partner_id: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO partner_notices (id, partner_id, message, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![new_id(), partner_id, message, ts(now)],
        )?;
        Ok(())
    }
}
