//! The youth app core: session, order, card and balances, history, the app
//! credential and its dynamic QR (works offline), bons plans and the partner
//! directory (cached, searchable offline).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{OptionalExtension as _, params};
use serde::Deserialize;

use super::api::Api;
use super::error::ClientError;
use super::history::{HistoryItem, insert_history, read_history, read_history_full};
use super::pull::{self, PartnerHit, PartnerQuery, PullSummary};
use super::state::{ListenerId, StateCell, SyncListener, SyncState};
use super::store::{OpenReport, Store, now_text, parse_time, time_text};
use super::transport::{Method, Transport};
use crate::api::accounts::Role;
use crate::api::bons_plans::BonPlan;
use crate::api::cards::{CardView, CredentialRequest, CredentialResponse};
use crate::api::debits::Transaction;
use crate::clock::Clock;
use crate::credential::{AppCredential, DeviceSigner};
use crate::public::PartnerCategory;

/// A device signer the clients can share across threads.
pub type SharedSigner = Arc<dyn DeviceSigner + Send + Sync>;

/// Renew the app credential when it expires within this delay.
const CREDENTIAL_RENEW_BEFORE: Duration = Duration::hours(24);

/// The *bon de commande*: the server's
/// [`OrderRequest`](crate::api::cards::OrderRequest).
pub type OrderForm = crate::api::cards::OrderRequest;

/// An order and where it stands: the server's [`Order`](crate::api::cards::Order).
pub type OrderStatus = crate::api::cards::Order;

/// The cached card.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CardSnapshot {
    /// Card id.
    pub card_id: String,
    /// Number to type on the partner web form.
    pub number: String,
    /// `expediee`, `active`, `suspendue`.
    pub status: String,
    /// Season label.
    pub season: String,
    /// Last day of use.
    pub valid_until: String,
    /// When it was fetched (a snapshot: the server is the truth).
    pub fetched_at: DateTime<Utc>,
}

/// A cached balance.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BalanceSnapshot {
    /// Avantage code.
    pub avantage: String,
    /// Label.
    pub label: String,
    /// `credit` or `entries`.
    pub kind: String,
    /// Loaded for the season.
    pub loaded: String,
    /// Left.
    pub remaining: String,
    /// Partner categories that accept it.
    pub categories: Vec<PartnerCategory>,
}

/// What the home screen shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HomeScreen {
    /// The card, if fetched once.
    pub card: Option<CardSnapshot>,
    /// Its balances.
    pub balances: Vec<BalanceSnapshot>,
    /// The last 20 transactions.
    pub recent: Vec<HistoryItem>,
}

/// The app credential held by this device.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CredentialInfo {
    /// Credential id.
    pub credential_id: String,
    /// Issued at.
    pub issued_at: DateTime<Utc>,
    /// Expires at.
    pub expires_at: DateTime<Utc>,
    /// QR codes shown so far.
    pub qr_counter: u32,
}

/// A bon plan as cached for the offline list (what the app shows of the
/// server's [`BonPlan`]).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct BonPlanItem {
    /// Id.
    pub id: String,
    /// Partner name.
    pub partner_name: String,
    /// Category.
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Last day.
    pub valid_until: Option<NaiveDate>,
}

/// The youth app core.
pub struct YouthClient {
    api: Api,
    signer: SharedSigner,
    state: StateCell,
}

impl std::fmt::Debug for YouthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YouthClient").finish_non_exhaustive()
    }
}

