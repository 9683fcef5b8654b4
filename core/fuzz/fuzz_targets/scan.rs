//! Feeds arbitrary small frames to the scanner: the first two bytes give the
//! width and height, the rest is the luma buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let w = u32::from(data[0]).max(1);
    let h = u32::from(data[1]).max(1);
    let mut luma = data[2..].to_vec();
    luma.resize((w * h) as usize, 255);
    let _ = passregion_core::qr::scan_luma(&luma, w, h);
});
