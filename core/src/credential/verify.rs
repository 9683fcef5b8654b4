//! The verifier: one function for both QR kinds, used by the server's QR
//! debit and by the partner app. It fails closed, checks signatures before
//! reading any claim, bounds every length before allocating, never panics.
//!
//! Order: length → prefix/version → base45 → exact payload length → trust
//! list freshness → kid → issuer signature → (dynamic) device signature →
//! key validity window → deny list → (dynamic) credential validity, expiry,
//! time step, counter; the counter is recorded only when everything passed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::format::{
    AppCredentialClaims, CARD_LEN, CARD_PREFIX, CARD_SIGNED_LEN, CARD_TAG, CREDENTIAL_LEN,
    CREDENTIAL_SIGNED_LEN, CREDENTIAL_TAG, DYNAMIC_LEN, DYNAMIC_PREFIX, DYNAMIC_SIGNED_LEN,
    DYNAMIC_TAG, MAX_CREDENTIAL_VALIDITY, MAX_TEXT_LEN, OfflineLimits, Reader,
    parse_credential_claims, step_of, tagged,
};
use super::keys::{KID_LEN, Kid, PublicKey};
use super::trust::{DenyList, TrustList, TrustedKey};
use crate::clock::Clock;
use crate::season::Season;

/// Clock skew tolerated on a credential's issue instant.
pub const ISSUE_SKEW: Duration = Duration::seconds(60);

/// Why a scanned text was refused. Carries no personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum Reason {
    /// Not a PASS'Région QR (unknown prefix).
    #[error("not a PASS'Région code")]
    BadPrefix,
    /// A PASS'Région prefix of a version this software does not know.
    #[error("unsupported code version")]
    UnsupportedVersion,
    /// Longer than any known format (refused before decoding).
    #[error("code too long")]
    TooLong,
    /// Not base45, or the payload does not have the format's exact length.
    #[error("malformed code")]
    BadEncoding,
    /// The trust list is past its expiry: decide online only.
    #[error("trust list out of date")]
    StaleTrustList,
    /// The issuer key id is not in the trust list.
    #[error("unknown issuer key")]
    UnknownKey,
    /// The issuer signature does not verify.
    #[error("bad issuer signature")]
    BadSignature,
    /// The device signature of a dynamic QR does not verify.
    #[error("bad device signature")]
    BadDeviceSignature,
    /// The card id or the credential id is on the deny list.
    #[error("card or credential revoked")]
    Revoked,
    /// Credential (or issuer key) expired.
    #[error("expired")]
    Expired,
    /// Credential (or issuer key) not yet valid.
    #[error("not yet valid")]
    NotYetValid,
    /// A signed credential valid for more than 72 hours (issuer fault).
    #[error("credential validity too long")]
    ValidityTooLong,
    /// The dynamic QR's time step is not within ±1 step (30 s) of now.
    #[error("time step out of window")]
    StepOutOfWindow,
    /// The counter is not above the last one seen for this credential.
    #[error("code already used")]
    Replayed,
}

/// A verified static card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCard {
    /// Card id.
    pub card_id: Uuid,
    /// Card version.
    pub card_version: u32,
    /// Printed season.
    pub season: Season,
    /// Issuer key id.
    pub kid: Kid,
}

/// A verified dynamic app QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedApp {
    /// Credential id.
    pub credential_id: Uuid,
    /// Card id.
    pub card_id: Uuid,
    /// Offline limits (integer cents).
    pub limits: OfflineLimits,
    /// Credential issue instant.
    pub issued_at: DateTime<Utc>,
    /// Credential expiry.
    pub expires_at: DateTime<Utc>,
    /// 30-second time step of the QR.
    pub step: u32,
    /// Counter of the QR.
    pub counter: u32,
    /// Issuer key id.
    pub kid: Kid,
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Verified {
    /// A static card QR (`PR1:`): proves authenticity only (a photocopy is as
    /// good): decide online, or accept offline only with a tiny cap.
    Card(VerifiedCard),
    /// A dynamic app QR (`PD1:`).
    App(VerifiedApp),
}

/// The partner's replay state: the last counter seen per credential. The
/// caller persists it (e.g. in its SQLite database).
pub trait ReplayState {
    /// The last counter accepted for a credential.
    fn last_counter(&self, credential_id: &Uuid) -> Option<u32>;
    /// Records an accepted counter (called by [`verify`] on success only).
    fn record(&mut self, credential_id: Uuid, counter: u32, expires_at: DateTime<Utc>);
}

