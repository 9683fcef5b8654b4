//! Records and enums that cross the boundary, and their conversions from the
//! core types (conversion only: no rule here). Money is a decimal string
//! (`"12.50"`), instants are timestamps, dates are `YYYY-MM-DD` strings.

use std::time::SystemTime;

use passregion_core::client as core;
use passregion_core::credential::{Reason, Verified};
use passregion_core::{Money, PartnerCategory as CoreCategory};

use crate::error::PassRegionError;

fn cents_text(cents: impl Into<i64>) -> Result<String, PassRegionError> {
    Money::from_cents(cents.into())
        .map(|m| m.to_string())
        .map_err(|_| PassRegionError::Protocol {
            detail: "amount out of range".into(),
        })
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The kinds of partner structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PartnerCategory {
    /// Bookshop.
    Librairie,
    /// Sports club.
    ClubSportif,
    /// Theatre, concert hall.
    SalleDeSpectacle,
    /// Cinema.
    Cinema,
    /// Museum.
    Musee,
    /// Approved supplier of professional equipment.
    EquipementPro,
    /// Hunting and fishing federation.
    ChassePeche,
}

impl From<CoreCategory> for PartnerCategory {
    fn from(c: CoreCategory) -> Self {
        match c {
            CoreCategory::Librairie => PartnerCategory::Librairie,
            CoreCategory::ClubSportif => PartnerCategory::ClubSportif,
            CoreCategory::SalleDeSpectacle => PartnerCategory::SalleDeSpectacle,
            CoreCategory::Cinema => PartnerCategory::Cinema,
            CoreCategory::Musee => PartnerCategory::Musee,
            CoreCategory::EquipementPro => PartnerCategory::EquipementPro,
            CoreCategory::ChassePeche => PartnerCategory::ChassePeche,
        }
    }
}

impl From<PartnerCategory> for CoreCategory {
    fn from(c: PartnerCategory) -> Self {
        match c {
            PartnerCategory::Librairie => CoreCategory::Librairie,
            PartnerCategory::ClubSportif => CoreCategory::ClubSportif,
            PartnerCategory::SalleDeSpectacle => CoreCategory::SalleDeSpectacle,
            PartnerCategory::Cinema => CoreCategory::Cinema,
            PartnerCategory::Musee => CoreCategory::Musee,
            PartnerCategory::EquipementPro => CoreCategory::EquipementPro,
            PartnerCategory::ChassePeche => CoreCategory::ChassePeche,
        }
    }
}

/// Why a scanned code was refused (mirrors the core verifier's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CodeRejection {
    /// Not a PASS'Région QR.
    BadPrefix,
    /// A PASS'Région prefix of an unknown version.
    UnsupportedVersion,
    /// Longer than any known format.
    TooLong,
    /// Not base45, or wrong payload length.
    BadEncoding,
    /// The trust list is out of date: decide online only.
    StaleTrustList,
    /// Unknown issuer key.
    UnknownKey,
    /// Bad issuer signature.
    BadSignature,
    /// Bad device signature (dynamic QR).
    BadDeviceSignature,
    /// Card or credential revoked.
    Revoked,
    /// Expired.
    Expired,
    /// Not yet valid.
    NotYetValid,
    /// Credential valid for too long (issuer fault).
    ValidityTooLong,
    /// Time step out of the ±30 s window.
    StepOutOfWindow,
    /// Code already used.
    Replayed,
}

impl From<Reason> for CodeRejection {
    fn from(r: Reason) -> Self {
        match r {
            Reason::BadPrefix => CodeRejection::BadPrefix,
            Reason::UnsupportedVersion => CodeRejection::UnsupportedVersion,
            Reason::TooLong => CodeRejection::TooLong,
            Reason::BadEncoding => CodeRejection::BadEncoding,
            Reason::StaleTrustList => CodeRejection::StaleTrustList,
            Reason::UnknownKey => CodeRejection::UnknownKey,
            Reason::BadSignature => CodeRejection::BadSignature,
            Reason::BadDeviceSignature => CodeRejection::BadDeviceSignature,
            Reason::Revoked => CodeRejection::Revoked,
            Reason::Expired => CodeRejection::Expired,
            Reason::NotYetValid => CodeRejection::NotYetValid,
            Reason::ValidityTooLong => CodeRejection::ValidityTooLong,
            Reason::StepOutOfWindow => CodeRejection::StepOutOfWindow,
            Reason::Replayed => CodeRejection::Replayed,
        }
    }
}

