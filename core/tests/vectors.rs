//! Conformance vectors (`tests/vectors/*.json`, in the spirit of the EU DCC
//! test data): each gives the raw QR text, the validation clock, the signed
//! trust list and root key, the deny list, the replay state and the expected
//! verdict.
//!
//! - `every_vector_gives_its_verdict` runs each checked-in file through the verifier.
//! - `vectors_are_up_to_date` regenerates them (fixed seeds: deterministic)
//!   and compares; `REGENERATE_VECTORS=1 cargo test -p passregion-core --test vectors`
//!   rewrites the files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use passregion_core::credential::{
    AppCredential, AppCredentialClaims, CardQr, DenyList, IssuerKey, MemoryReplayState,
    OfflineLimits, PublicKey, Reason, RootKey, SignedTrustList, SoftwareDeviceKey, TrustList,
    TrustedKey, Verified, verify,
};
use passregion_core::{FixedClock, Season};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
enum Expected {
    Valid { claims: Verified },
    Rejected { reason: Reason },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Vector {
    description: String,
    text: String,
    now: DateTime<Utc>,
    root_public_key: PublicKey,
    trust_list: SignedTrustList,
    deny_list: DenyList,
    /// credential id → last counter accepted by this partner.
    replay_state: BTreeMap<Uuid, u32>,
    expected: Expected,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn run(v: &Vector) -> Expected {
    let trust = v.trust_list.verify(&v.root_public_key, 0).unwrap();
    let mut replay = MemoryReplayState::new();
    for (id, c) in &v.replay_state {
        replay.seen.insert(*id, (*c, v.now + Duration::days(3)));
    }
    let clock = FixedClock::new(v.now);
    match verify(&v.text, &trust, &v.deny_list, &mut replay, &clock) {
        Ok(claims) => Expected::Valid { claims },
        Err(reason) => Expected::Rejected { reason },
    }
}

/// Flips one byte of the base45 payload of `text` at `offset`.
fn alter(text: &str, offset: usize) -> String {
    let (prefix, body) = text.split_at(4);
    let mut bytes = base45::decode(body).unwrap();
    bytes[offset] ^= 0x01;
    format!("{prefix}{}", base45::encode(&bytes))
}

/// Drops the last `n` payload bytes of `text`.
fn truncate(text: &str, n: usize) -> String {
    let (prefix, body) = text.split_at(4);
    let bytes = base45::decode(body).unwrap();
    format!("{prefix}{}", base45::encode(&bytes[..bytes.len() - n]))
}

struct World {
    root: RootKey,
    issuer: IssuerKey,
    old_issuer: IssuerKey,
    rogue: IssuerKey,
    device: SoftwareDeviceKey,
    other_device: SoftwareDeviceKey,
    now: DateTime<Utc>,
    trust: SignedTrustList,
}

fn world() -> World {
    let root = RootKey::from_seed(&[1; 32]).unwrap();
    let issuer = IssuerKey::from_seed(&[2; 32]).unwrap();
    let old_issuer = IssuerKey::from_seed(&[3; 32]).unwrap();
    let rogue = IssuerKey::from_seed(&[4; 32]).unwrap();
    let device = SoftwareDeviceKey::from_seed(&[5; 32]).unwrap();
    let other_device = SoftwareDeviceKey::from_seed(&[6; 32]).unwrap();
    let now = at(2026, 9, 1, 10, 0);
    let list = TrustList {
        version: 2,
        issued_at: at(2026, 9, 1, 0, 0),
        expires_at: at(2026, 9, 8, 0, 0),
        keys: vec![
            TrustedKey::for_issuer(&issuer, at(2026, 6, 1, 0, 0), at(2027, 6, 30, 0, 0)),
            // Rotated out for signing, kept for the cards printed with it.
            TrustedKey::for_issuer(&old_issuer, at(2025, 6, 1, 0, 0), at(2026, 12, 31, 0, 0)),
        ],
    };
    let trust = list.sign(&root).unwrap();
    World {
        root,
        issuer,
        old_issuer,
        rogue,
        device,
        other_device,
        now,
        trust,
    }
}

const CARD_ID: Uuid = Uuid::from_u128(0x5b0c_1c7e_9d2a_4f11_8e3b_6a7d_2c4e_9f01);
const CREDENTIAL_ID: Uuid = Uuid::from_u128(0x0d6f_3a21_77b4_4c9e_a1f2_3e4d_5c6b_7a80);

fn generate() -> Vec<(String, Vector)> {
    let w = world();
    let mut out: Vec<(String, Vector)> = Vec::new();
    let base = |desc: &str, text: String| Vector {
        description: desc.to_owned(),
        text,
        now: w.now,
        root_public_key: w.root.public_key(),
        trust_list: w.trust.clone(),
        deny_list: DenyList::new(),
        replay_state: BTreeMap::new(),
        expected: Expected::Rejected {
            reason: Reason::BadPrefix,
        },
    };
    let mut push = |name: &str, mut v: Vector, expected: Option<Reason>| {
        v.expected = match expected {
            Some(reason) => Expected::Rejected { reason },
            None => run(&v),
        };
        if expected.is_none() {
            assert!(
                matches!(v.expected, Expected::Valid { .. }),
                "{name}: {:?}",
                v.expected
            );
        }
        out.push((name.to_owned(), v));
    };

    // ---- Static card QR.
    let card = CardQr {
        card_id: CARD_ID,
        card_version: 2,
        season: Season::starting(2026).unwrap(),
    };
    let card_text = card.sign(&w.issuer).unwrap();
    push(
        "card-valid",
        base(
            "static card signed by the current issuer key",
            card_text.clone(),
        ),
        None,
    );
    push(
        "card-valid-rotated-key",
        base(
            "static card printed with the previous issuer key, still in the trust list",
            card.sign(&w.old_issuer).unwrap(),
        ),
        None,
    );
    push(
        "card-unknown-key",
        base(
            "valid signature by a key that is not in the trust list",
            card.sign(&w.rogue).unwrap(),
        ),
        Some(Reason::UnknownKey),
    );
    push(
        "card-truncated-signature",
        base("signature cut by 10 bytes", truncate(&card_text, 10)),
        Some(Reason::BadEncoding),
    );
    for (field, offset, reason) in [
        ("card-id", 3, Reason::BadSignature),
        ("card-version", 17, Reason::BadSignature),
        ("season", 21, Reason::BadSignature),
        ("kid", 25, Reason::UnknownKey),
        ("signature", 60, Reason::BadSignature),
    ] {
        push(
            &format!("card-altered-{field}"),
            base(
                &format!("one byte of the {field} field altered"),
                alter(&card_text, offset),
            ),
            Some(reason),
        );
    }
    let mut v = base("card id on the deny list", card_text.clone());
    v.deny_list.cards.insert(CARD_ID);
    push("card-revoked", v, Some(Reason::Revoked));
    let mut v = base("trust list past its expiry", card_text.clone());
    v.now = at(2026, 9, 8, 0, 1);
    push("card-stale-trust-list", v, Some(Reason::StaleTrustList));
    push(
        "bad-prefix",
        base(
            "not a PASS'Région prefix",
            card_text.replacen("PR1:", "XR1:", 1),
        ),
        Some(Reason::BadPrefix),
    );
    push(
        "unsupported-version",
        base(
            "a future format version",
            card_text.replacen("PR1:", "PR2:", 1),
        ),
        Some(Reason::UnsupportedVersion),
    );
    push(
        "bad-base45",
        base(
            "lowercase is not base45",
            card_text.to_lowercase().replacen("pr1:", "PR1:", 1),
        ),
        Some(Reason::BadEncoding),
    );
    push(
        "too-long",
        base("longer than any format", format!("PD1:{}", "0".repeat(600))),
        Some(Reason::TooLong),
    );
    push(
        "empty",
        base("empty text", String::new()),
        Some(Reason::BadPrefix),
    );

    // Key windows (a trust list of their own).
    let future = IssuerKey::from_seed(&[7; 32]).unwrap();
    let retired = IssuerKey::from_seed(&[8; 32]).unwrap();
    let windows = TrustList {
        version: 2,
        issued_at: at(2026, 9, 1, 0, 0),
        expires_at: at(2026, 9, 8, 0, 0),
        keys: vec![
            TrustedKey::for_issuer(&future, at(2026, 10, 1, 0, 0), at(2027, 10, 1, 0, 0)),
            TrustedKey::for_issuer(&retired, at(2025, 6, 1, 0, 0), at(2026, 8, 31, 0, 0)),
        ],
    }
    .sign(&w.root)
    .unwrap();
    let mut v = base("issuer key not valid yet", card.sign(&future).unwrap());
    v.trust_list = windows.clone();
    push("card-key-not-yet-valid", v, Some(Reason::NotYetValid));
    let mut v = base(
        "issuer key past its validity window",
        card.sign(&retired).unwrap(),
    );
    v.trust_list = windows;
    push("card-key-expired", v, Some(Reason::Expired));

    // ---- App credential + dynamic QR.
    let issued_at = at(2026, 9, 1, 8, 0);
    let claims = AppCredentialClaims {
        credential_id: CREDENTIAL_ID,
        card_id: CARD_ID,
        device_key: w.device.public_key(),
        limits: OfflineLimits {
            allowance_cents: 3000,
            per_transaction_max_cents: 1500,
            max_count: 5,
        },
        issued_at,
        expires_at: issued_at + Duration::hours(72),
    };
    let cred = AppCredential::issue(&w.issuer, &claims).unwrap();
    let dynamic = cred.dynamic_qr(&w.device, w.now, 8).unwrap();
    push(
        "app-valid",
        base("dynamic QR at the current step", dynamic.clone()),
        None,
    );
    let mut v = base("counter above the last one seen", dynamic.clone());
    v.replay_state.insert(CREDENTIAL_ID, 7);
    push("app-valid-next-counter", v, None);
    let mut v = base(
        "counter equal to the last one seen (screenshot replayed)",
        dynamic.clone(),
    );
    v.replay_state.insert(CREDENTIAL_ID, 8);
    push("app-replayed-counter", v, Some(Reason::Replayed));
    let mut v = base("counter below the last one seen", dynamic.clone());
    v.replay_state.insert(CREDENTIAL_ID, 20);
    push("app-replayed-older-counter", v, Some(Reason::Replayed));
    for (name, secs, expected) in [
        ("app-step-minus-1", -30, None),
        ("app-step-plus-1", 30, None),
        ("app-step-minus-2", -60, Some(Reason::StepOutOfWindow)),
        ("app-step-plus-2", 60, Some(Reason::StepOutOfWindow)),
    ] {
        let t = cred
            .dynamic_qr(&w.device, w.now + Duration::seconds(secs), 8)
            .unwrap();
        push(
            name,
            base(&format!("QR made {secs} s from the validation clock"), t),
            expected,
        );
    }
    let mut v = base(
        "credential past its expiry",
        cred.dynamic_qr(&w.device, issued_at + Duration::hours(73), 8)
            .unwrap(),
    );
    v.now = issued_at + Duration::hours(73);
    v.trust_list = TrustList {
        expires_at: at(2026, 9, 30, 0, 0),
        ..w.trust.verify(&w.root.public_key(), 0).unwrap()
    }
    .sign(&w.root)
    .unwrap();
    push("app-expired", v, Some(Reason::Expired));
    let early = AppCredential::issue(
        &w.issuer,
        &AppCredentialClaims {
            issued_at: w.now + Duration::minutes(5),
            expires_at: w.now + Duration::hours(24),
            ..claims
        },
    )
    .unwrap();
    push(
        "app-not-yet-valid",
        base(
            "credential issued 5 minutes in the future",
            early.dynamic_qr(&w.device, w.now, 8).unwrap(),
        ),
        Some(Reason::NotYetValid),
    );
    let long = AppCredential::issue_unchecked_for_vectors(
        &w.issuer,
        &AppCredentialClaims {
            expires_at: issued_at + Duration::hours(73),
            ..claims
        },
    )
    .unwrap();
    push(
        "app-validity-too-long",
        base(
            "issuer signed a credential valid 73 h",
            long.dynamic_qr(&w.device, w.now, 8).unwrap(),
        ),
        Some(Reason::ValidityTooLong),
    );
    let mut v = base("card id on the deny list", dynamic.clone());
    v.deny_list.cards.insert(CARD_ID);
    push("app-revoked-card", v, Some(Reason::Revoked));
    let mut v = base(
        "credential id on the deny list (lost phone)",
        dynamic.clone(),
    );
    v.deny_list.credentials.insert(CREDENTIAL_ID);
    push("app-revoked-credential", v, Some(Reason::Revoked));
    let rogue_cred = AppCredential::issue(&w.rogue, &claims).unwrap();
    push(
        "app-unknown-key",
        base(
            "credential with a valid signature by a key not in the trust list",
            rogue_cred.dynamic_qr(&w.device, w.now, 8).unwrap(),
        ),
        Some(Reason::UnknownKey),
    );
    push(
        "app-other-device",
        base(
            "QR signed by a device key other than the one in the credential",
            cred.dynamic_qr(&w.other_device, w.now, 8).unwrap(),
        ),
        Some(Reason::BadDeviceSignature),
    );
    push(
        "app-truncated-device-signature",
        base("device signature cut by 1 byte", truncate(&dynamic, 1)),
        Some(Reason::BadEncoding),
    );
    let mut v = base("trust list past its expiry", dynamic.clone());
    v.now = at(2026, 9, 8, 0, 1);
    push("app-stale-trust-list", v, Some(Reason::StaleTrustList));
    for (field, offset, reason) in [
        ("credential-id", 0, Reason::BadSignature),
        ("card-id", 16, Reason::BadSignature),
        ("device-key", 40, Reason::BadSignature),
        ("allowance", 67, Reason::BadSignature),
        ("per-transaction-max", 71, Reason::BadSignature),
        ("max-count", 73, Reason::BadSignature),
        ("issued-at", 77, Reason::BadSignature),
        ("expires-at", 81, Reason::BadSignature),
        ("kid", 85, Reason::UnknownKey),
        ("issuer-signature", 120, Reason::BadSignature),
        ("step", 157, Reason::BadDeviceSignature),
        ("counter", 161, Reason::BadDeviceSignature),
        ("device-signature", 200, Reason::BadDeviceSignature),
    ] {
        push(
            &format!("app-altered-{field}"),
            base(
                &format!("one byte of the {field} field altered"),
                alter(&dynamic, offset),
            ),
            Some(reason),
        );
    }
    // A card replaced after a loss: its printed code of an earlier version
    // is refused, the current version's still verifies.
    let mut v = base(
        "card replaced since (version 3 in force)",
        card_text.clone(),
    );
    v.deny_list.card_versions.insert(CARD_ID, 3);
    push("card-replaced", v, Some(Reason::Revoked));
    let mut v = base("card of the version in force", card_text.clone());
    v.deny_list.card_versions.insert(CARD_ID, 2);
    push("card-current-version", v, None);
    out
}

#[test]
fn generated_vectors_match_the_verifier() {
    for (name, v) in generate() {
        assert_eq!(run(&v), v.expected, "{name}");
    }
}

#[test]
fn vectors_are_up_to_date() {
    let d = dir();
    let regenerate = std::env::var_os("REGENERATE_VECTORS").is_some();
    if regenerate {
        std::fs::create_dir_all(&d).unwrap();
    }
    for (i, (name, v)) in generate().into_iter().enumerate() {
        let path = d.join(format!("{:03}-{name}.json", i + 1));
        let json = serde_json::to_string_pretty(&v).unwrap() + "\n";
        if regenerate {
            std::fs::write(&path, json).unwrap();
        } else {
            let on_disk = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("missing {}: REGENERATE_VECTORS=1", path.display()));
            assert_eq!(
                on_disk,
                json,
                "{} is stale: REGENERATE_VECTORS=1",
                path.display()
            );
        }
    }
}

#[test]
fn every_vector_gives_its_verdict() {
    if std::env::var_os("REGENERATE_VECTORS").is_some() {
        return; // files are being rewritten by `vectors_are_up_to_date`
    }
    let mut n = 0;
    let mut reasons = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: Vector = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(run(&v), v.expected, "{}", path.display());
        if let Expected::Rejected { reason } = v.expected {
            reasons.insert(format!("{reason:?}"));
        }
        n += 1;
    }
    assert!(n >= 40, "only {n} vectors");
    // Every rejection reason is covered.
    for r in [
        "BadPrefix",
        "UnsupportedVersion",
        "TooLong",
        "BadEncoding",
        "StaleTrustList",
        "UnknownKey",
        "BadSignature",
        "BadDeviceSignature",
        "Revoked",
        "Expired",
        "NotYetValid",
        "ValidityTooLong",
        "StepOutOfWindow",
        "Replayed",
    ] {
        assert!(reasons.contains(r), "no vector for {r}");
    }
}
