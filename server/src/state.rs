//! The state every handler shares, and `Storage`: every repository as one
//! object, what a storage engine implements.

use std::sync::Arc;

use chrono::Duration;
use passregion_core::Clock;

use crate::accounts::session_cache::SessionCache;
use crate::debits::qr::QrResolver;
use crate::platform::catalogues::Catalogues;

/// Every repository, as one object: what a storage engine implements.
pub trait Storage:
    crate::accounts::repo::AccountsRepo
    + crate::accounts::notify::NotifyRepo
    + crate::accounts::my_sessions::MySessionsRepo
    + crate::cards::orders::OrdersRepo
    + crate::cards::repo::CardsRepo
    + crate::cards::credentials::CredentialsRepo
    + crate::cards::privacy::PrivacyRepo
    + crate::cards::lost::LostCardsRepo
    + crate::cards::printing::PrintRepo
    + crate::debits::repo::DebitsRepo
    + crate::debits::qr::CredentialState
    + crate::reimbursements::repo::ReimbursementsRepo
    + crate::reimbursements::payments_repo::PaymentsRepo
    + crate::bons_plans::repo::BonsPlansRepo
    + crate::partners::store::PartnersRepo
    + crate::partners::bank::repo::BankRepo
    + crate::partners::repo::DirectoryRepo
    + crate::partners::staff::repo::StaffRepo
    + crate::establishments::repo::ReferentsRepo
    + crate::establishments::repo::EstablishmentsRepo
    + crate::establishments::collective::CollectiveRepo
    + crate::establishments::desk::repo::DeskRepo
    + crate::region::repo::RegionRepo
    + crate::region::staff::repo::RegionStaffRepo
    + crate::stats::StatsRepo
    + crate::sync::repo::SyncRepo
{
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Storage>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Catalogues by season.
    pub catalogues: Arc<Catalogues>,
    /// Failure budgets per account and per client address.
    pub budgets: Arc<crate::web::limits::Budgets>,
    /// Reverse proxies whose forwarding headers give the client address.
    pub trusted_proxies: crate::web::limits::TrustedProxies,
    /// The SQLite database (`None` on PostgreSQL): its writer thread, for
    /// tests and tools.
    pub db: Option<Arc<crate::platform::db::Db>>,
    /// The storage engine's liveness (for `/health`).
    pub engine: Arc<dyn crate::platform::store::EngineHealth>,
    /// The disk of the data directory (for `/health`).
    pub disk: crate::platform::disk::DiskWatch,
    /// Bounded password hashing (login, registration, applications).
    pub passwords: Arc<crate::accounts::password::PasswordWork>,
    /// Reads card QR codes.
    pub qr: Arc<dyn QrResolver>,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// Recently resolved sessions.
    pub sessions: Arc<SessionCache>,
    /// Signing keys and trust list.
    pub keys: Arc<crate::platform::keys::ServerKeys>,
    /// Offline limits of new app credentials.
    pub offline: crate::cards::credentials::OfflineDefaults,
    /// Offline caps given to enrolled partner devices.
    pub partner_caps: passregion_core::sync::PartnerCaps,
    /// Sends the convention signature codes.
    pub sms: Arc<dyn crate::partners::sms::SmsSender>,
    /// Sends e-mail (confirmation links).
    pub mailer: Arc<dyn crate::platform::mail::Mailer>,
    /// Partner documents and convention PDFs, and the documents asked.
    pub partner_files: crate::partners::store::PartnerFiles,
    /// Seasons after which a youth's personal data is removed.
    pub retention_years: u32,
    /// The help screen's content.
    pub help: Arc<passregion_core::api::HelpInfo>,
    /// Base URL of the web app, for links in e-mails.
    pub public_url: String,
    /// Who may read `/metrics` (`--metrics-token`).
    pub metrics: crate::web::metrics::MetricsAccess,
}

impl<T> Storage for T where
    T: crate::accounts::repo::AccountsRepo
        + crate::accounts::notify::NotifyRepo
        + crate::accounts::my_sessions::MySessionsRepo
        + crate::cards::orders::OrdersRepo
        + crate::cards::repo::CardsRepo
        + crate::cards::credentials::CredentialsRepo
        + crate::cards::privacy::PrivacyRepo
        + crate::cards::lost::LostCardsRepo
        + crate::cards::printing::PrintRepo
        + crate::debits::repo::DebitsRepo
        + crate::debits::qr::CredentialState
        + crate::reimbursements::repo::ReimbursementsRepo
        + crate::reimbursements::payments_repo::PaymentsRepo
        + crate::bons_plans::repo::BonsPlansRepo
        + crate::partners::store::PartnersRepo
        + crate::partners::bank::repo::BankRepo
        + crate::partners::repo::DirectoryRepo
        + crate::partners::staff::repo::StaffRepo
        + crate::establishments::repo::ReferentsRepo
        + crate::establishments::repo::EstablishmentsRepo
        + crate::establishments::collective::CollectiveRepo
        + crate::establishments::desk::repo::DeskRepo
        + crate::region::repo::RegionRepo
        + crate::region::staff::repo::RegionStaffRepo
        + crate::stats::StatsRepo
        + crate::sync::repo::SyncRepo
{
}

impl axum::extract::FromRef<AppState> for crate::web::limits::TrustedProxies {
    fn from_ref(state: &AppState) -> Self {
        state.trusted_proxies.clone()
    }
}