/// What the sync engine is doing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Nothing to do, or done.
    Idle,
    /// Pushing or pulling ("synchronisation…").
    Syncing,
    /// The server cannot be reached ("hors ligne"); queued debits wait.
    Offline,
    /// Sync failed for another reason.
    Error {
        /// A short reason without personal data.
        reason: String,
    },
}

impl From<core::SyncState> for SyncState {
    fn from(s: core::SyncState) -> Self {
        match s {
            core::SyncState::Idle => SyncState::Idle,
            core::SyncState::Syncing => SyncState::Syncing,
            core::SyncState::Offline => SyncState::Offline,
            core::SyncState::Error { reason } => SyncState::Error { reason },
        }
    }
}

/// The youth's card (cached).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Card {
    /// Card id.
    pub card_id: String,
    /// Printed number.
    pub number: String,
    /// Status code (`active`, …).
    pub status: String,
    /// Season (`2026-2027`).
    pub season: String,
    /// Last valid day.
    pub valid_until: String,
    /// When it was fetched from the server.
    pub fetched_at: SystemTime,
}

impl From<core::CardSnapshot> for Card {
    fn from(c: core::CardSnapshot) -> Self {
        Card {
            card_id: c.card_id,
            number: c.number,
            status: c.status,
            season: c.season,
            valid_until: c.valid_until,
            fetched_at: c.fetched_at.into(),
        }
    }
}

/// The balance of one avantage.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Balance {
    /// Avantage code.
    pub avantage: String,
    /// French label.
    pub label: String,
    /// Kind (`montant`, `quantite`…).
    pub kind: String,
    /// Loaded (decimal string).
    pub loaded: String,
    /// Remaining (decimal string).
    pub remaining: String,
    /// Partner categories that may debit it.
    pub categories: Vec<PartnerCategory>,
}

impl From<core::BalanceSnapshot> for Balance {
    fn from(b: core::BalanceSnapshot) -> Self {
        Balance {
            avantage: b.avantage,
            label: b.label,
            kind: b.kind,
            loaded: b.loaded,
            remaining: b.remaining,
            categories: b.categories.into_iter().map(Into::into).collect(),
        }
    }
}

/// A transaction (debit or refund) in a history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Transaction {
    /// Id.
    pub id: String,
    /// `debit` or `refund`.
    pub kind: String,
    /// Partner name.
    pub partner_name: String,
    /// Avantage code.
    pub avantage: String,
    /// Debited (decimal string).
    pub debited: String,
    /// Reste à payer (decimal string).
    pub reste_a_payer: String,
    /// Refunded since.
    pub refunded: bool,
    /// `online`, `offline`…
    pub channel: String,
    /// RFC 3339 instant.
    pub created_at: String,
}

impl From<core::HistoryItem> for Transaction {
    fn from(h: core::HistoryItem) -> Self {
        Transaction {
            id: h.id,
            kind: h.kind,
            partner_name: h.partner_name,
            avantage: h.avantage,
            debited: h.debited,
            reste_a_payer: h.reste_a_payer,
            refunded: h.refunded,
            channel: h.channel,
            created_at: h.created_at,
        }
    }
}

/// The youth home screen, from the cache (works offline).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HomeScreen {
    /// The card, once fetched.
    pub card: Option<Card>,
    /// Balances.
    pub balances: Vec<Balance>,
    /// Recent transactions.
    pub recent: Vec<Transaction>,
}

impl From<core::HomeScreen> for HomeScreen {
    fn from(h: core::HomeScreen) -> Self {
        HomeScreen {
            card: h.card.map(Into::into),
            balances: h.balances.into_iter().map(Into::into).collect(),
            recent: h.recent.into_iter().map(Into::into).collect(),
        }
    }
}

/// The stored app credential (what the dynamic QR is built from).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CredentialInfo {
    /// Credential id.
    pub credential_id: String,
    /// Issued at.
    pub issued_at: SystemTime,
    /// Expires at.
    pub expires_at: SystemTime,
    /// QR codes shown so far.
    pub qr_counter: u32,
}

