//! The partnership convention as a PDF (issue 13, ADR 0024): the document the
//! partner reads before signing with an SMS code, and the signed document that
//! adds a "Signature électronique" section.
//!
//! Output is deterministic: the same input gives the same bytes (no clock, no
//! random ids; the metadata dates and the `/ID` come from the input), so the
//! SHA-256 of the document shown can be checked again at signing time.
//! Text uses the builtin Helvetica faces (WinAnsi: all French accents, «», ’,
//! •, €); any character they cannot show is written as `?`.

mod layout;
use crate::platform::pdf as text;

use chrono::{DateTime, NaiveDate, Utc};
use lopdf::{Object, StringFormat};
use printpdf::{PdfDocument, PdfPage, PdfSaveOptions};
use sha2::{Digest, Sha256};

use layout::{BODY, Block, CGP, HEADING, NBSP, PARTY, PARTY_NAME, SUBTITLE, TITLE, block};

/// What the convention says about the partner and its term.
#[derive(Debug, Clone)]
pub struct ConventionDocument<'a> {
    /// Raison sociale.
    pub partner_name: &'a str,
    pub siret: &'a str,
    /// Street, postal code and city, on one line.
    pub address: &'a str,
    pub contact_name: &'a str,
    /// e.g. "Librairie".
    pub category_label: &'a str,
    /// e.g. "2026-06".
    pub cgp_version: &'a str,
    /// The CGP body: plain text, paragraphs separated by blank lines (a single
    /// line break is kept as a line break).
    pub cgp_text: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub convention_id: &'a str,
}

/// How the convention was signed.
#[derive(Debug, Clone)]
pub struct SignatureBlock<'a> {
    pub signed_at: DateTime<Utc>,
    /// Already masked, e.g. "06 •• •• •• 78".
    pub masked_phone: &'a str,
    /// Hex SHA-256 of the unsigned PDF that was shown and signed.
    pub document_sha256: &'a str,
    /// Codes entered, the right one included.
    pub attempts: u32,
}

/// A convention can take at most this many pages (a bound on the work and
/// memory one call can cost, whatever the CGP text).
pub const MAX_PAGES: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ConventionPdfError {
    #[error("the convention ends before it starts")]
    InvertedTerm,
    #[error("the convention's start date cannot be written in the PDF metadata")]
    DateOutOfRange,
    #[error("the convention would take more than {MAX_PAGES} pages")]
    TooLong,
    #[error("the PDF could not be written")]
    Write(#[from] std::io::Error),
}

/// The convention as shown before signing.
pub fn convention_pdf(doc: &ConventionDocument) -> Result<Vec<u8>, ConventionPdfError> {
    render(doc, None)
}

/// The signed convention: the same content plus a final "Signature
/// électronique" section (when, in Paris and UTC time; the masked phone the
/// code was sent to; the SHA-256 of the document signed; the attempts).
pub fn signed_convention_pdf(
    doc: &ConventionDocument,
    sig: &SignatureBlock,
) -> Result<Vec<u8>, ConventionPdfError> {
    render(doc, Some(sig))
}

fn render(
    doc: &ConventionDocument,
    sig: Option<&SignatureBlock>,
) -> Result<Vec<u8>, ConventionPdfError> {
    if doc.ends_on < doc.starts_on {
        return Err(ConventionPdfError::InvertedTerm);
    }
    let created = midnight_utc(doc.starts_on)?;
    let modified = match sig {
        Some(sig) => printpdf::OffsetDateTime::from_unix_timestamp(sig.signed_at.timestamp())
            .map_err(|_| ConventionPdfError::DateOutOfRange)?,
        None => created,
    };
    let pages = layout::paginate(&blocks(doc, sig))?;
    let total = pages.len();
    let id = text::showable(doc.convention_id);

    let pdf_pages = pages
        .into_iter()
        .enumerate()
        .map(|(n, mut lines)| {
            lines.extend(layout::footer(&id, n + 1, total));
            PdfPage::new(
                printpdf::Mm(210.0),
                printpdf::Mm(297.0),
                layout::page_ops(&lines),
            )
        })
        .collect();

    let mut pdf = PdfDocument::new("Convention de partenariat PASS'Région");
    let info = &mut pdf.metadata.info;
    info.author = "Région Auvergne-Rhône-Alpes".into();
    info.creator = "PASS'Région".into();
    info.producer = "PASS'Région".into();
    info.subject = format!("Convention de partenariat n° {}", doc.convention_id);
    info.creation_date = created;
    info.modification_date = modified;
    info.metadata_date = modified;
    let (first_id, instance_id) = document_ids(doc, sig);
    info.identifier = hex(&first_id);
    pdf.pages = pdf_pages;

    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = printpdf::serialize::to_lopdf_doc(&pdf, &opts, &mut warnings);
    // printpdf draws the trailer's /ID at random: replace it with ids derived
    // from the input (PDF 32000-1 §14.4: the first one stays with the
    // document, the second one changes with each version).
    lo.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(first_id.to_vec(), StringFormat::Hexadecimal),
            Object::String(instance_id.to_vec(), StringFormat::Hexadecimal),
        ]),
    );
    // printpdf writes an empty /GTS_PDFXVersion, which readers take for a
    // PDF/X claim, and empty /Keywords: this document makes no such claim.
    if let Ok(Object::Reference(info_id)) = lo.trailer.get(b"Info").cloned()
        && let Ok(Object::Dictionary(info)) = lo.get_object_mut(info_id)
    {
        info.remove(b"GTS_PDFXVersion");
        info.remove(b"Keywords");
    }
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out)?;
    Ok(out)
}

