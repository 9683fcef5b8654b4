//! TEMPORARY SHIM (replaced by helper h-pdf's implementation at merge).
pub struct ConventionDocument<'a> {
    pub partner_name: &'a str, pub siret: &'a str, pub address: &'a str, pub contact_name: &'a str,
    pub category_label: &'a str, pub cgp_version: &'a str, pub cgp_text: &'a str,
    pub starts_on: chrono::NaiveDate, pub ends_on: chrono::NaiveDate, pub convention_id: &'a str,
}
pub struct SignatureBlock<'a> { pub signed_at: chrono::DateTime<chrono::Utc>, pub masked_phone: &'a str, pub document_sha256: &'a str, pub attempts: u32 }
#[derive(Debug, thiserror::Error)]
pub enum ConventionPdfError { #[error("pdf")] Pdf }
pub fn convention_pdf(doc: &ConventionDocument) -> Result<Vec<u8>, ConventionPdfError> {
    Ok(format!("%PDF-1.4\n{} {} {} {} {}\n%%EOF\n", doc.partner_name, doc.siret, doc.cgp_version, doc.ends_on, doc.convention_id).into_bytes())
}
pub fn signed_convention_pdf(doc: &ConventionDocument, sig: &SignatureBlock) -> Result<Vec<u8>, ConventionPdfError> {
    Ok(format!("%PDF-1.4\n{} {} {} {} {} signed {} {} {}\n%%EOF\n", doc.partner_name, doc.siret, doc.cgp_version, doc.ends_on, doc.convention_id, sig.signed_at, sig.masked_phone, sig.document_sha256).into_bytes())
}