impl From<core::CredentialInfo> for CredentialInfo {
    fn from(c: core::CredentialInfo) -> Self {
        CredentialInfo {
            credential_id: c.credential_id,
            issued_at: c.issued_at.into(),
            expires_at: c.expires_at.into(),
            qr_counter: c.qr_counter,
        }
    }
}

/// A youth's order of the PASS.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderStatus {
    /// Id.
    pub id: String,
    /// Season.
    pub season: String,
    /// Status code.
    pub status: String,
    /// Refusal reason.
    pub reason: Option<String>,
    /// Created at.
    pub created_at: SystemTime,
    /// Decided at.
    pub decided_at: Option<SystemTime>,
}

impl From<core::OrderStatus> for OrderStatus {
    fn from(o: core::OrderStatus) -> Self {
        OrderStatus {
            id: o.id,
            season: o.season,
            status: o.status,
            reason: o.reason,
            created_at: o.created_at.into(),
            decided_at: o.decided_at.map(Into::into),
        }
    }
}

/// A bon plan (cached).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BonPlan {
    /// Id.
    pub id: String,
    /// Partner name.
    pub partner_name: String,
    /// Partner category.
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// Title.
    pub title: String,
    /// Text.
    pub description: String,
    /// Last valid day (`YYYY-MM-DD`).
    pub valid_until: Option<String>,
}

impl From<core::BonPlanItem> for BonPlan {
    fn from(b: core::BonPlanItem) -> Self {
        BonPlan {
            id: b.id,
            partner_name: b.partner_name,
            category: b.category.into(),
            city: b.city,
            title: b.title,
            description: b.description,
            valid_until: b.valid_until.map(|d| d.to_string()),
        }
    }
}

/// A point (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPoint {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
}

/// A search in the cached partner directory.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PartnerQuery {
    /// Only this category.
    #[uniffi(default = None)]
    pub category: Option<PartnerCategory>,
    /// Words in the name or city.
    #[uniffi(default = None)]
    pub text: Option<String>,
    /// Sort by distance from this point.
    #[uniffi(default = None)]
    pub near: Option<GeoPoint>,
    /// Only within this distance of `near`.
    #[uniffi(default = None)]
    pub radius_km: Option<f64>,
    /// At most this many.
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

impl From<PartnerQuery> for core::PartnerQuery {
    fn from(q: PartnerQuery) -> Self {
        core::PartnerQuery {
            category: q.category.map(Into::into),
            text: q.text,
            near: q.near.map(|p| (p.latitude, p.longitude)),
            radius_km: q.radius_km,
            limit: q.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        }
    }
}

/// A partner of the directory.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Partner {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: PartnerCategory,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Distance from the query point.
    pub distance_km: Option<f64>,
}

impl From<core::PartnerHit> for Partner {
    fn from(p: core::PartnerHit) -> Self {
        Partner {
            id: p.id,
            name: p.name,
            category: p.category.into(),
            address: p.address,
            city: p.city,
            postal_code: p.postal_code,
            latitude: p.latitude,
            longitude: p.longitude,
            distance_km: p.distance_km,
        }
    }
}

/// What a directory pull brought.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PullSummary {
    /// Pages fetched.
    pub pages: u64,
    /// Partners changed.
    pub partners: u64,
    /// Revocations received.
    pub revocations: u64,
    /// Whether the trust list was updated.
    pub trust_list_updated: bool,
    /// The new cursor.
    pub cursor: i64,
}

impl From<core::PullSummary> for PullSummary {
    fn from(p: core::PullSummary) -> Self {
        PullSummary {
            pages: count(p.pages),
            partners: count(p.partners),
            revocations: count(p.revocations),
            trust_list_updated: p.trust_list_updated,
            cursor: p.cursor,
        }
    }
}

/// Where a debit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DebitStatus {
    /// The server applied it.
    Confirmed,
    /// Recorded offline; pushed at the next sync.
    PendingSync,
}

/// What the partner shows after a debit.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DebitReceipt {
    /// Server transaction id (online) or offline debit id.
    pub id: String,
    /// Montant débité (decimal string).
    pub debited: String,
    /// Reste à payer by the youth (decimal string).
    pub reste_a_payer: String,
    /// What is left on the avantage (online only).
    pub balance: Option<String>,
    /// Confirmed or pending.
    pub status: DebitStatus,
    /// The French status line.
    pub status_label: String,
}

