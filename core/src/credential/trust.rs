//! The trust list (issuer keys, signed by the root key) and the deny list.
//!
//! Rotation: add the new issuer key with `not_before` = now, keep the old one
//! (its `not_after` covers the cards printed with it), bump `version`, sign
//! again with the root key. Cards already printed keep verifying.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::{IssuerKey, Kid, PublicKey, RootKey, SIGNATURE_LEN};

/// Format tag of a signed trust list.
pub const TRUST_LIST_FORMAT: &str = "PRTL1";
/// Domain-separation tag of the root signature.
const TRUST_LIST_TAG: &[u8] = b"passregion/PRTL1\0";
/// Largest signed trust list accepted (bytes of the body).
pub const MAX_TRUST_LIST_LEN: usize = 256 * 1024;
/// Largest number of issuer keys in a trust list.
pub const MAX_TRUSTED_KEYS: usize = 256;

/// An issuer key the apps trust, with its validity window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    /// Key id (must match the public key).
    pub kid: Kid,
    /// The issuer's Ed25519 public key.
    pub public_key: PublicKey,
    /// Signatures by this key are accepted from...
    pub not_before: DateTime<Utc>,
    /// ...until (inclusive). Keep it past the end of the last season printed with it.
    pub not_after: DateTime<Utc>,
}

impl TrustedKey {
    /// The entry for an issuer key.
    pub fn for_issuer(
        key: &IssuerKey,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> TrustedKey {
        TrustedKey {
            kid: key.kid(),
            public_key: key.public_key(),
            not_before,
            not_after,
        }
    }
}

/// The list of trusted issuer keys. Obtain it on a partner device only through
/// [`SignedTrustList::verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustList {
    /// Monotonic version: a device refuses a list older than the one it has.
    pub version: u64,
    /// When the server signed it.
    pub issued_at: DateTime<Utc>,
    /// After this instant the list is stale: the verifier refuses offline
    /// decisions (the device must go online and fetch a fresh list).
    pub expires_at: DateTime<Utc>,
    /// The issuer keys.
    pub keys: Vec<TrustedKey>,
}

/// Why a trust list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    /// Not JSON of the expected shape, or too large.
    #[error("malformed trust list")]
    Malformed,
    /// Not signed by the given root key.
    #[error("the trust list signature is not valid")]
    BadSignature,
    /// Older than the list the device already has (rollback).
    #[error("the trust list is older than the one already held")]
    Rollback,
    /// An entry's kid does not match its key, or a kid appears twice.
    #[error("the trust list has an inconsistent key entry")]
    InconsistentKey,
    /// Too many keys.
    #[error("the trust list has too many keys")]
    TooManyKeys,
}

impl TrustList {
    /// The entry for a kid.
    pub fn key(&self, kid: &Kid) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| &k.kid == kid)
    }

    /// Whether the list may still be used at `now`.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now <= self.expires_at
    }

    fn check_consistent(&self) -> Result<(), TrustListError> {
        if self.keys.len() > MAX_TRUSTED_KEYS {
            return Err(TrustListError::TooManyKeys);
        }
        let mut seen = BTreeSet::new();
        for k in &self.keys {
            if k.public_key.kid() != k.kid || !seen.insert(k.kid) {
                return Err(TrustListError::InconsistentKey);
            }
        }
        Ok(())
    }

    /// Signs the list with the root key (server side).
    pub fn sign(&self, root: &RootKey) -> Result<SignedTrustList, TrustListError> {
        self.check_consistent()?;
        let body = serde_json::to_string(self).map_err(|_| TrustListError::Malformed)?;
        let mut msg = Vec::with_capacity(TRUST_LIST_TAG.len() + body.len());
        msg.extend_from_slice(TRUST_LIST_TAG);
        msg.extend_from_slice(body.as_bytes());
        let sig = root.sign_raw(&msg);
        Ok(SignedTrustList {
            format: TRUST_LIST_FORMAT.to_owned(),
            root_kid: root.kid(),
            body,
            signature: URL_SAFE_NO_PAD.encode(sig),
        })
    }
}

