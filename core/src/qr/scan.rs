//! Decodes QR codes in camera frames (8-bit luma) with `rxing`, a pure-Rust
//! port of ZXing (ADR 0011 has the measurements behind the choice).
//!
//! Pipeline: ZXing's hybrid (local) binarizer on the frame; only if nothing
//! is found, fallbacks in order: a global-histogram binarizer, a 3×3 smoothed
//! frame (sensor noise), a 2× upscaled frame (small modules). A typical frame
//! is decoded by the first pass, so the fallbacks cost only on hard frames.

use std::collections::HashSet;

use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::qrcode::QRCodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8LuminanceSource, Reader};

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

/// One decoding pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// ZXing's hybrid (local-threshold) binarizer on the frame, fast mode.
    Hybrid,
    /// The same with ZXing's "try harder" (denser finder-pattern search).
    HybridHarder,
    /// ZXing's global-histogram binarizer on the frame.
    GlobalHistogram,
    /// Hybrid binarizer on a 3×3 box-smoothed frame.
    Smoothed,
    /// Hybrid binarizer on a 2× (bilinear) upscaled frame (small frames only).
    Upscaled,
}

/// The default pipeline.
pub const PIPELINE: [Strategy; 5] = [
    Strategy::Hybrid,
    Strategy::HybridHarder,
    Strategy::GlobalHistogram,
    Strategy::Smoothed,
    Strategy::Upscaled,
];

fn hints(try_harder: bool) -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(try_harder),
        ..DecodeHints::default()
    }
}

fn decode_with<B: Binarizer>(binarizer: B, try_harder: bool) -> Option<String> {
    let mut bitmap = BinaryBitmap::new(binarizer);
    let hints = hints(try_harder);
    // ZXing-C++'s detector (ported in rxing) first, then the classic one,
    // as rxing's MultiFormatReader does.
    QrReader
        .decode_with_hints(&mut bitmap, &hints)
        .or_else(|_| QRCodeReader.decode_with_hints(&mut bitmap, &hints))
        .ok()
        .map(|r| r.getText().to_owned())
}

fn source(luma: Vec<u8>, width: u32, height: u32) -> Option<Luma8LuminanceSource> {
    Luma8LuminanceSource::new(luma, width, height).ok()
}

fn smooth(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut out = luma.to_vec();
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let mut acc = 0u32;
            for yy in y - 1..=y + 1 {
                for xx in x - 1..=x + 1 {
                    acc += u32::from(luma[yy * w + xx]);
                }
            }
            out[y * w + x] = (acc / 9) as u8;
        }
    }
    out
}

fn upscale2(luma: &[u8], w: usize, h: usize) -> Vec<u8> {
    let (w2, h2) = (w * 2, h * 2);
    let mut out = vec![0u8; w2 * h2];
    for y2 in 0..h2 {
        // Sample at the source position of the target pixel centre.
        let sy = (y2 as u32 * 2 + 1).saturating_sub(2) / 4;
        let fy = (y2 as u32 * 2 + 1).saturating_sub(2) % 4;
        let y0 = (sy as usize).min(h - 1);
        let y1 = (y0 + 1).min(h - 1);
        for x2 in 0..w2 {
            let sx = (x2 as u32 * 2 + 1).saturating_sub(2) / 4;
            let fx = (x2 as u32 * 2 + 1).saturating_sub(2) % 4;
            let x0 = (sx as usize).min(w - 1);
            let x1 = (x0 + 1).min(w - 1);
            let p = |x: usize, y: usize| u32::from(luma[y * w + x]);
            let top = p(x0, y0) * (4 - fx) + p(x1, y0) * fx;
            let bot = p(x0, y1) * (4 - fx) + p(x1, y1) * fx;
            out[y2 * w2 + x2] = ((top * (4 - fy) + bot * fy) / 16) as u8;
        }
    }
    out
}

/// Runs one strategy (`None` if it found nothing).
pub fn scan_once(luma: &[u8], width: u32, height: u32, strategy: Strategy) -> Option<String> {
    let (w, h) = (width as usize, height as usize);
    match strategy {
        Strategy::Hybrid => decode_with(
            HybridBinarizer::new(source(luma.to_vec(), width, height)?),
            false,
        ),
        Strategy::HybridHarder => decode_with(
            HybridBinarizer::new(source(luma.to_vec(), width, height)?),
            true,
        ),
        Strategy::GlobalHistogram => decode_with(
            GlobalHistogramBinarizer::new(source(luma.to_vec(), width, height)?),
            true,
        ),
        Strategy::Smoothed => decode_with(
            HybridBinarizer::new(source(smooth(luma, w, h), width, height)?),
            true,
        ),
        Strategy::Upscaled => {
            if w * h > 1280 * 720 {
                return None;
            }
            decode_with(
                HybridBinarizer::new(source(upscale2(luma, w, h), width * 2, height * 2)?),
                true,
            )
        }
    }
}

/// Runs `strategies` in order until one decodes.
pub fn scan_luma_with(
    luma: &[u8],
    width: u32,
    height: u32,
    strategies: &[Strategy],
) -> Result<Vec<String>, ScanError> {
    if width == 0 || height == 0 || width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(ScanError::BadFrame);
    }
    let expected = (width as usize).checked_mul(height as usize);
    if expected != Some(luma.len()) {
        return Err(ScanError::BadFrame);
    }
    // rxing is third-party code fed with camera input: a panic inside it must
    // not take the app down.
    let found = std::panic::catch_unwind(|| {
        strategies
            .iter()
            .find_map(|s| scan_once(luma, width, height, *s))
    })
    .map_err(|_| ScanError::DecoderFault)?;
    Ok(found.into_iter().collect())
}

/// The texts of the QR codes found in a `width × height` luma frame
/// (row-major, one byte per pixel) with the default [`PIPELINE`]. Empty if none.
pub fn scan_luma(luma: &[u8], width: u32, height: u32) -> Result<Vec<String>, ScanError> {
    scan_luma_with(luma, width, height, &PIPELINE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_render_decodes() {
        let m = crate::qr::render::matrix("PR1:TEST", crate::qr::QrUse::PrintedCard).unwrap();
        let px = 4;
        let side = (m.width + 8) * px;
        let mut luma = vec![255u8; side * side];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / px).wrapping_sub(4), (y / px).wrapping_sub(4));
                if m.is_dark(mx, my) {
                    luma[y * side + x] = 0;
                }
            }
        }
        let s = side as u32;
        assert_eq!(scan_luma(&luma, s, s).unwrap(), vec!["PR1:TEST".to_owned()]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn random_frames_never_panic(w in 1u32..96, h in 1u32..96, seed in any::<u64>()) {
            let mut x = seed | 1;
            let luma: Vec<u8> = (0..w * h).map(|_| { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x as u8 }).collect();
            prop_assert!(scan_luma(&luma, w, h).is_ok());
            prop_assert!(scan_luma(&luma, w + 1, h).is_err());
        }
    }
}
