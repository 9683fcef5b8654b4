//! Ed25519 keys: the root key (signs the trust list), issuer keys (sign cards
//! and app credentials) and device keys (sign the dynamic QR on a phone).
//!
//! Randomness comes from the caller (`ring::rand::SecureRandom`); keys are
//! stored as PKCS#8 bytes. `Debug` never prints secret material, only the kid.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SecureRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of a key id.
pub const KID_LEN: usize = 8;

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const PKCS8_V1_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Why a key could not be made, loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The random source failed.
    #[error("the random source failed")]
    Random,
    /// The bytes are not an Ed25519 PKCS#8 private key.
    #[error("not an Ed25519 PKCS#8 private key")]
    BadPkcs8,
    /// The text is not a public key (32 bytes, base64url).
    #[error("not an Ed25519 public key")]
    BadPublicKey,
    /// The platform signer (phone keystore) failed.
    #[error("the device signer failed")]
    Signer,
}

/// A key id: the first 8 bytes of the SHA-256 of the public key.
/// Written as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid(pub [u8; KID_LEN]);

impl Kid {
    /// The kid of a public key.
    pub fn of(public_key: &PublicKey) -> Kid {
        let digest = ring::digest::digest(&ring::digest::SHA256, &public_key.0);
        let mut kid = [0u8; KID_LEN];
        kid.copy_from_slice(&digest.as_ref()[..KID_LEN]);
        Kid(kid)
    }

    /// Parses 16 hex digits.
    pub fn parse_hex(s: &str) -> Option<Kid> {
        let s = s.as_bytes();
        if s.len() != KID_LEN * 2 {
            return None;
        }
        let mut out = [0u8; KID_LEN];
        for (i, pair) in s.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0])?;
            let lo = hex_val(pair[1])?;
            out[i] = hi << 4 | lo;
        }
        Some(Kid(out))
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kid({self})")
    }
}

impl Serialize for Kid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Kid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Kid::parse_hex(&s).ok_or_else(|| serde::de::Error::custom("a kid is 16 hex digits"))
    }
}

/// An Ed25519 public key (32 bytes). Serialized as base64url without padding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// From raw bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        <[u8; PUBLIC_KEY_LEN]>::try_from(bytes)
            .map(PublicKey)
            .map_err(|_| KeyError::BadPublicKey)
    }

    /// From base64url (no padding).
    pub fn from_base64(s: &str) -> Result<PublicKey, KeyError> {
        if s.len() > 64 {
            return Err(KeyError::BadPublicKey);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(s.trim())
            .map_err(|_| KeyError::BadPublicKey)?;
        PublicKey::from_slice(&bytes)
    }

    /// As base64url (no padding).
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Its key id.
    pub fn kid(&self) -> Kid {
        Kid::of(self)
    }

    /// Checks an Ed25519 signature by this key (only Ed25519 is accepted).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.0)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        PublicKey::from_base64(&s).map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 key pair with its PKCS#8 bytes (shared by the key roles below).
struct SigningKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
    public: PublicKey,
    kid: Kid,
}

impl SigningKey {
    fn generate(rng: &dyn SecureRandom) -> Result<SigningKey, KeyError> {
        let doc = Ed25519KeyPair::generate_pkcs8(rng).map_err(|_| KeyError::Random)?;
        SigningKey::from_pkcs8(doc.as_ref())
    }

    fn from_pkcs8(bytes: &[u8]) -> Result<SigningKey, KeyError> {
        if bytes.len() > 256 {
            return Err(KeyError::BadPkcs8);
        }
        let pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes).map_err(|_| KeyError::BadPkcs8)?;
        let public = PublicKey::from_slice(pair.public_key().as_ref())?;
        Ok(SigningKey {
            pair,
            pkcs8: bytes.to_vec(),
            kid: public.kid(),
            public,
        })
    }

    fn from_seed(seed: &[u8; 32]) -> Result<SigningKey, KeyError> {
        let mut pkcs8 = Vec::with_capacity(48);
        pkcs8.extend_from_slice(&PKCS8_V1_ED25519_PREFIX);
        pkcs8.extend_from_slice(seed);
        SigningKey::from_pkcs8(&pkcs8)
    }

    fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let sig = self.pair.sign(message);
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(sig.as_ref());
        out
    }
}

macro_rules! signing_key_role {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(SigningKey);

        impl $name {
            /// A new key from the caller's secure random source.
            pub fn generate(rng: &dyn SecureRandom) -> Result<Self, KeyError> {
                SigningKey::generate(rng).map(Self)
            }

            /// Loads a key stored as PKCS#8 (v1 or v2) bytes.
            pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, KeyError> {
                SigningKey::from_pkcs8(bytes).map(Self)
            }

            /// A key from a fixed 32-byte seed. Only for test vectors and
            /// reproducible fixtures: production keys come from [`Self::generate`].
            pub fn from_seed(seed: &[u8; 32]) -> Result<Self, KeyError> {
                SigningKey::from_seed(seed).map(Self)
            }

            /// The PKCS#8 bytes to store (secret: keep them in a file readable
            /// only by the server).
            pub fn to_pkcs8(&self) -> &[u8] {
                &self.0.pkcs8
            }

            /// The public key.
            pub fn public_key(&self) -> PublicKey {
                self.0.public
            }

            /// The key id.
            pub fn kid(&self) -> Kid {
                self.0.kid
            }

            /// Signs raw bytes (callers add a domain-separation tag).
            #[allow(dead_code)]
            pub(crate) fn sign_raw(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
                self.0.sign(message)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("kid", &self.0.kid)
                    .finish_non_exhaustive()
            }
        }
    };
}

signing_key_role!(
    /// The Region's root key: signs the trust list only. Its public key is
    /// built into the apps; keep the private key offline.
    RootKey
);

signing_key_role!(
    /// An issuer key: signs static card QR codes and app credentials.
    IssuerKey
);

signing_key_role!(
    /// A software device key (tests, desktop builds). On a phone, the key
    /// lives in the platform keystore behind [`DeviceSigner`].
    SoftwareDeviceKey
);

/// A device key that signs the dynamic QR (a phone keystore implements it).
pub trait DeviceSigner {
    /// The Ed25519 public key registered at activation.
    fn public_key(&self) -> PublicKey;
    /// An Ed25519 signature of `message`.
    fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], KeyError>;
}

impl DeviceSigner for SoftwareDeviceKey {
    fn public_key(&self) -> PublicKey {
        self.0.public
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], KeyError> {
        Ok(self.0.sign(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_store_load() {
        let rng = ring::rand::SystemRandom::new();
        let k = IssuerKey::generate(&rng).unwrap();
        let again = IssuerKey::from_pkcs8(k.to_pkcs8()).unwrap();
        assert_eq!(k.public_key(), again.public_key());
        assert_eq!(k.kid(), again.kid());
        let dbg = format!("{k:?}");
        assert!(dbg.contains(&k.kid().to_string()));
        assert!(!dbg.contains("pkcs8"));
    }

    #[test]
    fn seed_is_deterministic_and_kid_roundtrips() {
        let a = RootKey::from_seed(&[7; 32]).unwrap();
        let b = RootKey::from_seed(&[7; 32]).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        let kid = a.kid();
        assert_eq!(Kid::parse_hex(&kid.to_string()), Some(kid));
        let sig = a.sign_raw(b"m");
        assert!(a.public_key().verify(b"m", &sig));
        assert!(!a.public_key().verify(b"n", &sig));
        assert!(IssuerKey::from_pkcs8(b"garbage").is_err());
    }
}
