//! The partner app core: enrolment of the device, scanning with the shared
//! verifier, online debits (the server decides) and offline debits (the
//! shared offline rule; signed, hash-chained, written with their outbox row in
//! one transaction), the outbox sync, transactions, reimbursements, refunds.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Transaction, params};
use serde::Deserialize;
use uuid::Uuid;

use super::api::Api;
use super::error::ClientError;
use super::pull::{self, PullSummary};
use super::state::{
    ListenerId, RetryPolicy, Sleeper, StateCell, SyncListener, SyncState, ThreadSleeper,
};
use super::store::{OpenReport, Store, now_text, time_text};
use super::transport::{Method, Transport};
use super::youth::{HistoryItem, SharedSigner, TransactionJson, insert_history, read_history};
use crate::clock::Clock;
use crate::credential::{
    DenyList, PublicKey, ReplayState, SignedTrustList, TrustList, Verified, verify,
};
use crate::money::Money;
use crate::public::PartnerCategory;
use crate::sync::{
    EnrolRequest, EnrolResponse, GENESIS_HASH, ItemStatus, MAX_PUSH_ITEMS, OfflineDebit,
    OfflineSpent, PartnerCaps, PushRequest, PushResponse, decide_offline_debit,
};

/// Where a debit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebitStatus {
    /// The server applied it.
    Confirmed,
    /// Recorded offline; it will be pushed at the next sync.
    PendingSync,
}

/// What the partner shows after a debit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebitReceipt {
    /// Server transaction id (online) or offline debit id (UUIDv7).
    pub id: String,
    /// Montant débité.
    pub debited: Money,
    /// Reste à payer by the youth.
    pub reste_a_payer: Money,
    /// What is left on the avantage (online only).
    pub balance: Option<String>,
    /// Confirmed or pending.
    pub status: DebitStatus,
}

impl DebitReceipt {
    /// The French status line.
    pub fn status_label(&self) -> &'static str {
        match self.status {
            DebitStatus::Confirmed => "Débit confirmé",
            DebitStatus::PendingSync => "En attente de synchronisation",
        }
    }
}

/// The enrolled device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Device id.
    pub device_id: String,
    /// Partner.
    pub partner_id: String,
    /// Category.
    pub category: PartnerCategory,
    /// Offline caps.
    pub caps: PartnerCaps,
    /// Records signed so far.
    pub chain_seq: u64,
}

/// What a scan shows before the debit (does not consume the code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanResult {
    /// What the verifier read.
    pub verified: Verified,
}

/// An outbox row as the UI lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Server refusal code.
    pub result_code: Option<String>,
    /// Server transaction id.
    pub transaction_id: Option<String>,
    /// Push attempts.
    pub attempts: u32,
}

/// The outcome of pushing the outbox.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

/// A reimbursement batch.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BatchInfo {
    /// Id.
    pub id: String,
    /// Net total.
    pub total: Money,
    /// Transactions.
    pub transactions: i64,
    /// `en_cours` or `rembourse`.
    pub status: String,
    /// Period end.
    pub period_end: DateTime<Utc>,
}

/// The partner's reimbursements.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Reimbursements {
    /// Not yet in a batch.
    pub pending_total: Money,
    /// In batches being paid.
    pub in_progress_total: Money,
    /// Paid.
    pub paid_total: Money,
    /// Batches, newest first.
    pub batches: Vec<BatchInfo>,
}

#[derive(Deserialize)]
struct OnlineReceipt {
    id: String,
    debited: String,
    reste_a_payer: String,
    #[serde(default)]
    balance: Option<String>,
}

#[derive(Deserialize)]
struct TransactionPage {
    items: Vec<TransactionJson>,
    next_cursor: i64,
}

/// Replay state read from the store inside a transaction; records are kept
/// and written by the caller in the same transaction (fails closed: a read
/// error counts as "already seen").
struct TxReplay<'a> {
    tx: &'a Connection,
    recorded: Vec<(Uuid, u32, DateTime<Utc>)>,
    keep: bool,
}

type Connection = rusqlite::Connection;

impl ReplayState for TxReplay<'_> {
    fn last_counter(&self, credential_id: &Uuid) -> Option<u32> {
        let r: Result<Option<u32>, _> = self
            .tx
            .query_row(
                "SELECT last_counter FROM replay_state WHERE credential_id = ?1",
                [credential_id.to_string()],
                |r| r.get(0),
            )
            .optional();
        r.unwrap_or(Some(u32::MAX))
    }

    fn record(&mut self, credential_id: Uuid, counter: u32, expires_at: DateTime<Utc>) {
        if self.keep {
            self.recorded.push((credential_id, counter, expires_at));
        }
    }
}

