//! Feeds arbitrary text to the verifier (static and dynamic paths), with a
//! trust list holding a real issuer key so that well-formed inputs go deep.
#![no_main]

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use passregion_core::FixedClock;
use passregion_core::credential::{
    DenyList, IssuerKey, MemoryReplayState, TrustList, TrustedKey, verify,
};

fn trust() -> &'static TrustList {
    static T: OnceLock<TrustList> = OnceLock::new();
    T.get_or_init(|| {
        let issuer = IssuerKey::from_seed(&[2; 32]).expect("seed");
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("t0");
        let t1 = Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).single().expect("t1");
        TrustList {
            version: 1,
            issued_at: t0,
            expires_at: t1,
            keys: vec![TrustedKey::for_issuer(&issuer, t0, t1)],
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 9, 1, 10, 0, 0).single().expect("now"));
    let mut replay = MemoryReplayState::new();
    let text = String::from_utf8_lossy(data);
    let _ = verify(&text, trust(), &DenyList::new(), &mut replay, &clock);
    // The same bytes behind each prefix, so the decoder is always reached.
    for prefix in ["PR1:", "PD1:"] {
        let t = format!("{prefix}{text}");
        let _ = verify(&t, trust(), &DenyList::new(), &mut replay, &clock);
    }
});
