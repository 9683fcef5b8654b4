//! The *justificatif de remboursement*: a batch's statement as a PDF, with
//! the same lines, totals per avantage and carried amounts as its JSON.
//! A4, the builtin Helvetica faces (`platform::pdf`: accents, €, `?` for
//! what they cannot show), one text item per cell so that the text reads
//! back; deterministic (no clock, ids from the batch and its state).

use chrono::NaiveDate;
use lopdf::{Object, StringFormat};
use passregion_core::SignedMoney;
use passregion_core::status::BatchStatus;
use printpdf::{
    BuiltinFont, Color, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, Rgb, TextItem,
    TextMatrix,
};
use sha2::{Digest, Sha256};

use crate::error::ServiceError;
use crate::platform::pdf::{self as text, Face};
use crate::reimbursements::model::Statement;
use crate::reimbursements::statement::{channel_label, kind_label, local_time};

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 15.0 * MM;
const RIGHT: f32 = PAGE_W - 15.0 * MM;
const TOP: f32 = PAGE_H - 18.0 * MM;
const BOTTOM: f32 = 22.0 * MM;
const FOOTER_Y: f32 = 12.0 * MM;
/// A statement takes at most this many pages (about 30,000 lines).
pub const MAX_PAGES: usize = 500;

/// One cell: x (left edge, or right edge when `right`), width, text.
struct Cell {
    x: f32,
    width: f32,
    right: bool,
    text: String,
}

/// One row of text: its face, size, height and cells.
struct Row {
    face: Face,
    size: f32,
    height: f32,
    grey: bool,
    cells: Vec<Cell>,
}

fn line(face: Face, size: f32, height: f32, text: impl Into<String>) -> Row {
    Row {
        face,
        size,
        height,
        grey: false,
        cells: vec![Cell {
            x: LEFT,
            width: RIGHT - LEFT,
            right: false,
            text: text.into(),
        }],
    }
}

/// Columns of the lines' table: x from the left margin (mm), width (mm), right-aligned.
const LINE_COLUMNS: [(f32, f32, bool); 6] = [
    (0.0, 27.0, false),
    (27.0, 25.0, false),
    (52.0, 30.0, false),
    (82.0, 56.0, false),
    (138.0, 18.0, false),
    (180.0, 22.0, true),
];
const TOTAL_COLUMNS: [(f32, f32, bool); 5] = [
    (0.0, 80.0, false),
    (100.0, 18.0, true),
    (130.0, 28.0, true),
    (155.0, 25.0, true),
    (180.0, 22.0, true),
];

fn cells(face: Face, size: f32, columns: &[(f32, f32, bool)], values: Vec<String>) -> Row {
    Row {
        face,
        size,
        height: size * 1.45,
        grey: false,
        cells: columns
            .iter()
            .zip(values)
            .map(|(&(x, width, right), text)| Cell {
                x: LEFT + x * MM,
                width: width * MM,
                right,
                text,
            })
            .collect(),
    }
}

/// `-12,50 €`: the fonts have no U+2212 minus sign (nor narrow no-break
/// space, which `showable` turns into a no-break space).
fn euros(m: SignedMoney) -> String {
    m.format_fr().replace('\u{2212}', "-")
}

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "Remboursé le 03/12/2026 (référence BQ-1)", "En cours de paiement"…
fn payment_status(s: &Statement) -> String {
    let b = &s.batch;
    match Some(b.status) {
        Some(BatchStatus::Paid) => {
            let on = b.paid_on.map(date).unwrap_or_default();
            match &b.bank_reference {
                Some(r) => format!("Remboursé le {on} (référence bancaire {r})"),
                None => format!("Remboursé le {on}"),
            }
        }
        Some(BatchStatus::PaymentInProgress) => {
            "En cours de paiement : virement transmis à la banque".to_owned()
        }
        Some(BatchStatus::Offset) => "Soldé par compensation : rien à payer".to_owned(),
        _ => match &b.rejection_reason {
            Some(r) => format!("En attente de paiement — dernier virement rejeté : {r}"),
            None => "En attente de paiement".to_owned(),
        },
    }
}

