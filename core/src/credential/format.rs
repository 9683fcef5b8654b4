//! Wire formats: fixed binary layouts (big-endian), base45 text with a
//! versioned prefix. See `docs/adr/0010-card-credentials.md`.
//!
//! Static card, `PR1:` + base45 of 94 bytes:
//! `card_id[16] | card_version u32 | season u16 | kid[8] | issuer_sig[64]`.
//!
//! App credential (154 bytes):
//! `credential_id[16] | card_id[16] | device_pk[32] | allowance_cents u32 |
//!  per_tx_max_cents u32 | max_count u16 | issued_at u32 | expires_at u32 |
//!  kid[8] | issuer_sig[64]` (instants in Unix seconds).
//!
//! Dynamic app QR, `PD1:` + base45 of 226 bytes:
//! `credential[154] | step u32 | counter u32 | device_sig[64]`.
//!
//! Every signature covers a domain-separation tag and all bytes before it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::keys::{
    DeviceSigner, IssuerKey, KID_LEN, KeyError, Kid, PUBLIC_KEY_LEN, PublicKey, SIGNATURE_LEN,
};
use crate::season::Season;

/// Prefix of the static card QR.
pub const CARD_PREFIX: &str = "PR1:";
/// Prefix of the dynamic app QR.
pub const DYNAMIC_PREFIX: &str = "PD1:";
/// Length of a time step of the dynamic QR.
pub const STEP_SECONDS: i64 = 30;
/// Longest app credential validity.
pub const MAX_CREDENTIAL_VALIDITY: Duration = Duration::hours(72);

pub(crate) const CARD_TAG: &[u8] = b"passregion/PR1\0";
pub(crate) const CREDENTIAL_TAG: &[u8] = b"passregion/AC1\0";
pub(crate) const DYNAMIC_TAG: &[u8] = b"passregion/PD1\0";

/// Signed part of a static card.
pub(crate) const CARD_SIGNED_LEN: usize = 16 + 4 + 2 + KID_LEN;
/// Whole static card payload.
pub const CARD_LEN: usize = CARD_SIGNED_LEN + SIGNATURE_LEN;
/// Signed part of an app credential.
pub(crate) const CREDENTIAL_SIGNED_LEN: usize =
    16 + 16 + PUBLIC_KEY_LEN + 4 + 4 + 2 + 4 + 4 + KID_LEN;
/// Whole app credential.
pub const CREDENTIAL_LEN: usize = CREDENTIAL_SIGNED_LEN + SIGNATURE_LEN;
/// Device-signed part of a dynamic QR.
pub(crate) const DYNAMIC_SIGNED_LEN: usize = CREDENTIAL_LEN + 4 + 4;
/// Whole dynamic QR payload.
pub const DYNAMIC_LEN: usize = DYNAMIC_SIGNED_LEN + SIGNATURE_LEN;
/// Longest QR text any current format produces (checked before decoding).
pub const MAX_TEXT_LEN: usize = 4 + DYNAMIC_LEN.div_ceil(2) * 3;

/// Why a credential could not be issued or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Expiry not after issue, or more than 72 h after it.
    #[error("an app credential is valid for at most 72 hours")]
    BadValidity,
    /// An instant outside 1970–2106 (the u32 seconds of the format).
    #[error("instant out of the format's range")]
    InstantOutOfRange,
    /// The per-transaction maximum exceeds the allowance.
    #[error("the per-transaction maximum exceeds the offline allowance")]
    BadLimits,
    /// The device signer failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Not a credential (wrong length or encoding).
    #[error("malformed app credential")]
    Malformed,
}

/// What a static card QR says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardQr {
    /// The card id (UUID v4).
    pub card_id: Uuid,
    /// Card version (bumped at each reprint; an old print can be denied).
    pub card_version: u32,
    /// Season printed on the card.
    pub season: Season,
}

/// Offline limits of an app credential (integer cents).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfflineLimits {
    /// Total the youth may spend offline with this credential (reserved on the server).
    pub allowance_cents: u32,
    /// Largest single offline debit.
    pub per_transaction_max_cents: u32,
    /// Largest number of offline debits.
    pub max_count: u16,
}

/// What the server puts in an app credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppCredentialClaims {
    /// Credential id (UUID, for the deny list and the replay state).
    pub credential_id: Uuid,
    /// The card it belongs to.
    pub card_id: Uuid,
    /// The device key registered at activation.
    pub device_key: PublicKey,
    /// Offline limits.
    pub limits: OfflineLimits,
    /// Issue instant (second precision).
    pub issued_at: DateTime<Utc>,
    /// Expiry (≤ 72 h after issue).
    pub expires_at: DateTime<Utc>,
}

/// An issued app credential: the bytes the server sends to the app at sync.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredential {
    bytes: [u8; CREDENTIAL_LEN],
}

impl std::fmt::Debug for AppCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredential").finish_non_exhaustive()
    }
}

pub(crate) fn instant_to_u32(t: DateTime<Utc>) -> Result<u32, CredentialError> {
    u32::try_from(t.timestamp()).map_err(|_| CredentialError::InstantOutOfRange)
}

pub(crate) fn u32_to_instant(s: u32) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(i64::from(s), 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// The 30-second step of an instant.
pub fn step_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(STEP_SECONDS)
}

pub(crate) fn tagged(tag: &[u8], body: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(tag.len() + body.len());
    msg.extend_from_slice(tag);
    msg.extend_from_slice(body);
    msg
}

/// A cursor over a fixed-size buffer whose length was checked beforehand.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub(crate) fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = self.buf.get(self.pos..self.pos + N) {
            out.copy_from_slice(src);
        }
        self.pos += N;
        out
    }
    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }
    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take())
    }
}