/// An in-memory replay state (serializable, so it can be saved as is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryReplayState {
    /// credential id → (last counter, credential expiry).
    pub seen: HashMap<Uuid, (u32, DateTime<Utc>)>,
}

impl MemoryReplayState {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets credentials expired before `now` (they can no longer verify).
    pub fn prune(&mut self, now: DateTime<Utc>) {
        self.seen.retain(|_, (_, exp)| *exp >= now);
    }
}

impl ReplayState for MemoryReplayState {
    fn last_counter(&self, credential_id: &Uuid) -> Option<u32> {
        self.seen.get(credential_id).map(|(c, _)| *c)
    }

    fn record(&mut self, credential_id: Uuid, counter: u32, expires_at: DateTime<Utc>) {
        let e = self
            .seen
            .entry(credential_id)
            .or_insert((counter, expires_at));
        e.0 = e.0.max(counter);
        e.1 = expires_at;
    }
}

enum Kind {
    Card,
    Dynamic,
}

fn classify(text: &str) -> Result<(Kind, &str), Reason> {
    if let Some(rest) = text.strip_prefix(CARD_PREFIX) {
        return Ok((Kind::Card, rest));
    }
    if let Some(rest) = text.strip_prefix(DYNAMIC_PREFIX) {
        return Ok((Kind::Dynamic, rest));
    }
    // `PR<n>:` / `PD<n>:` with another version number.
    let b = text.as_bytes();
    if b.len() >= 4 && b[0] == b'P' && (b[1] == b'R' || b[1] == b'D') {
        let digits = b[2..].iter().take_while(|c| c.is_ascii_digit()).count();
        if (1..=4).contains(&digits) && b.get(2 + digits) == Some(&b':') {
            return Err(Reason::UnsupportedVersion);
        }
    }
    Err(Reason::BadPrefix)
}

fn check_key_window(key: &TrustedKey, now: DateTime<Utc>) -> Result<(), Reason> {
    if now < key.not_before {
        return Err(Reason::NotYetValid);
    }
    if now > key.not_after {
        return Err(Reason::Expired);
    }
    Ok(())
}

fn kid_at(bytes: &[u8], at: usize) -> Kid {
    let mut kid = [0u8; KID_LEN];
    if let Some(src) = bytes.get(at..at + KID_LEN) {
        kid.copy_from_slice(src);
    }
    Kid(kid)
}

/// Verifies a scanned QR text. On success of a dynamic QR the counter is
/// recorded in `replay`. See the module documentation for the order of checks.
pub fn verify(
    text: &str,
    trust: &TrustList,
    deny: &DenyList,
    replay: &mut dyn ReplayState,
    clock: &dyn Clock,
) -> Result<Verified, Reason> {
    if text.len() > MAX_TEXT_LEN {
        return Err(Reason::TooLong);
    }
    let (kind, body) = classify(text)?;
    let bytes = base45::decode(body).map_err(|_| Reason::BadEncoding)?;
    let now = clock.now();
    match kind {
        Kind::Card => verify_card(&bytes, trust, deny, now).map(Verified::Card),
        Kind::Dynamic => verify_dynamic(&bytes, trust, deny, replay, now).map(Verified::App),
    }
}

fn verify_card(
    bytes: &[u8],
    trust: &TrustList,
    deny: &DenyList,
    now: DateTime<Utc>,
) -> Result<VerifiedCard, Reason> {
    if bytes.len() != CARD_LEN {
        return Err(Reason::BadEncoding);
    }
    if !trust.is_fresh(now) {
        return Err(Reason::StaleTrustList);
    }
    let (signed, sig) = bytes.split_at(CARD_SIGNED_LEN);
    let kid = kid_at(signed, CARD_SIGNED_LEN - KID_LEN);
    let key = trust.key(&kid).ok_or(Reason::UnknownKey)?;
    if !key.public_key.verify(&tagged(CARD_TAG, signed), sig) {
        return Err(Reason::BadSignature);
    }
    check_key_window(key, now)?;
    let mut r = Reader::new(signed);
    let card_id = Uuid::from_bytes(r.take());
    let card_version = r.u32();
    let season = Season::starting(i32::from(r.u16())).map_err(|_| Reason::BadEncoding)?;
    if deny.cards.contains(&card_id)
        || deny
            .card_versions
            .get(&card_id)
            .is_some_and(|floor| card_version < *floor)
    {
        return Err(Reason::Revoked);
    }
    Ok(VerifiedCard {
        card_id,
        card_version,
        season,
        kid,
    })
}

