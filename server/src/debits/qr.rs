//! Card QR codes read at a counter: verified by the shared core verifier against the server's trust list.

use crate::debits::error::DebitsError;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::clock::FixedClock;
use passregion_core::credential::DenyList;
use passregion_core::credential::ReplayState;
use passregion_core::credential::Verified;
use passregion_core::credential::verify;
use std::sync::Arc;
use uuid::Uuid;

use crate::error::ServiceError;
use crate::platform::keys::ServerKeys;

/// A dynamic QR's counter, consumed by the debit that uses it.
#[derive(Debug, Clone)]
pub struct UsedQr {
    /// App credential id.
    pub credential_id: String,
    /// Counter of the QR.
    pub counter: u32,
    /// Credential expiry (the counter row can be pruned after it).
    pub expires_at: DateTime<Utc>,
}

/// What a scanned QR designates.
#[derive(Debug, Clone)]
pub struct ScannedCard {
    /// The card.
    pub card_id: String,
    /// For a dynamic app QR: the counter the debit consumes.
    pub used: Option<UsedQr>,
    /// For a printed code: the card version it was printed with (checked
    /// against the card's row in the debit's transaction).
    pub card_version: Option<u32>,
}

/// What the verifier needs from storage: whether an app credential was
/// issued here and is not revoked. (A printed code's card version is checked
/// in the debit's transaction, `debits::lookup::identify`.)
pub trait CredentialState: Send + Sync + 'static {
    /// Whether the credential exists and is not revoked.
    fn credential_usable(&self, credential_id: &str) -> Result<bool, ServiceError>;
}

/// Turns the text read from a QR code into a card.
pub trait QrResolver: Send + Sync + 'static {
    /// The card designated by `text` at `now`, or why it is refused.
    fn resolve(&self, text: &str, now: DateTime<Utc>) -> Result<ScannedCard, ServiceError>;
}

/// Verifies `PR1:` (printed card) and `PD1:` (app) codes against the server's
/// trust list; the replay state is the counters already consumed by debits.
pub struct CredentialResolver {
    keys: Arc<ServerKeys>,
    store: Arc<dyn CredentialState>,
}

impl CredentialResolver {
    /// A resolver over the server's keys and storage.
    pub fn new(keys: Arc<ServerKeys>, store: Arc<dyn CredentialState>) -> CredentialResolver {
        CredentialResolver { keys, store }
    }
}

/// On the server, a dynamic QR is consumed by the debit that uses it, in the
/// debit's own transaction (table `qr_uses`, see `DebitsRepo::debit`): a refused
/// debit does not burn the code, and a code seen offline by one partner and
/// online by another is still caught. The verifier's replay state is
/// therefore empty here.
pub(crate) struct ConsumedByDebits;

impl ReplayState for ConsumedByDebits {
    fn last_counter(&self, _credential_id: &Uuid) -> Option<u32> {
        None
    }

    fn record(&mut self, _credential_id: Uuid, _counter: u32, _expires_at: DateTime<Utc>) {}
}

/// Verifies a QR text at `at` (an online scan's now, or an offline scan's
/// recorded instant).
pub fn verify_at(
    keys: &ServerKeys,
    text: &str,
    at: DateTime<Utc>,
) -> Result<Verified, ServiceError> {
    let published = keys.current();
    verify(
        text.trim(),
        &published.trust,
        &DenyList::default(),
        &mut ConsumedByDebits,
        &FixedClock::new(at),
    )
    .map_err(|r| ServiceError::Debits(DebitsError::Qr(format!("{r:?}"))))
}

impl QrResolver for CredentialResolver {
    fn resolve(&self, text: &str, now: DateTime<Utc>) -> Result<ScannedCard, ServiceError> {
        match verify_at(&self.keys, text, now)? {
            Verified::Card(c) => Ok(ScannedCard {
                card_id: c.card_id.to_string(),
                used: None,
                card_version: Some(c.card_version),
            }),
            Verified::App(a) => {
                let id = a.credential_id.to_string();
                // Only credentials this server issued, and not revoked.
                if !self.store.credential_usable(&id)? {
                    return Err(ServiceError::Debits(DebitsError::Qr("revoked".into())));
                }
                Ok(ScannedCard {
                    card_id: a.card_id.to_string(),
                    used: Some(UsedQr {
                        credential_id: id,
                        counter: a.counter,
                        expires_at: a.expires_at,
                    }),
                    card_version: None,
                })
            }
        }
    }
}
