//! The partnership convention's PDF (issue 13): well formed, deterministic,
//! its text extractable (read back with lopdf, an independent decoder of the
//! WinAnsi strings), laid out over several pages, and safe on hostile names.

use chrono::{NaiveDate, TimeZone, Utc};
use passregion_server::partners::convention_pdf::{
    ConventionDocument, ConventionPdfError, MAX_PAGES, SignatureBlock, convention_pdf,
    signed_convention_pdf,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const CGP: &str = "Article A. Le Partenaire accepte la carte PASS'Région.\n\
Il affiche le macaron fourni par la Région.\n\
\n\
Article B. Les remboursements sont versés chaque mois.";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn sample<'a>(partner_name: &'a str, cgp_text: &'a str) -> ConventionDocument<'a> {
    ConventionDocument {
        partner_name,
        siret: "73282932000074",
        address: "12 rue de la République, 69002 Lyon",
        contact_name: "Zoé Lefèvre",
        category_label: "Librairie",
        cgp_version: "2026-06",
        cgp_text,
        starts_on: date(2026, 6, 1),
        ends_on: date(2027, 5, 31),
        convention_id: "0190a8c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d",
    }
}

fn signature(document_sha256: &str, attempts: u32) -> SignatureBlock<'_> {
    SignatureBlock {
        signed_at: Utc.with_ymd_and_hms(2026, 6, 3, 12, 5, 0).unwrap(),
        masked_phone: "06 •• •• •• 78",
        document_sha256,
        attempts,
    }
}

/// Each page's lines (one per `Tj`), decoded with the font's own encoding.
fn lines(pdf: &[u8]) -> Vec<Vec<String>> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    doc.get_pages()
        .values()
        .map(|page| {
            let fonts = doc.get_page_fonts(*page).unwrap();
            let content = lopdf::content::Content::decode(&doc.get_page_content(*page)).unwrap();
            let mut encoding = None;
            let mut out = Vec::new();
            for op in &content.operations {
                match op.operator.as_str() {
                    "Tf" => {
                        let name = op.operands[0].as_name().unwrap();
                        encoding = Some(fonts[name].get_font_encoding(&doc).unwrap());
                    }
                    "Tj" => {
                        let bytes = op.operands[0].as_str().unwrap();
                        let enc = encoding.as_ref().expect("text before any font");
                        out.push(lopdf::Document::decode_text(enc, bytes).unwrap());
                    }
                    "TJ" | "'" | "\"" => panic!("unexpected text operator {}", op.operator),
                    _ => {}
                }
            }
            out
        })
        .collect()
}

/// The page count and the whole text, lines joined by a space and whitespace
/// runs (no-break spaces too) collapsed to one space.
fn read(pdf: &[u8]) -> (usize, String) {
    let pages = lines(pdf);
    let text = pages
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    (
        pages.len(),
        text.split_whitespace().collect::<Vec<_>>().join(" "),
    )
}

fn assert_framed(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-"), "no PDF header");
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "no %%EOF trailer");
}

