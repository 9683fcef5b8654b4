//! The partner app core: enrolment of the device, scanning with the shared
//! verifier, online debits (the server decides) and offline debits (the
//! shared offline rule; signed, hash-chained, written with their outbox row in
//! one transaction), the outbox sync, transactions, reimbursements, refunds.
//!
//! - this file: [`PartnerClient`], its construction, session and sync state;
//! - `device`: enrolment, the pinned root key, the device row and its caps;
//! - `trust`: the trust list, the replay state and the scan (verify only);
//! - `debit`: online debits, offline debits (decide, sign, chain, outbox row);
//! - `outbox`: the outbox, its push and the sync round;
//! - `transactions`: transactions, reimbursements and refunds.

mod debit;
mod device;
mod outbox;
mod transactions;
mod trust;

use std::path::Path;
use std::sync::Arc;

use crate::api::accounts::Role;
use crate::client::api::Api;
use crate::client::error::ClientError;
use crate::client::state::{
    ListenerId, RetryPolicy, Sleeper, StateCell, SyncListener, SyncState, ThreadSleeper,
};
use crate::client::store::{OpenReport, Store};
use crate::client::transport::Transport;
use crate::client::youth::SharedSigner;
use crate::clock::Clock;
use crate::money::Money;
use crate::sync::MAX_PUSH_ITEMS;

pub use debit::OfflineAvantage;
pub use debit::{DebitReceipt, DebitStatus};
pub use device::DeviceInfo;
pub use outbox::{OutboxItem, PushReport};
pub use transactions::{BatchInfo, Reimbursements};
pub use trust::ScanResult;

type Connection = rusqlite::Connection;

fn money(cents: i64) -> Result<Money, ClientError> {
    Money::from_cents(cents).map_err(|_| ClientError::Storage("amount".into()))
}

/// The partner app core.
pub struct PartnerClient {
    api: Api,
    signer: SharedSigner,
    state: StateCell,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    batch_size: usize,
}

impl std::fmt::Debug for PartnerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerClient").finish_non_exhaustive()
    }
}

impl PartnerClient {
    /// Opens the store at `path`, with a software partner device key kept in it.
    pub fn open(
        path: &Path,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Result<PartnerClient, ClientError> {
        let store = Arc::new(Store::open(path)?);
        PartnerClient::with_store(store, transport, clock, None)
    }

    /// On an open store; `signer` is the platform keystore's (None: a
    /// software key persisted in the store).
    pub fn with_store(
        store: Arc<Store>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        signer: Option<SharedSigner>,
    ) -> Result<PartnerClient, ClientError> {
        let signer = match signer {
            Some(s) => s,
            None => Arc::new(store.software_key("partner")?),
        };
        Ok(PartnerClient {
            api: Api {
                store,
                transport,
                clock,
            },
            signer,
            state: StateCell::default(),
            retry: RetryPolicy::default(),
            sleeper: Arc::new(ThreadSleeper),
            batch_size: MAX_PUSH_ITEMS,
        })
    }

    /// Sets the retry policy and the sleeper (tests inject a no-op sleeper).
    pub fn set_retry(&mut self, retry: RetryPolicy, sleeper: Arc<dyn Sleeper>) {
        self.retry = retry;
        self.sleeper = sleeper;
    }

    /// Sets the push batch size (1 to [`MAX_PUSH_ITEMS`]).
    pub fn set_batch_size(&mut self, n: usize) {
        self.batch_size = n.clamp(1, MAX_PUSH_ITEMS);
    }

    /// What happened when the store was opened (quarantine).
    pub fn open_report(&self) -> OpenReport {
        self.api.store.report().clone()
    }

    /// The store (benchmarks, diagnostics).
    pub fn store(&self) -> &Arc<Store> {
        &self.api.store
    }

    /// Logs in (partner staff only).
    pub fn login(&self, server_url: &str, email: &str, password: &str) -> Result<(), ClientError> {
        let a = self.api.login(server_url, email, password)?;
        if a.account.role != Role::Partner {
            return Err(ClientError::InvalidArgument("not a partner account"));
        }
        Ok(())
    }

    /// Points the session at another server URL.
    pub fn set_server_url(&self, url: &str) -> Result<(), ClientError> {
        self.api.set_server_url(url)
    }

    /// The sync state.
    pub fn sync_state(&self) -> SyncState {
        self.state.get()
    }

    /// Adds a sync state listener.
    pub fn add_listener(&self, l: Arc<dyn SyncListener>) -> ListenerId {
        self.state.add(l)
    }

    /// Removes a listener.
    pub fn remove_listener(&self, id: ListenerId) {
        self.state.remove(id)
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<PartnerClient>();
    is::<crate::client::youth::YouthClient>();
}
