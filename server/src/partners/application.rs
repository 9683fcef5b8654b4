//! The rules of a partner's application (issue 13): the draft saved field by
//! field (each checked: SIRET key, mobile phone, IBAN and BIC, a pin in
//! metropolitan France), its documents, what it still misses, and the view
//! the applicant and the Region read. Writes go through the storage-only
//! `ApplicationsTx` trait, implemented for SQLite in
//! `partners/application_repo.rs`.

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::PartnerCategory;
use passregion_core::application::{
    ApplicationFacts, ApplicationStage, ConventionFacts, DocumentKind, application_stage,
    masked_iban, renewal_due, standing, valid_bic, valid_iban,
};
use passregion_core::partner::{masked_phone, mobile_phone, valid_siret};
use passregion_core::status::ConventionStatus;

use crate::error::ServiceError;
use crate::partners::model::{
    ApplicationDocument, ApplicationDraft, ApplicationView, ConventionView, PartnerNotice,
    RequiredDocument,
};
use crate::platform::sql::{check_postal_code, require_text};

/// A partner as stored, for its application and convention.
#[derive(Debug, Clone)]
pub(crate) struct PartnerRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) category: PartnerCategory,
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
    pub(crate) status: ConventionStatus,
    pub(crate) submitted_at: Option<DateTime<Utc>>,
    pub(crate) instruction_started_at: Option<DateTime<Utc>>,
    pub(crate) convention_signed_at: Option<DateTime<Utc>>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) suspended_at: Option<DateTime<Utc>>,
    pub(crate) suspension_reason: Option<String>,
    pub(crate) terminates_on: Option<NaiveDate>,
    pub(crate) termination_reason: Option<String>,
    pub(crate) convention_ends_on: Option<NaiveDate>,
}

impl PartnerRow {
    /// A new structure with nothing filled in yet, pinned in Lyon until
    /// placed on the map (as a draft).
    pub(crate) fn blank(id: String, category: PartnerCategory) -> PartnerRow {
        PartnerRow {
            id,
            name: String::new(),
            category,
            siret: None,
            address: String::new(),
            city: String::new(),
            postal_code: String::new(),
            latitude: 45.7640,
            longitude: 4.8357,
            contact_name: String::new(),
            phone: None,
            iban: None,
            bic: None,
            status: ConventionStatus::Pending,
            submitted_at: None,
            instruction_started_at: None,
            convention_signed_at: None,
            decision_reason: None,
            suspended_at: None,
            suspension_reason: None,
            terminates_on: None,
            termination_reason: None,
            convention_ends_on: None,
        }
    }

    /// Where the application stands.
    pub(crate) fn stage(&self) -> ApplicationStage {
        application_stage(ApplicationFacts {
            status: self.status,
            submitted: self.submitted_at.is_some(),
            signed: self.convention_signed_at.is_some(),
            instruction_started: self.instruction_started_at.is_some(),
        })
    }

    /// The facts of its convention.
    pub(crate) fn convention_facts(&self) -> ConventionFacts {
        ConventionFacts {
            status: self.status,
            suspended: self.suspended_at.is_some(),
            ends_on: self.convention_ends_on,
            terminates_on: self.terminates_on,
        }
    }
}

/// A convention as stored.
#[derive(Debug, Clone)]
pub(crate) struct ConventionRow {
    pub(crate) id: String,
    pub(crate) cgp_version: String,
    pub(crate) starts_on: NaiveDate,
    pub(crate) ends_on: NaiveDate,
    pub(crate) document_sha256: String,
    pub(crate) signed_at: Option<DateTime<Utc>>,
    pub(crate) signed_document_sha256: Option<String>,
    pub(crate) signed_phone_masked: Option<String>,
    pub(crate) signature_attempts: u32,
    /// Signed outside the platform (imported, issue 16).
    pub(crate) migrated: bool,
}

