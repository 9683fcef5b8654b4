//! Storage of the Region's views: checks of the ledger, and the desk (its
//! SQL in `desk_repo.rs`, its rules in `anomalies.rs` and `lookup.rs`).

use crate::platform::db::Cached;

use passregion_core::ledger::Totals;

use crate::error::ServiceError;
use crate::platform::store::SqliteStore;
use crate::region::lookup::LookupKey;
use crate::region::model::{
    Anomaly, AnomalyKind, FeedPage, LedgerCheck, LookupAuditPage, LookupResult,
};
use crate::web::limits::SpentKey;
use chrono::{DateTime, Utc};

/// Storage reads of the Region.
pub trait RegionRepo: Send + Sync + 'static {
    /// Checks the ledger.
    fn check_ledger(&self) -> Result<LedgerCheck, ServiceError>;
    /// The desk's anomalies (`locks`: the account budgets spent now).
    fn anomalies(
        &self,
        locks: Vec<SpentKey>,
        kind: Option<AnomalyKind>,
        handled: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Anomaly>, ServiceError>;
    /// Marks an anomaly handled by `account_id`, once, with a note.
    fn mark_anomaly_handled(
        &self,
        locks: Vec<SpentKey>,
        id: String,
        account_id: String,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<Anomaly, ServiceError>;
    /// A support look-up by `account_id`, audited before it is answered.
    fn lookup(
        &self,
        account_id: String,
        key: LookupKey,
        now: DateTime<Utc>,
    ) -> Result<LookupResult, ServiceError>;
    /// The look-up audit, newest first.
    fn lookup_audit(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<LookupAuditPage, ServiceError>;
    /// The live feed: older than `before`, or newer than `after`.
    fn feed(
        &self,
        before: Option<i64>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<FeedPage, ServiceError>;
}

impl RegionRepo for SqliteStore {
    fn anomalies(
        &self,
        locks: Vec<SpentKey>,
        kind: Option<AnomalyKind>,
        handled: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Anomaly>, ServiceError> {
        self.db
            .read(move |c| crate::region::anomalies::list(c, &locks, kind, handled, now))
    }

    fn mark_anomaly_handled(
        &self,
        locks: Vec<SpentKey>,
        id: String,
        account_id: String,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<Anomaly, ServiceError> {
        use crate::region::anomalies::{find, mark_handled};
        let (l, i) = (locks.clone(), id.clone());
        let anomaly = self.db.read(move |c| find(c, &l, &i, now))?;
        self.db
            .write(move |c| mark_handled(c, &anomaly, &account_id, &note, now))?;
        self.db.read(move |c| find(c, &locks, &id, now))
    }

    fn lookup(
        &self,
        account_id: String,
        key: LookupKey,
        now: DateTime<Utc>,
    ) -> Result<LookupResult, ServiceError> {
        let cats = self.catalogues.clone();
        let k = key.clone();
        let (result, hash) = self
            .db
            .read(move |c| crate::region::lookup::find(c, &cats, &k))?;
        // Audited before it is given: a look-up whose audit fails shows nothing.
        let shown = result.clone();
        self.db.write(move |c| {
            crate::region::lookup::audit(c, &account_id, &key, &hash, &shown, now)
        })?;
        Ok(result)
    }

    fn lookup_audit(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<LookupAuditPage, ServiceError> {
        self.db
            .read(move |c| crate::region::pages::audit_page(c, before, limit))
    }

    fn feed(
        &self,
        before: Option<i64>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<FeedPage, ServiceError> {
        let cats = self.catalogues.clone();
        self.db
            .read(move |c| crate::region::pages::feed_page(c, &cats, before, after, limit))
    }

    fn check_ledger(&self) -> Result<LedgerCheck, ServiceError> {
        self.db.read(|c| {
            // The sums of the movements must equal the running totals of the
            // last row, and obey the invariants.
            let mut stmt = c.prepare(
                "SELECT l.card_id, l.season, l.avantage,
                   SUM(CASE WHEN l.movement IN ('load', 'opening') THEN l.units ELSE 0 END),
                   SUM(CASE l.movement WHEN 'debit' THEN l.units ELSE 0 END),
                   SUM(CASE l.movement WHEN 'refund' THEN l.units ELSE 0 END),
                   (SELECT loaded_total || ',' || debited_total || ',' || refunded_total FROM ledger x
                    WHERE x.card_id = l.card_id AND x.season = l.season AND x.avantage = l.avantage
                    ORDER BY x.id DESC LIMIT 1)
                 FROM ledger l GROUP BY l.card_id, l.season, l.avantage",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    Totals {
                        loaded: r.get(3)?,
                        debited: r.get(4)?,
                        refunded: r.get(5)?,
                    },
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut lines = 0;
            let mut inconsistencies = Vec::new();
            for row in rows {
                let (card, season, avantage, t, last) = row?;
                lines += 1;
                if let Err(e) = t.check() {
                    inconsistencies.push(format!("{card}/{season}/{avantage}: {e}"));
                }
                let running = format!("{},{},{}", t.loaded, t.debited, t.refunded);
                if running != last {
                    inconsistencies.push(format!(
                        "{card}/{season}/{avantage}: running totals {last} differ from the movements {running}"
                    ));
                }
            }
            // Every transaction has exactly one ledger row with the same units, and
            // every ledger row but a load or an opening balance belongs to a transaction of the same kind.
            let orphans: i64 = c.one(
                "SELECT
                   (SELECT COUNT(*) FROM transactions t WHERE t.units > 0 AND NOT EXISTS (
                      SELECT 1 FROM ledger l WHERE l.transaction_id = t.id AND l.units = t.units
                      AND l.movement = t.kind AND l.card_id = t.card_id))
                 + (SELECT COUNT(*) FROM ledger l WHERE l.movement NOT IN ('load', 'opening') AND NOT EXISTS (
                      SELECT 1 FROM transactions t WHERE t.id = l.transaction_id))",
                [],
                |r| r.get(0),
            )?;
            // The reimbursement batches reconcile with the transactions.
            let (batches_checked, batch_problems) = crate::reimbursements::repo::reconcile(c)?;
            inconsistencies.extend(batch_problems);
            Ok(LedgerCheck {
                lines_checked: lines,
                inconsistencies,
                orphans,
                batches_checked,
                payouts: crate::reimbursements::payout_check::payout_totals(c)?,
            })
        })
    }
}