fn save_replay(
    tx: &Transaction<'_>,
    recorded: &[(Uuid, u32, DateTime<Utc>)],
) -> Result<(), rusqlite::Error> {
    for (id, counter, exp) in recorded {
        tx.execute(
            "INSERT INTO replay_state (credential_id, last_counter, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (credential_id) DO UPDATE SET
               last_counter = MAX(last_counter, ?2), expires_at = ?3",
            params![id.to_string(), counter, time_text(*exp)],
        )?;
    }
    Ok(())
}

/// Loads the verified trust list and the deny list.
fn load_trust(c: &Connection) -> Result<(TrustList, DenyList), ClientError> {
    let row: Option<(String, Option<String>, i64)> = c
        .query_row(
            "SELECT root_public_key, signed_list, version FROM trust WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (root, text, version) = row.ok_or(ClientError::Missing("trust list"))?;
    let text = text.ok_or(ClientError::Missing("trust list"))?;
    let root = PublicKey::from_base64(&root).map_err(|e| ClientError::Trust(e.to_string()))?;
    // Verified again at each use: the store is not trusted with the keys.
    let list = SignedTrustList::from_json(&text)
        .and_then(|s| s.verify(&root, u64::try_from(version).unwrap_or(0)))
        .map_err(|e| ClientError::Trust(e.to_string()))?;
    let mut deny = DenyList::new();
    let mut st = c.prepare_cached("SELECT kind, id FROM deny_list")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (kind, id) = row?;
        let Ok(id) = Uuid::parse_str(&id) else {
            continue;
        };
        if kind == "card" {
            deny.cards.insert(id);
        } else {
            deny.credentials.insert(id);
        }
    }
    Ok((list, deny))
}

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
        if a.account.role != "partner" {
            return Err(ClientError::InvalidArgument("not a partner account"));
        }
        Ok(())
    }

    /// Points the session at another server URL.
    pub fn set_server_url(&self, url: &str) -> Result<(), ClientError> {
        self.api.set_server_url(url)
    }

    /// Pins the root key before enrolment (a build-time key). Without it the
    /// key received at the first enrolment is pinned.
    pub fn pin_root_key(&self, root: PublicKey) -> Result<(), ClientError> {
        self.api.store.write(|tx| {
            tx.execute(
                "INSERT INTO trust (id, root_public_key) VALUES (1, ?1)
                 ON CONFLICT (id) DO NOTHING",
                [root.to_base64()],
            )
        })?;
        Ok(())
    }

    /// Enrols this device (once; again after a reset), pins the root key and
    /// fetches the trust list.
    pub fn enrol(&self, label: &str) -> Result<DeviceInfo, ClientError> {
        let req = EnrolRequest {
            device_public_key: self.signer.public_key().to_base64(),
            label: label.to_owned(),
        };
        let r: EnrolResponse =
            self.api
                .call(Method::Post, "/api/partner/devices", Some(&req), None)?;
        let root = PublicKey::from_base64(&r.root_public_key)
            .map_err(|e| ClientError::Trust(e.to_string()))?;
        self.api.store.write(|tx| -> Result<(), ClientError> {
            let pinned: Option<String> = tx
                .query_row("SELECT root_public_key FROM trust WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            match pinned {
                Some(p) if p != root.to_base64() => {
                    return Err(ClientError::Trust("root key differs from the pinned one".into()));
                }
                Some(_) => {}
                None => {
                    tx.execute(
                        "INSERT INTO trust (id, root_public_key) VALUES (1, ?1)",
                        [root.to_base64()],
                    )?;
                }
            }
            let head: Option<(i64, String)> = tx
                .query_row(
                    "SELECT chain_seq, chain_hash FROM partner_device WHERE id = 1 AND device_id = ?1",
                    [&r.device_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (seq, hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
            tx.execute(
                "INSERT INTO partner_device (id, device_id, partner_id, category,
                   per_transaction_max_cents, daily_max_cents, chain_seq, chain_hash)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET device_id = ?1, partner_id = ?2, category = ?3,
                   per_transaction_max_cents = ?4, daily_max_cents = ?5, chain_seq = ?6, chain_hash = ?7",
                params![
                    r.device_id,
                    r.partner_id,
                    r.category.code(),
                    r.caps.per_transaction_max.cents(),
                    r.caps.daily_max.cents(),
                    seq,
                    hash
                ],
            )?;
            Ok(())
        })?;
        self.refresh_trust()?;
        self.device()?.ok_or(ClientError::Missing("device"))
    }

    /// The enrolled device.
    pub fn device(&self) -> Result<Option<DeviceInfo>, ClientError> {
        self.api.store.read(device_row)
    }

    /// Fetches and verifies the trust list (pinned root, no rollback).
    pub fn refresh_trust(&self) -> Result<u64, ClientError> {
        let s = self.api.session()?;
        let resp = self.api.raw(
            &s.server_url,
            Method::Get,
            "/api/trust-list",
            None,
            None,
            None,
        )?;
        let text = String::from_utf8(resp.body)
            .map_err(|_| ClientError::Protocol("trust list is not text".into()))?;
        let (text, version) =
            pull::verify_trust_text(&self.api, &text)?.ok_or(ClientError::Missing("root key"))?;
        self.api.store.write(|tx| {
            tx.execute(
                "UPDATE trust SET signed_list = ?1, version = ?2 WHERE id = 1",
                params![text, i64::try_from(version).unwrap_or(i64::MAX)],
            )
        })?;
        Ok(version)
    }

    /// Verifies a scanned code offline (trust list, deny list, replay state,
    /// server-corrected clock). Does not consume the code.
    pub fn scan(&self, text: &str) -> Result<ScanResult, ClientError> {
        let clock = self.api.server_clock()?;
        self.api.store.read(|c| {
            let (trust, deny) = load_trust(c)?;
            let mut replay = TxReplay {
                tx: c,
                recorded: Vec::new(),
                keep: false,
            };
            let verified = verify(text, &trust, &deny, &mut replay, &clock)
                .map_err(ClientError::InvalidCode)?;
            Ok(ScanResult { verified })
        })
    }

    /// Debits: online, the server decides; when the server cannot be reached,
    /// the offline rule decides and the debit waits in the outbox.
    pub fn debit(
        &self,
        qr: &str,
        avantage: &str,
        price: Money,
    ) -> Result<DebitReceipt, ClientError> {
        let key = Uuid::now_v7().to_string();
        let body = serde_json::json!({"qr": qr, "avantage": avantage, "price": price});
        match self.api.call::<OnlineReceipt>(
            Method::Post,
            "/api/partner/debits",
            Some(&body),
            Some(&key),
        ) {
            Ok(r) => {
                // Remember the counter, so that the same code is refused
                // offline later (best effort: the server is the judge).
                let _ = self.record_seen(qr);
                Ok(DebitReceipt {
                    id: r.id,
                    debited: Money::parse(&r.debited)
                        .map_err(|_| ClientError::Protocol("debited".into()))?,
                    reste_a_payer: Money::parse(&r.reste_a_payer)
                        .map_err(|_| ClientError::Protocol("reste_a_payer".into()))?,
                    balance: r.balance,
                    status: DebitStatus::Confirmed,
                })
            }
            Err(ClientError::Offline) => self.debit_offline(qr, avantage, price),
            Err(e) => Err(e),
        }
    }

    fn record_seen(&self, qr: &str) -> Result<(), ClientError> {
        let clock = self.api.server_clock()?;
        self.api.store.write(|tx| -> Result<(), ClientError> {
            let (trust, deny) = load_trust(tx)?;
            let mut replay = TxReplay {
                tx,
                recorded: Vec::new(),
                keep: true,
            };
            if verify(qr, &trust, &deny, &mut replay, &clock).is_ok() {
                let recorded = std::mem::take(&mut replay.recorded);
                save_replay(tx, &recorded)?;
            }
            Ok(())
        })
    }

    /// Records an offline debit: verify (replay state included), decide with
    /// [`decide_offline_debit`], sign, chain, and write the record, its outbox
    /// row, the counters and the replay state in ONE transaction.
    pub fn debit_offline(
        &self,
        qr: &str,
        avantage: &str,
        price: Money,
    ) -> Result<DebitReceipt, ClientError> {
        let clock = self.api.server_clock()?;
        let signer = self.signer.clone();
        self.api.store.write(|tx| -> Result<DebitReceipt, ClientError> {
            let device = device_row(tx)?.ok_or(ClientError::Missing("device enrolment"))?;
            let (trust, deny) = load_trust(tx)?;
            let mut replay = TxReplay {
                tx,
                recorded: Vec::new(),
                keep: true,
            };
            let verified =
                verify(qr, &trust, &deny, &mut replay, &clock).map_err(ClientError::InvalidCode)?;
            let recorded = std::mem::take(&mut replay.recorded);
            let app = match verified {
                Verified::App(a) => a,
                Verified::Card(_) => return Err(ClientError::OnlineOnly),
            };
            let now = clock.now();
            let day = now.date_naive().to_string();
            let cred = app.credential_id.to_string();
            let (cents, count): (i64, i64) = tx
                .query_row(
                    "SELECT cents, count FROM offline_spent WHERE credential_id = ?1",
                    [&cred],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((0, 0));
            let today: i64 = tx
                .query_row(
                    "SELECT cents FROM offline_daily WHERE day = ?1",
                    [&day],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            let spent = OfflineSpent {
                credential_cents: u64::try_from(cents).unwrap_or(u64::MAX),
                credential_count: u32::try_from(count).unwrap_or(u32::MAX),
                today_cents: u64::try_from(today).unwrap_or(u64::MAX),
            };
            let decided = decide_offline_debit(&app.limits, &device.caps, spent, price)
                .map_err(ClientError::OfflineRefused)?;
            let (seq, prev_hash): (i64, String) = tx.query_row(
                "SELECT chain_seq, chain_hash FROM partner_device WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let seq = u64::try_from(seq).unwrap_or(0) + 1;
            let mut record = OfflineDebit {
                id: Uuid::now_v7(),
                device_id: device.device_id.clone(),
                seq,
                qr: qr.to_owned(),
                avantage: avantage.to_owned(),
                price,
                debited: decided.debited,
                reste_a_payer: decided.reste_a_payer,
                scanned_at: now,
                prev_hash,
                signature: String::new(),
            };
            let sig = signer.sign(&record.signing_bytes())?;
            record.signature = URL_SAFE_NO_PAD.encode(sig);
            let json = serde_json::to_string(&record)
                .map_err(|e| ClientError::Protocol(e.to_string()))?;
            let debited = record.debited.cents();
            let seq_i = i64::try_from(seq).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO offline_debits (id, seq, credential_id, counter, debited_cents, record, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![record.id.to_string(), seq_i, cred, app.counter, debited, json, now_text()],
            )?;
            tx.execute(
                "INSERT INTO outbox (debit_id, updated_at) VALUES (?1, ?2)",
                params![record.id.to_string(), now_text()],
            )?;
            tx.execute(
                "UPDATE partner_device SET chain_seq = ?1, chain_hash = ?2 WHERE id = 1",
                params![seq_i, record.hash()],
            )?;
            tx.execute(
                "INSERT INTO offline_spent (credential_id, cents, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (credential_id) DO UPDATE SET cents = cents + ?2, count = count + 1",
                params![cred, debited],
            )?;
            tx.execute(
                "INSERT INTO offline_daily (day, cents) VALUES (?1, ?2)
                 ON CONFLICT (day) DO UPDATE SET cents = cents + ?2",
                params![day, debited],
            )?;
            save_replay(tx, &recorded)?;
            Ok(DebitReceipt {
                id: record.id.to_string(),
                debited: record.debited,
                reste_a_payer: record.reste_a_payer,
                balance: None,
                status: DebitStatus::PendingSync,
            })
        })
    }

    /// Items waiting for the server.
    pub fn pending_count(&self) -> Result<usize, ClientError> {
        let n: i64 = self.api.store.read(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending'",
                [],
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
                        o.transaction_id, o.attempts
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
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, seq, cents, state, result_status, result_code, transaction_id, attempts) =
                    row?;
                out.push(OutboxItem {
                    id: Uuid::parse_str(&id).map_err(|_| ClientError::Storage("id".into()))?,
                    seq: u64::try_from(seq).unwrap_or(0),
                    debited: money(cents)?,
                    state,
                    result_status,
                    result_code,
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
                 WHERE o.state = 'pending' ORDER BY d.seq LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| r.get::<_, String>(0))?;
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
                            ("synced", "applied")
                        }
                        ItemStatus::Duplicate => {
                            report.duplicates += 1;
                            ("synced", "duplicate")
                        }
                        ItemStatus::Conflict => ("refused", "conflict"),
                        ItemStatus::Reused => ("refused", "reused"),
                        ItemStatus::Rejected => ("refused", "rejected"),
                    };
                    if state == "refused" {
                        report.refused += 1;
                    }
                    progressed += tx.execute(
                        "UPDATE outbox SET state = ?2, result_status = ?3, result_code = ?4,
                           transaction_id = ?5, attempts = attempts + 1, last_error = NULL, updated_at = ?6
                         WHERE debit_id = ?1 AND state = 'pending'",
                        params![
                            r.id.to_string(),
                            state,
                            status,
                            r.code,
                            r.transaction_id,
                            now_text()
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

    /// Fetches new transactions (`?after=` cursor) into the store.
    pub fn refresh_transactions(&self) -> Result<usize, ClientError> {
        let mut total = 0;
        loop {
            let after: i64 = self.api.store.read(|c| {
                c.query_row(
                    "SELECT transactions_cursor FROM sync_meta WHERE id = 1",
                    [],
                    |r| r.get(0),
                )
            })?;
            let page: TransactionPage = self.api.get(&format!(
                "/api/partner/transactions?after={after}&limit=500"
            ))?;
            let n = page.items.len();
            self.api.store.write(|tx| -> Result<(), ClientError> {
                for t in &page.items {
                    insert_history(tx, t)?;
                }
                tx.execute(
                    "UPDATE sync_meta SET transactions_cursor = ?1 WHERE id = 1",
                    [page.next_cursor.max(after)],
                )?;
                Ok(())
            })?;
            total += n;
            if n == 0 || page.next_cursor <= after {
                break;
            }
        }
        Ok(total)
    }

    /// The cached transactions, newest first.
    pub fn transactions(&self, limit: usize) -> Result<Vec<HistoryItem>, ClientError> {
        read_history(&self.api, limit)
    }

    /// Fetches the reimbursements into the store.
    pub fn refresh_reimbursements(&self) -> Result<Reimbursements, ClientError> {
        let s = self.api.session()?;
        let token = s.token.as_deref().ok_or(ClientError::NotLoggedIn)?;
        let resp = self.api.raw(
            &s.server_url,
            Method::Get,
            "/api/partner/reimbursements",
            None,
            Some(token),
            None,
        )?;
        let parsed: Reimbursements = super::api::parse(&resp)?;
        let body = String::from_utf8(resp.body)
            .map_err(|_| ClientError::Protocol("reimbursements".into()))?;
        self.api.store.write(|tx| {
            tx.execute(
                "INSERT INTO reimbursements (id, body, fetched_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET body = ?1, fetched_at = ?2",
                params![body, now_text()],
            )
        })?;
        Ok(parsed)
    }

    /// The cached reimbursements.
    pub fn reimbursements(&self) -> Result<Option<Reimbursements>, ClientError> {
        let body: Option<String> = self.api.store.read(|c| {
            c.query_row("SELECT body FROM reimbursements WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
        })?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|_| ClientError::Storage("reimbursements".into()))
        })
        .transpose()
    }

    /// Refunds a debit (in full when `amount` is None). Pass the same
    /// `idempotency_key` to retry safely.
    pub fn refund(
        &self,
        transaction_id: &str,
        amount: Option<Money>,
        idempotency_key: Uuid,
    ) -> Result<HistoryItem, ClientError> {
        if transaction_id.is_empty()
            || !transaction_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(ClientError::InvalidArgument("transaction id"));
        }
        let body = match amount {
            Some(a) => serde_json::json!({ "amount": a }),
            None => serde_json::json!({}),
        };
        let t: TransactionJson = self.api.call(
            Method::Post,
            &format!("/api/partner/transactions/{transaction_id}/refund"),
            Some(&body),
            Some(&idempotency_key.to_string()),
        )?;
        self.api.store.write(|tx| insert_history(tx, &t))?;
        read_history(&self.api, usize::MAX).map(|h| {
            h.into_iter().find(|i| i.id == t.id).unwrap_or(HistoryItem {
                id: t.id.clone(),
                kind: t.kind.clone(),
                partner_name: t.partner_name.clone(),
                avantage: t.avantage.clone(),
                debited: t.debited.clone(),
                reste_a_payer: t.reste_a_payer.clone(),
                refunded: t.refunded,
                channel: t.channel.clone(),
                created_at: t.created_at.clone(),
            })
        })
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

fn device_row(c: &Connection) -> Result<Option<DeviceInfo>, ClientError> {
    let row: Option<(String, String, String, i64, i64, i64)> = c
        .query_row(
            "SELECT device_id, partner_id, category, per_transaction_max_cents, daily_max_cents, chain_seq
             FROM partner_device WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    row.map(|(device_id, partner_id, cat, per_tx, daily, seq)| {
        Ok(DeviceInfo {
            device_id,
            partner_id,
            category: serde_json::from_value(serde_json::Value::String(cat))
                .map_err(|_| ClientError::Storage("category".into()))?,
            caps: PartnerCaps {
                per_transaction_max: money(per_tx)?,
                daily_max: money(daily)?,
            },
            chain_seq: u64::try_from(seq).unwrap_or(0),
        })
    })
    .transpose()
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<PartnerClient>();
    is::<super::youth::YouthClient>();
}
