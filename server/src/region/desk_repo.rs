//! The SQL of the Region's desk: the facts behind the anomalies, their
//! handlings, the card look-up and its audit (the pages of the audit and
//! of the live feed are in `pages.rs`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::cards::model::Balance;
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Cached;
use crate::platform::sql::{parse_ts, sha256_hex, ts};
use crate::region::anomalies::{
    AccountRef, AnomalyTx, FlagFacts, HandlingTx, LockoutFacts, PartnerActivity, TimedDebit,
};
use crate::region::lookup::{AuditTx, LedgerRow, LookupKey, LookupTx, SupportHolder};
use crate::region::model::{AnomalyHandling, AnomalyKind, OfflineDebitLine};

fn money(cents: i64) -> passregion_core::Money {
    passregion_core::Money::from_cents(cents.max(0)).unwrap_or_default()
}

pub(crate) const FLAG_SELECT: &str =
    "SELECT f.id, f.card_id, c.number, f.reason, f.amount_cents, f.created_at
     FROM card_flags f JOIN cards c ON c.id = f.card_id";

fn flag_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<(FlagFacts, String)> {
    Ok((
        FlagFacts {
            id: r.get(0)?,
            card_id: r.get(1)?,
            number: r.get(2)?,
            reason: r.get(3)?,
            amount_cents: r.get(4)?,
            at: DateTime::<Utc>::MIN_UTC,
        },
        r.get(5)?,
    ))
}

fn with_at<T>(
    rows: Vec<(T, String)>,
    set: fn(&mut T, DateTime<Utc>),
) -> Result<Vec<T>, ServiceError> {
    rows.into_iter()
        .map(|(mut v, at)| {
            set(&mut v, parse_ts(&at)?);
            Ok(v)
        })
        .collect()
}

pub(crate) const LOCK_SELECT: &str =
    "SELECT l.id, l.card_id, c.number, l.locked_at, l.locked_until, l.lockout
     FROM number_lockouts l LEFT JOIN cards c ON c.id = l.card_id";

fn lock_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<LockoutFacts, ServiceError>> {
    let (at, until): (String, String) = (r.get(3)?, r.get(4)?);
    let (id, card_id, number, lockout) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(5)?);
    Ok((|| {
        Ok(LockoutFacts {
            id,
            card_id,
            number,
            at: parse_ts(&at)?,
            until: parse_ts(&until)?,
            lockout,
        })
    })())
}

pub(crate) fn collect<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, ServiceError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, f)?;
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}

