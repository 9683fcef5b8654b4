//! The Region's views on PostgreSQL (ADR 0036): `RegionRepo` for `PgStore`,
//! and the SQL of the look-up, its audit, the pages and the ledger check in
//! PostgreSQL's dialect (the rules stay in `lookup.rs`, `pages.rs`,
//! `ledger_check.rs` and `anomalies.rs`; the desk's facts are in
//! `desk_pg.rs`). A look-up reads in one snapshot, then its audit commits
//! before the answer is given: a look-up whose audit fails shows nothing. Marking an anomaly handled reads it, appends the handling and
//! reads it again in one transaction (kept once by the unique `anomaly_id`).

use chrono::{DateTime, Utc};
use passregion_core::ledger::Totals;

use crate::cards::model::Balance;
use crate::debits::card::{CARD_COLS, CardRow};
use crate::debits::model::Transaction;
use crate::debits::repo_pg::{card_from, tx_from};
use crate::debits::transactions::TX_SELECT;
use crate::error::ServiceError;
use crate::partners::repo_pg::pg_sql;
use crate::platform::catalogues::Catalogues;
use crate::platform::pg::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;
use crate::region::desk_pg::rows;
use crate::region::desk_repo::{HOLDER_SQL, LEDGER_ROWS_SQL, like_pattern};
use crate::region::ledger_check::{LEDGER_SUMS_SQL, LedgerCheckTx, LedgerSumRow, ORPHANS_SQL};
use crate::region::lookup::{AuditTx, LedgerRow, LookupKey, LookupTx, SupportHolder};
use crate::region::model::{
    Anomaly, AnomalyKind, FeedPage, LedgerCheck, LookupAuditPage, LookupResult,
};
use crate::region::pages::{AUDIT_SQL, AuditRow, PagesTx};
use crate::region::repo::RegionRepo;
use crate::reimbursements::payout_check::{
    PAYOUT_SQL, RUN_CHECK_SQL, RunCheckRow, TRANSFER_CHECK_SQL, TransferCheckRow,
};
use crate::reimbursements::repo::{
    BATCH_CHECK_SQL, BatchCheckRow, PARTNER_CHECK_SQL, PartnerCheckRow,
};
use crate::web::limits::SpentKey;

impl RegionRepo for PgStore {
    fn check_ledger(&self) -> Result<LedgerCheck, ServiceError> {
        self.pool
            .read(|tx| crate::region::ledger_check::check(&PgTx::new(tx)))
    }