impl YouthClient {
    /// Opens the store at `path` with a software device key kept in it.
    pub fn open(
        path: &Path,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Result<YouthClient, ClientError> {
        let store = Arc::new(Store::open(path)?);
        YouthClient::with_store(store, transport, clock, None)
    }

    /// On an open store; `signer` is the platform keystore's (None: a
    /// software key persisted in the store).
    pub fn with_store(
        store: Arc<Store>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        signer: Option<SharedSigner>,
    ) -> Result<YouthClient, ClientError> {
        let signer = match signer {
            Some(s) => s,
            None => Arc::new(store.software_key("youth")?),
        };
        Ok(YouthClient {
            api: Api {
                store,
                transport,
                clock,
            },
            signer,
            state: StateCell::default(),
        })
    }

    /// What happened when the store was opened (quarantine).
    pub fn open_report(&self) -> OpenReport {
        self.api.store.report().clone()
    }

    /// Logs in (youth accounts only).
    pub fn login(&self, server_url: &str, email: &str, password: &str) -> Result<(), ClientError> {
        let a = self.api.login(server_url, email, password)?;
        if a.account.role != Role::Youth {
            return Err(ClientError::InvalidArgument("not a youth account"));
        }
        Ok(())
    }

    /// Points the session at another server URL.
    pub fn set_server_url(&self, url: &str) -> Result<(), ClientError> {
        self.api.set_server_url(url)
    }

    /// Orders the PASS.
    pub fn order_pass(&self, form: &OrderForm) -> Result<OrderStatus, ClientError> {
        self.api
            .call(Method::Post, "/api/youth/orders", Some(form), None)
    }

    /// The youth's orders (follow the order).
    pub fn orders(&self) -> Result<Vec<OrderStatus>, ClientError> {
        self.api.get("/api/youth/orders")
    }

    /// Confirms the card arrived; caches it.
    pub fn activate_card(&self) -> Result<CardSnapshot, ClientError> {
        let card: CardView =
            self.api
                .call(Method::Post, "/api/youth/card/activate", Some(&()), None)?;
        self.save_card(&card)?;
        self.card()?.ok_or(ClientError::Missing("card"))
    }

    fn save_card(&self, card: &CardView) -> Result<(), ClientError> {
        let body = serde_json::to_string(card).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.api.store.write(|tx| -> Result<(), ClientError> {
            tx.execute(
                "INSERT INTO card (id, card_id, number, status, season, valid_until, fetched_at, body)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET card_id = ?1, number = ?2, status = ?3,
                   season = ?4, valid_until = ?5, fetched_at = ?6, body = ?7",
                params![
                    card.id,
                    card.number,
                    card.status.code(),
                    card.season,
                    card.valid_until.to_string(),
                    now_text(),
                    body
                ],
            )?;
            tx.execute("DELETE FROM balances", [])?;
            for b in &card.balances {
                let cats = serde_json::to_string(&b.categories)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                tx.execute(
                    "INSERT INTO balances (avantage, label, kind, loaded, remaining, categories)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        b.avantage,
                        b.label,
                        b.kind.code(),
                        b.loaded,
                        b.remaining,
                        cats
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Fetches card, balances and history into the store.
    pub fn refresh(&self) -> Result<(), ClientError> {
        let card: CardView = self.api.get("/api/youth/card")?;
        self.save_card(&card)?;
        let txs: Vec<Transaction> = self.api.get("/api/youth/transactions")?;
        self.api.store.write(|tx| -> Result<(), ClientError> {
            tx.execute("DELETE FROM history", [])?;
            for t in &txs {
                insert_history(tx, t)?;
            }
            Ok(())
        })
    }

    /// The cached card.
    pub fn card(&self) -> Result<Option<CardSnapshot>, ClientError> {
        self.api.store.read(|c| -> Result<_, ClientError> {
            let row = c
                .query_row(
                    "SELECT card_id, number, status, season, valid_until, fetched_at FROM card WHERE id = 1",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(card_id, number, status, season, valid_until, at)| {
                Ok(CardSnapshot {
                    card_id,
                    number,
                    status,
                    season,
                    valid_until,
                    fetched_at: parse_time(&at)?,
                })
            })
            .transpose()
        })
    }

    /// The cached balances.
    pub fn balances(&self) -> Result<Vec<BalanceSnapshot>, ClientError> {
        self.api.store.read(|c| -> Result<_, ClientError> {
            let mut st = c.prepare_cached(
                "SELECT avantage, label, kind, loaded, remaining, categories FROM balances ORDER BY avantage",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (avantage, label, kind, loaded, remaining, cats) = row?;
                out.push(BalanceSnapshot {
                    avantage,
                    label,
                    kind,
                    loaded,
                    remaining,
                    categories: serde_json::from_str(&cats).unwrap_or_default(),
                });
            }
            Ok(out)
        })
    }

    /// The cached history, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<HistoryItem>, ClientError> {
        read_history(&self.api, limit)
    }

    /// The card as the server last sent it (the app's card screen offline).
    pub fn stored_card(&self) -> Result<Option<CardView>, ClientError> {
        let body: Option<Option<String>> = self.api.store.read(|c| {
            c.query_row("SELECT body FROM card WHERE id = 1", [], |r| r.get(0))
                .optional()
        })?;
        body.flatten()
            .map(|b| serde_json::from_str(&b).map_err(|_| ClientError::Storage("card body".into())))
            .transpose()
    }

    /// The stored transactions in the server's shape, oldest first (the app
    /// shows them without network).
    pub fn stored_transactions(&self, limit: usize) -> Result<Vec<Transaction>, ClientError> {
        read_history_full(&self.api, limit)
    }

    /// Card, balances and the last 20 transactions, from the store.
    pub fn home(&self) -> Result<HomeScreen, ClientError> {
        Ok(HomeScreen {
            card: self.card()?,
            balances: self.balances()?,
            recent: self.history(20)?,
        })
    }

    /// Registers this device's key and stores a fresh app credential.
    pub fn fetch_credential(&self) -> Result<CredentialInfo, ClientError> {
        let body = CredentialRequest {
            device_public_key: self.signer.public_key().to_base64(),
        };
        let c: CredentialResponse =
            self.api
                .call(Method::Post, "/api/youth/credentials", Some(&body), None)?;
        // Check it before keeping it: it must be bound to this device's key.
        let cred = AppCredential::from_base64(&c.credential)?;
        if cred.claims().device_key != self.signer.public_key() {
            return Err(ClientError::Protocol(
                "credential bound to another key".into(),
            ));
        }
        self.api.store.write(|tx| {
            tx.execute(
                "INSERT INTO app_credential (id, credential, credential_id, card_id, issued_at, expires_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET credential = ?1, credential_id = ?2, card_id = ?3,
                   issued_at = ?4, expires_at = ?5",
                params![
                    c.credential,
                    c.credential_id,
                    c.card_id,
                    time_text(c.issued_at),
                    time_text(c.expires_at)
                ],
            )
        })?;
        self.credential()?.ok_or(ClientError::Missing("credential"))
    }

    /// The stored app credential.
    pub fn credential(&self) -> Result<Option<CredentialInfo>, ClientError> {
        self.api.store.read(|c| -> Result<_, ClientError> {
            let row = c
                .query_row(
                    "SELECT credential_id, issued_at, expires_at, qr_counter FROM app_credential WHERE id = 1",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, u32>(3)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(credential_id, i, e, qr_counter)| {
                Ok(CredentialInfo {
                    credential_id,
                    issued_at: parse_time(&i)?,
                    expires_at: parse_time(&e)?,
                    qr_counter,
                })
            })
            .transpose()
        })
    }

    /// The `PD1:` text to show now (device time `now`, corrected by the
    /// server offset); each call uses a new, persisted counter. Works offline.
    pub fn current_qr(&self, now: DateTime<Utc>) -> Result<String, ClientError> {
        let offset = Duration::milliseconds(self.api.store.clock_offset_ms()?);
        let (text, counter) = self.api.store.write(|tx| -> Result<_, ClientError> {
            let row: Option<(String, u32)> = tx
                .query_row(
                    "SELECT credential, qr_counter FROM app_credential WHERE id = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (text, counter) = row.ok_or(ClientError::Missing("credential"))?;
            let next = counter
                .checked_add(1)
                .ok_or(ClientError::Missing("credential counter"))?;
            tx.execute(
                "UPDATE app_credential SET qr_counter = ?1 WHERE id = 1",
                [next],
            )?;
            Ok((text, next))
        })?;
        let cred = AppCredential::from_base64(&text)?;
        Ok(cred.dynamic_qr(self.signer.as_ref(), now + offset, counter)?)
    }

    /// Fetches the published bons plans into the store.
    pub fn refresh_bons_plans(&self) -> Result<usize, ClientError> {
        let plans: Vec<BonPlan> = self.api.get("/api/bons-plans")?;
        self.api.store.write(|tx| -> Result<(), ClientError> {
            tx.execute("DELETE FROM bons_plans", [])?;
            for p in &plans {
                tx.execute(
                    "INSERT INTO bons_plans (id, partner_name, category, city, title, description, valid_until)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        p.id,
                        p.partner_name,
                        p.category.code(),
                        p.city,
                        p.title,
                        p.description,
                        p.valid_until.map(|d| d.to_string())
                    ],
                )?;
            }
            Ok(())
        })?;
        Ok(plans.len())
    }

    /// The cached bons plans (optionally of one category).
    pub fn bons_plans(
        &self,
        category: Option<PartnerCategory>,
    ) -> Result<Vec<BonPlanItem>, ClientError> {
        self.api.store.read(|c| -> Result<_, ClientError> {
            let mut st = c.prepare_cached(
                "SELECT id, partner_name, category, city, title, description, valid_until
                 FROM bons_plans WHERE (?1 IS NULL OR category = ?1) ORDER BY title",
            )?;
            let rows = st.query_map([category.map(|c| c.code())], |r| {
                Ok(serde_json::json!({
                    "id": r.get::<_, String>(0)?,
                    "partner_name": r.get::<_, String>(1)?,
                    "category": r.get::<_, String>(2)?,
                    "city": r.get::<_, String>(3)?,
                    "title": r.get::<_, String>(4)?,
                    "description": r.get::<_, String>(5)?,
                    "valid_until": r.get::<_, Option<String>>(6)?,
                }))
            })?;
            let mut out = Vec::new();
            for row in rows {
                if let Ok(p) = serde_json::from_value(row?) {
                    out.push(p);
                }
            }
            Ok(out)
        })
    }

    /// Pulls the directory and revocations.
    pub fn pull(&self) -> Result<PullSummary, ClientError> {
        pull::pull_all(&self.api)
    }

    /// Searches the cached partner directory (offline).
    pub fn search_partners(&self, q: &PartnerQuery) -> Result<Vec<PartnerHit>, ClientError> {
        pull::search(&self.api, q)
    }

    /// One sync round: card, balances, history, credential renewal,
    /// directory, bons plans. Offline: the cache stays as it was.
    pub fn sync(&self) -> Result<(), ClientError> {
        self.state.set(SyncState::Syncing);
        let r = (|| {
            self.refresh()?;
            let renew = match self.credential()? {
                None => true,
                Some(c) => c.expires_at - self.api.server_now()? < CREDENTIAL_RENEW_BEFORE,
            };
            if renew {
                self.fetch_credential()?;
            }
            self.pull()?;
            self.refresh_bons_plans()?;
            Ok(())
        })();
        self.state.set(match &r {
            Ok(()) => SyncState::Idle,
            Err(ClientError::Offline) => SyncState::Offline,
            Err(e) => SyncState::Error {
                reason: e.to_string(),
            },
        });
        r
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
