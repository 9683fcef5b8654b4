//! Text for PDFs in the builtin Helvetica faces (the convention, the
//! justificatif de remboursement): what WinAnsi can encode, how wide a
//! string is (the standard Helvetica metrics), greedy word wrap, and French
//! dates.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use passregion_core::season::REGION_TZ;

/// The two faces the documents use; both are PDF standard-14 fonts that a
/// viewer supplies (nothing is embedded), written with `/WinAnsiEncoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// Advance widths in 1/1000 em of the WinAnsi codes 0x20..=0xFF (Helvetica's
/// AFM metrics, as carried by the metric-compatible fonts printpdf bundles).
/// 0 for the codes WinAnsi leaves unassigned, which `win_ansi_byte` never yields.
#[rustfmt::skip]
const REGULAR_WIDTHS: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    744, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 278, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 549, 333, 333, 333, 576, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 549, 611, 556, 556, 556, 556, 500, 556, 500,
];

#[rustfmt::skip]
const BOLD_WIDTHS: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    744, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 333, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 549, 333, 333, 333, 576, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 549, 611, 611, 611, 611, 611, 556, 611, 556,
];

/// The WinAnsi (PDF 32000-1 Annex D.2) code of `c`, or `None` if the builtin
/// fonts cannot show it. ASCII controls have no glyph either.
pub fn win_ansi_byte(c: char) -> Option<u8> {
    let code = c as u32;
    if (0x20..=0x7E).contains(&code) || (0xA0..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    Some(match c {
        '\u{20AC}' => 0x80,
        '\u{201A}' => 0x82,
        '\u{0192}' => 0x83,
        '\u{201E}' => 0x84,
        '\u{2026}' => 0x85,
        '\u{2020}' => 0x86,
        '\u{2021}' => 0x87,
        '\u{02C6}' => 0x88,
        '\u{2030}' => 0x89,
        '\u{0160}' => 0x8A,
        '\u{2039}' => 0x8B,
        '\u{0152}' => 0x8C,
        '\u{017D}' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '\u{2022}' => 0x95,
        '\u{2013}' => 0x96,
        '\u{2014}' => 0x97,
        '\u{02DC}' => 0x98,
        '\u{2122}' => 0x99,
        '\u{0161}' => 0x9A,
        '\u{203A}' => 0x9B,
        '\u{0153}' => 0x9C,
        '\u{017E}' => 0x9E,
        '\u{0178}' => 0x9F,
        _ => return None,
    })
}

/// One line of outside text made showable: tabs and the typographic spaces
/// become spaces (narrow no-break spaces become no-break spaces), and every
/// other character the fonts cannot encode (controls, emoji, CJK, combining
/// marks, line breaks) becomes `?`. The result only holds WinAnsi characters,
/// so the widths below are exact and printpdf has nothing left to replace.
pub fn showable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\u{2000}'..='\u{200A}' => ' ',
            '\u{202F}' => '\u{A0}',
            c if win_ansi_byte(c).is_some() => c,
            _ => '?',
        })
        .collect()
}

/// Width of `c` in 1/1000 em (`c` from `showable`; anything else counts as an em).
fn char_units(c: char, face: Face) -> u32 {
    let table = match face {
        Face::Regular => &REGULAR_WIDTHS,
        Face::Bold => &BOLD_WIDTHS,
    };
    win_ansi_byte(c)
        .and_then(|b| table.get(usize::from(b).wrapping_sub(0x20)))
        .map_or(1000, |w| u32::from(*w))
}

/// Width of `text` in points at `size`.
pub fn width(text: &str, face: Face, size: f32) -> f32 {
    let units: u32 = text.chars().map(|c| char_units(c, face)).sum();
    units as f32 * size / 1000.0
}

/// Greedy word wrap of one line of showable text into lines at most
/// `max_width` points wide. Words are split on spaces; a word wider than a
/// line is cut between characters. Never returns an empty list.
pub fn wrap(text: &str, face: Face, size: f32, max_width: f32) -> Vec<String> {
    let space = width(" ", face, size);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_width = 0.0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word_width = width(word, face, size);
        if !current.is_empty() && current_width + space + word_width <= max_width {
            current.push(' ');
            current.push_str(word);
            current_width += space + word_width;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if word_width <= max_width {
            current.push_str(word);
            current_width = word_width;
            continue;
        }
        // A word wider than the line: cut it, at least one character a line.
        current_width = 0.0;
        for c in word.chars() {
            let w = width(c.encode_utf8(&mut [0; 4]), face, size);
            if !current.is_empty() && current_width + w > max_width {
                lines.push(std::mem::take(&mut current));
                current_width = 0.0;
            }
            current.push(c);
            current_width += w;
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// `text` cut to fit `max_width`, with an ellipsis when it was cut.
pub fn fit(text: &str, face: Face, size: f32, max_width: f32) -> String {
    if width(text, face, size) <= max_width {
        return text.to_owned();
    }
    let budget = max_width - width("\u{2026}", face, size);
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]), face, size);
        if used + w > budget {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('\u{2026}');
    out
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A date the French way: "1er juin 2026", "31 mai 2027".
pub fn french_date(date: NaiveDate) -> String {
    let month = MONTHS.get(date.month0() as usize).copied().unwrap_or("");
    match date.day() {
        1 => format!("1er {month} {}", date.year()),
        day => format!("{day} {month} {}", date.year()),
    }
}

/// An instant in the Region's time, with its UTC time for the record:
/// "3 juin 2026 à 14 h 05 (heure de Paris ; 12 h 05 UTC)".
pub fn french_instant(instant: DateTime<Utc>) -> String {
    let local = instant.with_timezone(&REGION_TZ);
    // No-break spaces keep "14 h 05" on one line.
    format!(
        "{} à {}\u{A0}h\u{A0}{:02} (heure de Paris\u{A0}; {}\u{A0}h\u{A0}{:02}\u{A0}UTC)",
        french_date(local.date_naive()),
        local.hour(),
        local.minute(),
        instant.hour(),
        instant.minute()
    )
}
