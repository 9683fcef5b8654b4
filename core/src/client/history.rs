//! The cached transaction history (the `history` table), shared by the youth
//! and partner clients: the server's transaction JSON, its insertion (a
//! refund marks its debit as refunded) and the newest-first read.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::api::Api;
use super::error::ClientError;

/// A line of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryItem {
    /// Transaction id.
    pub id: String,
    /// `debit` or `refund`.
    pub kind: String,
    /// Partner name.
    pub partner_name: String,
    /// Avantage code.
    pub avantage: String,
    /// Taken from (or given back to) the card.
    pub debited: String,
    /// Paid by the youth at the counter.
    pub reste_a_payer: String,
    /// Refunded since.
    pub refunded: bool,
    /// `web`, `qr` or `offline`.
    pub channel: String,
    /// When.
    pub created_at: String,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct TransactionJson {
    pub id: String,
    pub seq: i64,
    pub kind: String,
    #[serde(default)]
    pub partner_name: String,
    pub avantage: String,
    pub debited: String,
    pub reste_a_payer: String,
    #[serde(default)]
    pub refunded: bool,
    /// For a refund: the debit it cancels.
    #[serde(default)]
    pub refund_of: Option<String>,
    #[serde(default)]
    pub channel: String,
    pub created_at: String,
}

pub(crate) fn insert_history(
    tx: &rusqlite::Transaction<'_>,
    t: &TransactionJson,
) -> Result<(), ClientError> {
    let body = serde_json::to_string(t).map_err(|e| ClientError::Protocol(e.to_string()))?;
    tx.execute(
        "INSERT INTO history (id, seq, kind, partner_name, avantage, debited, reste_a_payer,
           refunded, channel, created_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET refunded = ?8, body = ?11",
        params![
            t.id,
            t.seq,
            t.kind,
            t.partner_name,
            t.avantage,
            t.debited,
            t.reste_a_payer,
            t.refunded,
            t.channel,
            t.created_at,
            body
        ],
    )?;
    // A refund pulled after its debit marks the cached debit as refunded.
    if let Some(original) = &t.refund_of {
        tx.execute(
            "UPDATE history SET refunded = 1 WHERE id = ?1",
            params![original],
        )?;
    }
    Ok(())
}

pub(crate) fn read_history(api: &Api, limit: usize) -> Result<Vec<HistoryItem>, ClientError> {
    api.store.read(|c| -> Result<_, ClientError> {
        let mut st = c.prepare_cached(
            "SELECT id, kind, partner_name, avantage, debited, reste_a_payer, refunded, channel, created_at
             FROM history ORDER BY created_at DESC, seq DESC LIMIT ?1",
        )?;
        let rows = st.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(HistoryItem {
                id: r.get(0)?,
                kind: r.get(1)?,
                partner_name: r.get(2)?,
                avantage: r.get(3)?,
                debited: r.get(4)?,
                reste_a_payer: r.get(5)?,
                refunded: r.get(6)?,
                channel: r.get(7)?,
                created_at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}
