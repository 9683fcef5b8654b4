//! Camera-like frames made from QR codes the project renders (deterministic).
//! Shared by `core/tests/scan.rs` and `core/benches/scan.rs` (`#[path]` include).
//!
//! A frame: cluttered background, the code on a light "card" (its quiet zone),
//! placed with a random scale (module ≥ 3 px), any rotation and a perspective
//! jitter of the corners, 2×2 supersampled, then low contrast, an optional
//! glare blob, Gaussian blur (σ ≤ 1 px) and Gaussian noise (σ ≤ 10).
#![allow(dead_code, clippy::needless_range_loop)]

use chrono::{TimeZone, Utc};
use passregion_core::Season;
use passregion_core::credential::{
    AppCredential, AppCredentialClaims, CardQr, IssuerKey, OfflineLimits, SoftwareDeviceKey,
};
use passregion_core::qr::{QrMatrix, QrUse, matrix};
use uuid::Uuid;

/// A small deterministic PRNG (SplitMix64): frames must be reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn gauss(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    pub fn bytes16(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        b
    }
}

/// A generated frame and the text it must decode to.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub luma: Vec<u8>,
    pub text: String,
    /// Pixels per module actually used.
    pub module_px: f64,
}

/// Real project QR texts: a static card (`PR1:`, level Q) or a dynamic app
/// QR (`PD1:`, level M), alternately, with fixed keys and random ids.
pub fn project_code(rng: &mut Rng, index: usize) -> (String, QrMatrix) {
    let issuer = IssuerKey::from_seed(&[0x11; 32]).expect("fixed seed");
    let card_id = uuid::Builder::from_random_bytes(rng.bytes16()).into_uuid();
    let (text, usage) = if index.is_multiple_of(2) {
        let card = CardQr {
            card_id,
            card_version: (rng.below(5) + 1) as u32,
            season: Season::starting(2026).expect("season"),
        };
        (card.sign(&issuer).expect("sign"), QrUse::PrintedCard)
    } else {
        let device = SoftwareDeviceKey::from_seed(&[0x22; 32]).expect("fixed seed");
        let issued_at = Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0).unwrap();
        let claims = AppCredentialClaims {
            credential_id: Uuid::from_bytes(rng.bytes16()),
            card_id,
            device_key: passregion_core::credential::DeviceSigner::public_key(&device),
            limits: OfflineLimits {
                allowance_cents: 3000,
                per_transaction_max_cents: 1500,
                max_count: 5,
            },
            issued_at,
            expires_at: issued_at + chrono::Duration::hours(72),
        };
        let cred = AppCredential::issue(&issuer, &claims).expect("issue");
        let at = issued_at + chrono::Duration::seconds(rng.below(3600) as i64);
        (
            cred.dynamic_qr(&device, at, rng.below(1000) as u32)
                .expect("qr"),
            QrUse::PhoneScreen,
        )
    };
    let m = matrix(&text, usage).expect("render");
    (text, m)
}

/// Solves the homography mapping `src[i]` to `dst[i]` (4 points).
fn homography(src: [(f64, f64); 4], dst: [(f64, f64); 4]) -> [f64; 9] {
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = src[i];
        let (u, v) = dst[i];
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let piv = (col..8)
            .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
            .unwrap_or(col);
        a.swap(col, piv);
        let d = a[col][col];
        if d.abs() < 1e-12 {
            continue;
        }
        for k in col..9 {
            a[col][k] /= d;
        }
        for r in 0..8 {
            if r != col {
                let f = a[r][col];
                for k in col..9 {
                    a[r][k] -= f * a[col][k];
                }
            }
        }
    }
    let mut h = [0.0; 9];
    for i in 0..8 {
        h[i] = a[i][8];
    }
    h[8] = 1.0;
    h
}

fn apply(h: &[f64; 9], x: f64, y: f64) -> (f64, f64) {
    let w = h[6] * x + h[7] * y + h[8];
    (
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    )
}

fn blur(img: &mut [f64], w: usize, h: usize, sigma: f64) {
    if sigma < 0.05 {
        return;
    }
    let r = (sigma * 3.0).ceil() as isize;
    let k: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f64 = k.iter().sum();
    let k: Vec<f64> = k.iter().map(|v| v / s).collect();
    let mut tmp = vec![0.0; img.len()];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let xx = (x as isize + j as isize - r).clamp(0, w as isize - 1) as usize;
                acc += kv * img[y * w + xx];
            }
            tmp[y * w + x] = acc;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let yy = (y as isize + j as isize - r).clamp(0, h as isize - 1) as usize;
                acc += kv * tmp[yy * w + x];
            }
            img[y * w + x] = acc;
        }
    }
}

