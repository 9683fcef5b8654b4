//! Foreign callbacks: the device signer (platform keystore) and the sync
//! state listener, adapted to the core traits.

use std::sync::{Arc, Mutex};

use passregion_core::client as core;
use passregion_core::credential::keys::SIGNATURE_LEN;
use passregion_core::credential::{self as cred, KeyError, PublicKey};

use crate::error::PassRegionError;
use crate::records::SyncState;

/// A device key kept by the platform (Android Keystore, iOS Secure Enclave
/// or Keychain) that signs the youth's dynamic QR, or the partner's offline
/// debits. Ed25519.
#[uniffi::export(with_foreign)]
pub trait DeviceSigner: Send + Sync {
    /// The raw 32-byte Ed25519 public key.
    fn public_key(&self) -> Vec<u8>;
    /// The raw 64-byte Ed25519 signature of `message`.
    fn sign(&self, message: Vec<u8>) -> Result<Vec<u8>, PassRegionError>;
}

/// Adapts a foreign [`DeviceSigner`] to the core trait. The public key is
/// read and checked once, at construction.
pub(crate) struct ForeignSigner {
    inner: Arc<dyn DeviceSigner>,
    public: PublicKey,
}

impl ForeignSigner {
    pub(crate) fn new(inner: Arc<dyn DeviceSigner>) -> Result<ForeignSigner, PassRegionError> {
        let public =
            PublicKey::from_slice(&inner.public_key()).map_err(|e| PassRegionError::Key {
                detail: e.to_string(),
            })?;
        Ok(ForeignSigner { inner, public })
    }
}

impl cred::DeviceSigner for ForeignSigner {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], KeyError> {
        let sig = self
            .inner
            .sign(message.to_vec())
            .map_err(|_| KeyError::Signer)?;
        <[u8; SIGNATURE_LEN]>::try_from(sig.as_slice()).map_err(|_| KeyError::Signer)
    }
}

/// The optional foreign signer → the core's shared signer.
pub(crate) fn shared_signer(
    signer: Option<Arc<dyn DeviceSigner>>,
) -> Result<Option<core::SharedSigner>, PassRegionError> {
    Ok(match signer {
        Some(s) => Some(Arc::new(ForeignSigner::new(s)?)),
        None => None,
    })
}

/// Receives sync state changes (called on the syncing thread: hop to the UI
/// thread in the app).
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// The new state.
    fn on_state(&self, state: SyncState);
}

/// The core listener that forwards to a foreign one.
pub(crate) fn core_listener(l: Arc<dyn SyncListener>) -> Arc<dyn core::SyncListener> {
    Arc::new(move |s: core::SyncState| l.on_state(s.into()))
}

type Remover = Box<dyn FnOnce() + Send>;

/// A registered listener; `cancel()` removes it (dropping the handle does not).
#[derive(uniffi::Object)]
pub struct ListenerHandle {
    remove: Mutex<Option<Remover>>,
}

impl ListenerHandle {
    pub(crate) fn new(remove: impl FnOnce() + Send + 'static) -> Arc<ListenerHandle> {
        Arc::new(ListenerHandle {
            remove: Mutex::new(Some(Box::new(remove))),
        })
    }
}

#[uniffi::export]
impl ListenerHandle {
    /// Removes the listener (idempotent).
    pub fn cancel(&self) {
        let remove = self.remove.lock().ok().and_then(|mut g| g.take());
        if let Some(f) = remove {
            f();
        }
    }
}
