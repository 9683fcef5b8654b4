//! The partner side: debit receipts, the enrolled device and its offline
//! caps, reimbursements.

use std::time::SystemTime;

use passregion_core::client as core;

use super::PartnerCategory;

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

/// A reimbursement batch.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Batch {
    /// Id.
    pub id: String,
    /// Debits − refunds of the batch (signed decimal string).
    pub total: String,
    /// Deficit carried in from earlier batches (zero or negative decimal string).
    pub carried_in: String,
    /// What the Region pays (decimal string).
    pub payable: String,
    /// Deficit carried to the next batch (zero or negative decimal string).
    pub carried_out: String,
    /// Number of transactions.
    pub transactions: i64,
    /// `en_cours`, `rembourse` or `compense`.
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
    /// Owed after refunds of paid debits, deducted from the next batches
    /// (zero or negative decimal string).
    pub carried_total: String,
    /// Batches, newest first.
    pub batches: Vec<Batch>,
}

impl From<core::Reimbursements> for Reimbursements {
    fn from(r: core::Reimbursements) -> Self {
        Reimbursements {
            pending_total: r.pending_total.to_string(),
            in_progress_total: r.in_progress_total.to_string(),
            paid_total: r.paid_total.to_string(),
            carried_total: r.carried_total.to_string(),
            batches: r
                .batches
                .into_iter()
                .map(|b| Batch {
                    id: b.id,
                    total: b.total.to_string(),
                    carried_in: b.carried_in.to_string(),
                    payable: b.payable.to_string(),
                    carried_out: b.carried_out.to_string(),
                    transactions: b.transactions,
                    status: b.status.as_str().to_owned(),
                    period_end: b.period_end.into(),
                })
                .collect(),
        }
    }
}
