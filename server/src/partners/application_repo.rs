//! SQL of partner applications and conventions (issue 13). The rules are in
//! `partners::application` and `partners::convention`.

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::application::DocumentKind;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ServiceError;
use crate::partners::application::{ApplicationsTx, ConventionRow, DocumentRef, PartnerRow};
use crate::partners::model::{ApplicationDocument, Cgp, PartnerNotice};
use crate::platform::db::Cached;
use crate::platform::sql::{enum_from, new_id, parse_date, parse_ts, ts};

fn opt_ts(v: Option<String>) -> Result<Option<DateTime<Utc>>, ServiceError> {
    v.as_deref().map(parse_ts).transpose()
}

fn opt_date(v: Option<String>) -> Result<Option<NaiveDate>, ServiceError> {
    v.as_deref().map(parse_date).transpose()
}

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

const PARTNER_COLUMNS: &str = "id, name, category, siret, address, city, postal_code, latitude,
    longitude, COALESCE(contact_name, ''), phone, iban, bic, status, submitted_at,
    instruction_started_at, convention_signed_at, decision_reason, suspended_at,
    suspension_reason, terminates_on, termination_reason, convention_ends_on";

impl ApplicationsTx for Connection {
    fn partner_row(&self, id: &str) -> Result<Option<PartnerRow>, ServiceError> {
        let sql = format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE id = ?1");
        type Raw = (
            (
                String,
                String,
                String,
                Option<String>,
                String,
                String,
                String,
            ),
            (
                f64,
                f64,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
            ),
            (
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            ),
            (
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            ),
            Option<String>,
        );
        let raw: Option<Raw> = self
            .query_row(&sql, [id], |r| {
                Ok((
                    (
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ),
                    (
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                        r.get(12)?,
                    ),
                    (r.get(13)?, r.get(14)?, r.get(15)?, r.get(16)?, r.get(17)?),
                    (r.get(18)?, r.get(19)?, r.get(20)?, r.get(21)?),
                    r.get(22)?,
                ))
            })
            .optional()?;
        let Some((a, b, c, d, ends)) = raw else {
            return Ok(None);
        };
        Ok(Some(PartnerRow {
            id: a.0,
            name: a.1,
            category: enum_from(&a.2)?,
            siret: a.3,
            address: a.4,
            city: a.5,
            postal_code: a.6,
            latitude: b.0,
            longitude: b.1,
            contact_name: b.2,
            phone: b.3,
            iban: b.4,
            bic: b.5,
            status: passregion_core::status::ConventionStatus::parse(&c.0)
                .ok_or_else(|| ServiceError::Internal("bad partner status".into()))?,
            submitted_at: opt_ts(c.1)?,
            instruction_started_at: opt_ts(c.2)?,
            convention_signed_at: opt_ts(c.3)?,
            decision_reason: c.4,
            suspended_at: opt_ts(d.0)?,
            suspension_reason: d.1,
            terminates_on: opt_date(d.2)?,
            termination_reason: d.3,
            convention_ends_on: opt_date(ends)?,
        }))
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
        let mut stmt = self.prepare_cached(
            "SELECT id, kind, filename, content_type, size_bytes, sha256, uploaded_at
             FROM application_documents WHERE partner_id = ?1 AND removed_at IS NULL
             ORDER BY uploaded_at, id",
        )?;
        let rows = stmt.query_map([partner_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, filename, content_type, size, sha256, at) = row?;
            let kind = DocumentKind::parse(&kind)
                .ok_or_else(|| ServiceError::Internal("bad document kind".into()))?;
            out.push(ApplicationDocument {
                id,
                kind,
                label: kind.label().to_owned(),
                filename,
                content_type,
                size_bytes: u64::try_from(size).unwrap_or(0),
                sha256,
                uploaded_at: parse_ts(&at)?,
            });
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
        type Raw = (
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            u32,
            bool,
        );
        let raw: Option<Raw> = self
            .query_row(
                "SELECT id, cgp_version, starts_on, ends_on, document_sha256, signed_at,
                 signed_document_sha256, signed_phone_masked, signature_attempts,
                 origin = 'migrated'
                 FROM conventions WHERE partner_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
                [partner_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                    ))
                },
            )
            .optional()?;
        raw.map(|r| {
            Ok(ConventionRow {
                id: r.0,
                cgp_version: r.1,
                starts_on: parse_date(&r.2)?,
                ends_on: parse_date(&r.3)?,
                document_sha256: r.4,
                signed_at: opt_ts(r.5)?,
                signed_document_sha256: r.6,
                signed_phone_masked: r.7,
                signature_attempts: r.8,
                migrated: r.9,
            })
        })
        .transpose()
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
    raw.map(|(version, title, body, ends)| {
        Ok(Cgp {
            version,
            title,
            body,
            convention_ends_on: parse_date(&ends)?,
        })
    })
    .transpose()
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