fn rows(s: &Statement) -> Result<Vec<Row>, ServiceError> {
    let b = &s.batch;
    let (bold, regular) = (Face::Bold, Face::Regular);
    let period = match s.period_start {
        Some(start) => format!(
            "Opérations du {} au {}",
            local_time(start),
            local_time(b.period_end)
        ),
        None => format!("Opérations jusqu'au {}", local_time(b.period_end)),
    };
    let mut out = vec![
        line(
            bold,
            16.0,
            22.0,
            "Justificatif de remboursement PASS'Région",
        ),
        line(bold, 11.0, 16.0, b.partner_name.replace(['\r', '\n'], " ")),
    ];
    if let Some(siret) = &s.siret {
        out.push(line(regular, 9.5, 13.0, format!("SIRET : {siret}")));
    }
    out.extend([
        line(regular, 9.5, 13.0, format!("Lot n° {}", b.id)),
        line(
            regular,
            9.5,
            13.0,
            format!("Clos le {}", local_time(b.created_at)),
        ),
        line(regular, 9.5, 13.0, period),
        line(
            regular,
            9.5,
            13.0,
            format!("Statut : {}", payment_status(s)),
        ),
        line(bold, 11.0, 24.0, "Détail des opérations"),
        cells(
            bold,
            8.5,
            &LINE_COLUMNS,
            ["Date", "Type", "Canal", "Avantage", "Carte", "Montant"]
                .map(String::from)
                .to_vec(),
        ),
    ]);
    for l in &s.lines {
        let amount = SignedMoney::parse(&l.reimbursed_amount)?;
        out.push(cells(
            regular,
            8.5,
            &LINE_COLUMNS,
            vec![
                local_time(l.created_at),
                kind_label(&l.kind).to_owned(),
                channel_label(&l.channel).to_owned(),
                l.avantage_label.clone(),
                l.card.clone(),
                euros(amount),
            ],
        ));
    }
    if s.lines.is_empty() {
        out.push(line(regular, 9.0, 13.0, "Aucune opération."));
    }
    out.push(line(bold, 11.0, 24.0, "Totaux par avantage"));
    out.push(cells(
        bold,
        8.5,
        &TOTAL_COLUMNS,
        ["Avantage", "Opérations", "Débits", "Remb.", "Net"]
            .map(String::from)
            .to_vec(),
    ));
    for a in &s.avantages {
        out.push(cells(
            regular,
            8.5,
            &TOTAL_COLUMNS,
            vec![
                a.avantage_label.clone(),
                a.lines.to_string(),
                euros(a.debits),
                euros(a.refunds),
                euros(a.net),
            ],
        ));
    }
    out.push(line(bold, 11.0, 24.0, "Récapitulatif du lot"));
    let amount_row = |label: String, m: SignedMoney, face: Face| {
        cells(
            face,
            9.5,
            &[(0.0, 150.0, false), (180.0, 30.0, true)],
            vec![label, euros(m)],
        )
    };
    out.push(amount_row(
        "Total des opérations du lot".into(),
        b.total,
        regular,
    ));
    if !b.carried_in.is_zero() {
        let from = s
            .carried_from_period_end
            .map(|t| format!(" (lot arrêté au {})", local_time(t)))
            .unwrap_or_default();
        out.push(amount_row(
            format!("Report du lot précédent : remboursements après paiement repris{from}"),
            b.carried_in,
            regular,
        ));
    }
    out.push(amount_row("À payer par la Région".into(), b.payable, bold));
    if !b.carried_out.is_zero() {
        out.push(amount_row(
            "Reporté sur le lot suivant (reste dû par le partenaire)".into(),
            b.carried_out,
            regular,
        ));
    }
    Ok(out)
}

fn grey(level: f32) -> Color {
    Color::Rgb(Rgb {
        r: level,
        g: level,
        b: level,
        icc_profile: None,
    })
}

