//! Renders QR texts as SVG or PNG.
//!
//! Error correction (ADR 0011): **Q** (25 %) for the printed card, which gets
//! scratched, bent and dirty over a season and has a short payload (≈ 140
//! characters: version 8); **M** (15 %) for the phone screen, a clean emissive
//! surface showing a longer payload (≈ 340 characters): M keeps it at
//! version 11 (61 modules) instead of 13 at Q, so modules are ≈ 12 % larger
//! at the same on-screen size, which matters more for blur and distance.

use qrcode::{EcLevel, QrCode};

/// Where the code will be shown (chooses the error correction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrUse {
    /// Printed on the physical card: level Q.
    PrintedCard,
    /// Shown on a phone screen: level M.
    PhoneScreen,
}

impl QrUse {
    /// The error correction level.
    pub fn ec_level(self) -> EcLevel {
        match self {
            QrUse::PrintedCard => EcLevel::Q,
            QrUse::PhoneScreen => EcLevel::M,
        }
    }
}

/// Why a QR could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The text does not fit in a QR code.
    #[error("text too long for a QR code")]
    TooLong,
    /// Bad rendering parameters.
    #[error("module size must be 1 to 64 pixels")]
    BadModuleSize,
    /// PNG encoding failed.
    #[error("PNG encoding failed")]
    Png,
}

/// The modules of a QR code (no quiet zone), `true` = dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side.
    pub width: usize,
    /// Row-major modules.
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// Whether the module at (x, y) is dark (false outside the code).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark.get(y * self.width + x) == Some(&true)
    }
}

fn code(text: &str, usage: QrUse) -> Result<QrCode, RenderError> {
    QrCode::with_error_correction_level(text.as_bytes(), usage.ec_level())
        .map_err(|_| RenderError::TooLong)
}

/// The module matrix of `text`.
pub fn matrix(text: &str, usage: QrUse) -> Result<QrMatrix, RenderError> {
    let c = code(text, usage)?;
    let width = c.width();
    let dark = c
        .to_colors()
        .into_iter()
        .map(|m| m == qrcode::Color::Dark)
        .collect();
    Ok(QrMatrix { width, dark })
}

/// An SVG document (with the 4-module quiet zone), at least `min_px` wide.
pub fn render_svg(text: &str, usage: QrUse, min_px: u32) -> Result<String, RenderError> {
    let c = code(text, usage)?;
    Ok(c.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(min_px, min_px)
        .quiet_zone(true)
        .build())
}

/// A grey PNG (with the 4-module quiet zone), `module_px` pixels per module.
pub fn render_png(text: &str, usage: QrUse, module_px: u32) -> Result<Vec<u8>, RenderError> {
    if !(1..=64).contains(&module_px) {
        return Err(RenderError::BadModuleSize);
    }
    let c = code(text, usage)?;
    let img = c
        .render::<image::Luma<u8>>()
        .module_dimensions(module_px, module_px)
        .quiet_zone(true)
        .build();
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|_| RenderError::Png)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes ADR 0011 relies on: a `PR1:` text (145 chars) at Q and a
    /// `PD1:` text (343 chars) at M.
    #[test]
    fn symbol_sizes() {
        let card = format!("PR1:{}", "A".repeat(141));
        let app = format!("PD1:{}", "A".repeat(339));
        let c = matrix(&card, QrUse::PrintedCard).unwrap();
        let a = matrix(&app, QrUse::PhoneScreen).unwrap();
        assert_eq!((c.width - 17) / 4, 8, "card version");
        assert_eq!((a.width - 17) / 4, 11, "app version");
        let app_q = matrix(&app, QrUse::PrintedCard).unwrap();
        assert_eq!((app_q.width - 17) / 4, 13, "app version at Q");
        assert!(
            render_png(&card, QrUse::PrintedCard, 4)
                .unwrap()
                .starts_with(b"\x89PNG")
        );
        assert!(
            render_svg(&app, QrUse::PhoneScreen, 200)
                .unwrap()
                .contains("<svg")
        );
        assert!(render_png(&card, QrUse::PrintedCard, 0).is_err());
    }
}
