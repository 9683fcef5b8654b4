//! The rows of partners, conventions, documents and CGP versions as either engine reads them (SQLite, PostgreSQL): one mapping to the domain's types.

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::application::DocumentKind;

use crate::error::ServiceError;
use crate::partners::application::{ConventionRow, PartnerRow};
use crate::partners::model::{ApplicationDocument, Cgp};
use crate::platform::sql::{enum_from, parse_date, parse_ts};

pub(crate) fn opt_ts(v: Option<String>) -> Result<Option<DateTime<Utc>>, ServiceError> {
    v.as_deref().map(parse_ts).transpose()
}

pub(crate) fn opt_date(v: Option<String>) -> Result<Option<NaiveDate>, ServiceError> {
    v.as_deref().map(parse_date).transpose()
}

/// The columns of a partner read by [`PartnerRaw`], in its order.
pub(crate) const PARTNER_COLUMNS: &str =
    "id, name, category, siret, address, city, postal_code, latitude,
    longitude, COALESCE(contact_name, ''), phone, iban, bic, status, submitted_at,
    instruction_started_at, convention_signed_at, decision_reason, suspended_at,
    suspension_reason, terminates_on, termination_reason, convention_ends_on";

/// A partner's row of [`PARTNER_COLUMNS`] as stored (text instants and dates).
pub(crate) struct PartnerRaw {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) siret: Option<String>,
    pub(crate) address: String,
    pub(crate) city: String,
    pub(crate) postal_code: String,
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    pub(crate) contact_name: String,
    pub(crate) phone: Option<String>,
    pub(crate) iban: Option<String>,
    pub(crate) bic: Option<String>,
    pub(crate) status: String,
    pub(crate) submitted_at: Option<String>,
    pub(crate) instruction_started_at: Option<String>,
    pub(crate) convention_signed_at: Option<String>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) suspended_at: Option<String>,
    pub(crate) suspension_reason: Option<String>,
    pub(crate) terminates_on: Option<String>,
    pub(crate) termination_reason: Option<String>,
    pub(crate) convention_ends_on: Option<String>,
}

impl PartnerRaw {
    pub(crate) fn into_row(self) -> Result<PartnerRow, ServiceError> {
        Ok(PartnerRow {
            id: self.id,
            name: self.name,
            category: enum_from(&self.category)?,
            siret: self.siret,
            address: self.address,
            city: self.city,
            postal_code: self.postal_code,
            latitude: self.latitude,
            longitude: self.longitude,
            contact_name: self.contact_name,
            phone: self.phone,
            iban: self.iban,
            bic: self.bic,
            status: passregion_core::status::ConventionStatus::parse(&self.status)
                .ok_or_else(|| ServiceError::Internal("bad partner status".into()))?,
            submitted_at: opt_ts(self.submitted_at)?,
            instruction_started_at: opt_ts(self.instruction_started_at)?,
            convention_signed_at: opt_ts(self.convention_signed_at)?,
            decision_reason: self.decision_reason,
            suspended_at: opt_ts(self.suspended_at)?,
            suspension_reason: self.suspension_reason,
            terminates_on: opt_date(self.terminates_on)?,
            termination_reason: self.termination_reason,
            convention_ends_on: opt_date(self.convention_ends_on)?,
        })
    }
}

/// The columns of a document read by [`document`], in its order.
pub(crate) const DOCUMENT_COLUMNS: &str =
    "id, kind, filename, content_type, size_bytes, sha256, uploaded_at";

/// A document of [`DOCUMENT_COLUMNS`].
pub(crate) fn document(
    (id, kind, filename, content_type, size, sha256, at): (
        String,
        String,
        String,
        String,
        i64,
        String,
        String,
    ),
) -> Result<ApplicationDocument, ServiceError> {
    let kind = DocumentKind::parse(&kind)
        .ok_or_else(|| ServiceError::Internal("bad document kind".into()))?;
    Ok(ApplicationDocument {
        id,
        kind,
        label: kind.label().to_owned(),
        filename,
        content_type,
        size_bytes: u64::try_from(size).unwrap_or(0),
        sha256,
        uploaded_at: parse_ts(&at)?,
    })
}

/// The columns of a convention read by [`ConventionRaw`], in its order.
pub(crate) const CONVENTION_COLUMNS: &str = "id, cgp_version, starts_on, ends_on, document_sha256,
    signed_at, signed_document_sha256, signed_phone_masked, signature_attempts,
    origin = 'migrated'";

/// A convention's row of [`CONVENTION_COLUMNS`] as stored.
pub(crate) struct ConventionRaw {
    pub(crate) id: String,
    pub(crate) cgp_version: String,
    pub(crate) starts_on: String,
    pub(crate) ends_on: String,
    pub(crate) document_sha256: String,
    pub(crate) signed_at: Option<String>,
    pub(crate) signed_document_sha256: Option<String>,
    pub(crate) signed_phone_masked: Option<String>,
    pub(crate) signature_attempts: i64,
    pub(crate) migrated: bool,
}

impl ConventionRaw {
    pub(crate) fn into_row(self) -> Result<ConventionRow, ServiceError> {
        Ok(ConventionRow {
            id: self.id,
            cgp_version: self.cgp_version,
            starts_on: parse_date(&self.starts_on)?,
            ends_on: parse_date(&self.ends_on)?,
            document_sha256: self.document_sha256,
            signed_at: opt_ts(self.signed_at)?,
            signed_document_sha256: self.signed_document_sha256,
            signed_phone_masked: self.signed_phone_masked,
            signature_attempts: u32::try_from(self.signature_attempts).unwrap_or(u32::MAX),
            migrated: self.migrated,
        })
    }
}

/// A CGP version: version, title, body, the convention model's term.
pub(crate) fn cgp(
    (version, title, body, ends): (String, String, String, String),
) -> Result<Cgp, ServiceError> {
    Ok(Cgp {
        version,
        title,
        body,
        convention_ends_on: parse_date(&ends)?,
    })
}