fn long_cgp(paragraphs: usize) -> String {
    (1..=paragraphs)
        .map(|n| {
            format!(
                "Clause {n}. Le Partenaire s'engage à respecter les règles d'acceptation de la \
                 carte, à informer la Région de tout changement de sa situation et à conserver \
                 les justificatifs des achats réglés pendant la durée légale. Fin {n}."
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn the_convention_is_a_pdf_whose_text_can_be_read_back() {
    let pdf = convention_pdf(&sample("Librairie L'Échappée Belle", CGP)).unwrap();
    assert_framed(&pdf);
    let (pages, text) = read(&pdf);
    assert_eq!(pages, 1);
    for expected in [
        "Convention de partenariat PASS'Région",
        "La Région Auvergne-Rhône-Alpes",
        "Librairie L'Échappée Belle",
        "SIRET : 73282932000074",
        "12 rue de la République, 69002 Lyon",
        "Représentant : Zoé Lefèvre",
        "Catégorie : Librairie",
        "du 1er juin 2026 au 31 mai 2027",
        "version 2026-06",
        // A single line break is kept; paragraphs follow each other.
        "Article A. Le Partenaire accepte la carte PASS'Région. Il affiche le macaron",
        "Article B. Les remboursements sont versés chaque mois.",
        "Convention PASS'Région n° 0190a8c2-7d1e-7a3b-9c4d-5e6f7a8b9c0d",
        "Page 1 / 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }
    assert!(!text.contains("signée électroniquement par le Partenaire le"));
}

#[test]
fn french_dates_say_1er_and_the_month_names() {
    let mut doc = sample("Librairie", CGP);
    doc.starts_on = date(2026, 2, 1);
    doc.ends_on = date(2026, 8, 15);
    let (_, text) = read(&convention_pdf(&doc).unwrap());
    assert!(
        text.contains("du 1er février 2026 au 15 août 2026 inclus"),
        "{text}"
    );
    doc.starts_on = date(2026, 12, 2);
    doc.ends_on = date(2027, 1, 1);
    let (_, text) = read(&convention_pdf(&doc).unwrap());
    assert!(
        text.contains("du 2 décembre 2026 au 1er janvier 2027 inclus"),
        "{text}"
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let doc = sample("Librairie L'Échappée Belle", CGP);
    let first = convention_pdf(&doc).unwrap();
    // Compared with assert! so that a failure does not print kilobytes.
    assert!(
        first == convention_pdf(&doc).unwrap(),
        "the convention is not byte-identical"
    );
    let hash = hex(&Sha256::digest(&first));
    let signed = signed_convention_pdf(&doc, &signature(&hash, 1)).unwrap();
    assert_eq!(
        signed,
        signed_convention_pdf(&doc, &signature(&hash, 1)).unwrap()
    );
    assert!(first != signed);
    // The trailer's /ID: the first id is the convention's, the second the version's.
    let ids = |pdf: &[u8]| {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        let ids = doc.trailer.get(b"ID").unwrap().as_array().unwrap().clone();
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        let info = doc.get_dictionary(info).unwrap();
        // No PDF/X claim (printpdf writes an empty one) and dates from the input.
        assert!(!info.has(b"GTS_PDFXVersion"));
        assert_eq!(
            info.get(b"CreationDate").unwrap().as_str().unwrap(),
            b"D:20260601000000+00'00'"
        );
        let modified = info.get(b"ModDate").unwrap().as_str().unwrap().to_vec();
        let ids = ids
            .iter()
            .map(|id| id.as_str().unwrap().to_vec())
            .collect::<Vec<_>>();
        (ids, modified)
    };
    let ((shown_ids, shown_modified), (signed_ids, signed_modified)) = (ids(&first), ids(&signed));
    assert_eq!(shown_modified, b"D:20260601000000+00'00'");
    assert_eq!(signed_modified, b"D:20260603120500+00'00'");
    assert_eq!(shown_ids[0].len(), 16);
    assert_eq!(shown_ids[0], shown_ids[1]);
    assert_eq!(shown_ids[0], signed_ids[0]);
    assert_ne!(signed_ids[0], signed_ids[1]);
    // Each input is in the bytes: another id, another name, another document.
    let mut other = sample("Librairie L'Échappée Belle", CGP);
    other.convention_id = "another";
    assert_ne!(first, convention_pdf(&other).unwrap());
    assert_ne!(
        first,
        convention_pdf(&sample("Librairie L'Echappee Belle", CGP)).unwrap()
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_signed_convention_adds_the_signature_section() {
    let doc = sample("Librairie L'Échappée Belle", CGP);
    let shown = convention_pdf(&doc).unwrap();
    let hash = hex(&Sha256::digest(&shown));
    let signed = signed_convention_pdf(&doc, &signature(&hash, 1)).unwrap();
    assert_framed(&signed);
    let (_, shown_text) = read(&shown);
    let (_, text) = read(&signed);
    // The same content, then the section.
    let body = shown_text
        .split(" Convention PASS'Région n°")
        .next()
        .unwrap();
    assert!(
        text.starts_with(body),
        "signed text does not start with the shown text"
    );
    for expected in [
        "Signature électronique Convention signée électroniquement par le Partenaire le \
         3 juin 2026 à 14 h 05 (heure de Paris ; 12 h 05 UTC).",
        "envoyé par SMS au 06 •• •• •• 78, validé en 1 tentative.",
        &format!("Empreinte SHA-256 du document présenté et signé : {hash}"),
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
    }

    let mut winter = signature(&hash, 3);
    winter.signed_at = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
    let (_, text) = read(&signed_convention_pdf(&doc, &winter).unwrap());
    assert!(
        text.contains("le 1er décembre 2026 à 9 h 00 (heure de Paris ; 8 h 00 UTC)"),
        "{text}"
    );
    assert!(text.contains("validé en 3 tentatives."), "{text}");
}

#[test]
fn a_long_cgp_is_wrapped_and_split_across_pages() {
    let cgp = long_cgp(40);
    let pdf = convention_pdf(&sample("Librairie", &cgp)).unwrap();
    assert_framed(&pdf);
    let (pages, text) = read(&pdf);
    assert!(pages >= 2, "{pages} page(s)");
    for n in 1..=pages {
        assert!(
            text.contains(&format!("Page {n} / {pages}")),
            "no footer for page {n}"
        );
    }
    // Every clause is there, whole and in order, whatever the page breaks.
    let mut from = 0;
    for n in 1..=40 {
        let clause = format!("Clause {n}. Le Partenaire s'engage");
        let at = text[from..]
            .find(&clause)
            .unwrap_or_else(|| panic!("clause {n} missing or out of order"));
        from += at;
        assert!(text[from..].contains(&format!("pendant la durée légale. Fin {n}.")));
    }
    // Wrapping fills the lines: each page holds many of them.
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let first_page = doc.get_pages()[&1];
    let content = lopdf::content::Content::decode(&doc.get_page_content(first_page)).unwrap();
    let shown = content
        .operations
        .iter()
        .filter(|op| op.operator == "Tj")
        .count();
    assert!(shown > 40, "only {shown} lines on page 1");
}

#[test]
fn a_cgp_of_more_than_the_page_bound_is_refused() {
    // 17 or so of these paragraphs fill a page.
    let pages_of = |paragraphs: usize| {
        let cgp = long_cgp(paragraphs);
        convention_pdf(&sample("Librairie", &cgp)).map(|pdf| read(&pdf).0)
    };
    let near = pages_of(MAX_PAGES * 16).unwrap();
    assert!(
        near > MAX_PAGES * 9 / 10 && near <= MAX_PAGES,
        "{near} pages"
    );
    assert!(matches!(
        pages_of(MAX_PAGES * 18),
        Err(ConventionPdfError::TooLong)
    ));
    assert!(matches!(pages_of(20_000), Err(ConventionPdfError::TooLong)));
}

#[test]
fn an_inverted_term_is_refused() {
    let mut doc = sample("Librairie", CGP);
    doc.ends_on = date(2026, 5, 31);
    assert!(matches!(
        convention_pdf(&doc),
        Err(ConventionPdfError::InvertedTerm)
    ));
    doc.ends_on = doc.starts_on;
    assert!(convention_pdf(&doc).is_ok());
}

#[test]
fn what_the_fonts_cannot_show_becomes_a_question_mark() {
    let name = "Café 🎉 書店 (Lyon) \\ «Œuvre» – 5 €";
    let pdf = convention_pdf(&sample(name, CGP)).unwrap();
    assert_framed(&pdf);
    let (_, text) = read(&pdf);
    assert!(text.contains("Café ? ?? (Lyon) \\ «Œuvre» – 5 €"), "{text}");
    // A control character or a line break in a name does not break the layout.
    let (_, text) = read(&convention_pdf(&sample("Foo\u{7}\r\nBar\tBaz", CGP)).unwrap());
    assert!(text.contains("Foo???Bar Baz"), "{text}");
}

#[test]
fn a_200_character_word_is_cut_to_the_page_width() {
    let name = "W".repeat(200);
    let pdf = convention_pdf(&sample(&name, CGP)).unwrap();
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let page = doc.get_pages()[&1];
    let content = lopdf::content::Content::decode(&doc.get_page_content(page)).unwrap();
    let runs: Vec<usize> = content
        .operations
        .iter()
        .filter(|op| op.operator == "Tj")
        .filter_map(|op| op.operands.first()?.as_str().ok())
        .filter(|s| s.iter().all(|b| *b == b'W'))
        .map(|s| s.len())
        .collect();
    // Bold W is 0.944 em: about 49 at 10 pt in 166 mm.
    assert_eq!(runs.iter().sum::<usize>(), 200, "{runs:?}");
    assert!(runs.len() >= 4 && runs.iter().all(|n| *n <= 50), "{runs:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_name_or_address_gives_a_pdf(name in "\\PC{0,200}", address in any::<String>()) {
        let mut doc = sample(&name, CGP);
        doc.address = &address;
        doc.contact_name = &name;
        let pdf = convention_pdf(&doc).unwrap();
        prop_assert!(pdf.starts_with(b"%PDF-"));
        prop_assert!(lopdf::Document::load_mem(&pdf).is_ok());
    }

    #[test]
    fn names_of_showable_characters_read_back_as_written(
        name in "[a-zA-Z0-9 ()\\\\'éÉàçœŒ€«»-]{1,200}",
    ) {
        let pdf = convention_pdf(&sample(&name, CGP)).unwrap();
        let (_, text) = read(&pdf);
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        prop_assert!(squeeze(&text).contains(&squeeze(&name)));
    }
}
