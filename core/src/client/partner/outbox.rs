//! The outbox of offline debits, its push in batches, and the sync round.

use crate::status::OutboxState;
use std::collections::HashMap;

use rusqlite::params;
use uuid::Uuid;

use super::{PartnerClient, money};
use crate::client::error::ClientError;
use crate::client::pull::{self, PullSummary};
use crate::client::state::SyncState;
use crate::client::store::{now_text, time_text};
use crate::client::transport::Method;
use crate::money::Money;
use crate::sync::{ItemStatus, OfflineDebit, PushRequest, PushResponse};

/// An outbox row as the UI lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutboxItem {
    /// Debit id.
    pub id: Uuid,
    /// Position in the device chain.
    pub seq: u64,
    /// Debited.
    pub debited: Money,
    /// `pending`, `synced` or `refused`.
    pub state: String,
    /// Server status (`applied`, `duplicate`, `reused`…), once answered.
    pub result_status: Option<String>,
    /// Server refusal code (or `garantie_partielle`).
    pub result_code: Option<String>,
    /// The server's French message for it.
    pub result_message: Option<String>,
    /// Server transaction id.
    pub transaction_id: Option<String>,
    /// Push attempts.
    pub attempts: u32,
}

/// The outcome of pushing the outbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    /// Batches sent (including retries).
    pub requests: usize,
    /// Items applied now.
    pub applied: usize,
    /// Items the server had already applied.
    pub duplicates: usize,
    /// Items refused (conflict, reused, rejected): not paid.
    pub refused: usize,
    /// Items still pending.
    pub pending: usize,
}

impl PartnerClient {
    /// Items waiting for the server.
    pub fn pending_count(&self) -> Result<usize, ClientError> {
        let n: i64 = self.api.store.read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE state = ?1",
                [OutboxState::Pending.as_str()],
                |r| r.get(0),
            )
        })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The outbox, in chain order.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>, ClientError> {
        self.api.store.read(|c| -> Result<_, ClientError> {
            let mut st = c.prepare_cached(
                "SELECT o.debit_id, d.seq, d.debited_cents, o.state, o.result_status, o.result_code,
                        o.transaction_id, o.attempts, o.result_message
                 FROM outbox o JOIN offline_debits d ON d.id = o.debit_id ORDER BY d.seq",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, u32>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (
                    id,
                    seq,
                    cents,
                    state,
                    result_status,
                    result_code,
                    transaction_id,
                    attempts,
                    result_message,
                ) = row?;
                out.push(OutboxItem {
                    id: Uuid::parse_str(&id).map_err(|_| ClientError::Storage("id".into()))?,
                    seq: u64::try_from(seq).unwrap_or(0),
                    debited: money(cents)?,
                    state,
                    result_status,
                    result_code,
                    result_message,
                    transaction_id,
                    attempts,
                });
            }
            Ok(out)
        })
    }

    fn pending_batch(&self) -> Result<Vec<OfflineDebit>, ClientError> {
        let limit = i64::try_from(self.batch_size).unwrap_or(500);
        self.api.store.read(|c| -> Result<_, ClientError> {
            let mut st = c.prepare_cached(
                "SELECT d.record FROM outbox o JOIN offline_debits d ON d.id = o.debit_id
                 WHERE o.state = ?2 ORDER BY d.seq LIMIT ?1",
            )?;
            let rows = st.query_map(
                rusqlite::params![limit, OutboxState::Pending.as_str()],
                |r| r.get::<_, String>(0),
            )?;
            let mut out = Vec::new();
            for row in rows {
                out.push(
                    serde_json::from_str(&row?)
                        .map_err(|_| ClientError::Storage("offline debit record".into()))?,
                );
            }
            Ok(out)
        })
    }

    fn push_once(&self, items: Vec<OfflineDebit>) -> Result<PushResponse, ClientError> {
        let req = PushRequest { items };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .api
                .call::<PushResponse>(Method::Post, "/api/sync/push", Some(&req), None)
            {
                Ok(r) => return Ok(r),
                Err(e) if e.is_transient() && attempt < self.retry.max_attempts => {
                    self.sleeper.sleep(self.retry.delay(attempt));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Pushes the outbox in batches; an item leaves `pending` only on its own
    /// result. Items refused by the server stay listed as `refused`.
    pub fn push_outbox(&self) -> Result<PushReport, ClientError> {
        let mut report = PushReport::default();
        loop {
            let items = self.pending_batch()?;
            if items.is_empty() {
                break;
            }
            let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
            report.requests += 1;
            let resp = match self.push_once(items) {
                Ok(r) => r,
                Err(e) => {
                    let _ = self.api.store.write(|tx| {
                        for id in &ids {
                            tx.execute(
                                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, updated_at = ?3
                                 WHERE debit_id = ?1",
                                params![id.to_string(), e.to_string(), now_text()],
                            )?;
                        }
                        Ok::<(), rusqlite::Error>(())
                    });
                    return Err(e);
                }
            };
            let asked: HashMap<Uuid, ()> = ids.iter().map(|i| (*i, ())).collect();
            let mut progressed = 0usize;
            self.api.store.write(|tx| -> Result<(), ClientError> {
                for r in &resp.results {
                    if !asked.contains_key(&r.id) {
                        continue;
                    }
                    let (state, status) = match r.status {
                        ItemStatus::Applied => {
                            report.applied += 1;
                            (OutboxState::Synced, "applied")
                        }
                        ItemStatus::Duplicate => {
                            report.duplicates += 1;
                            (OutboxState::Synced, "duplicate")
                        }
                        ItemStatus::Conflict => (OutboxState::Refused, "conflict"),
                        ItemStatus::Reused => (OutboxState::Refused, "reused"),
                        ItemStatus::Rejected => (OutboxState::Refused, "rejected"),
                    };
                    if state == OutboxState::Refused {
                        report.refused += 1;
                    }
                    progressed += tx.execute(
                        "UPDATE outbox SET state = ?2, result_status = ?3, result_code = ?4,
                           transaction_id = ?5, attempts = attempts + 1, last_error = NULL, updated_at = ?6,
                           result_message = ?8
                         WHERE debit_id = ?1 AND state = ?7",
                        params![
                            r.id.to_string(),
                            state.as_str(),
                            status,
                            r.code,
                            r.transaction_id,
                            now_text(),
                            OutboxState::Pending.as_str(),
                            r.message
                        ],
                    )?;
                }
                Ok(())
            })?;
            if progressed == 0 {
                return Err(ClientError::Protocol(
                    "the push answer acknowledged no item".into(),
                ));
            }
        }
        report.pending = self.pending_count()?;
        Ok(report)
    }

    /// One sync round: push the outbox, pull deltas (deny list, trust list,
    /// directory), refresh transactions and reimbursements.
    pub fn sync(&self) -> Result<PushReport, ClientError> {
        self.state.set(SyncState::Syncing);
        let r = (|| {
            let report = self.push_outbox()?;
            self.pull()?;
            self.refresh_transactions()?;
            self.refresh_reimbursements()?;
            let now = self.api.server_now()?;
            self.api.store.write(|tx| {
                tx.execute(
                    "DELETE FROM replay_state WHERE expires_at < ?1",
                    [time_text(now)],
                )
            })?;
            Ok(report)
        })();
        self.state.set(match &r {
            Ok(_) => SyncState::Idle,
            Err(ClientError::Offline) => SyncState::Offline,
            Err(e) => SyncState::Error {
                reason: e.to_string(),
            },
        });
        r
    }

    /// Pulls deltas.
    pub fn pull(&self) -> Result<PullSummary, ClientError> {
        pull::pull_all(&self.api)
    }
}
