//! Records and enums that cross the boundary, and their conversions from the
//! core types (conversion only: no rule here). Money is a decimal string
//! (`"12.50"`), instants are timestamps, dates are `YYYY-MM-DD` strings.
//!
//! By topic: `card` (youth card, balances, history, credential), `order`
//! (bon de commande), `directory` (bons plans, partners), `scan` (what a
//! scanned code is), `partner` (debits, device, reimbursements), `sync`
//! (sync state, pull, outbox). This file: the shared partner category.

mod card;
mod directory;
mod order;
mod partner;
mod scan;
mod sync;

use passregion_core::{Money, PartnerCategory as CoreCategory};

use crate::error::PassRegionError;

pub use card::{Balance, Card, CredentialInfo, HomeScreen, Transaction};
pub use directory::{BonPlan, GeoPoint, Partner, PartnerQuery};
pub use order::{OrderForm, OrderStatus, Public, Track};
pub use partner::{Batch, DebitReceipt, DebitStatus, DeviceInfo, Reimbursements};
pub use scan::{CodeRejection, ScanResult};
pub use sync::{OutboxItem, PullSummary, PushReport, SyncState};

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
