//! The SQL of the Region's cursor-paged reads: the look-up audit and the
//! live transaction feed, newest first.

use rusqlite::Connection;

use crate::debits::model::Transaction;
use crate::debits::transactions::{transactions_where, with_labels};
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Cached;
use crate::platform::sql::parse_ts;
use crate::region::desk_repo::collect;
use crate::region::model::{FeedPage, LookupAuditPage};

/// A page of the audit, newest first, older than `before`.
pub(crate) fn audit_page(
    conn: &Connection,
    before: Option<i64>,
    limit: u32,
) -> Result<LookupAuditPage, ServiceError> {
    let before = before.unwrap_or(i64::MAX);
    let rows = collect(
        conn,
        "SELECT l.id, l.at, l.account_id, a.display_name, l.query_kind, l.query_hash, l.results, l.card_ids
         FROM lookup_audit l JOIN accounts a ON a.id = l.account_id
         WHERE l.id < ?1 ORDER BY l.id DESC LIMIT ?2",
        &[&before, &limit],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, String>(7)?,
            ))
        },
    )?;
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
        Some(last)
            if older_exists(
                conn,
                "SELECT EXISTS (SELECT 1 FROM lookup_audit WHERE id < ?1)",
                last.id,
            )? =>
        {
            Some(last.id)
        }
        _ => None,
    };
    Ok(LookupAuditPage {
        items,
        older_cursor,
    })
}

fn older_exists(conn: &Connection, sql: &str, cursor: i64) -> Result<bool, ServiceError> {
    Ok(conn.one(sql, [cursor], |r| r.get(0))?)
}

/// A page of the live feed: older than `before` (newest first), or the
/// oldest `limit` newer than `after` (given newest first too).
pub(crate) fn feed_page(
    conn: &Connection,
    cats: &Catalogues,
    before: Option<i64>,
    after: Option<i64>,
    limit: u32,
) -> Result<FeedPage, ServiceError> {
    let exists_older = "SELECT EXISTS (SELECT 1 FROM transactions WHERE seq < ?1)";
    let exists_newer = "SELECT EXISTS (SELECT 1 FROM transactions WHERE seq > ?1)";
    match after {
        Some(after) => {
            let mut items: Vec<Transaction> = transactions_where(
                conn,
                "t.seq > ?1 ORDER BY t.seq ASC LIMIT ?2",
                &[&after, &limit],
            )?;
            items.reverse();
            let newest = items.first().map_or(after, |t| t.seq);
            Ok(FeedPage {
                items: with_labels(cats, items),
                older_cursor: None,
                newest_cursor: newest,
                more_newer: older_exists(conn, exists_newer, newest)?,
            })
        }
        None => {
            let before = before.unwrap_or(i64::MAX);
            let items = transactions_where(
                conn,
                "t.seq < ?1 ORDER BY t.seq DESC LIMIT ?2",
                &[&before, &limit],
            )?;
            let newest = items.first().map_or(0, |t| t.seq);
            let older_cursor = match items.last() {
                Some(last) if older_exists(conn, exists_older, last.seq)? => Some(last.seq),
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
