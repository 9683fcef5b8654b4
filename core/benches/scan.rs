//! Scanner benchmark on generated camera-like frames (deterministic seed):
//! success rate, wrong decodes and median ms per frame, for the project's
//! scanner (full pipeline and first pass only) and `zbarimg --nodbus` on the
//! same frames (written as PNG to a temp dir; skipped if zbarimg is absent).
//!
//! `cargo bench -p passregion-core --bench scan --features scan` (env `SCAN_BENCH_FRAMES`,
//! default 300 per resolution).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../testsupport/frames.rs"]
mod frames;

use std::process::Command;
use std::time::Instant;

use passregion_core::qr::{PIPELINE, Strategy, scan_luma_with};

struct Stats {
    ok: usize,
    wrong: usize,
    total: usize,
    ms: Vec<f64>,
}

impl Stats {
    fn new() -> Self {
        Stats {
            ok: 0,
            wrong: 0,
            total: 0,
            ms: Vec::new(),
        }
    }
    fn add(&mut self, expected: &str, got: &[String], ms: f64) {
        self.total += 1;
        if got.iter().any(|t| t == expected) {
            self.ok += 1;
        }
        self.wrong += got.iter().filter(|t| *t != expected).count();
        self.ms.push(ms);
    }
    fn median(&self) -> f64 {
        let mut v = self.ms.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }
    fn p95(&self) -> f64 {
        let mut v = self.ms.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() * 95 / 100).copied().unwrap_or(f64::NAN)
    }
    fn row(&self, name: &str, res: &str) {
        println!(
            "| {name} | {res} | {:.1}% ({}/{}) | {} | {:.2} | {:.2} |",
            100.0 * self.ok as f64 / self.total.max(1) as f64,
            self.ok,
            self.total,
            self.wrong,
            self.median(),
            self.p95()
        );
    }
}

fn zbar_available() -> bool {
    Command::new("zbarimg").arg("--version").output().is_ok()
}

fn main() {
    let n: usize = std::env::var("SCAN_BENCH_FRAMES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let zbar = zbar_available();
    let dir = std::env::temp_dir().join(format!("passregion-scan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("frames per resolution: {n} (seed 1 for 640x480, 2 for 1280x720)");
    println!("| scanner | frame | decoded | wrong | median ms | p95 ms |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (seed, w, h) in [(1u64, 640u32, 480u32), (2, 1280, 720)] {
        let res = format!("{w}x{h}");
        let frames = frames::frames(seed, n, w, h);
        let mut full = Stats::new();
        let mut first = Stats::new();
        for f in &frames {
            let t = Instant::now();
            let got = scan_luma_with(&f.luma, f.width, f.height, &PIPELINE).unwrap();
            full.add(&f.text, &got, t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let got = scan_luma_with(&f.luma, f.width, f.height, &[Strategy::Hybrid]).unwrap();
            first.add(&f.text, &got, t.elapsed().as_secs_f64() * 1e3);
        }
        full.row("passregion (rxing, pipeline)", &res);
        first.row("rxing, first pass only", &res);
        if zbar {
            let mut z = Stats::new();
            for (i, f) in frames.iter().enumerate() {
                let path = dir.join(format!("{res}-{i}.png"));
                image::GrayImage::from_raw(f.width, f.height, f.luma.clone())
                    .unwrap()
                    .save(&path)
                    .unwrap();
                let t = Instant::now();
                let out = Command::new("zbarimg")
                    .args(["--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
                    .arg(&path)
                    .output()
                    .unwrap();
                let ms = t.elapsed().as_secs_f64() * 1e3;
                let text = String::from_utf8_lossy(&out.stdout);
                let got: Vec<String> = text
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
                z.add(&f.text, &got, ms);
            }
            z.row("zbarimg --nodbus (per process)", &res);
        }
    }
    if !zbar {
        println!("zbarimg not found: apt-get install -y zbar-tools");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
