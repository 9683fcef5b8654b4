//! The cached transaction history (the `history` table), shared by the youth
//! and partner clients: the server's transactions, their insertion (a
//! refund marks its debit as refunded) and the newest-first read.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::api::Api;
use super::error::ClientError;
use crate::api::debits::Transaction;

/// A line of the history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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

pub(crate) fn insert_history(
    tx: &rusqlite::Transaction<'_>,
    t: &Transaction,
) -> Result<(), ClientError> {
    let body = serde_json::to_string(t).map_err(|e| ClientError::Protocol(e.to_string()))?;
    let created_at = wire_time(&t.created_at)?;
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
            created_at,
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

/// An instant as the server writes it (what the `created_at` column always
/// held: its text orders the history).
fn wire_time(t: &DateTime<Utc>) -> Result<String, ClientError> {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(ClientError::Protocol("created_at".into())),
    }
}

impl From<&Transaction> for HistoryItem {
    fn from(t: &Transaction) -> HistoryItem {
        HistoryItem {
            id: t.id.clone(),
            kind: t.kind.clone(),
            partner_name: t.partner_name.clone(),
            avantage: t.avantage.clone(),
            debited: t.debited.clone(),
            reste_a_payer: t.reste_a_payer.clone(),
            refunded: t.refunded,
            channel: t.channel.clone(),
            created_at: wire_time(&t.created_at).unwrap_or_default(),
        }
    }
}

/// The stored transactions as the server sent them (the same shape as
/// `GET /api/.../transactions`), oldest first, the last `limit`.
pub(crate) fn read_history_full(api: &Api, limit: usize) -> Result<Vec<Transaction>, ClientError> {
    let bodies: Vec<String> = api.store.read(|c| -> Result<_, ClientError> {
        let mut st = c.prepare_cached(
            "SELECT body FROM history ORDER BY created_at DESC, seq DESC LIMIT ?1",
        )?;
        let rows = st.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })?;
    bodies
        .iter()
        .rev()
        .map(|b| serde_json::from_str(b).map_err(|_| ClientError::Storage("history body".into())))
        .collect()
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
