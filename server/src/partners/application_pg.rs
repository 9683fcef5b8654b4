//! Applications and conventions on PostgreSQL (ADR 0036): the SQL of `partners::application_repo` in PostgreSQL's dialect; the rows mean the same (`partners::rows`).

use chrono::{DateTime, NaiveDate, Utc};
use r2d2_postgres::postgres::Row;

use crate::error::ServiceError;
use crate::partners::application::{ApplicationsTx, ConventionRow, DocumentRef, PartnerRow};
use crate::partners::application_repo::ConventionsTx;
use crate::partners::model::{ApplicationDocument, Cgp, PartnerNotice};
use crate::partners::rows::{
    self, CONVENTION_COLUMNS, ConventionRaw, DOCUMENT_COLUMNS, PARTNER_COLUMNS, PartnerRaw,
};
use crate::platform::pg::PgTx;
use crate::platform::sql::{new_id, parse_ts, ts};

fn partner_raw(r: &Row) -> Result<PartnerRaw, ServiceError> {
    Ok(PartnerRaw {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        category: r.try_get(2)?,
        siret: r.try_get(3)?,
        address: r.try_get(4)?,
        city: r.try_get(5)?,
        postal_code: r.try_get(6)?,
        latitude: r.try_get(7)?,
        longitude: r.try_get(8)?,
        contact_name: r.try_get(9)?,
        phone: r.try_get(10)?,
        iban: r.try_get(11)?,
        bic: r.try_get(12)?,
        status: r.try_get(13)?,
        submitted_at: r.try_get(14)?,
        instruction_started_at: r.try_get(15)?,
        convention_signed_at: r.try_get(16)?,
        decision_reason: r.try_get(17)?,
        suspended_at: r.try_get(18)?,
        suspension_reason: r.try_get(19)?,
        terminates_on: r.try_get(20)?,
        termination_reason: r.try_get(21)?,
        convention_ends_on: r.try_get(22)?,
    })
}

impl ApplicationsTx for PgTx<'_, '_> {
    fn partner_row(&self, id: &str) -> Result<Option<PartnerRow>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                &format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1"),
                &[&id],
            )?
            .map(|r| partner_raw(&r)?.into_row())
            .transpose()
        })
    }

    fn save_draft(&self, r: &PartnerRow) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE partners SET name = $2, category = $3, siret = $4, address = $5, city = $6,
                 postal_code = $7, latitude = $8, longitude = $9, contact_name = $10, phone = $11,
                 iban = $12, bic = $13 WHERE id = $1",
                &[
                    &r.id,
                    &r.name,
                    &r.category.code(),
                    &r.siret,
                    &r.address,
                    &r.city,
                    &r.postal_code,
                    &r.latitude,
                    &r.longitude,
                    &r.contact_name,
                    &r.phone,
                    &r.iban,
                    &r.bic,
                ],
            )?;
            Ok(())
        })
    }

    fn documents(&self, partner_id: &str) -> Result<Vec<ApplicationDocument>, ServiceError> {
        self.with(|tx| {
            tx.query(
                &format!(
                    "SELECT {DOCUMENT_COLUMNS}
                     FROM application_documents WHERE partner_id = $1 AND removed_at IS NULL
                     ORDER BY uploaded_at, id"
                ),
                &[&partner_id],
            )?
            .iter()
            .map(|r| {
                rows::document((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                    r.try_get(6)?,
                ))
            })
            .collect()
        })
    }

    fn insert_document(
        &self,
        partner_id: &str,
        account_id: &str,
        d: &ApplicationDocument,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO application_documents (id, partner_id, kind, filename, content_type,
                 size_bytes, sha256, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &d.id,
                    &partner_id,
                    &d.kind.as_str(),
                    &d.filename,
                    &d.content_type,
                    &i64::try_from(d.size_bytes).unwrap_or(i64::MAX),
                    &d.sha256,
                    &account_id,
                    &ts(d.uploaded_at),
                ],
            )?;
            Ok(())
        })
    }

    fn remove_document(
        &self,
        partner_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx.execute(
                "UPDATE application_documents SET removed_at = $3
                 WHERE id = $1 AND partner_id = $2 AND removed_at IS NULL",
                &[&id, &partner_id, &ts(now)],
            )? == 1)
        })
    }

    fn document_ref(&self, id: &str) -> Result<Option<DocumentRef>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT partner_id, sha256, content_type, filename FROM application_documents
                 WHERE id = $1",
                &[&id],
            )?
            .map(|r| {
                Ok(DocumentRef {
                    partner_id: r.try_get(0)?,
                    sha256: r.try_get(1)?,
                    content_type: r.try_get(2)?,
                    filename: r.try_get(3)?,
                })
            })
            .transpose()
        })
    }

    fn cgp_accepted(&self, partner_id: &str) -> Result<Option<String>, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT version FROM cgp_acceptances WHERE partner_id = $1
                     ORDER BY accepted_at DESC, id DESC LIMIT 1",
                    &[&partner_id],
                )?
                .map(|r| r.try_get(0))
                .transpose()?)
        })
    }

    fn latest_convention(&self, partner_id: &str) -> Result<Option<ConventionRow>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                &format!(
                    "SELECT {CONVENTION_COLUMNS}
                     FROM conventions WHERE partner_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
                ),
                &[&partner_id],
            )?
            .map(|r| {
                ConventionRaw {
                    id: r.try_get(0)?,
                    cgp_version: r.try_get(1)?,
                    starts_on: r.try_get(2)?,
                    ends_on: r.try_get(3)?,
                    document_sha256: r.try_get(4)?,
                    signed_at: r.try_get(5)?,
                    signed_document_sha256: r.try_get(6)?,
                    signed_phone_masked: r.try_get(7)?,
                    signature_attempts: r.try_get(8)?,
                    migrated: r.try_get(9)?,
                }
                .into_row()
            })
            .transpose()
        })
    }

    fn notices(&self, partner_id: &str) -> Result<Vec<PartnerNotice>, ServiceError> {
        self.with(|tx| {
            tx.query(
                "SELECT message, created_at FROM partner_notices WHERE partner_id = $1
                 ORDER BY created_at DESC, id DESC LIMIT 50",
                &[&partner_id],
            )?
            .iter()
            .map(|r| {
                let at: String = r.try_get(1)?;
                Ok(PartnerNotice {
                    message: r.try_get(0)?,
                    created_at: parse_ts(&at)?,
                })
            })
            .collect()
        })
    }
}