fn midnight_utc(date: NaiveDate) -> Result<printpdf::OffsetDateTime, ConventionPdfError> {
    let seconds = date
        .and_hms_opt(0, 0, 0)
        .map(|dt| dt.and_utc().timestamp())
        .ok_or(ConventionPdfError::DateOutOfRange)?;
    printpdf::OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| ConventionPdfError::DateOutOfRange)
}

/// The trailer's two ids: the convention's own, and this version's (the
/// unsigned document is the first version; the signed one is another).
fn document_ids(doc: &ConventionDocument, sig: Option<&SignatureBlock>) -> ([u8; 16], [u8; 16]) {
    let first = first16(
        Sha256::new()
            .chain_update(b"passregion-convention\0")
            .chain_update(doc.convention_id),
    );
    let instance = match sig {
        None => first,
        Some(sig) => first16(
            Sha256::new()
                .chain_update(first)
                .chain_update(sig.signed_at.to_rfc3339())
                .chain_update(b"\0")
                .chain_update(sig.document_sha256),
        ),
    };
    (first, instance)
}

fn first16(hasher: Sha256) -> [u8; 16] {
    let digest = hasher.finalize();
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The convention's text, paragraph by paragraph.
fn blocks(doc: &ConventionDocument, sig: Option<&SignatureBlock>) -> Vec<Block> {
    // The identity fields are one line each: a line break in them is no
    // layout instruction, it is shown as `?` like any control character.
    let one_line = |s: &str| s.replace(['\r', '\n'], "?");
    let colon = format!("{NBSP}:");
    let mut out = vec![
        block(TITLE, "Convention de partenariat PASS'Région"),
        block(
            SUBTITLE,
            format!(
                "Convention n°{NBSP}{} — Conditions Générales de Partenariat, version {}",
                one_line(doc.convention_id),
                one_line(doc.cgp_version)
            ),
        ),
        block(HEADING, "Entre les soussignés"),
        block(
            BODY,
            format!(
                "La Région Auvergne-Rhône-Alpes, représentée par le Président du Conseil régional, \
                 qui gère le dispositif PASS'Région, ci-après dénommée «{NBSP}la Région{NBSP}»,"
            ),
        ),
        block(BODY, "d'une part,"),
        block(BODY, "et"),
        block(PARTY_NAME, one_line(doc.partner_name)),
        block(PARTY, format!("SIRET{colon} {}", one_line(doc.siret))),
        block(PARTY, format!("Adresse{colon} {}", one_line(doc.address))),
        block(
            PARTY,
            format!("Représentant{colon} {}", one_line(doc.contact_name)),
        ),
        block(
            PARTY,
            format!("Catégorie{colon} {}", one_line(doc.category_label)),
        ),
        block(
            BODY,
            format!("ci-après dénommé «{NBSP}le Partenaire{NBSP}», d'autre part."),
        ),
        block(HEADING, "Article 1 — Objet"),
        block(
            BODY,
            "La présente convention définit les conditions dans lesquelles le Partenaire accepte \
             la carte PASS'Région comme moyen de paiement auprès de ses titulaires et leur propose, \
             le cas échéant, des avantages. La Région rembourse au Partenaire les achats réglés avec \
             la carte, dans les conditions prévues par les Conditions Générales de Partenariat.",
        ),
        block(HEADING, "Article 2 — Durée"),
        block(
            BODY,
            format!(
                "La convention est conclue pour la période du {} au {} inclus.",
                text::french_date(doc.starts_on),
                text::french_date(doc.ends_on)
            ),
        ),
        block(HEADING, "Article 3 — Conditions Générales de Partenariat"),
        block(
            BODY,
            format!(
                "Le Partenaire déclare avoir pris connaissance des Conditions Générales de \
                 Partenariat (CGP), version {}, reproduites ci-dessous, et les accepter. Elles font \
                 partie intégrante de la présente convention.",
                one_line(doc.cgp_version)
            ),
        ),
    ];
    out.extend(paragraphs(doc.cgp_text).map(|p| block(CGP, p)));
    out.push(block(HEADING, "Article 4 — Signature"));
    out.push(block(
        BODY,
        format!(
            "Le Partenaire signe la présente convention par voie électronique, en saisissant le \
             code à usage unique envoyé par SMS au numéro de mobile qu'il a déclaré. L'empreinte \
             SHA-256 du document présenté est conservée avec la signature{NBSP}; la version signée \
             en porte la mention dans une section «{NBSP}Signature électronique{NBSP}»."
        ),
    ));
    if let Some(sig) = sig {
        let tries = match sig.attempts {
            1 => "1 tentative".to_owned(),
            n => format!("{n} tentatives"),
        };
        // The masked number stays on one line.
        let phone = sig.masked_phone.replace(' ', "\u{A0}");
        out.extend([
            block(HEADING, "Signature électronique"),
            block(
                BODY,
                format!(
                    "Convention signée électroniquement par le Partenaire le {}.",
                    text::french_instant(sig.signed_at)
                ),
            ),
            block(
                BODY,
                format!("Code à usage unique envoyé par SMS au {phone}, validé en {tries}."),
            ),
            block(
                BODY,
                format!(
                    "Empreinte SHA-256 du document présenté et signé{colon}\n{}",
                    sig.document_sha256
                ),
            ),
        ]);
    }
    out
}

/// Plain-text paragraphs: separated by blank lines, single line breaks kept.
fn paragraphs(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut current: Vec<&str> = Vec::new();
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r')).chain([""]);
    std::iter::from_fn(move || {
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                if !current.is_empty() {
                    return Some(std::mem::take(&mut current).join("\n"));
                }
            } else {
                current.push(line.trim_end());
            }
        }
        None
    })
}