impl CardQr {
    /// The signed `PR1:` text to print on the card.
    pub fn sign(&self, issuer: &IssuerKey) -> Result<String, CredentialError> {
        let year = u16::try_from(self.season.start_year())
            .map_err(|_| CredentialError::InstantOutOfRange)?;
        let mut bytes = Vec::with_capacity(CARD_LEN);
        bytes.extend_from_slice(self.card_id.as_bytes());
        bytes.extend_from_slice(&self.card_version.to_be_bytes());
        bytes.extend_from_slice(&year.to_be_bytes());
        bytes.extend_from_slice(&issuer.kid().0);
        let sig = issuer.sign_raw(&tagged(CARD_TAG, &bytes));
        bytes.extend_from_slice(&sig);
        Ok(format!("{CARD_PREFIX}{}", base45::encode(&bytes)))
    }
}

impl AppCredential {
    /// Issues (signs) a credential (server side).
    pub fn issue(
        issuer: &IssuerKey,
        claims: &AppCredentialClaims,
    ) -> Result<AppCredential, CredentialError> {
        if claims.expires_at <= claims.issued_at
            || claims.expires_at - claims.issued_at > MAX_CREDENTIAL_VALIDITY
        {
            return Err(CredentialError::BadValidity);
        }
        if claims.limits.per_transaction_max_cents > claims.limits.allowance_cents {
            return Err(CredentialError::BadLimits);
        }
        AppCredential::issue_unchecked_for_vectors(issuer, claims)
    }

    /// Signs claims without the issuing checks (72 h, limits). Only to build
    /// conformance vectors of what a faulty issuer could sign.
    #[doc(hidden)]
    pub fn issue_unchecked_for_vectors(
        issuer: &IssuerKey,
        claims: &AppCredentialClaims,
    ) -> Result<AppCredential, CredentialError> {
        let mut v = Vec::with_capacity(CREDENTIAL_LEN);
        v.extend_from_slice(claims.credential_id.as_bytes());
        v.extend_from_slice(claims.card_id.as_bytes());
        v.extend_from_slice(&claims.device_key.0);
        v.extend_from_slice(&claims.limits.allowance_cents.to_be_bytes());
        v.extend_from_slice(&claims.limits.per_transaction_max_cents.to_be_bytes());
        v.extend_from_slice(&claims.limits.max_count.to_be_bytes());
        v.extend_from_slice(&instant_to_u32(claims.issued_at)?.to_be_bytes());
        v.extend_from_slice(&instant_to_u32(claims.expires_at)?.to_be_bytes());
        v.extend_from_slice(&issuer.kid().0);
        let sig = issuer.sign_raw(&tagged(CREDENTIAL_TAG, &v));
        v.extend_from_slice(&sig);
        let bytes = <[u8; CREDENTIAL_LEN]>::try_from(v.as_slice())
            .map_err(|_| CredentialError::Malformed)?;
        Ok(AppCredential { bytes })
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; CREDENTIAL_LEN] {
        &self.bytes
    }

    /// Base64url text to send to the app.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes)
    }

    /// Parses the base64url text (the app stores it; signatures are checked
    /// by the verifier, not here).
    pub fn from_base64(s: &str) -> Result<AppCredential, CredentialError> {
        if s.len() > CREDENTIAL_LEN.div_ceil(3) * 4 {
            return Err(CredentialError::Malformed);
        }
        let v = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| CredentialError::Malformed)?;
        let bytes = <[u8; CREDENTIAL_LEN]>::try_from(v.as_slice())
            .map_err(|_| CredentialError::Malformed)?;
        Ok(AppCredential { bytes })
    }

    /// The claims (unverified: for display in the app only).
    pub fn claims(&self) -> AppCredentialClaims {
        parse_credential_claims(&self.bytes).0
    }

    /// The dynamic `PD1:` text shown by the app at `now` with `counter`
    /// (the app increments its counter for every QR it shows).
    pub fn dynamic_qr(
        &self,
        signer: &dyn DeviceSigner,
        now: DateTime<Utc>,
        counter: u32,
    ) -> Result<String, CredentialError> {
        let step = u32::try_from(step_of(now)).map_err(|_| CredentialError::InstantOutOfRange)?;
        let mut v = Vec::with_capacity(DYNAMIC_LEN);
        v.extend_from_slice(&self.bytes);
        v.extend_from_slice(&step.to_be_bytes());
        v.extend_from_slice(&counter.to_be_bytes());
        let sig = signer.sign(&tagged(DYNAMIC_TAG, &v))?;
        v.extend_from_slice(&sig);
        Ok(format!("{DYNAMIC_PREFIX}{}", base45::encode(&v)))
    }
}

/// Reads the claims and the kid of a credential of exactly `CREDENTIAL_LEN` bytes.
pub(crate) fn parse_credential_claims(bytes: &[u8; CREDENTIAL_LEN]) -> (AppCredentialClaims, Kid) {
    let mut r = Reader::new(bytes);
    let credential_id = Uuid::from_bytes(r.take());
    let card_id = Uuid::from_bytes(r.take());
    let device_key = PublicKey(r.take());
    let allowance_cents = r.u32();
    let per_transaction_max_cents = r.u32();
    let max_count = r.u16();
    let issued_at = u32_to_instant(r.u32());
    let expires_at = u32_to_instant(r.u32());
    let kid = Kid(r.take());
    (
        AppCredentialClaims {
            credential_id,
            card_id,
            device_key,
            limits: OfflineLimits {
                allowance_cents,
                per_transaction_max_cents,
                max_count,
            },
            issued_at,
            expires_at,
        },
        kid,
    )
}
