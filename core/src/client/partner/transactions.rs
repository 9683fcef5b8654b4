//! The partner's transactions (cursor-paged into the store), reimbursements
//! and refunds.

use rusqlite::{OptionalExtension as _, params};
use uuid::Uuid;

use super::PartnerClient;
use crate::api::debits::{RefundRequest, Transaction, TransactionPage};
use crate::client::api;
use crate::client::error::ClientError;
use crate::client::history::{HistoryItem, insert_history, read_history};
use crate::client::store::now_text;
use crate::client::transport::Method;
use crate::money::Money;

/// A reimbursement batch: the server's [`Batch`](crate::api::reimbursements::Batch).
pub type BatchInfo = crate::api::reimbursements::Batch;

/// The partner's reimbursements: the server's
/// [`ReimbursementSummary`](crate::api::reimbursements::ReimbursementSummary),
/// cached as it came.
pub type Reimbursements = crate::api::reimbursements::ReimbursementSummary;

impl PartnerClient {
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

    /// The stored transactions in the server's shape, oldest first (the app
    /// shows them without network).
    pub fn stored_transactions(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::api::debits::Transaction>, ClientError> {
        crate::client::history::read_history_full(&self.api, limit)
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
        let parsed: Reimbursements = api::parse(&resp)?;
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
        let body = RefundRequest {
            amount,
            entries: None,
        };
        let t: Transaction = self.api.call(
            Method::Post,
            &format!("/api/partner/transactions/{transaction_id}/refund"),
            Some(&body),
            Some(&idempotency_key.to_string()),
        )?;
        self.api.store.write(|tx| insert_history(tx, &t))?;
        read_history(&self.api, usize::MAX).map(|h| {
            h.into_iter()
                .find(|i| i.id == t.id)
                .unwrap_or_else(|| HistoryItem::from(&t))
        })
    }
}
