//! The offline-capable app core (feature `client`): what the youth and
//! partner apps run on the phone, whatever the network does.
//!
//! - [`store`]: the local SQLite store (migrations, quarantine of a corrupt file).
//! - [`transport`]: HTTP behind a trait ([`ReqwestTransport`] by default).
//! - [`YouthClient`]: card, balances, history, app credential and its `PD1:`
//!   QR (offline), bons plans, partner directory (offline search).
//! - [`PartnerClient`]: enrolment, scan, online and offline debits, the
//!   outbox and its sync, transactions, reimbursements, refunds.
//! - [`SyncState`]: what the UI shows ("synchronisation…", "hors ligne").
//!
//! See `docs/sync.md` and `docs/adr/0020-offline-sync.md`.

mod api;
pub mod error;
mod history;
mod partner;
mod pull;
mod state;
pub mod store;
pub mod transport;
mod youth;

pub use api::ServerClock;
pub use error::{ClientError, StoreError};
pub use history::HistoryItem;
pub use partner::{
    BatchInfo, DebitReceipt, DebitStatus, DeviceInfo, OfflineAvantage, OutboxItem, PartnerClient,
    PushReport, Reimbursements, ScanResult,
};
pub use pull::{PartnerHit, PartnerQuery, PullSummary, haversine_km};
pub use state::{ListenerId, RetryPolicy, Sleeper, SyncListener, SyncState, ThreadSleeper};
pub use store::{OpenReport, Store};
pub use transport::{
    HttpRequest, HttpResponse, Method, ReqwestTransport, Transport, TransportError,
};
pub use youth::{
    BalanceSnapshot, BonPlanItem, CardSnapshot, CredentialInfo, HomeScreen, OrderForm, OrderStatus,
    SharedSigner, YouthClient,
};