fn cgp_of(r: &Row) -> Result<Cgp, ServiceError> {
    rows::cgp((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
}

/// Runs one UPDATE of a partner's columns.
fn update(
    tx: &PgTx<'_, '_>,
    sql: &str,
    args: &[&(dyn r2d2_postgres::postgres::types::ToSql + Sync)],
) -> Result<(), ServiceError> {
    tx.with(|t| {
        t.execute(sql, args)?;
        Ok(())
    })
}

impl ConventionsTx for PgTx<'_, '_> {
    fn current_cgp(&self) -> Result<Option<Cgp>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT version, title, body, convention_ends_on FROM cgp_versions
                 ORDER BY published_at DESC, version DESC LIMIT 1",
                &[],
            )?
            .map(|r| cgp_of(&r))
            .transpose()
        })
    }

    fn cgp(&self, version: &str) -> Result<Option<Cgp>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT version, title, body, convention_ends_on FROM cgp_versions WHERE version = $1",
                &[&version],
            )?
            .map(|r| cgp_of(&r))
            .transpose()
        })
    }

    fn insert_cgp(&self, cgp: &Cgp, now: DateTime<Utc>) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx.execute(
                "INSERT INTO cgp_versions (version, title, body, convention_ends_on, published_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version) DO NOTHING",
                &[
                    &cgp.version,
                    &cgp.title,
                    &cgp.body,
                    &cgp.convention_ends_on.to_string(),
                    &ts(now),
                ],
            )? == 1)
        })
    }

    fn accept_cgp(
        &self,
        partner_id: &str,
        account_id: &str,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        update(
            self,
            "INSERT INTO cgp_acceptances (id, partner_id, account_id, version, accepted_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&new_id(), &partner_id, &account_id, &version, &ts(now)],
        )
    }

    fn mark_submitted(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        update(
            self,
            "UPDATE partners SET submitted_at = $2 WHERE id = $1",
            &[&partner_id, &ts(now)],
        )
    }

    fn insert_convention(
        &self,
        partner_id: &str,
        c: &ConventionRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        update(
            self,
            "INSERT INTO conventions (id, partner_id, cgp_version, starts_on, ends_on,
             document_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &c.id,
                &partner_id,
                &c.cgp_version,
                &c.starts_on.to_string(),
                &c.ends_on.to_string(),
                &c.document_sha256,
                &ts(now),
            ],
        )
    }

    fn record_convention_signature(
        &self,
        partner_id: &str,
        c: &ConventionRow,
    ) -> Result<(), ServiceError> {
        let signed_at = c
            .signed_at
            .ok_or_else(|| ServiceError::Internal("unsigned convention".into()))?;
        update(
            self,
            "UPDATE conventions SET signed_at = $2, signed_document_sha256 = $3,
             signed_phone_masked = $4, signature_attempts = $5 WHERE id = $1",
            &[
                &c.id,
                &ts(signed_at),
                &c.signed_document_sha256,
                &c.signed_phone_masked,
                &i64::from(c.signature_attempts),
            ],
        )?;
        update(
            self,
            "UPDATE partners SET convention_signed_at = $2, convention_ends_on = $3 WHERE id = $1",
            &[&partner_id, &ts(signed_at), &c.ends_on.to_string()],
        )?;
        update(
            self,
            "DELETE FROM convention_codes WHERE partner_id = $1",
            &[&partner_id],
        )
    }

    fn mark_instruction(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        update(
            self,
            "UPDATE partners SET instruction_started_at = $2 WHERE id = $1",
            &[&partner_id, &ts(now)],
        )
    }

    fn mark_decided(&self, partner_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        update(
            self,
            "UPDATE partners SET decided_at = $2 WHERE id = $1",
            &[&partner_id, &ts(now)],
        )
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
        update(
            self,
            "UPDATE partners SET suspended_at = $2, suspension_reason = $3 WHERE id = $1",
            &[&partner_id, &at, &reason],
        )
    }

    fn set_termination(
        &self,
        partner_id: &str,
        on: NaiveDate,
        reason: &str,
        by: &str,
    ) -> Result<(), ServiceError> {
        update(
            self,
            "UPDATE partners SET terminates_on = $2, termination_reason = $3, terminated_by = $4
             WHERE id = $1",
            &[&partner_id, &on.to_string(), &reason, &by],
        )
    }

    fn add_notice(
        &self,
        partner_id: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        update(
            self,
            "INSERT INTO partner_notices (id, partner_id, message, created_at) VALUES ($1, $2, $3, $4)",
            &[&new_id(), &partner_id, &message, &ts(now)],
        )
    }
}
