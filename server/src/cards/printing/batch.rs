//! The card maker's batch: each queued card with the signed text of its
//! printed QR, as a CSV (`;`, UTF-8 with a BOM, cells defused) and as a ZIP
//! holding that CSV (`cartes.csv`) and one SVG QR per card (`qr/NUMERO.svg`,
//! named by the card's number), so that the
//! card maker prints the codes as drawn here rather than encoding them again.

use std::io::Write;

use passregion_core::credential::{CardQr, IssuerKey};
use passregion_core::qr::{QrUse, render_svg};

use crate::cards::printing::QueuedCard;
use crate::error::ServiceError;
use crate::platform::spreadsheet::cell;

/// Smallest side of a QR's SVG, in pixels (the card maker scales vectors).
const SVG_MIN_PX: u32 = 256;

/// A queued card and its signed QR text.
pub struct Printed {
    /// The card.
    pub card: QueuedCard,
    /// The `PR1:` text of its printed code.
    pub qr: String,
}

fn internal(what: &str) -> impl Fn(String) -> ServiceError + '_ {
    move |e| ServiceError::Internal(format!("{what}: {e}"))
}

/// Signs the printed QR of every queued card.
pub fn sign_all(queue: Vec<QueuedCard>, issuer: &IssuerKey) -> Result<Vec<Printed>, ServiceError> {
    queue
        .into_iter()
        .map(|card| {
            let card_id = uuid::Uuid::parse_str(&card.item.card_id)
                .map_err(|e| internal("card id")(e.to_string()))?;
            let season = passregion_core::Season::starting(card.season_year)
                .map_err(|e| internal("season")(e.to_string()))?;
            let qr = CardQr {
                card_id,
                card_version: card.version,
                season,
            }
            .sign(issuer)
            .map_err(|e| internal("qr")(e.to_string()))?;
            Ok(Printed { card, qr })
        })
        .collect()
}

/// The batch as a CSV.
pub fn csv(batch: &[Printed]) -> Result<Vec<u8>, ServiceError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: csv::Error| internal("csv")(e.to_string());
    w.write_record([
        "numero",
        "prenom",
        "nom",
        "etablissement",
        "adresse",
        "code_postal",
        "commune",
        "saison",
        "qr",
    ])
    .map_err(err)?;
    for p in batch {
        let i = &p.card.item;
        w.write_record([
            i.number.clone(),
            cell(&i.first_name),
            cell(&i.last_name),
            cell(&i.establishment),
            cell(&i.address),
            cell(&i.postal_code),
            cell(&i.city),
            i.season.clone(),
            p.qr.clone(),
        ])
        .map_err(err)?;
    }
    w.into_inner().map_err(|e| internal("csv")(e.to_string()))
}

/// The path of a card's QR in the archive.
fn svg_name(number: &str) -> String {
    format!("qr/{number}.svg")
}

/// The batch as a ZIP: `cartes.csv` and `qr/NUMERO.svg` for each card.
pub fn zip(batch: &[Printed]) -> Result<Vec<u8>, ServiceError> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let zerr = |e: zip::result::ZipError| internal("zip")(e.to_string());
    let ioerr = |e: std::io::Error| internal("zip")(e.to_string());
    z.start_file("cartes.csv", opts).map_err(zerr)?;
    z.write_all(&csv(batch)?).map_err(ioerr)?;
    for p in batch {
        let svg = render_svg(&p.qr, QrUse::PrintedCard, SVG_MIN_PX)
            .map_err(|e| internal("svg")(e.to_string()))?;
        z.start_file(svg_name(&p.card.item.number), opts)
            .map_err(zerr)?;
        z.write_all(svg.as_bytes()).map_err(ioerr)?;
    }
    Ok(z.finish().map_err(zerr)?.into_inner())
}