impl From<core::DebitReceipt> for DebitReceipt {
    fn from(r: core::DebitReceipt) -> Self {
        let status_label = r.status_label().to_owned();
        DebitReceipt {
            id: r.id,
            debited: r.debited.to_string(),
            reste_a_payer: r.reste_a_payer.to_string(),
            balance: r.balance,
            status: match r.status {
                core::DebitStatus::Confirmed => DebitStatus::Confirmed,
                core::DebitStatus::PendingSync => DebitStatus::PendingSync,
            },
            status_label,
        }
    }
}

/// The enrolled partner device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfo {
    /// Device id.
    pub device_id: String,
    /// Partner id.
    pub partner_id: String,
    /// Partner category.
    pub category: PartnerCategory,
    /// Largest offline debit (decimal string).
    pub per_transaction_max: String,
    /// Most accepted offline per day (decimal string).
    pub daily_max: String,
    /// Offline records signed so far.
    pub chain_seq: u64,
}

impl From<core::DeviceInfo> for DeviceInfo {
    fn from(d: core::DeviceInfo) -> Self {
        DeviceInfo {
            device_id: d.device_id,
            partner_id: d.partner_id,
            category: d.category.into(),
            per_transaction_max: d.caps.per_transaction_max.to_string(),
            daily_max: d.caps.daily_max.to_string(),
            chain_seq: d.chain_seq,
        }
    }
}

/// What a scan read (before the debit; does not consume the code).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ScanResult {
    /// A printed card QR (`PR1:`): authentic, but decide online.
    Card {
        /// Card id.
        card_id: String,
        /// Card version.
        card_version: u32,
        /// Printed season (`2026-2027`).
        season: String,
        /// Issuer key id.
        kid: String,
    },
    /// A dynamic app QR (`PD1:`).
    App {
        /// Credential id.
        credential_id: String,
        /// Card id.
        card_id: String,
        /// Total offline allowance (decimal string).
        allowance: String,
        /// Largest offline debit (decimal string).
        per_transaction_max: String,
        /// Largest number of offline debits.
        max_count: u16,
        /// Credential issued at.
        issued_at: SystemTime,
        /// Credential expires at.
        expires_at: SystemTime,
        /// QR counter.
        counter: u32,
        /// Issuer key id.
        kid: String,
    },
}

impl TryFrom<core::ScanResult> for ScanResult {
    type Error = PassRegionError;

    fn try_from(s: core::ScanResult) -> Result<Self, PassRegionError> {
        Ok(match s.verified {
            Verified::Card(c) => ScanResult::Card {
                card_id: c.card_id.to_string(),
                card_version: c.card_version,
                season: c.season.to_string(),
                kid: c.kid.to_string(),
            },
            Verified::App(a) => ScanResult::App {
                credential_id: a.credential_id.to_string(),
                card_id: a.card_id.to_string(),
                allowance: cents_text(a.limits.allowance_cents)?,
                per_transaction_max: cents_text(a.limits.per_transaction_max_cents)?,
                max_count: a.limits.max_count,
                issued_at: a.issued_at.into(),
                expires_at: a.expires_at.into(),
                counter: a.counter,
                kid: a.kid.to_string(),
            },
        })
    }
}

/// An offline debit in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxItem {
    /// Debit id.
    pub id: String,
    /// Position in the device chain.
    pub seq: u64,
    /// Debited (decimal string).
    pub debited: String,
    /// `pending`, `synced` or `refused`.
    pub state: String,
    /// Server status (`applied`, `duplicate`, `reused`…).
    pub result_status: Option<String>,
    /// Server refusal code.
    pub result_code: Option<String>,
    /// Server transaction id.
    pub transaction_id: Option<String>,
    /// Push attempts.
    pub attempts: u32,
}

impl From<core::OutboxItem> for OutboxItem {
    fn from(o: core::OutboxItem) -> Self {
        OutboxItem {
            id: o.id.to_string(),
            seq: o.seq,
            debited: o.debited.to_string(),
            state: o.state,
            result_status: o.result_status,
            result_code: o.result_code,
            transaction_id: o.transaction_id,
            attempts: o.attempts,
        }
    }
}

/// The outcome of pushing the outbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushReport {
    /// Batches sent (including retries).
    pub requests: u64,
    /// Items applied now.
    pub applied: u64,
    /// Items the server had already applied.
    pub duplicates: u64,
    /// Items refused (not paid).
    pub refused: u64,
    /// Items still pending.
    pub pending: u64,
}