impl ConventionRow {
    fn view(&self) -> ConventionView {
        ConventionView {
            id: self.id.clone(),
            cgp_version: self.cgp_version.clone(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            document_sha256: self.document_sha256.clone(),
            signed_at: self.signed_at,
            signed_phone: self.signed_phone_masked.clone(),
            signature_attempts: self.signature_attempts,
            migrated: self.migrated,
        }
    }
}

/// A stored document's bytes: where they are and what they are.
#[derive(Debug, Clone)]
pub struct DocumentRef {
    /// The partner whose application holds it.
    pub partner_id: String,
    /// SHA-256 of its content (its name in the document store).
    pub sha256: String,
    /// Its type, from its content.
    pub content_type: String,
    /// The name it was uploaded with.
    pub filename: String,
}

/// The storage of applications inside the writer's transaction (or a
/// reader). SQL only, no rule.
pub(crate) trait ApplicationsTx {
    /// A partner.
    fn partner_row(&self, id: &str) -> Result<Option<PartnerRow>, ServiceError>;
    /// Stores the draft's fields.
    fn save_draft(&self, row: &PartnerRow) -> Result<(), ServiceError>;
    /// The documents not removed.
    fn documents(&self, partner_id: &str) -> Result<Vec<ApplicationDocument>, ServiceError>;
    /// Adds a document.
    fn insert_document(
        &self,
        partner_id: &str,
        account_id: &str,
        doc: &ApplicationDocument,
    ) -> Result<(), ServiceError>;
    /// Marks a document removed; whether it was the partner's.
    fn remove_document(
        &self,
        partner_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError>;
    /// A document's bytes reference (removed ones too: the Region keeps them).
    fn document_ref(&self, id: &str) -> Result<Option<DocumentRef>, ServiceError>;
    /// The newest CGP version accepted by the partner.
    fn cgp_accepted(&self, partner_id: &str) -> Result<Option<String>, ServiceError>;
    /// The newest convention of the partner.
    fn latest_convention(&self, partner_id: &str) -> Result<Option<ConventionRow>, ServiceError>;
    /// The Region's messages, newest first.
    fn notices(&self, partner_id: &str) -> Result<Vec<PartnerNotice>, ServiceError>;
}

/// The documents a deployment asks for, per category (the core's default,
/// or a JSON file `{"librairie": ["kbis_statuts", "rib"], …}`).
#[derive(Debug, Clone, Default)]
pub struct RequiredDocuments {
    by_category: std::collections::HashMap<PartnerCategory, Vec<DocumentKind>>,
}

impl RequiredDocuments {
    /// The kinds asked of `category`.
    pub fn of(&self, category: PartnerCategory) -> Vec<DocumentKind> {
        self.by_category
            .get(&category)
            .cloned()
            .unwrap_or_else(|| passregion_core::application::default_required_documents(category))
    }

