//! The Region's cursor-paged reads: the look-up audit and the live
//! transaction feed, newest first. The paging is decided once here, over
//! [`PagesTx`] (SQL for SQLite below, for PostgreSQL in `desk_pg.rs`).

use rusqlite::Connection;

use crate::debits::model::Transaction;
use crate::debits::transactions::{transactions_where, with_labels};
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Cached;
use crate::platform::sql::parse_ts;
use crate::region::desk_repo::collect;
use crate::region::model::{FeedPage, LookupAuditPage};

/// An audit row: id, instant, account, its name, kind, hash, results, the
/// cards' ids (JSON).
pub(crate) type AuditRow = (i64, String, String, String, String, String, i64, String);

/// The audit's page, on both engines (`?1` before, `?2` limit).
pub(crate) const AUDIT_SQL: &str = "SELECT l.id, l.at, l.account_id, a.display_name, l.query_kind,
        l.query_hash, l.results, l.card_ids
 FROM lookup_audit l JOIN accounts a ON a.id = l.account_id
 WHERE l.id < ?1 ORDER BY l.id DESC LIMIT ?2";

/// What the pages read (SQL only).
pub(crate) trait PagesTx {
    /// Audit entries older than `before`, newest first, at most `limit`.
    fn audit_rows(&self, before: i64, limit: u32) -> Result<Vec<AuditRow>, ServiceError>;
    /// An audit entry older than `id` exists.
    fn audit_older(&self, id: i64) -> Result<bool, ServiceError>;
    /// The oldest `limit` transactions newer than `after`, oldest first.
    fn feed_newer(&self, after: i64, limit: u32) -> Result<Vec<Transaction>, ServiceError>;
    /// The newest `limit` transactions older than `before`, newest first.
    fn feed_older(&self, before: i64, limit: u32) -> Result<Vec<Transaction>, ServiceError>;
    /// A transaction older (`older`) or newer than `seq` exists.
    fn transaction_beyond(&self, older: bool, seq: i64) -> Result<bool, ServiceError>;
}

/// A page of the audit, newest first, older than `before`.
pub(crate) fn audit_page(
    tx: &dyn PagesTx,
    before: Option<i64>,
    limit: u32,
) -> Result<LookupAuditPage, ServiceError> {
    let rows = tx.audit_rows(before.unwrap_or(i64::MAX), limit)?;
    let mut items = Vec::with_capacity(rows.len());
    for (id, at, account_id, name, kind, hash, results, ids) in rows {
        items.push(crate::region::lookup::audit_entry(
            id,
            parse_ts(&at)?,
            account_id,
            name,
            kind,
            hash,
            results,
            &ids,
        ));
    }
    let older_cursor = match items.last() {
        Some(last) if tx.audit_older(last.id)? => Some(last.id),
        _ => None,
    };
    Ok(LookupAuditPage {
        items,
        older_cursor,
    })
}

/// A page of the live feed: older than `before` (newest first), or the
/// oldest `limit` newer than `after` (given newest first too).
pub(crate) fn feed_page(
    tx: &dyn PagesTx,
    cats: &Catalogues,
    before: Option<i64>,
    after: Option<i64>,
    limit: u32,
) -> Result<FeedPage, ServiceError> {
    match after {
        Some(after) => {
            let mut items = tx.feed_newer(after, limit)?;
            items.reverse();
            let newest = items.first().map_or(after, |t| t.seq);
            Ok(FeedPage {
                items: with_labels(cats, items),
                older_cursor: None,
                newest_cursor: newest,
                more_newer: tx.transaction_beyond(false, newest)?,
            })
        }
        None => {
            let items = tx.feed_older(before.unwrap_or(i64::MAX), limit)?;
            let newest = items.first().map_or(0, |t| t.seq);
            let older_cursor = match items.last() {
                Some(last) if tx.transaction_beyond(true, last.seq)? => Some(last.seq),
                _ => None,
            };
            Ok(FeedPage {
                items: with_labels(cats, items),
                older_cursor,
                newest_cursor: newest,
                more_newer: false,
            })
        }
    }
}

impl PagesTx for Connection {
    fn audit_rows(&self, before: i64, limit: u32) -> Result<Vec<AuditRow>, ServiceError> {
        collect(self, AUDIT_SQL, &[&before, &limit], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
    }

    fn audit_older(&self, id: i64) -> Result<bool, ServiceError> {
        let sql = "SELECT EXISTS (SELECT 1 FROM lookup_audit WHERE id < ?1)";
        Ok(self.one(sql, [id], |r| r.get(0))?)
    }

    fn feed_newer(&self, after: i64, limit: u32) -> Result<Vec<Transaction>, ServiceError> {
        transactions_where(
            self,
            "t.seq > ?1 ORDER BY t.seq ASC LIMIT ?2",
            &[&after, &limit],
        )
    }

    fn feed_older(&self, before: i64, limit: u32) -> Result<Vec<Transaction>, ServiceError> {
        transactions_where(
            self,
            "t.seq < ?1 ORDER BY t.seq DESC LIMIT ?2",
            &[&before, &limit],
        )
    }

    fn transaction_beyond(&self, older: bool, seq: i64) -> Result<bool, ServiceError> {
        let sql = if older {
            "SELECT EXISTS (SELECT 1 FROM transactions WHERE seq < ?1)"
        } else {
            "SELECT EXISTS (SELECT 1 FROM transactions WHERE seq > ?1)"
        };
        Ok(self.one(sql, [seq], |r| r.get(0))?)
    }
}
