//! The youth app object: forwards to `passregion_core::client::YouthClient`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use passregion_core::SystemClock;
use passregion_core::client::{self as core, Store};

use crate::callbacks::{
    self, DeviceSigner, HttpTransport, ListenerHandle, SyncListener, core_listener, shared_signer,
};
use crate::error::{PassRegionError, invalid};
use crate::records::{
    Balance, BonPlan, Card, CredentialInfo, HomeScreen, OrderForm, OrderStatus, Partner,
    PartnerCategory, PartnerQuery, PullSummary, SyncState, Transaction,
};

/// HTTP timeout of the clients.
pub(crate) const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The store file of a client in the app's data directory.
pub(crate) fn open_store(data_dir: &str, file: &str) -> Result<Arc<Store>, PassRegionError> {
    if data_dir.is_empty() {
        return Err(invalid("data directory"));
    }
    let dir = PathBuf::from(data_dir);
    std::fs::create_dir_all(&dir).map_err(|_| PassRegionError::Storage {
        detail: "cannot create the data directory".into(),
    })?;
    let store = Store::open(&dir.join(file)).map_err(core::ClientError::from)?;
    Ok(Arc::new(store))
}

fn limit(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The youth app core: card, balances, history, the dynamic QR (works
/// offline), bons plans, the partner directory, sync.
#[derive(uniffi::Object)]
pub struct YouthClient {
    inner: Arc<core::YouthClient>,
    server_url: Mutex<String>,
}

#[uniffi::export]
impl YouthClient {
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
        let inner = core::YouthClient::with_store(
            open_store(&data_dir, "youth.sqlite3")?,
            callbacks::transport(transport, HTTP_TIMEOUT)?,
            Arc::new(SystemClock),
            shared_signer(signer)?,
        )?;
        Ok(Arc::new(YouthClient {
            inner: Arc::new(inner),
            server_url: Mutex::new(server_url),
        }))
    }

    /// Logs in (youth accounts only).
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

    /// Orders the PASS.
    pub fn order_pass(&self, form: OrderForm) -> Result<OrderStatus, PassRegionError> {
        Ok(self.inner.order_pass(&form.try_into()?)?.into())
    }

    /// The youth's orders.
    pub fn orders(&self) -> Result<Vec<OrderStatus>, PassRegionError> {
        Ok(self.inner.orders()?.into_iter().map(Into::into).collect())
    }

    /// Confirms the card arrived.
    pub fn activate_card(&self) -> Result<Card, PassRegionError> {
        Ok(self.inner.activate_card()?.into())
    }

    /// Fetches card, balances and history into the cache.
    pub fn refresh(&self) -> Result<(), PassRegionError> {
        Ok(self.inner.refresh()?)
    }

    /// The cached card.
    pub fn card(&self) -> Result<Option<Card>, PassRegionError> {
        Ok(self.inner.card()?.map(Into::into))
    }

    /// The cached balances.
    pub fn balances(&self) -> Result<Vec<Balance>, PassRegionError> {
        Ok(self.inner.balances()?.into_iter().map(Into::into).collect())
    }

    /// The cached history, newest first.
    pub fn history(&self, limit_count: u32) -> Result<Vec<Transaction>, PassRegionError> {
        Ok(self
            .inner
            .history(limit(limit_count))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The home screen from the cache.
    pub fn home(&self) -> Result<HomeScreen, PassRegionError> {
        Ok(self.inner.home()?.into())
    }

    /// Registers this device's key and stores a fresh app credential.
    pub fn fetch_credential(&self) -> Result<CredentialInfo, PassRegionError> {
        Ok(self.inner.fetch_credential()?.into())
    }

    /// The stored app credential.
    pub fn credential(&self) -> Result<Option<CredentialInfo>, PassRegionError> {
        Ok(self.inner.credential()?.map(Into::into))
    }

    /// The `PD1:` text to show now (signed by the device key). Works offline.
    pub fn current_qr(&self) -> Result<String, PassRegionError> {
        Ok(self.inner.current_qr(Utc::now())?)
    }

    /// Fetches the bons plans into the cache; returns how many.
    pub fn refresh_bons_plans(&self) -> Result<u64, PassRegionError> {
        let n = self.inner.refresh_bons_plans()?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// The cached bons plans (optionally of one category).
    #[uniffi::method(default(category = None))]
    pub fn bons_plans(
        &self,
        category: Option<PartnerCategory>,
    ) -> Result<Vec<BonPlan>, PassRegionError> {
        Ok(self
            .inner
            .bons_plans(category.map(Into::into))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Pulls the partner directory and revocations.
    pub fn pull(&self) -> Result<PullSummary, PassRegionError> {
        Ok(self.inner.pull()?.into())
    }

    /// Searches the cached partner directory (offline).
    pub fn search_partners(&self, query: PartnerQuery) -> Result<Vec<Partner>, PassRegionError> {
        Ok(self
            .inner
            .search_partners(&query.into())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One sync round (card, balances, history, credential renewal,
    /// directory, bons plans). Offline: the cache stays as it was.
    pub fn sync(&self) -> Result<(), PassRegionError> {
        Ok(self.inner.sync()?)
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
