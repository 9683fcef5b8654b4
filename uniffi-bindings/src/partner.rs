//! The partner app object: forwards to `passregion_core::client::PartnerClient`.

use std::sync::{Arc, Mutex};

use passregion_core::SystemClock;
use passregion_core::client as core;
use passregion_core::credential::PublicKey;
use uuid::Uuid;

use crate::callbacks::{
    self, DeviceSigner, HttpTransport, ListenerHandle, SyncListener, core_listener, shared_signer,
};
use crate::error::{PassRegionError, invalid, money};
use crate::records::{
    DebitReceipt, DeviceInfo, OutboxItem, PullSummary, PushReport, Reimbursements, ScanResult,
    SyncState, Transaction,
};
use crate::youth::{HTTP_TIMEOUT, open_store};

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The partner app core: enrolment, scan, online and offline debits, the
/// outbox and its sync, transactions, reimbursements, refunds.
#[derive(uniffi::Object)]
pub struct PartnerClient {
    inner: Arc<core::PartnerClient>,
    server_url: Mutex<String>,
}

#[uniffi::export]
impl PartnerClient {
    /// Opens (or creates) the local store in `data_dir`. `signer`: the
    /// platform keystore's device key; `None` keeps a software key in the store.
    /// `transport`: the platform's HTTP stack; `None` uses the built-in
    /// plain-HTTP one (development, tests).
    #[uniffi::constructor(default(signer = None, transport = None))]
    pub fn new(
        server_url: String,
        data_dir: String,
        signer: Option<Arc<dyn DeviceSigner>>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>, PassRegionError> {
        let inner = core::PartnerClient::with_store(
            open_store(&data_dir, "partner.sqlite3")?,
            callbacks::transport(transport, HTTP_TIMEOUT)?,
            Arc::new(SystemClock),
            shared_signer(signer)?,
        )?;
        Ok(Arc::new(PartnerClient {
            inner: Arc::new(inner),
            server_url: Mutex::new(server_url),
        }))
    }

    /// Logs in (partner staff only).
    pub fn login(&self, email: String, password: String) -> Result<(), PassRegionError> {
        Ok(self.inner.login(&self.server_url(), &email, &password)?)
    }

    /// The server URL in use.
    pub fn server_url(&self) -> String {
        self.server_url
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default()
    }

    /// Points this client (and its session) at another server URL.
    pub fn set_server_url(&self, url: String) -> Result<(), PassRegionError> {
        self.inner.set_server_url(&url)?;
        if let Ok(mut u) = self.server_url.lock() {
            *u = url;
        }
        Ok(())
    }

    /// Pins the Region's root key (base64url) before enrolment.
    pub fn pin_root_key(&self, root_public_key: String) -> Result<(), PassRegionError> {
        let root = PublicKey::from_base64(&root_public_key).map_err(|e| PassRegionError::Key {
            detail: e.to_string(),
        })?;
        Ok(self.inner.pin_root_key(root)?)
    }

    /// Enrols this device, pins the root key, fetches the trust list.
    pub fn enrol(&self, label: String) -> Result<DeviceInfo, PassRegionError> {
        Ok(self.inner.enrol(&label)?.into())
    }

    /// The enrolled device.
    pub fn device(&self) -> Result<Option<DeviceInfo>, PassRegionError> {
        Ok(self.inner.device()?.map(Into::into))
    }

    /// Fetches and verifies the trust list; returns its version.
    pub fn refresh_trust(&self) -> Result<u64, PassRegionError> {
        Ok(self.inner.refresh_trust()?)
    }

    /// Verifies a scanned code offline; does not consume it.
    pub fn scan(&self, text: String) -> Result<ScanResult, PassRegionError> {
        self.inner.scan(&text)?.try_into()
    }

    /// Debits `price` (decimal string): online, the server decides; when it
    /// cannot be reached, the offline rule decides and the debit waits.
    pub fn debit(
        &self,
        qr: String,
        avantage: String,
        price: String,
    ) -> Result<DebitReceipt, PassRegionError> {
        let price = money(&price)?;
        Ok(self.inner.debit(&qr, &avantage, price)?.into())
    }

    /// Records an offline debit (the offline rule decides).
    pub fn debit_offline(
        &self,
        qr: String,
        avantage: String,
        price: String,
    ) -> Result<DebitReceipt, PassRegionError> {
        let price = money(&price)?;
        Ok(self.inner.debit_offline(&qr, &avantage, price)?.into())
    }

    /// Offline debits waiting for the server.
    pub fn pending_count(&self) -> Result<u64, PassRegionError> {
        Ok(count(self.inner.pending_count()?))
    }

    /// The outbox, in chain order.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>, PassRegionError> {
        Ok(self.inner.outbox()?.into_iter().map(Into::into).collect())
    }

    /// Pushes the pending offline debits.
    pub fn push_outbox(&self) -> Result<PushReport, PassRegionError> {
        Ok(self.inner.push_outbox()?.into())
    }

    /// One sync round: push, pull, transactions, reimbursements.
    pub fn sync(&self) -> Result<PushReport, PassRegionError> {
        Ok(self.inner.sync()?.into())
    }

    /// Pulls the partner directory, revocations and trust list.
    pub fn pull(&self) -> Result<PullSummary, PassRegionError> {
        Ok(self.inner.pull()?.into())
    }

    /// Fetches new transactions into the cache; returns how many.
    pub fn refresh_transactions(&self) -> Result<u64, PassRegionError> {
        Ok(count(self.inner.refresh_transactions()?))
    }

    /// The cached transactions, newest first.
    pub fn transactions(&self, limit_count: u32) -> Result<Vec<Transaction>, PassRegionError> {
        let n = usize::try_from(limit_count).unwrap_or(usize::MAX);
        Ok(self
            .inner
            .transactions(n)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Fetches the reimbursements.
    pub fn refresh_reimbursements(&self) -> Result<Reimbursements, PassRegionError> {
        Ok(self.inner.refresh_reimbursements()?.into())
    }

    /// The cached reimbursements.
    pub fn reimbursements(&self) -> Result<Option<Reimbursements>, PassRegionError> {
        Ok(self.inner.reimbursements()?.map(Into::into))
    }

    /// Refunds a transaction, fully (`amount` None) or partly (decimal
    /// string). `idempotency_key`: a UUID the app keeps for retries.
    pub fn refund(
        &self,
        transaction_id: String,
        amount: Option<String>,
        idempotency_key: String,
    ) -> Result<Transaction, PassRegionError> {
        let amount = amount.as_deref().map(money).transpose()?;
        let key = Uuid::parse_str(&idempotency_key).map_err(|_| invalid("idempotency key"))?;
        Ok(self.inner.refund(&transaction_id, amount, key)?.into())
    }

    /// The sync state.
    pub fn sync_state(&self) -> SyncState {
        self.inner.sync_state().into()
    }

    /// Adds a sync state listener.
    pub fn add_listener(&self, listener: Arc<dyn SyncListener>) -> Arc<ListenerHandle> {
        let id = self.inner.add_listener(core_listener(listener));
        let weak = Arc::downgrade(&self.inner);
        ListenerHandle::new(move || {
            if let Some(c) = weak.upgrade() {
                c.remove_listener(id);
            }
        })
    }
}
