//! Decodes QR codes in camera frames (8-bit luma) with `rxing`, a pure-Rust
//! port of ZXing (ADR 0011 has the measurements behind the choice).

use std::collections::HashSet;

use rxing::{BarcodeFormat, DecodeHints};

/// Largest frame side accepted (pixels).
pub const MAX_FRAME_SIDE: u32 = 8192;

/// Why a frame could not be scanned (no code found is not an error: an
/// empty list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// Zero or oversized dimensions, or a buffer of the wrong length.
    #[error("bad frame dimensions")]
    BadFrame,
    /// The decoder failed internally (caught, never propagated as a panic).
    #[error("decoder fault")]
    DecoderFault,
}

/// The texts of the QR codes found in a `width × height` luma frame
/// (row-major, one byte per pixel). Empty if none.
pub fn scan_luma(luma: &[u8], width: u32, height: u32) -> Result<Vec<String>, ScanError> {
    if width == 0 || height == 0 || width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(ScanError::BadFrame);
    }
    let expected = (width as usize).checked_mul(height as usize);
    if expected != Some(luma.len()) {
        return Err(ScanError::BadFrame);
    }
    // rxing is third-party code fed with camera input: a panic inside it must
    // not take the app down.
    let result = std::panic::catch_unwind(|| {
        let mut hints = DecodeHints {
            PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
            TryHarder: Some(true),
            ..DecodeHints::default()
        };
        rxing::helpers::detect_in_luma_slice_with_hints(
            luma,
            width,
            height,
            Some(BarcodeFormat::QR_CODE),
            &mut hints,
        )
    });
    match result {
        Ok(Ok(r)) => Ok(vec![r.getText().to_owned()]),
        Ok(Err(_)) => Ok(Vec::new()),
        Err(_) => Err(ScanError::DecoderFault),
    }
}