fn verify_dynamic(
    bytes: &[u8],
    trust: &TrustList,
    deny: &DenyList,
    replay: &mut dyn ReplayState,
    now: DateTime<Utc>,
) -> Result<VerifiedApp, Reason> {
    if bytes.len() != DYNAMIC_LEN {
        return Err(Reason::BadEncoding);
    }
    if !trust.is_fresh(now) {
        return Err(Reason::StaleTrustList);
    }
    let (cred_signed, rest) = bytes.split_at(CREDENTIAL_SIGNED_LEN);
    let (issuer_sig, _) = rest.split_at(CREDENTIAL_LEN - CREDENTIAL_SIGNED_LEN);
    let kid = kid_at(cred_signed, CREDENTIAL_SIGNED_LEN - KID_LEN);
    let key = trust.key(&kid).ok_or(Reason::UnknownKey)?;
    if !key
        .public_key
        .verify(&tagged(CREDENTIAL_TAG, cred_signed), issuer_sig)
    {
        return Err(Reason::BadSignature);
    }
    // The device key sits at offset 32 of the (now authenticated) credential.
    let mut device_key = [0u8; 32];
    device_key.copy_from_slice(&cred_signed[32..64]);
    let (dyn_signed, device_sig) = bytes.split_at(DYNAMIC_SIGNED_LEN);
    if !PublicKey(device_key).verify(&tagged(DYNAMIC_TAG, dyn_signed), device_sig) {
        return Err(Reason::BadDeviceSignature);
    }
    check_key_window(key, now)?;

    let mut cred = [0u8; CREDENTIAL_LEN];
    cred.copy_from_slice(&bytes[..CREDENTIAL_LEN]);
    let (claims, _) = parse_credential_claims(&cred);
    let AppCredentialClaims {
        credential_id,
        card_id,
        limits,
        issued_at,
        expires_at,
        ..
    } = claims;
    let mut r = Reader::new(&bytes[CREDENTIAL_LEN..DYNAMIC_SIGNED_LEN]);
    let step = r.u32();
    let counter = r.u32();

    if deny.cards.contains(&card_id) || deny.credentials.contains(&credential_id) {
        return Err(Reason::Revoked);
    }
    if expires_at <= issued_at || expires_at - issued_at > MAX_CREDENTIAL_VALIDITY {
        return Err(Reason::ValidityTooLong);
    }
    if now + ISSUE_SKEW < issued_at {
        return Err(Reason::NotYetValid);
    }
    if now >= expires_at {
        return Err(Reason::Expired);
    }
    if (i64::from(step) - step_of(now)).abs() > 1 {
        return Err(Reason::StepOutOfWindow);
    }
    if replay
        .last_counter(&credential_id)
        .is_some_and(|last| counter <= last)
    {
        return Err(Reason::Replayed);
    }
    replay.record(credential_id, counter, expires_at);
    Ok(VerifiedApp {
        credential_id,
        card_id,
        limits,
        issued_at,
        expires_at,
        step,
        counter,
        kid,
    })
}

/// Why an offline debit exceeds a credential's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// Above the per-transaction maximum.
    #[error("amount above the per-transaction maximum")]
    PerTransaction,
    /// This partner's offline total would exceed the allowance.
    #[error("offline allowance exhausted")]
    Allowance,
    /// Too many offline debits.
    #[error("too many offline debits")]
    Count,
}

impl OfflineLimits {
    /// Whether one more offline debit of `amount_cents` fits, given what this
    /// partner already accepted offline on the credential (integer cents).
    pub fn check_debit(
        &self,
        amount_cents: u32,
        already_cents: u64,
        already_count: u32,
    ) -> Result<(), LimitError> {
        if amount_cents > self.per_transaction_max_cents {
            return Err(LimitError::PerTransaction);
        }
        if already_cents.saturating_add(u64::from(amount_cents)) > u64::from(self.allowance_cents) {
            return Err(LimitError::Allowance);
        }
        if already_count >= u32::from(self.max_count) {
            return Err(LimitError::Count);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::credential::format::{AppCredential, CardQr};
    use crate::credential::keys::{IssuerKey, SoftwareDeviceKey};
    use crate::credential::trust::TrustedKey;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn setup() -> (IssuerKey, TrustList, FixedClock) {
        let issuer = IssuerKey::from_seed(&[2; 32]).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let t1 = Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap();
        let trust = TrustList {
            version: 1,
            issued_at: t0,
            expires_at: t1,
            keys: vec![TrustedKey::for_issuer(&issuer, t0, t1)],
        };
        let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 9, 1, 10, 0, 0).unwrap());
        (issuer, trust, clock)
    }