impl From<core::PushReport> for PushReport {
    fn from(p: core::PushReport) -> Self {
        PushReport {
            requests: count(p.requests),
            applied: count(p.applied),
            duplicates: count(p.duplicates),
            refused: count(p.refused),
            pending: count(p.pending),
        }
    }
}

/// A reimbursement batch.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Batch {
    /// Id.
    pub id: String,
    /// Net total (decimal string).
    pub total: String,
    /// Number of transactions.
    pub transactions: i64,
    /// `en_cours` or `rembourse`.
    pub status: String,
    /// Period end.
    pub period_end: SystemTime,
}

/// The partner's reimbursements.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reimbursements {
    /// Not yet in a batch (decimal string).
    pub pending_total: String,
    /// In batches being paid (decimal string).
    pub in_progress_total: String,
    /// Paid (decimal string).
    pub paid_total: String,
    /// Batches, newest first.
    pub batches: Vec<Batch>,
}

impl From<core::Reimbursements> for Reimbursements {
    fn from(r: core::Reimbursements) -> Self {
        Reimbursements {
            pending_total: r.pending_total.to_string(),
            in_progress_total: r.in_progress_total.to_string(),
            paid_total: r.paid_total.to_string(),
            batches: r
                .batches
                .into_iter()
                .map(|b| Batch {
                    id: b.id,
                    total: b.total.to_string(),
                    transactions: b.transactions,
                    status: b.status,
                    period_end: b.period_end.into(),
                })
                .collect(),
        }
    }
}

/// The publics of the PASS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Public {
    /// Lycéen.
    Lyceen,
    /// Apprenti.
    Apprenti,
    /// BTS student.
    Bts,
    /// Young person followed by a mission locale.
    MissionLocale,
    /// IME / IMPro.
    ImeImpro,
    /// Health and social training.
    FormationSanitaireSociale,
}

impl From<Public> for passregion_core::Public {
    fn from(p: Public) -> Self {
        use passregion_core::Public as P;
        match p {
            Public::Lyceen => P::Lyceen,
            Public::Apprenti => P::Apprenti,
            Public::Bts => P::Bts,
            Public::MissionLocale => P::MissionLocale,
            Public::ImeImpro => P::ImeImpro,
            Public::FormationSanitaireSociale => P::FormationSanitaireSociale,
        }
    }
}

/// The tracks (lycéens, apprentis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Track {
    /// Seconde.
    Seconde,
    /// Première.
    Premiere,
    /// Terminale.
    Terminale,
    /// CAP.
    Cap,
    /// Bac pro.
    BacPro,
    /// BP.
    Bp,
    /// Other apprenticeship.
    AutreApprentissage,
}

impl From<Track> for passregion_core::Track {
    fn from(t: Track) -> Self {
        use passregion_core::Track as T;
        match t {
            Track::Seconde => T::Seconde,
            Track::Premiere => T::Premiere,
            Track::Terminale => T::Terminale,
            Track::Cap => T::Cap,
            Track::BacPro => T::BacPro,
            Track::Bp => T::Bp,
            Track::AutreApprentissage => T::AutreApprentissage,
        }
    }
}

/// The *bon de commande* of the PASS.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderForm {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Birth date (`YYYY-MM-DD`).
    pub birth_date: String,
    /// Public.
    pub public: Public,
    /// Track (lycéens, apprentis).
    pub track: Option<Track>,
    /// Recognised disability.
    pub disabled: bool,
    /// Établissement that validates.
    pub establishment_id: String,
    /// Street address.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
}

impl TryFrom<OrderForm> for core::OrderForm {
    type Error = PassRegionError;

    fn try_from(f: OrderForm) -> Result<Self, PassRegionError> {
        let birth_date = chrono::NaiveDate::parse_from_str(f.birth_date.trim(), "%Y-%m-%d")
            .map_err(|_| crate::error::invalid("birth date"))?;
        Ok(core::OrderForm {
            first_name: f.first_name,
            last_name: f.last_name,
            birth_date,
            public: f.public.into(),
            track: f.track.map(Into::into),
            disabled: f.disabled,
            establishment_id: f.establishment_id,
            address: f.address,
            postal_code: f.postal_code,
            city: f.city,
        })
    }
}