/// A trust list as published: the exact JSON body that was signed, and the
/// root signature over it (no canonicalisation needed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedTrustList {
    /// Always [`TRUST_LIST_FORMAT`].
    pub format: String,
    /// The root key id (informative; the signature is what counts): 16 hex digits.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root_kid: Kid,
    /// The JSON of a [`TrustList`].
    pub body: String,
    /// Ed25519 signature by the root key, base64url.
    pub signature: String,
}

impl SignedTrustList {
    /// Parses a published signed trust list (JSON), bounded in size.
    pub fn from_json(text: &str) -> Result<SignedTrustList, TrustListError> {
        if text.len() > MAX_TRUST_LIST_LEN * 2 {
            return Err(TrustListError::Malformed);
        }
        serde_json::from_str(text).map_err(|_| TrustListError::Malformed)
    }

    /// As JSON to publish.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks the root signature, then parses the body. `min_version` is the
    /// version already held (0 if none): an older list is a rollback.
    pub fn verify(&self, root: &PublicKey, min_version: u64) -> Result<TrustList, TrustListError> {
        if self.format != TRUST_LIST_FORMAT || self.body.len() > MAX_TRUST_LIST_LEN {
            return Err(TrustListError::Malformed);
        }
        if self.signature.len() > 128 {
            return Err(TrustListError::BadSignature);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(&self.signature)
            .map_err(|_| TrustListError::BadSignature)?;
        if sig.len() != SIGNATURE_LEN {
            return Err(TrustListError::BadSignature);
        }
        let mut msg = Vec::with_capacity(TRUST_LIST_TAG.len() + self.body.len());
        msg.extend_from_slice(TRUST_LIST_TAG);
        msg.extend_from_slice(self.body.as_bytes());
        if !root.verify(&msg, &sig) {
            return Err(TrustListError::BadSignature);
        }
        let list: TrustList =
            serde_json::from_str(&self.body).map_err(|_| TrustListError::Malformed)?;
        list.check_consistent()?;
        if list.version < min_version {
            return Err(TrustListError::Rollback);
        }
        Ok(list)
    }
}

/// Revoked cards and credentials (pulled as deltas from the server).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyList {
    /// Revoked card ids.
    #[serde(default)]
    pub cards: BTreeSet<Uuid>,
    /// Revoked app credential ids.
    #[serde(default)]
    pub credentials: BTreeSet<Uuid>,
    /// The lowest valid version of a replaced card (lost or stolen): its
    /// printed codes of an earlier version are refused.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub card_versions: BTreeMap<Uuid, u32>,
}

impl DenyList {
    /// An empty deny list.
    pub fn new() -> DenyList {
        DenyList::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn list(issuer: &IssuerKey) -> TrustList {
        let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let t1 = Utc.with_ymd_and_hms(2028, 6, 1, 0, 0, 0).unwrap();
        TrustList {
            version: 3,
            issued_at: t0,
            expires_at: t1,
            keys: vec![TrustedKey::for_issuer(issuer, t0, t1)],
        }
    }

    #[test]
    fn sign_verify_roundtrip_and_tamper() {
        let root = RootKey::from_seed(&[1; 32]).unwrap();
        let issuer = IssuerKey::from_seed(&[2; 32]).unwrap();
        let signed = list(&issuer).sign(&root).unwrap();
        let parsed = SignedTrustList::from_json(&signed.to_json()).unwrap();
        assert_eq!(parsed.verify(&root.public_key(), 0).unwrap(), list(&issuer));
        assert_eq!(
            parsed.verify(&root.public_key(), 4),
            Err(TrustListError::Rollback)
        );
        let other = RootKey::from_seed(&[9; 32]).unwrap();
        assert_eq!(
            parsed.verify(&other.public_key(), 0),
            Err(TrustListError::BadSignature)
        );
        let mut tampered = parsed.clone();
        tampered.body = tampered.body.replace("\"version\":3", "\"version\":9");
        assert_eq!(
            tampered.verify(&root.public_key(), 0),
            Err(TrustListError::BadSignature)
        );
    }
}
