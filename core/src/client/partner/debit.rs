//! Debits: online (the server decides) and offline (the shared offline rule
//! decides; the record is signed, hash-chained and written with its outbox
//! row, the counters and the replay state in one transaction).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{OptionalExtension as _, params};
use uuid::Uuid;

use super::PartnerClient;
use super::device::device_row;
use super::trust::{TxReplay, load_trust, save_replay};
use crate::api::debits::{DebitReceipt as OnlineReceipt, DebitRequest};
use crate::client::error::ClientError;
use crate::client::store::now_text;
use crate::client::transport::Method;
use crate::clock::Clock;
use crate::credential::{Verified, verify};
use crate::money::Money;
use crate::sync::{OfflineDebit, OfflineSpent, decide_offline_debit};

/// Where a debit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DebitStatus {
    /// The server applied it.
    Confirmed,
    /// Recorded offline; it will be pushed at the next sync.
    PendingSync,
}

/// What the partner shows after a debit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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

/// An avantage this partner may debit offline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OfflineAvantage {
    /// Code.
    pub code: String,
    /// French label.
    pub label: String,
}

impl PartnerClient {
    /// The credit avantages the enrolled device's category may debit offline
    /// this season (the server-corrected clock), from the catalogue built
    /// into the core: no network needed.
    pub fn offline_avantages(&self) -> Result<Vec<OfflineAvantage>, ClientError> {
        use crate::catalogue::Catalogue;
        use crate::debit::AvantageKind;
        use crate::season::Season;
        let device = self
            .device()?
            .ok_or(ClientError::Missing("device enrolment"))?;
        let season = Season::of_instant(self.api.server_now()?);
        let catalogues = Catalogue::builtin().map_err(|(name, _)| ClientError::Protocol(name))?;
        Ok(catalogues
            .iter()
            .find(|c| c.season == season)
            .map(|c| {
                c.avantages
                    .iter()
                    .filter(|a| a.kind == AvantageKind::Credit && a.allows(device.category))
                    .map(|a| OfflineAvantage {
                        code: a.code.clone(),
                        label: a.label.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default())
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
        let body = DebitRequest {
            card_number: None,
            birth_date: None,
            qr: Some(qr.to_owned()),
            avantage: avantage.to_owned(),
            price: Some(price),
            entries: None,
            scanned_at: None,
        };
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
                let t = r.transaction;
                Ok(DebitReceipt {
                    debited: Money::parse(&t.debited)
                        .map_err(|_| ClientError::Protocol("debited".into()))?,
                    reste_a_payer: Money::parse(&t.reste_a_payer)
                        .map_err(|_| ClientError::Protocol("reste_a_payer".into()))?,
                    id: t.id,
                    balance: Some(r.balance),
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
}