fn account_ref(
    conn: &Connection,
    sql: &str,
    key: &str,
) -> Result<Option<AccountRef>, ServiceError> {
    Ok(conn
        .one(sql, [key], |r| {
            Ok(AccountRef {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })
        .optional()?)
}

impl AnomalyTx for Connection {
    fn overspend_flags(&self, limit: i64) -> Result<Vec<FlagFacts>, ServiceError> {
        let sql = format!("{FLAG_SELECT} ORDER BY f.id DESC LIMIT ?1");
        with_at(collect(self, &sql, &[&limit], flag_from)?, |f, at| {
            f.at = at
        })
    }

    fn overspend_flag(&self, id: i64) -> Result<Option<FlagFacts>, ServiceError> {
        let sql = format!("{FLAG_SELECT} WHERE f.id = ?1");
        Ok(with_at(collect(self, &sql, &[&id], flag_from)?, |f, at| f.at = at)?.pop())
    }

    fn card_offline_debits(
        &self,
        card_id: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OfflineDebitLine>, ServiceError> {
        let rows = collect(
            self,
            OFFLINE_DEBITS_SQL,
            &[&card_id, &ts(until), &limit],
            |r| {
                Ok((
                    OfflineDebitLine {
                        id: r.get(0)?,
                        device_id: r.get(1)?,
                        device_label: r.get(2)?,
                        partner_id: r.get(3)?,
                        partner_name: r.get(4)?,
                        debited: money(r.get(5)?),
                        paid: r.get::<_, Option<i64>>(6)?.map(money),
                        status: {
                            let s = r.get::<_, String>(7)?;
                            passregion_core::status::OfflineDebitStatus::parse(&s).ok_or(
                                rusqlite::Error::InvalidColumnType(
                                    7,
                                    "status".into(),
                                    rusqlite::types::Type::Text,
                                ),
                            )?
                        },
                        message: result_message(&r.get::<_, String>(8)?),
                        received_at: DateTime::<Utc>::MIN_UTC,
                        triggered: false,
                    },
                    r.get::<_, String>(9)?,
                ))
            },
        )?;
        with_at(rows, |d, at| d.received_at = at)
    }

    fn number_lockouts(&self, limit: i64) -> Result<Vec<LockoutFacts>, ServiceError> {
        let sql = format!("{LOCK_SELECT} ORDER BY l.id DESC LIMIT ?1");
        crate::platform::sql::select_all(self, &sql, &[&limit], lock_from)
    }

    fn number_lockout(&self, id: i64) -> Result<Option<LockoutFacts>, ServiceError> {
        let sql = format!("{LOCK_SELECT} WHERE l.id = ?1");
        Ok(crate::platform::sql::select_all(self, &sql, &[&id], lock_from)?.pop())
    }

    fn partner_activity(&self, since: DateTime<Utc>) -> Result<Vec<PartnerActivity>, ServiceError> {
        let rows = collect(
            self,
            "SELECT a.partner_id, p.name, a.debits, a.debited, a.refunded, a.last_seq, r.created_at
             FROM (SELECT t.partner_id,
                     SUM(t.kind = 'debit') AS debits,
                     SUM(CASE WHEN t.kind = 'debit' THEN t.amount_cents ELSE 0 END) AS debited,
                     SUM(CASE WHEN t.kind = 'refund' THEN -t.amount_cents ELSE 0 END) AS refunded,
                     MAX(CASE WHEN t.kind = 'refund' THEN t.seq END) AS last_seq
                   FROM transactions t WHERE t.created_at >= ?1 GROUP BY t.partner_id) a
             JOIN partners p ON p.id = a.partner_id
             LEFT JOIN transactions r ON r.seq = a.last_seq
             ORDER BY a.partner_id",
            &[&ts(since)],
            |r| {
                Ok((
                    PartnerActivity {
                        partner_id: r.get(0)?,
                        name: r.get(1)?,
                        debits: r.get(2)?,
                        debited_cents: r.get(3)?,
                        refunded_cents: r.get(4)?,
                        last_refund: None,
                    },
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(mut p, seq, at)| {
                if let (Some(seq), Some(at)) = (seq, at) {
                    p.last_refund = Some((seq, parse_ts(&at)?));
                }
                Ok(p)
            })
            .collect()
    }

    fn night_debits(&self, since: DateTime<Utc>) -> Result<Vec<TimedDebit>, ServiceError> {
        // Stored instants are fixed-width UTC text: the hour is characters
        // 12–13. 23:00–05:00 in Paris is 21:00–04:59 UTC at the widest
        // (summer and winter time); the rule decides in Paris time.
        let rows = collect(
            self,
            "SELECT t.partner_id, p.name, t.amount_cents, t.created_at
             FROM transactions t JOIN partners p ON p.id = t.partner_id
             WHERE t.created_at >= ?1 AND t.kind = 'debit'
               AND substr(t.created_at, 12, 2) IN ('21', '22', '23', '00', '01', '02', '03', '04')",
            &[&ts(since)],
            |r| {
                Ok((
                    TimedDebit {
                        partner_id: r.get(0)?,
                        name: r.get(1)?,
                        amount_cents: r.get(2)?,
                        at: DateTime::<Utc>::MIN_UTC,
                    },
                    r.get::<_, String>(3)?,
                ))
            },
        )?;
        with_at(rows, |d, at| d.at = at)
    }

    fn accounts_by_email_hash(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, AccountRef>, ServiceError> {
        // The login budget is keyed by the SHA-256 of the e-mail: finding
        // its account means hashing every address (only when one is locked).
        let mut out = HashMap::new();
        if hashes.is_empty() {
            return Ok(out);
        }
        let mut stmt = self.prepare_cached(ACCOUNTS_SQL)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let email: String = r.get(1)?;
            keep_if_hashed(&mut out, hashes, &email, || {
                Ok(AccountRef {
                    id: r.get(0)?,
                    name: r.get(2)?,
                })
            })?;
        }
        Ok(out)
    }

    fn accounts_by_device_hash(
        &self,
        hashes: &[String],
    ) -> Result<HashMap<String, AccountRef>, ServiceError> {
        let mut out = HashMap::new();
        for h in hashes {
            if let Some(a) = account_ref(self, DEVICE_ACCOUNT_SQL, h)? {
                out.insert(h.clone(), a);
            }
        }
        Ok(out)
    }

    fn accounts_by_id(&self, ids: &[String]) -> Result<HashMap<String, AccountRef>, ServiceError> {
        let mut out = HashMap::new();
        for id in ids {
            if let Some(a) = account_ref(self, ACCOUNT_SQL, id)? {
                out.insert(id.clone(), a);
            }
        }
        Ok(out)
    }

    fn handlings(&self, ids: &[String]) -> Result<HashMap<String, AnomalyHandling>, ServiceError> {
        let mut out = HashMap::new();
        for id in ids {
            let row: Option<(String, String, String, String)> = self
                .one(HANDLING_SQL, [id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            if let Some((by_account_id, by_name, at, note)) = row {
                out.insert(
                    id.clone(),
                    AnomalyHandling {
                        by_account_id,
                        by_name,
                        at: parse_ts(&at)?,
                        note,
                    },
                );
            }
        }
        Ok(out)
    }
}

impl HandlingTx for Connection {
    fn insert_handling(
        &self,
        anomaly_id: &str,
        kind: AnomalyKind,
        account_id: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let n = self.exec(
            INSERT_HANDLING_SQL,
            params![anomaly_id, kind.code(), account_id, note, ts(now)],
        )?;
        Ok(n == 1)
    }
}

/// The card's offline debits (`?1`) received up to `?2`, newest first, at
/// most `?3` (both engines).
pub(crate) const OFFLINE_DEBITS_SQL: &str = "SELECT o.id, o.device_id, d.label, d.partner_id,
       p.name, o.debited_cents, t.amount_cents, o.status, o.result, o.received_at
 FROM app_credentials a
 JOIN offline_debits o ON o.credential_id = a.id
 JOIN partner_devices d ON d.id = o.device_id
 JOIN partners p ON p.id = d.partner_id
 LEFT JOIN transactions t ON t.id = o.transaction_id
 WHERE a.card_id = ?1 AND o.received_at <= ?2
 ORDER BY o.received_at DESC, o.id DESC LIMIT ?3";

/// Every account: id, e-mail, name (both engines).
pub(crate) const ACCOUNTS_SQL: &str = "SELECT id, CAST(email AS TEXT), display_name FROM accounts";

/// The account of a known device's token hash (both engines).
pub(crate) const DEVICE_ACCOUNT_SQL: &str = "SELECT a.id, a.display_name FROM known_devices k
 JOIN accounts a ON a.id = k.account_id WHERE k.token_hash = ?1";

/// An account by id (both engines).
pub(crate) const ACCOUNT_SQL: &str = "SELECT id, display_name FROM accounts WHERE id = ?1";

/// The handling of an anomaly (both engines).
pub(crate) const HANDLING_SQL: &str = "SELECT h.account_id, a.display_name, h.handled_at, h.note
 FROM anomaly_handlings h JOIN accounts a ON a.id = h.account_id WHERE h.anomaly_id = ?1";

/// Appends a handling unless the anomaly has one (both engines).
pub(crate) const INSERT_HANDLING_SQL: &str =
    "INSERT INTO anomaly_handlings (anomaly_id, kind, account_id, note, handled_at)
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (anomaly_id) DO NOTHING";

/// The message of an offline debit's stored result.
pub(crate) fn result_message(result: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(result)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
}

/// Adds the account of `email` when the SHA-256 of its lower-case form is
/// one of `hashes` (the login budget's key).
pub(crate) fn keep_if_hashed(
    out: &mut HashMap<String, AccountRef>,
    hashes: &[String],
    email: &str,
    account: impl FnOnce() -> Result<AccountRef, ServiceError>,
) -> Result<(), ServiceError> {
    let h = sha256_hex(email.trim().to_lowercase().as_bytes());
    if hashes.contains(&h) {
        out.insert(h, account()?);
    }
    Ok(())
}

/// The `LIKE` pattern of a name's part (`\` escapes), both engines.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

impl LookupTx for Connection {
    fn audit_key(&self) -> Result<String, ServiceError> {
        Ok(
            self.one("SELECT key FROM lookup_audit_key WHERE id = 1", [], |r| {
                r.get(0)
            })?,
        )
    }

    fn matching_cards(&self, key: &LookupKey, limit: usize) -> Result<Vec<String>, ServiceError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let id = |r: &rusqlite::Row<'_>| r.get::<_, String>(0);
        match key {
            LookupKey::Number(n) => {
                collect(self, "SELECT id FROM cards WHERE number = ?1", &[n], id)
            }
            LookupKey::CardId(c) => collect(self, "SELECT id FROM cards WHERE id = ?1", &[c], id),
            LookupKey::Email(e) => collect(
                self,
                "SELECT c.id FROM cards c JOIN accounts a ON a.id = c.account_id
                 WHERE a.email = ?1 ORDER BY c.id LIMIT ?2",
                &[e, &limit],
                id,
            ),
            LookupKey::Name(n) => collect(
                self,
                "SELECT id FROM cards
                 WHERE (first_name || ' ' || last_name) LIKE ?1 ESCAPE '\\'
                    OR (last_name || ' ' || first_name) LIKE ?1 ESCAPE '\\'
                 ORDER BY last_name, first_name, id LIMIT ?2",
                &[&like_pattern(n), &limit],
                id,
            ),
        }
    }

    fn card(&self, card_id: &str) -> Result<Option<CardRow>, ServiceError> {
        crate::debits::card::card_by(self, "id", card_id)
    }

    fn holder(&self, card_id: &str) -> Result<SupportHolder, ServiceError> {
        Ok(self.one(HOLDER_SQL, [card_id], |r| {
            Ok(SupportHolder {
                email: r.get(0)?,
                account_id: r.get(1)?,
                establishment_name: r.get(2)?,
                flagged: r.get(3)?,
            })
        })?)
    }

    fn balances(&self, cats: &Catalogues, card: &CardRow) -> Result<Vec<Balance>, ServiceError> {
        crate::debits::ledger::balances(self, cats, card, None)
    }

    fn ledger_rows(&self, card_id: &str, limit: i64) -> Result<Vec<LedgerRow>, ServiceError> {
        collect(self, LEDGER_ROWS_SQL, &[&card_id, &limit], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            ))
        })
    }
}

/// A card's holder (`?1`: the card), on both engines.
pub(crate) const HOLDER_SQL: &str = "SELECT CAST(a.email AS TEXT), a.id, e.name,
       EXISTS (SELECT 1 FROM card_flags f WHERE f.card_id = c.id)
 FROM cards c JOIN accounts a ON a.id = c.account_id
 JOIN establishments e ON e.id = c.establishment_id WHERE c.id = ?1";

/// A card's ledger rows (`?1`), newest first, at most `?2`; both engines.
pub(crate) const LEDGER_ROWS_SQL: &str = "SELECT l.id, l.created_at, l.season, l.avantage,
       l.unit_kind, l.movement, l.units, l.loaded_total - l.debited_total + l.refunded_total,
       l.transaction_id, p.name, t.channel
 FROM ledger l LEFT JOIN transactions t ON t.id = l.transaction_id
 LEFT JOIN partners p ON p.id = t.partner_id
 WHERE l.card_id = ?1 ORDER BY l.id DESC LIMIT ?2";

impl AuditTx for Connection {
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
        self.exec(
            "INSERT INTO lookup_audit (account_id, at, query_kind, query_hash, results, card_ids)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                account_id,
                ts(at),
                kind,
                query_hash,
                card_ids.len() as i64,
                ids
            ],
        )?;
        Ok(())
    }
}
