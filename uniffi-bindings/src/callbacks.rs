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

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// An HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A request for the platform's HTTP stack: absolute URL, headers, JSON body.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// Method.
    pub method: HttpMethod,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<HttpHeader>,
    /// Body (JSON bytes).
    pub body: Option<Vec<u8>>,
}

/// A response, whatever its status (4xx and 5xx included).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<HttpHeader>,
    /// Body.
    pub body: Vec<u8>,
}

/// The platform's HTTP stack (OkHttp, URLSession…: its TLS, proxies and
/// certificate pinning). Return every HTTP answer as a response; raise
/// `PassRegionError.Offline` when no answer came (no network, timeout).
/// Without it, the clients use the built-in plain-HTTP transport.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// Sends one request and waits for the whole answer.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, PassRegionError>;
}

/// Adapts a foreign [`HttpTransport`] to the core trait.
struct ForeignTransport(Arc<dyn HttpTransport>);

fn headers(h: Vec<(String, String)>) -> Vec<HttpHeader> {
    h.into_iter()
        .map(|(name, value)| HttpHeader { name, value })
        .collect()
}

impl core::Transport for ForeignTransport {
    fn send(&self, req: core::HttpRequest) -> Result<core::HttpResponse, core::TransportError> {
        let request = HttpRequest {
            method: match req.method {
                core::Method::Get => HttpMethod::Get,
                core::Method::Post => HttpMethod::Post,
            },
            url: req.url,
            headers: headers(req.headers),
            body: req.body,
        };
        match self.0.send(request) {
            Ok(r) => Ok(core::HttpResponse {
                status: r.status,
                headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                body: r.body,
            }),
            Err(PassRegionError::Offline) => Err(core::TransportError::Connect),
            Err(_) => Err(core::TransportError::Broken),
        }
    }
}

/// The foreign transport, or the built-in one (reqwest, plain HTTP).
pub(crate) fn transport(
    foreign: Option<Arc<dyn HttpTransport>>,
    timeout: std::time::Duration,
) -> Result<Arc<dyn core::Transport>, PassRegionError> {
    Ok(match foreign {
        Some(t) => Arc::new(ForeignTransport(t)),
        None => Arc::new(core::ReqwestTransport::new(timeout).map_err(core::ClientError::from)?),
    })
}
