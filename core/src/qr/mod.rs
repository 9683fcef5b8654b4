//! QR codes: rendering (SVG, PNG) and scanning camera frames (feature
//! `scan`). See `docs/adr/0011-qr-scanner.md`.

pub mod render;
#[cfg(feature = "scan")]
pub mod scan;

pub use render::{QrMatrix, QrUse, RenderError, matrix, render_png, render_svg};
#[cfg(feature = "scan")]
pub use scan::{
    MAX_FRAME_SIDE, PIPELINE, ScanError, Strategy, scan_luma, scan_luma_with, scan_once,
};