    #[test]
    fn dynamic_roundtrip_then_replay() {
        let (issuer, trust, clock) = setup();
        let device = SoftwareDeviceKey::from_seed(&[5; 32]).unwrap();
        let now = clock.now();
        let claims = AppCredentialClaims {
            credential_id: Uuid::from_u128(1),
            card_id: Uuid::from_u128(2),
            device_key: device.public_key(),
            limits: OfflineLimits {
                allowance_cents: 3000,
                per_transaction_max_cents: 1500,
                max_count: 5,
            },
            issued_at: now - Duration::hours(1),
            expires_at: now + Duration::hours(71),
        };
        let cred = AppCredential::issue(&issuer, &claims).unwrap();
        let text = cred.dynamic_qr(&device, now, 1).unwrap();
        assert!(text.len() <= MAX_TEXT_LEN);
        let mut replay = MemoryReplayState::new();
        let deny = DenyList::new();
        let v = verify(&text, &trust, &deny, &mut replay, &clock).unwrap();
        assert!(matches!(v, Verified::App(ref a) if a.counter == 1 && a.limits == claims.limits));
        assert_eq!(
            verify(&text, &trust, &deny, &mut replay, &clock),
            Err(Reason::Replayed)
        );
        let next = cred.dynamic_qr(&device, now, 2).unwrap();
        assert!(verify(&next, &trust, &deny, &mut replay, &clock).is_ok());
        assert_eq!(claims.limits.check_debit(1500, 1000, 1), Ok(()));
        assert_eq!(
            claims.limits.check_debit(1501, 0, 0),
            Err(LimitError::PerTransaction)
        );
        assert_eq!(
            claims.limits.check_debit(1500, 1600, 0),
            Err(LimitError::Allowance)
        );
        assert_eq!(claims.limits.check_debit(10, 0, 5), Err(LimitError::Count));
    }

    #[test]
    fn issuing_refuses_long_validity() {
        let (issuer, _, clock) = setup();
        let now = clock.now();
        let claims = AppCredentialClaims {
            credential_id: Uuid::from_u128(1),
            card_id: Uuid::from_u128(2),
            device_key: issuer.public_key(),
            limits: OfflineLimits {
                allowance_cents: 10,
                per_transaction_max_cents: 10,
                max_count: 1,
            },
            issued_at: now,
            expires_at: now + Duration::hours(73),
        };
        assert!(AppCredential::issue(&issuer, &claims).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,400}") {
            let (_, trust, clock) = setup();
            let mut replay = MemoryReplayState::new();
            let _ = verify(&s, &trust, &DenyList::new(), &mut replay, &clock);
            let _ = verify(&format!("PR1:{s}"), &trust, &DenyList::new(), &mut replay, &clock);
        }

        #[test]
        fn arbitrary_payload_bytes_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..260), dynamic in any::<bool>()) {
            let (_, trust, clock) = setup();
            let mut replay = MemoryReplayState::new();
            let prefix = if dynamic { "PD1:" } else { "PR1:" };
            let text = format!("{prefix}{}", base45::encode(&bytes));
            prop_assert!(verify(&text, &trust, &DenyList::new(), &mut replay, &clock).is_err());
        }

        #[test]
        fn any_single_bit_flip_of_a_card_is_rejected(byte in 0usize..94, bit in 0u8..8) {
            let (issuer, trust, clock) = setup();
            let card = CardQr {
                card_id: Uuid::from_u128(7),
                card_version: 1,
                season: Season::starting(2026).unwrap(),
            };
            let text = card.sign(&issuer).unwrap();
            let mut bytes = base45::decode(&text[4..]).unwrap();
            bytes[byte] ^= 1 << bit;
            let altered = format!("PR1:{}", base45::encode(&bytes));
            let mut replay = MemoryReplayState::new();
            prop_assert!(verify(&altered, &trust, &DenyList::new(), &mut replay, &clock).is_err());
        }
    }
}
