//! Card credentials: keys, trust list, static card QR (`PR1:`), app
//! credentials and the dynamic app QR (`PD1:`), and the verifier.
//! See `docs/adr/0010-card-credentials.md`.

pub mod format;
pub mod keys;
pub mod trust;
pub mod verify;

pub use format::{
    AppCredential, AppCredentialClaims, CARD_PREFIX, CardQr, CredentialError, DYNAMIC_PREFIX,
    MAX_CREDENTIAL_VALIDITY, MAX_TEXT_LEN, OfflineLimits, STEP_SECONDS, step_of,
};
pub use keys::{DeviceSigner, IssuerKey, KeyError, Kid, PublicKey, RootKey, SoftwareDeviceKey};
pub use trust::{DenyList, SignedTrustList, TrustList, TrustListError, TrustedKey};
pub use verify::{
    LimitError, MemoryReplayState, Reason, ReplayState, Verified, VerifiedApp, VerifiedCard, verify,
};