    fn anomalies(
        &self,
        locks: Vec<SpentKey>,
        kind: Option<AnomalyKind>,
        handled: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Anomaly>, ServiceError> {
        self.pool
            .read(|tx| crate::region::anomalies::list(&PgTx::new(tx), &locks, kind, handled, now))
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
        self.pool.write(|tx| {
            let tx = PgTx::new(tx);
            let anomaly = find(&tx, &locks, &id, now)?;
            mark_handled(&tx, &anomaly, &account_id, &note, now)?;
            find(&tx, &locks, &id, now)
        })
    }

    fn lookup(
        &self,
        account_id: String,
        key: LookupKey,
        now: DateTime<Utc>,
    ) -> Result<LookupResult, ServiceError> {
        use crate::region::lookup::{audit, find};
        // Read in one snapshot (as SQLite's reader), then audited and
        // committed before the answer is given.
        let (result, hash) = self
            .pool
            .read(|tx| find(&PgTx::new(tx), &self.catalogues, &key))?;
        self.pool
            .write(|tx| audit(&PgTx::new(tx), &account_id, &key, &hash, &result, now))?;
        Ok(result)
    }

    fn lookup_audit(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<LookupAuditPage, ServiceError> {
        self.pool
            .read(|tx| crate::region::pages::audit_page(&PgTx::new(tx), before, limit))
    }

    fn feed(
        &self,
        before: Option<i64>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<FeedPage, ServiceError> {
        self.pool.read(|tx| {
            crate::region::pages::feed_page(&PgTx::new(tx), &self.catalogues, before, after, limit)
        })
    }
}

fn exists(tx: &PgTx<'_, '_>, sql: &str, arg: i64) -> Result<bool, ServiceError> {
    Ok(rows(tx, sql, &[&arg], |r| Ok(r.try_get::<_, bool>(0)?))?
        .pop()
        .unwrap_or(false))
}

impl LookupTx for PgTx<'_, '_> {
    fn audit_key(&self) -> Result<String, ServiceError> {
        rows(
            self,
            "SELECT key FROM lookup_audit_key WHERE id = 1",
            &[],
            |r| Ok(r.try_get(0)?),
        )?
        .pop()
        .ok_or_else(|| ServiceError::Internal("no audit key".into()))
    }

    fn matching_cards(&self, key: &LookupKey, limit: usize) -> Result<Vec<String>, ServiceError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let id = |r: &r2d2_postgres::postgres::Row| Ok(r.try_get::<_, String>(0)?);
        match key {
            LookupKey::Number(n) => rows(self, "SELECT id FROM cards WHERE number = $1", &[n], id),
            LookupKey::CardId(c) => rows(self, "SELECT id FROM cards WHERE id = $1", &[c], id),
            // `email` is citext: any case, as SQLite's NOCASE.
            LookupKey::Email(e) => rows(
                self,
                "SELECT c.id FROM cards c JOIN accounts a ON a.id = c.account_id
                 WHERE a.email = $1 ORDER BY c.id LIMIT $2",
                &[e, &limit],
                id,
            ),
            // ILIKE in the C locale ignores ASCII case only, as SQLite's LIKE.
            LookupKey::Name(n) => rows(
                self,
                "SELECT id FROM cards
                 WHERE (first_name || ' ' || last_name) ILIKE $1 ESCAPE '\\'
                    OR (last_name || ' ' || first_name) ILIKE $1 ESCAPE '\\'
                 ORDER BY last_name, first_name, id LIMIT $2",
                &[&like_pattern(n), &limit],
                id,
            ),
        }
    }

    fn card(&self, card_id: &str) -> Result<Option<CardRow>, ServiceError> {
        let sql = format!("SELECT {CARD_COLS} FROM cards WHERE id = $1");
        Ok(rows(self, &sql, &[&card_id], card_from)?.pop())
    }

    fn holder(&self, card_id: &str) -> Result<SupportHolder, ServiceError> {
        rows(self, &pg_sql(HOLDER_SQL), &[&card_id], |r| {
            Ok(SupportHolder {
                email: r.try_get(0)?,
                account_id: r.try_get(1)?,
                establishment_name: r.try_get(2)?,
                flagged: r.try_get(3)?,
            })
        })?
        .pop()
        .ok_or(ServiceError::NotFound("Carte"))
    }

    fn balances(&self, cats: &Catalogues, card: &CardRow) -> Result<Vec<Balance>, ServiceError> {
        self.with(|tx| crate::debits::ledger_pg::balances(tx, cats, card, None))
    }

    fn ledger_rows(&self, card_id: &str, limit: i64) -> Result<Vec<LedgerRow>, ServiceError> {
        rows(self, &pg_sql(LEDGER_ROWS_SQL), &[&card_id, &limit], |r| {
            let season: i64 = r.try_get(2)?;
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                i32::try_from(season).map_err(|_| ServiceError::Internal("bad season".into()))?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get(10)?,
            ))
        })
    }
}

impl AuditTx for PgTx<'_, '_> {
    fn append_audit(
        &self,
        account_id: &str,
        at: DateTime<Utc>,
        kind: &str,
        query_hash: &str,
        card_ids: &[String],
    ) -> Result<(), ServiceError> {
        let ids =
            serde_json::to_string(card_ids).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let n = card_ids.len() as i64;
        self.with(|t| {
            t.execute(
                "INSERT INTO lookup_audit (account_id, at, query_kind, query_hash, results, card_ids)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&account_id, &ts(at), &kind, &query_hash, &n, &ids],
            )?;
            Ok(())
        })
    }
}