fn page_ops(rows: &[(f32, &Row)], footer: &Row) -> Vec<Op> {
    let mut ops = vec![Op::SaveGraphicsState, Op::StartTextSection];
    let all = rows.iter().copied().chain([(FOOTER_Y, footer)]);
    for (y, row) in all {
        let font = match row.face {
            Face::Regular => BuiltinFont::Helvetica,
            Face::Bold => BuiltinFont::HelveticaBold,
        };
        ops.push(Op::SetFont {
            font: PdfFontHandle::Builtin(font),
            size: Pt(row.size),
        });
        ops.push(Op::SetFillColor {
            col: grey(if row.grey { 0.35 } else { 0.0 }),
        });
        for c in &row.cells {
            let shown = text::fit(&text::showable(&c.text), row.face, row.size, c.width);
            if shown.is_empty() {
                continue;
            }
            let x = if c.right {
                c.x - text::width(&shown, row.face, row.size)
            } else {
                c.x
            };
            ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(x), Pt(y)),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(shown)],
            });
        }
    }
    ops.push(Op::EndTextSection);
    ops.push(Op::RestoreGraphicsState);
    ops
}

/// The justificatif of a statement.
pub fn statement_pdf(s: &Statement) -> Result<Vec<u8>, ServiceError> {
    let rows = rows(s)?;
    let mut pages: Vec<Vec<(f32, &Row)>> = vec![Vec::new()];
    let mut y = TOP;
    for row in &rows {
        if y - row.height < BOTTOM {
            if pages.len() >= MAX_PAGES {
                return Err(ServiceError::Invalid {
                    field: "id",
                    message: "Ce lot compte trop d'opérations pour un justificatif PDF : téléchargez le CSV.".into(),
                });
            }
            pages.push(Vec::new());
            y = TOP;
        }
        y -= row.height;
        if let Some(p) = pages.last_mut() {
            p.push((y, row));
        }
    }
    let total = pages.len();
    let pdf_pages = pages
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let mut footer = cells(
                Face::Regular,
                8.0,
                &[(0.0, 150.0, false), (180.0, 30.0, true)],
                vec![
                    format!(
                        "Justificatif de remboursement PASS'Région — lot {}",
                        s.batch.id
                    ),
                    format!("Page {} / {total}", n + 1),
                ],
            );
            footer.grey = true;
            PdfPage::new(
                printpdf::Mm(210.0),
                printpdf::Mm(297.0),
                page_ops(p, &footer),
            )
        })
        .collect();
    let mut pdf = PdfDocument::new("Justificatif de remboursement PASS'Région");
    let stamp = printpdf::OffsetDateTime::from_unix_timestamp(s.batch.created_at.timestamp())
        .map_err(|_| ServiceError::Internal("batch date out of range".into()))?;
    let info = &mut pdf.metadata.info;
    info.author = "Région Auvergne-Rhône-Alpes".into();
    info.creator = "PASS'Région".into();
    info.producer = "PASS'Région".into();
    info.subject = format!("Lot de remboursement {}", s.batch.id);
    info.creation_date = stamp;
    info.modification_date = stamp;
    info.metadata_date = stamp;
    pdf.pages = pdf_pages;
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = printpdf::serialize::to_lopdf_doc(&pdf, &opts, &mut warnings);
    // The trailer's ids from the batch (and its state), not at random.
    let digest = |parts: &[&str]| {
        let mut h = Sha256::new().chain_update(b"passregion-statement\0");
        for p in parts {
            h.update(p.as_bytes());
            h.update(b"\0");
        }
        h.finalize()[..16].to_vec()
    };
    let first = digest(&[&s.batch.id]);
    let state = digest(&[
        &s.batch.id,
        s.batch.status.as_str(),
        s.batch.bank_reference.as_deref().unwrap_or(""),
        s.batch.rejection_reason.as_deref().unwrap_or(""),
    ]);
    lo.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(first, StringFormat::Hexadecimal),
            Object::String(state, StringFormat::Hexadecimal),
        ]),
    );
    if let Ok(Object::Reference(info_id)) = lo.trailer.get(b"Info").cloned()
        && let Ok(Object::Dictionary(info)) = lo.get_object_mut(info_id)
    {
        info.remove(b"GTS_PDFXVersion");
        info.remove(b"Keywords");
    }
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| ServiceError::Internal(format!("pdf: {e}")))?;
    Ok(out)
}
