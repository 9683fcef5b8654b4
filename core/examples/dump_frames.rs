//! Writes generated camera-like frames as PNG and reports which ones each
//! scanner pass misses: `cargo run -p passregion-core --features scan --example dump_frames -- DIR [N]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../testsupport/frames.rs"]
mod frames;

use passregion_core::qr::{PIPELINE, scan_once};

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "frames".into());
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    std::fs::create_dir_all(&dir).unwrap();
    for (seed, w, h) in [(1u64, 640u32, 480u32), (2, 1280, 720)] {
        for (i, f) in frames::frames(seed, n, w, h).into_iter().enumerate() {
            let passes: Vec<bool> = PIPELINE
                .iter()
                .map(|s| scan_once(&f.luma, f.width, f.height, *s).as_deref() == Some(&f.text))
                .collect();
            if !passes[0] {
                let name = format!("{dir}/s{seed}_{i}.png");
                println!(
                    "{name} module_px={:.2} len={} passes={passes:?}",
                    f.module_px,
                    f.text.len()
                );
                let img = image::GrayImage::from_raw(f.width, f.height, f.luma).unwrap();
                img.save(name).unwrap();
            }
        }
    }
}