fn feed(
    tx: &PgTx<'_, '_>,
    clause: &str,
    seq: i64,
    limit: u32,
) -> Result<Vec<Transaction>, ServiceError> {
    let sql = format!("{TX_SELECT} WHERE {clause}");
    rows(tx, &sql, &[&seq, &i64::from(limit)], tx_from)
}

impl PagesTx for PgTx<'_, '_> {
    fn audit_rows(&self, before: i64, limit: u32) -> Result<Vec<AuditRow>, ServiceError> {
        rows(
            self,
            &pg_sql(AUDIT_SQL),
            &[&before, &i64::from(limit)],
            |r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                    r.try_get(6)?,
                    r.try_get(7)?,
                ))
            },
        )
    }

    fn audit_older(&self, id: i64) -> Result<bool, ServiceError> {
        exists(
            self,
            "SELECT EXISTS (SELECT 1 FROM lookup_audit WHERE id < $1)",
            id,
        )
    }

    fn feed_newer(&self, after: i64, limit: u32) -> Result<Vec<Transaction>, ServiceError> {
        feed(self, "t.seq > $1 ORDER BY t.seq ASC LIMIT $2", after, limit)
    }

    fn feed_older(&self, before: i64, limit: u32) -> Result<Vec<Transaction>, ServiceError> {
        feed(
            self,
            "t.seq < $1 ORDER BY t.seq DESC LIMIT $2",
            before,
            limit,
        )
    }

    fn transaction_beyond(&self, older: bool, seq: i64) -> Result<bool, ServiceError> {
        let sql = if older {
            "SELECT EXISTS (SELECT 1 FROM transactions WHERE seq < $1)"
        } else {
            "SELECT EXISTS (SELECT 1 FROM transactions WHERE seq > $1)"
        };
        exists(self, sql, seq)
    }
}

impl LedgerCheckTx for PgTx<'_, '_> {
    fn ledger_sums(&self) -> Result<Vec<LedgerSumRow>, ServiceError> {
        rows(self, LEDGER_SUMS_SQL, &[], |r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                Totals {
                    loaded: r.try_get(3)?,
                    debited: r.try_get(4)?,
                    refunded: r.try_get(5)?,
                },
                r.try_get(6)?,
            ))
        })
    }

    fn orphans(&self) -> Result<i64, ServiceError> {
        rows(self, ORPHANS_SQL, &[], |r| Ok(r.try_get(0)?))?
            .pop()
            .ok_or_else(|| ServiceError::Internal("no count".into()))
    }

    fn batch_rows(&self) -> Result<Vec<BatchCheckRow>, ServiceError> {
        rows(self, BATCH_CHECK_SQL, &[], |r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                [
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                    r.try_get(6)?,
                    r.try_get(7)?,
                ],
            ))
        })
    }

    fn partner_rows(&self) -> Result<Vec<PartnerCheckRow>, ServiceError> {
        rows(self, PARTNER_CHECK_SQL, &[], |r| {
            Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
        })
    }

    fn transfer_rows(&self) -> Result<Vec<TransferCheckRow>, ServiceError> {
        rows(self, TRANSFER_CHECK_SQL, &[], |r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                [r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?],
            ))
        })
    }

    fn run_rows(&self) -> Result<Vec<RunCheckRow>, ServiceError> {
        rows(self, RUN_CHECK_SQL, &[], |r| {
            Ok((
                r.try_get(0)?,
                [r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?],
            ))
        })
    }

    fn payout_row(&self) -> Result<[i64; 5], ServiceError> {
        rows(self, PAYOUT_SQL, &[], |r| {
            Ok([
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ])
        })?
        .pop()
        .ok_or_else(|| ServiceError::Internal("no payout totals".into()))
    }
}
