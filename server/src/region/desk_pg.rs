//! The Region's desk on PostgreSQL (ADR 0036): the facts behind the
//! anomalies and their handlings, in PostgreSQL's dialect (the SQL shared
//! with SQLite comes from `desk_repo.rs`); what is unusual, the ids and the
//! handling's rule stay in `anomalies.rs`. A handling is kept once by the
//! unique `anomaly_id`: two instances marking one anomaly at once, the
//! second's insert waits for the first's commit, then does nothing, and the
//! rule answers 409 `anomalie_deja_traitee`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use r2d2_postgres::postgres::Row;
use r2d2_postgres::postgres::types::ToSql;

use crate::error::ServiceError;
use crate::partners::repo_pg::pg_sql;
use crate::platform::pg::PgTx;
use crate::platform::sql::{parse_ts, ts};
use crate::region::anomalies::{
    AccountRef, AnomalyTx, FlagFacts, HandlingTx, LockoutFacts, PartnerActivity, TimedDebit,
};
use crate::region::desk_repo::{
    ACCOUNT_SQL, ACCOUNTS_SQL, DEVICE_ACCOUNT_SQL, FLAG_SELECT, HANDLING_SQL, INSERT_HANDLING_SQL,
    LOCK_SELECT, OFFLINE_DEBITS_SQL, keep_if_hashed, result_message,
};
use crate::region::model::{AnomalyHandling, AnomalyKind, OfflineDebitLine};

/// The rows of `sql` (PostgreSQL placeholders), each mapped by `f`.
pub(crate) fn rows<T>(
    tx: &PgTx<'_, '_>,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
    f: impl Fn(&Row) -> Result<T, ServiceError>,
) -> Result<Vec<T>, ServiceError> {
    tx.with(|t| t.query(sql, args)?.iter().map(&f).collect())
}

fn money(cents: i64) -> passregion_core::Money {
    passregion_core::Money::from_cents(cents.max(0)).unwrap_or_default()
}

fn flag_from(r: &Row) -> Result<FlagFacts, ServiceError> {
    Ok(FlagFacts {
        id: r.try_get(0)?,
        card_id: r.try_get(1)?,
        number: r.try_get(2)?,
        reason: r.try_get(3)?,
        amount_cents: r.try_get(4)?,
        at: parse_ts(&r.try_get::<_, String>(5)?)?,
    })
}

fn lock_from(r: &Row) -> Result<LockoutFacts, ServiceError> {
    Ok(LockoutFacts {
        id: r.try_get(0)?,
        card_id: r.try_get(1)?,
        number: r.try_get(2)?,
        at: parse_ts(&r.try_get::<_, String>(3)?)?,
        until: parse_ts(&r.try_get::<_, String>(4)?)?,
        lockout: r.try_get(5)?,
    })
}

fn account_from(r: &Row) -> Result<AccountRef, ServiceError> {
    Ok(AccountRef {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
    })
}

/// Each key's account found by `sql` (`$1`: the key).
fn accounts_by(
    tx: &PgTx<'_, '_>,
    sql: &str,
    keys: &[String],
) -> Result<HashMap<String, AccountRef>, ServiceError> {
    let sql = pg_sql(sql);
    let mut out = HashMap::new();
    for k in keys {
        if let Some(a) = rows(tx, &sql, &[k], account_from)?.pop() {
            out.insert(k.clone(), a);
        }
    }
    Ok(out)
}

impl AnomalyTx for PgTx<'_, '_> {
    fn overspend_flags(&self, limit: i64) -> Result<Vec<FlagFacts>, ServiceError> {
        let sql = format!("{FLAG_SELECT} ORDER BY f.id DESC LIMIT $1");
        rows(self, &sql, &[&limit], flag_from)
    }

    fn overspend_flag(&self, id: i64) -> Result<Option<FlagFacts>, ServiceError> {
        let sql = format!("{FLAG_SELECT} WHERE f.id = $1");
        Ok(rows(self, &sql, &[&id], flag_from)?.pop())
    }

