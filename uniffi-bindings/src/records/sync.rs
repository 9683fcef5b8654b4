//! Sync: its state, what a pull brought, the outbox and its push.

use passregion_core::client as core;

use super::count;

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