    /// Reads a JSON file: an object from category codes to lists of kinds;
    /// a category it leaves out keeps the default.
    pub fn from_json(text: &str) -> anyhow::Result<RequiredDocuments> {
        let raw: std::collections::HashMap<String, Vec<String>> = serde_json::from_str(text)?;
        let mut by_category = std::collections::HashMap::new();
        for (cat, kinds) in raw {
            let category = PartnerCategory::ALL
                .into_iter()
                .find(|c| c.code() == cat)
                .ok_or_else(|| anyhow::anyhow!("unknown partner category {cat:?}"))?;
            let kinds = kinds
                .iter()
                .map(|k| {
                    DocumentKind::parse(k).ok_or_else(|| anyhow::anyhow!("unknown document {k:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            by_category.insert(category, kinds);
        }
        Ok(RequiredDocuments { by_category })
    }
}

fn coordinate(
    field: &'static str,
    v: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Result<f64, ServiceError> {
    if v.is_finite() && range.contains(&v) {
        Ok(v)
    } else {
        Err(ServiceError::Invalid {
            field,
            message: "Placez le repère en France métropolitaine.".into(),
        })
    }
}

/// Applies the given fields of a draft to a stored partner, each checked;
/// the first bad field is reported and nothing is stored.
pub(crate) fn apply_draft(row: &mut PartnerRow, d: &ApplicationDraft) -> Result<(), ServiceError> {
    if let Some(name) = &d.name {
        row.name = require_text("name", name, 120)?;
    }
    if let Some(category) = d.category {
        row.category = category;
    }
    if let Some(siret) = &d.siret {
        row.siret = Some(valid_siret(siret).ok_or(ServiceError::Invalid {
            field: "siret",
            message: "Le SIRET comporte 14 chiffres (clé de contrôle invalide).".into(),
        })?);
    }
    if let Some(address) = &d.address {
        row.address = require_text("address", address, 200)?;
    }
    if let Some(city) = &d.city {
        row.city = require_text("city", city, 80)?;
    }
    if let Some(pc) = &d.postal_code {
        row.postal_code = check_postal_code(pc)?;
    }
    if let Some(lat) = d.latitude {
        row.latitude = coordinate("latitude", lat, 41.0..=51.5)?;
    }
    if let Some(lon) = d.longitude {
        row.longitude = coordinate("longitude", lon, -5.5..=10.0)?;
    }
    if let Some(contact) = &d.contact_name {
        row.contact_name = require_text("contact_name", contact, 80)?;
    }
    if let Some(phone) = &d.phone {
        row.phone = Some(mobile_phone(phone).ok_or(ServiceError::Invalid {
            field: "phone",
            message: "Indiquez un numéro de mobile (06 ou 07) pour recevoir le code.".into(),
        })?);
    }
    if let Some(iban) = &d.iban {
        row.iban = Some(valid_iban(iban).ok_or(ServiceError::Invalid {
            field: "iban",
            message: "IBAN invalide : vérifiez le pays, la longueur et la clé.".into(),
        })?);
    }
    if let Some(bic) = &d.bic {
        row.bic = Some(
            valid_bic(bic, row.iban.as_deref()).ok_or(ServiceError::Invalid {
                field: "bic",
                message: "BIC invalide (8 ou 11 caractères, du pays de l'IBAN).".into(),
            })?,
        );
    }
    Ok(())
}

/// What must still be done before the application can be sent, in words.
pub(crate) fn missing(
    row: &PartnerRow,
    docs: &[ApplicationDocument],
    required: &[DocumentKind],
) -> Vec<String> {
    let mut out = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            out.push(what.to_owned());
        }
    };
    need(!row.name.is_empty(), "La raison sociale");
    need(row.siret.is_some(), "Le SIRET");
    need(!row.address.is_empty(), "L'adresse");
    need(!row.city.is_empty(), "La commune");
    need(!row.postal_code.is_empty(), "Le code postal");
    need(row.phone.is_some(), "Le téléphone mobile");
    need(row.iban.is_some(), "L'IBAN");
    need(row.bic.is_some(), "Le BIC");
    for kind in required {
        let given = docs.iter().any(|d| d.kind == *kind);
        if !given {
            out.push(format!("Document : {}", kind.label()));
        }
    }
    out
}

/// Whether the draft may still be changed (before it is sent).
pub(crate) fn editable(row: &PartnerRow) -> Result<(), ServiceError> {
    if row.stage() == ApplicationStage::Draft {
        Ok(())
    } else {
        Err(ServiceError::Partners(
            crate::partners::error::PartnersError::ApplicationAlreadySent,
        ))
    }
}

/// Whether a validated partner's profile may take these changes: not its
/// category (it decides which avantages it debits) once validated.
pub(crate) fn editable_profile(row: &PartnerRow, d: &ApplicationDraft) -> Result<(), ServiceError> {
    if row.status != ConventionStatus::Validated || row.terminates_on.is_some() {
        return Err(crate::partners::error::PartnersError::WrongState.into());
    }
    if d.iban.is_some() || d.bic.is_some() {
        return Err(ServiceError::Invalid {
            field: "iban",
            message: "Les coordonnées bancaires se changent avec un code envoyé par SMS, puis la validation de la Région.".into(),
        });
    }
    if d.category.is_some_and(|c| c != row.category) {
        return Err(ServiceError::Invalid {
            field: "category",
            message: "La catégorie d'un partenaire validé ne change pas : contactez la Région."
                .into(),
        });
    }
    Ok(())
}

/// The application as the applicant (and the Region) reads it.
pub(crate) fn view(
    tx: &dyn ApplicationsTx,
    partner_id: &str,
    required: &RequiredDocuments,
    current_cgp: Option<&str>,
    today: NaiveDate,
) -> Result<ApplicationView, ServiceError> {
    let row = tx
        .partner_row(partner_id)?
        .ok_or(ServiceError::NotFound("Partenaire"))?;
    let documents = tx.documents(partner_id)?;
    let kinds = required.of(row.category);
    let required_documents = kinds
        .iter()
        .map(|k| RequiredDocument {
            kind: *k,
            label: k.label().to_owned(),
            provided: documents.iter().any(|d| d.kind == *k),
        })
        .collect();
    let convention = tx.latest_convention(partner_id)?;
    let stand = standing(row.convention_facts(), today);
    let renewal = row.status == ConventionStatus::Validated
        && row.terminates_on.is_none()
        && (row
            .convention_ends_on
            .is_some_and(|end| renewal_due(end, today))
            || convention.as_ref().is_some_and(|c| {
                c.signed_at.is_some() && Some(c.cgp_version.as_str()) != current_cgp
            }));
    Ok(ApplicationView {
        partner_id: row.id.clone(),
        stage: row.stage(),
        standing: stand,
        missing: missing(&row, &documents, &kinds),
        name: row.name,
        category: row.category,
        siret: row.siret,
        address: row.address,
        city: row.city,
        postal_code: row.postal_code,
        latitude: row.latitude,
        longitude: row.longitude,
        contact_name: row.contact_name,
        phone: row.phone.as_deref().map(masked_phone),
        iban: row.iban.as_deref().map(masked_iban),
        bic: row.bic,
        documents,
        required_documents,
        cgp_accepted_version: tx.cgp_accepted(partner_id)?,
        convention: convention.as_ref().map(ConventionRow::view),
        decision_reason: row.decision_reason,
        suspension_reason: row.suspended_at.and(row.suspension_reason),
        terminates_on: row.terminates_on,
        termination_reason: row.termination_reason,
        renewal_due: renewal,
        notices: tx.notices(partner_id)?,
    })
}

/// A file name as shown (its path and control characters dropped, at most
/// 120 characters).
pub(crate) fn clean_filename(raw: &str) -> Result<String, ServiceError> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(ServiceError::Invalid {
            field: "filename",
            message: "Indiquez le nom du fichier.".into(),
        });
    }
    Ok(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row() -> PartnerRow {
        PartnerRow {
            name: "Librairie".into(),
            latitude: 45.76,
            longitude: 4.84,
            contact_name: "Anne".into(),
            ..PartnerRow::blank("p".into(), PartnerCategory::Librairie)
        }
    }

    #[test]
    fn a_bad_field_changes_nothing() {
        let mut r = row();
        let d = ApplicationDraft {
            city: Some("Lyon".into()),
            iban: Some("FR7630006000011234567890188".into()),
            ..Default::default()
        };
        let before = r.city.clone();
        let mut copy = r.clone();
        assert!(apply_draft(&mut copy, &d).is_err());
        // The caller stores `copy` only on success; `r` is untouched.
        assert_eq!(r.city, before);
        let ok = ApplicationDraft {
            city: Some("Lyon".into()),
            iban: Some("FR76 3000 6000 0112 3456 7890 189".into()),
            bic: Some("AGRIFRPP".into()),
            ..Default::default()
        };
        apply_draft(&mut r, &ok).unwrap();
        assert_eq!(r.iban.as_deref(), Some("FR7630006000011234567890189"));
        let far = ApplicationDraft {
            latitude: Some(f64::NAN),
            ..Default::default()
        };
        assert!(apply_draft(&mut r, &far).is_err());
    }

    #[test]
    fn missing_lists_fields_and_documents() {
        let r = row();
        let m = missing(&r, &[], &[DocumentKind::KbisOrStatuts, DocumentKind::Rib]);
        assert!(m.contains(&"Le SIRET".to_owned()));
        assert!(m.contains(&"Document : RIB".to_owned()));
    }

    #[test]
    fn filenames_lose_their_path() {
        assert_eq!(clean_filename("C:\\tmp\\kbis.pdf").unwrap(), "kbis.pdf");
        assert_eq!(clean_filename("../../etc/passwd").unwrap(), "passwd");
        assert!(clean_filename("dir/").is_err());
    }

    #[test]
    fn required_documents_from_json() {
        let r = RequiredDocuments::from_json(r#"{"librairie": ["rib"]}"#).unwrap();
        assert_eq!(r.of(PartnerCategory::Librairie), vec![DocumentKind::Rib]);
        assert!(
            r.of(PartnerCategory::Musee)
                .contains(&DocumentKind::Insurance)
        );
        assert!(RequiredDocuments::from_json(r#"{"boulangerie": []}"#).is_err());
    }
}