    fn card_offline_debits(
        &self,
        card_id: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OfflineDebitLine>, ServiceError> {
        let sql = pg_sql(OFFLINE_DEBITS_SQL);
        rows(self, &sql, &[&card_id, &ts(until), &limit], |r| {
            let status: String = r.try_get(7)?;
            Ok(OfflineDebitLine {
                id: r.try_get(0)?,
                device_id: r.try_get(1)?,
                device_label: r.try_get(2)?,
                partner_id: r.try_get(3)?,
                partner_name: r.try_get(4)?,
                debited: money(r.try_get(5)?),
                paid: r.try_get::<_, Option<i64>>(6)?.map(money),
                status: passregion_core::status::OfflineDebitStatus::parse(&status)
                    .ok_or_else(|| ServiceError::Internal("bad offline debit status".into()))?,
                message: result_message(&r.try_get::<_, String>(8)?),
                received_at: parse_ts(&r.try_get::<_, String>(9)?)?,
                triggered: false,
            })
        })
    }

    fn number_lockouts(&self, limit: i64) -> Result<Vec<LockoutFacts>, ServiceError> {
        let sql = format!("{LOCK_SELECT} ORDER BY l.id DESC LIMIT $1");
        rows(self, &sql, &[&limit], lock_from)
    }

    fn number_lockout(&self, id: i64) -> Result<Option<LockoutFacts>, ServiceError> {
        let sql = format!("{LOCK_SELECT} WHERE l.id = $1");
        Ok(rows(self, &sql, &[&id], lock_from)?.pop())
    }

    fn partner_activity(&self, since: DateTime<Utc>) -> Result<Vec<PartnerActivity>, ServiceError> {
        rows(
            self,
            "SELECT a.partner_id, p.name, a.debits, a.debited, a.refunded, a.last_seq, r.created_at
             FROM (SELECT t.partner_id,
                     COUNT(*) FILTER (WHERE t.kind = 'debit') AS debits,
                     CAST(SUM(CASE WHEN t.kind = 'debit' THEN t.amount_cents ELSE 0 END) AS BIGINT)
                       AS debited,
                     CAST(SUM(CASE WHEN t.kind = 'refund' THEN -t.amount_cents ELSE 0 END) AS BIGINT)
                       AS refunded,
                     MAX(CASE WHEN t.kind = 'refund' THEN t.seq END) AS last_seq
                   FROM transactions t WHERE t.created_at >= $1 GROUP BY t.partner_id) a
             JOIN partners p ON p.id = a.partner_id
             LEFT JOIN transactions r ON r.seq = a.last_seq
             ORDER BY a.partner_id",
            &[&ts(since)],
            |r| {
                let seq: Option<i64> = r.try_get(5)?;
                let at: Option<String> = r.try_get(6)?;
                Ok(PartnerActivity {
                    partner_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    debits: r.try_get(2)?,
                    debited_cents: r.try_get(3)?,
                    refunded_cents: r.try_get(4)?,
                    last_refund: match (seq, at) {
                        (Some(seq), Some(at)) => Some((seq, parse_ts(&at)?)),
                        _ => None,
                    },
                })
            },
        )
    }

    fn night_debits(&self, since: DateTime<Utc>) -> Result<Vec<TimedDebit>, ServiceError> {
        // As on SQLite: the UTC hours that may be odd in Paris (characters
        // 12–13 of the fixed-width instant); the rule decides in Paris time.
        rows(
            self,
            "SELECT t.partner_id, p.name, t.amount_cents, t.created_at
             FROM transactions t JOIN partners p ON p.id = t.partner_id
             WHERE t.created_at >= $1 AND t.kind = 'debit'
               AND substr(t.created_at, 12, 2) IN ('21', '22', '23', '00', '01', '02', '03', '04')",
            &[&ts(since)],
            |r| {
                Ok(TimedDebit {
                    partner_id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    amount_cents: r.try_get(2)?,
                    at: parse_ts(&r.try_get::<_, String>(3)?)?,
                })
            },
        )
    }

    fn accounts_by_email_hash(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, AccountRef>, ServiceError> {
        let mut out = HashMap::new();
        if hashes.is_empty() {
            return Ok(out);
        }
        let all = rows(self, ACCOUNTS_SQL, &[], |r| {
            Ok((
                r.try_get::<_, String>(0)?,
                r.try_get::<_, String>(1)?,
                r.try_get::<_, String>(2)?,
            ))
        })?;
        for (id, email, name) in all {
            keep_if_hashed(&mut out, hashes, &email, || Ok(AccountRef { id, name }))?;
        }
        Ok(out)
    }

    fn accounts_by_device_hash(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, AccountRef>, ServiceError> {
        accounts_by(self, DEVICE_ACCOUNT_SQL, hashes)
    }

    fn accounts_by_id(&self, ids: &[String]) -> Result<HashMap<String, AccountRef>, ServiceError> {
        accounts_by(self, ACCOUNT_SQL, ids)
    }

    fn handlings(&self, ids: &[String]) -> Result<HashMap<String, AnomalyHandling>, ServiceError> {
        let sql = pg_sql(HANDLING_SQL);
        let mut out = HashMap::new();
        for id in ids {
            let found = rows(self, &sql, &[id], |r| {
                Ok(AnomalyHandling {
                    by_account_id: r.try_get(0)?,
                    by_name: r.try_get(1)?,
                    at: parse_ts(&r.try_get::<_, String>(2)?)?,
                    note: r.try_get(3)?,
                })
            })?;
            if let Some(h) = found.into_iter().next() {
                out.insert(id.clone(), h);
            }
        }
        Ok(out)
    }
}

impl HandlingTx for PgTx<'_, '_> {
    fn insert_handling(
        &self,
        anomaly_id: &str,
        kind: AnomalyKind,
        account_id: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let sql = pg_sql(INSERT_HANDLING_SQL);
        let n = self.with(|t| {
            Ok(t.execute(
                &sql,
                &[&anomaly_id, &kind.code(), &account_id, &note, &ts(now)],
            )?)
        })?;
        Ok(n == 1)
    }
}