/// A typical camera frame (the bar of issue #4: module ≥ 3 px, blur σ ≤ 1,
/// noise σ ≤ 10) showing `m`.
pub fn camera_frame(rng: &mut Rng, text: &str, m: &QrMatrix, width: u32, height: u32) -> Frame {
    let (w, h) = (width as usize, height as usize);
    let mut img = vec![0.0f64; w * h];

    // Background: a gradient and clutter (rectangles, bars, small blobs).
    let g0 = rng.range(40.0, 200.0);
    let gx = rng.range(-60.0, 60.0) / w as f64;
    let gy = rng.range(-60.0, 60.0) / h as f64;
    for y in 0..h {
        for x in 0..w {
            img[y * w + x] = g0 + gx * x as f64 + gy * y as f64;
        }
    }
    for _ in 0..(20 + rng.below(40)) {
        let rw = rng.range(4.0, w as f64 / 4.0) as usize;
        let rh = rng.range(2.0, h as f64 / 4.0) as usize;
        let x0 = rng.below(w as u64) as usize;
        let y0 = rng.below(h as u64) as usize;
        let v = rng.range(0.0, 255.0);
        for y in y0..(y0 + rh).min(h) {
            for x in x0..(x0 + rw).min(w) {
                img[y * w + x] = v;
            }
        }
    }

    // Placement: quiet-zone square (modules -4 .. width+4) in the frame.
    let side_modules = (m.width + 8) as f64;
    // The whole code stays in the frame whatever the rotation and jitter.
    let max_jitter = 0.08;
    let fit = w.min(h) as f64 / (side_modules * (std::f64::consts::SQRT_2 + 2.0 * max_jitter));
    let max_px = fit.min(9.0);
    let module_px = rng.range(3.0, max_px.max(3.05));
    let side = side_modules * module_px;
    let theta = rng.range(0.0, 2.0 * std::f64::consts::PI);
    let jitter = side * rng.range(0.0, max_jitter);
    let half = side / 2.0;
    // The rotated square fits in a circle of radius half*sqrt2 (+ jitter).
    let reach = half * std::f64::consts::SQRT_2 + jitter;
    let cx = rng.range(
        reach.min(w as f64 / 2.0),
        (w as f64 - reach).max(w as f64 / 2.0),
    );
    let cy = rng.range(
        reach.min(h as f64 / 2.0),
        (h as f64 - reach).max(h as f64 / 2.0),
    );
    let corners_code = [
        (-4.0, -4.0),
        (m.width as f64 + 4.0, -4.0),
        (m.width as f64 + 4.0, m.width as f64 + 4.0),
        (-4.0, m.width as f64 + 4.0),
    ];
    let mut corners_frame = [(0.0, 0.0); 4];
    for (i, &(sx, sy)) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
        .iter()
        .enumerate()
    {
        let (px, py) = (sx * half, sy * half);
        let (c, s) = (theta.cos(), theta.sin());
        corners_frame[i] = (
            cx + c * px - s * py + rng.range(-jitter, jitter),
            cy + s * px + c * py + rng.range(-jitter, jitter),
        );
    }
    let inv = homography(corners_frame, corners_code);

    let dark = rng.range(10.0, 90.0);
    let light = rng.range(dark + 80.0, 250.0).min(250.0);
    let min_x = corners_frame
        .iter()
        .map(|c| c.0)
        .fold(f64::MAX, f64::min)
        .max(0.0) as usize;
    let max_x = corners_frame
        .iter()
        .map(|c| c.0)
        .fold(f64::MIN, f64::max)
        .min(w as f64 - 1.0) as usize;
    let min_y = corners_frame
        .iter()
        .map(|c| c.1)
        .fold(f64::MAX, f64::min)
        .max(0.0) as usize;
    let max_y = corners_frame
        .iter()
        .map(|c| c.1)
        .fold(f64::MIN, f64::max)
        .min(h as f64 - 1.0) as usize;
    let lim = m.width as f64 + 4.0;
    for y in min_y..=max_y {
        for x in min_x..=max_x {
            let mut acc = 0.0;
            let mut inside = 0;
            for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = apply(&inv, x as f64 + ox, y as f64 + oy);
                if u >= -4.0 && v >= -4.0 && u < lim && v < lim {
                    inside += 1;
                    let is_dark = u >= 0.0 && v >= 0.0 && m.is_dark(u as usize, v as usize);
                    acc += if is_dark { dark } else { light };
                }
            }
            if inside > 0 {
                let bg = img[y * w + x];
                img[y * w + x] = (acc + bg * f64::from(4 - inside)) / 4.0;
            }
        }
    }

    // Glare: a soft bright blob over part of the code (one frame in four).
    if rng.below(4) == 0 {
        let gxc = rng.range(min_x as f64, max_x as f64 + 1.0);
        let gyc = rng.range(min_y as f64, max_y as f64 + 1.0);
        let radius = module_px * rng.range(2.0, 5.0);
        let amp = rng.range(30.0, 70.0);
        for y in 0..h {
            for x in 0..w {
                let d2 = (x as f64 - gxc).powi(2) + (y as f64 - gyc).powi(2);
                img[y * w + x] += amp * (-d2 / (2.0 * radius * radius)).exp();
            }
        }
    }

    blur(&mut img, w, h, rng.range(0.0, 1.0));
    let noise = rng.range(0.0, 10.0);
    let luma = img
        .iter()
        .map(|v| (v + noise * rng.gauss()).round().clamp(0.0, 255.0) as u8)
        .collect();
    Frame {
        width,
        height,
        luma,
        text: text.to_owned(),
        module_px,
    }
}

/// `n` frames of `width × height` from seed `seed`.
pub fn frames(seed: u64, n: usize, width: u32, height: u32) -> Vec<Frame> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let (text, m) = project_code(&mut rng, i);
            camera_frame(&mut rng, &text, &m, width, height)
        })
        .collect()
}
