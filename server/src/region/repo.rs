//! Storage of the Region's views: checks of the ledger, and the desk (its
//! SQL in `desk_repo.rs`, its rules in `anomalies.rs` and `lookup.rs`).

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
        self.db.read(|c| crate::region::ledger_check::check(c))
    }
}
