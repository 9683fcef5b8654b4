//! The trust list (fetched, verified against the pinned root at each use),
//! the local replay state, and the scan: verification only, the code is not
//! consumed.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Transaction, params};
use uuid::Uuid;

use super::{Connection, PartnerClient};
use crate::client::error::ClientError;
use crate::client::pull;
use crate::client::store::time_text;
use crate::client::transport::Method;
use crate::credential::{
    DenyList, PublicKey, ReplayState, SignedTrustList, TrustList, Verified, verify,
};

/// What a scan shows before the debit (does not consume the code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanResult {
    /// What the verifier read.
    pub verified: Verified,
}

/// Replay state read from the store inside a transaction; records are kept
/// and written by the caller in the same transaction (fails closed: a read
/// error counts as "already seen").
pub(super) struct TxReplay<'a> {
    pub(super) tx: &'a Connection,
    pub(super) recorded: Vec<(Uuid, u32, DateTime<Utc>)>,
    pub(super) keep: bool,
}

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

pub(super) fn save_replay(
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
pub(super) fn load_trust(c: &Connection) -> Result<(TrustList, DenyList), ClientError> {
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
    let mut st = c.prepare_cached("SELECT card_id, version FROM card_versions")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
    for row in rows {
        let (id, version) = row?;
        if let Ok(id) = Uuid::parse_str(&id) {
            deny.card_versions.insert(id, version);
        }
    }
    Ok((list, deny))
}

impl PartnerClient {
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
}
