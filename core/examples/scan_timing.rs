//! Times rxing's two QR readers on generated 1280×720 frames (diagnostics).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../testsupport/frames.rs"]
mod frames;

use std::time::Instant;

use rxing::common::HybridBinarizer;
use rxing::{BinaryBitmap, DecodeHints, Luma8LuminanceSource, Reader};

fn main() {
    let fs = frames::frames(2, 40, 1280, 720);
    let hints = DecodeHints::default();
    for name in ["binarize", "cpp", "classic"] {
        let mut ms = Vec::new();
        let mut ok = 0;
        for f in &fs {
            let t = Instant::now();
            let src = Luma8LuminanceSource::new(f.luma.clone(), f.width, f.height).unwrap();
            let mut bm = BinaryBitmap::new(HybridBinarizer::new(src));
            let r = match name {
                "binarize" => {
                    let _ = bm.get_black_matrix();
                    None
                }
                "cpp" => rxing::qrcode::cpp_port::QrReader
                    .decode_with_hints(&mut bm, &hints)
                    .ok(),
                _ => rxing::qrcode::QRCodeReader
                    .decode_with_hints(&mut bm, &hints)
                    .ok(),
            };
            if r.map(|r| r.getText() == f.text).unwrap_or(false) {
                ok += 1;
            }
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        println!("{name}: ok {ok}/40 median {:.2} ms", ms[20]);
    }
}
