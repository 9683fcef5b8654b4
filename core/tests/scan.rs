//! Behaviour test of the scanner on generated camera-like frames
//! (not timed: timings belong to `cargo bench --bench scan`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../testsupport/frames.rs"]
mod frames;

use passregion_core::qr::scan_luma;

#[test]
fn decodes_typical_camera_frames_without_wrong_decodes() {
    let mut total = 0;
    let mut ok = 0;
    let mut wrong = 0;
    for (seed, n, w, h) in [(1u64, 100usize, 640u32, 480u32), (2, 20, 1280, 720)] {
        for f in frames::frames(seed, n, w, h) {
            total += 1;
            let texts = scan_luma(&f.luma, f.width, f.height).unwrap();
            if texts.iter().any(|t| t == &f.text) {
                ok += 1;
            }
            wrong += texts.iter().filter(|t| *t != &f.text).count();
        }
    }
    assert_eq!(wrong, 0, "wrong decodes");
    assert!(ok * 100 >= total * 99, "decoded {ok}/{total}");
    assert!(total >= 100);
}

#[test]
fn rejects_bad_frames() {
    assert!(scan_luma(&[], 0, 0).is_err());
    assert!(scan_luma(&[0; 10], 4, 4).is_err());
    assert_eq!(
        scan_luma(&[128; 64 * 48], 64, 48).unwrap(),
        Vec::<String>::new()
    );
}
