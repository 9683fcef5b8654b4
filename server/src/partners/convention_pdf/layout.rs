//! The convention's layout: A4 pages, the paragraph styles, word-wrapped
//! lines placed top to bottom and split across pages, and each page's footer.

use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Op, PdfFontHandle, Point, Pt, Rgb, TextItem, TextMatrix,
};

use super::text::{self, Face};
use super::{ConventionPdfError, MAX_PAGES};

// Page geometry, in points (A4).
const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const MARGIN_X: f32 = 22.0 * MM;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const TOP_Y: f32 = PAGE_H - 20.0 * MM;
/// No body baseline below this.
const BOTTOM_Y: f32 = 25.0 * MM;
const FOOTER_RULE_Y: f32 = 18.0 * MM;
const FOOTER_Y: f32 = 13.0 * MM;
pub(super) const NBSP: char = '\u{A0}';

#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    face: Face,
    size: f32,
    leading: f32,
    space_before: f32,
    indent: f32,
    centered: bool,
    /// A heading: not left alone at the bottom of a page.
    keep_with_next: bool,
    grey: bool,
}

pub(super) const BODY: Style = Style {
    face: Face::Regular,
    size: 10.0,
    leading: 13.5,
    space_before: 5.0,
    indent: 0.0,
    centered: false,
    keep_with_next: false,
    grey: false,
};
pub(super) const TITLE: Style = Style {
    face: Face::Bold,
    size: 17.0,
    leading: 22.0,
    centered: true,
    ..BODY
};
pub(super) const SUBTITLE: Style = Style {
    size: 9.0,
    leading: 12.0,
    space_before: 2.0,
    centered: true,
    grey: true,
    ..BODY
};
pub(super) const HEADING: Style = Style {
    face: Face::Bold,
    size: 11.5,
    leading: 15.0,
    space_before: 14.0,
    keep_with_next: true,
    ..BODY
};
pub(super) const PARTY: Style = Style {
    space_before: 1.0,
    indent: 8.0 * MM,
    ..BODY
};
pub(super) const PARTY_NAME: Style = Style {
    face: Face::Bold,
    space_before: 6.0,
    ..PARTY
};
pub(super) const CGP: Style = Style {
    size: 9.5,
    leading: 12.5,
    space_before: 4.5,
    ..BODY
};
const FOOTER: Style = Style {
    size: 8.0,
    grey: true,
    ..BODY
};

/// One paragraph; `\n` in `text` is a line break.
pub(super) struct Block {
    pub(super) style: Style,
    pub(super) text: String,
}

pub(super) fn block(style: Style, text: impl Into<String>) -> Block {
    Block {
        style,
        text: text.into(),
    }
}

/// One line of text at its place on a page.
pub(super) struct Placed {
    x: f32,
    y: f32,
    style: Style,
    text: String,
}

/// Lays the blocks out on pages: each page's lines, top to bottom.
pub(super) fn paginate(blocks: &[Block]) -> Result<Vec<Vec<Placed>>, ConventionPdfError> {
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = TOP_Y;
    let mut at_top = true;
    for b in blocks {
        let s = b.style;
        let width = TEXT_W - s.indent;
        let lines: Vec<String> = b
            .text
            .split('\n')
            .flat_map(|l| text::wrap(&text::showable(l), s.face, s.size, width))
            .collect();
        let keep = if s.keep_with_next {
            2.0 * BODY.leading
        } else {
            0.0
        };
        if !at_top && y - s.space_before - s.leading - keep < BOTTOM_Y {
            new_page(&mut pages, &mut y, &mut at_top)?;
        }
        for (i, line) in lines.into_iter().enumerate() {
            let mut gap = if i == 0 && !at_top {
                s.space_before
            } else {
                0.0
            };
            if y - gap - s.leading < BOTTOM_Y {
                new_page(&mut pages, &mut y, &mut at_top)?;
                gap = 0.0;
            }
            y -= gap + s.leading;
            let x = if s.centered {
                MARGIN_X + ((TEXT_W - text::width(&line, s.face, s.size)) / 2.0).max(0.0)
            } else {
                MARGIN_X + s.indent
            };
            if let Some(page) = pages.last_mut() {
                page.push(Placed {
                    x,
                    y,
                    style: s,
                    text: line,
                });
            }
            at_top = false;
        }
    }
    Ok(pages)
}

fn new_page(
    pages: &mut Vec<Vec<Placed>>,
    y: &mut f32,
    at_top: &mut bool,
) -> Result<(), ConventionPdfError> {
    if pages.len() >= MAX_PAGES {
        return Err(ConventionPdfError::TooLong);
    }
    pages.push(Vec::new());
    *y = TOP_Y;
    *at_top = true;
    Ok(())
}

/// "Convention PASS'Région n° …" on the left, "Page n / N" on the right.
pub(super) fn footer(id: &str, page: usize, total: usize) -> [Placed; 2] {
    let s = FOOTER;
    let right = format!("Page {page} / {total}");
    let right_w = text::width(&right, s.face, s.size);
    let left = text::fit(
        &format!("Convention PASS'Région n°{NBSP}{id}"),
        s.face,
        s.size,
        TEXT_W - right_w - 10.0 * MM,
    );
    [
        Placed {
            x: MARGIN_X,
            y: FOOTER_Y,
            style: s,
            text: left,
        },
        Placed {
            x: MARGIN_X + TEXT_W - right_w,
            y: FOOTER_Y,
            style: s,
            text: right,
        },
    ]
}

fn grey(level: f32) -> Color {
    Color::Rgb(Rgb {
        r: level,
        g: level,
        b: level,
        icc_profile: None,
    })
}

pub(super) fn page_ops(lines: &[Placed]) -> Vec<Op> {
    let mut ops = vec![
        Op::SaveGraphicsState,
        Op::SetOutlineColor { col: grey(0.6) },
        Op::SetOutlineThickness { pt: Pt(0.5) },
        Op::DrawLine {
            line: Line {
                points: [MARGIN_X, MARGIN_X + TEXT_W]
                    .into_iter()
                    .map(|x| LinePoint {
                        p: Point {
                            x: Pt(x),
                            y: Pt(FOOTER_RULE_Y),
                        },
                        bezier: false,
                    })
                    .collect(),
                is_closed: false,
            },
        },
        Op::StartTextSection,
    ];
    let mut current: Option<(Face, f32, bool)> = None;
    for line in lines.iter().filter(|l| !l.text.is_empty()) {
        let s = line.style;
        if current.map(|(face, size, _)| (face, size)) != Some((s.face, s.size)) {
            let font = match s.face {
                Face::Regular => BuiltinFont::Helvetica,
                Face::Bold => BuiltinFont::HelveticaBold,
            };
            ops.push(Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(s.size),
            });
        }
        if current.map(|(_, _, g)| g) != Some(s.grey) {
            ops.push(Op::SetFillColor {
                col: grey(if s.grey { 0.35 } else { 0.0 }),
            });
        }
        current = Some((s.face, s.size, s.grey));
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(line.x), Pt(line.y)),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(line.text.clone())],
        });
    }
    ops.push(Op::EndTextSection);
    ops.push(Op::RestoreGraphicsState);
    ops
}
