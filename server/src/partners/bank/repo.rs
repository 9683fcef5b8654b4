//! SQL of bank-details changes, and the repository the handlers call.

use chrono::{DateTime, Utc};
use passregion_core::status::BankChangeDecisionStatus;
use rusqlite::{Connection, OptionalExtension, params};

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::partners::bank::{self, BankChangeRow, BankTx, NewChange};
use crate::partners::model::{BankChange, BankChangeDecision, BankChangeRequest};
use crate::platform::db::Cached;
use crate::platform::sql::{parse_ts, ts};
use crate::platform::store::SqliteStore;

/// A row of [`SELECT`] as either engine reads it.
pub(crate) struct BankChangeRaw {
    pub(crate) id: String,
    pub(crate) partner_id: String,
    pub(crate) partner_name: String,
    pub(crate) iban: String,
    pub(crate) bic: String,
    pub(crate) current_iban: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) code_hash: String,
    pub(crate) code_expires_at: String,
    pub(crate) attempts: i64,
    pub(crate) created_at: String,
    pub(crate) confirmed_at: Option<String>,
    pub(crate) decision: Option<String>,
    pub(crate) reason: Option<String>,
}

impl BankChangeRaw {
    pub(crate) fn into_row(self) -> Result<BankChangeRow, ServiceError> {
        Ok(BankChangeRow {
            id: self.id,
            partner_id: self.partner_id,
            partner_name: self.partner_name,
            iban: self.iban,
            bic: self.bic,
            current_iban: self.current_iban,
            phone: self.phone,
            code_hash: self.code_hash,
            code_expires_at: parse_ts(&self.code_expires_at)?,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            created_at: parse_ts(&self.created_at)?,
            confirmed_at: self.confirmed_at.as_deref().map(parse_ts).transpose()?,
            decision: self
                .decision
                .as_deref()
                .map(|d| {
                    BankChangeDecisionStatus::parse(d)
                        .ok_or_else(|| ServiceError::Internal("bad decision".into()))
                })
                .transpose()?,
            reason: self.reason,
        })
    }
}

/// The change rows with their partner's name, current IBAN and phone.
pub(crate) const SELECT: &str =
    "SELECT c.id, c.partner_id, p.name, c.iban, c.bic, p.iban, p.phone, c.code_hash,
    c.code_expires_at, c.attempts, c.created_at, c.confirmed_at, c.decision, c.reason
    FROM bank_change_requests c JOIN partners p ON p.id = c.partner_id";

fn rows(c: &Connection, clause: &str, arg: &str) -> Result<Vec<BankChangeRow>, ServiceError> {
    let mut stmt = c.prepare_cached(&format!(
        "{SELECT} WHERE {clause} ORDER BY c.created_at DESC, c.id DESC LIMIT 500"
    ))?;
    let raw = stmt.query_map([arg], |r| {
        Ok(BankChangeRaw {
            id: r.get(0)?,
            partner_id: r.get(1)?,
            partner_name: r.get(2)?,
            iban: r.get(3)?,
            bic: r.get(4)?,
            current_iban: r.get(5)?,
            phone: r.get(6)?,
            code_hash: r.get(7)?,
            code_expires_at: r.get(8)?,
            attempts: r.get(9)?,
            created_at: r.get(10)?,
            confirmed_at: r.get(11)?,
            decision: r.get(12)?,
            reason: r.get(13)?,
        })
    })?;
    let mut out = Vec::new();
    for row in raw {
        out.push(row?.into_row()?);
    }
    Ok(out)
}

impl BankTx for Connection {
    fn open_change(&self, partner_id: &str) -> Result<Option<BankChangeRow>, ServiceError> {
        Ok(
            rows(self, "c.partner_id = ?1 AND c.decision IS NULL", partner_id)?
                .into_iter()
                .next(),
        )
    }

    fn change(&self, id: &str) -> Result<Option<BankChangeRow>, ServiceError> {
        Ok(rows(self, "c.id = ?1", id)?.into_iter().next())
    }

    fn insert_change(&self, c: &NewChange) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO bank_change_requests (id, partner_id, requested_by, iban, bic, code_hash,
             code_expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                c.id,
                c.partner_id,
                c.account_id,
                c.iban,
                c.bic,
                c.code_hash,
                ts(c.code_expires_at),
                ts(c.created_at)
            ],
        )?;
        Ok(())
    }

    fn count_change_attempt(&self, id: &str) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE bank_change_requests SET attempts = attempts + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    fn confirm_change(&self, c: &BankChangeRow, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE bank_change_requests SET confirmed_at = ?2 WHERE id = ?1",
            params![c.id, ts(now)],
        )?;
        self.exec(
            "UPDATE partners SET bank_details_pending_since = ?2 WHERE id = ?1",
            params![c.partner_id, ts(now)],
        )?;
        Ok(())
    }

    fn decide_change(
        &self,
        c: &BankChangeRow,
        decision: BankChangeDecisionStatus,
        reason: Option<&str>,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE bank_change_requests SET decision = ?2, reason = ?3, decided_by = ?4, decided_at = ?5
             WHERE id = ?1 AND decision IS NULL",
            params![c.id, decision.as_str(), reason, by, ts(now)],
        )?;
        if decision == BankChangeDecisionStatus::Approved {
            self.exec(
                "UPDATE partners SET iban = ?2, bic = ?3 WHERE id = ?1",
                params![c.partner_id, c.iban, c.bic],
            )?;
        }
        if decision != BankChangeDecisionStatus::Replaced {
            self.exec(
                "UPDATE partners SET bank_details_pending_since = NULL WHERE id = ?1",
                [&c.partner_id],
            )?;
        }
        Ok(())
    }

    fn changes_to_decide(&self) -> Result<Vec<BankChangeRow>, ServiceError> {
        rows(
            self,
            "c.decision IS NULL AND c.confirmed_at IS NOT NULL AND ?1 = ''",
            "",
        )
    }
}

/// Storage of bank-details changes.
pub trait BankRepo: Send + Sync + 'static {
    /// The manager asks for a change; returns its id and the phone to text.
    fn request_bank_change(
        &self,
        who: &Principal,
        req: BankChangeRequest,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, String), ServiceError>;
    /// The manager confirms with the code.
    fn confirm_bank_change(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<BankChange, ServiceError>;
    /// The partner's changes (newest first).
    fn my_bank_changes(&self, who: &Principal) -> Result<Vec<BankChange>, ServiceError>;
    /// Confirmed changes waiting for the Region.
    fn bank_changes_to_decide(&self) -> Result<Vec<BankChange>, ServiceError>;
    /// The Region decides; returns the change and the message told.
    fn decide_bank_change(
        &self,
        id: &str,
        d: BankChangeDecision,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(BankChange, String), ServiceError>;
    /// Whether a partner's payouts are held by a change waiting for the Region.
    fn payouts_held(&self, partner_id: &str) -> Result<bool, ServiceError>;
}

impl BankRepo for SqliteStore {
    fn request_bank_change(
        &self,
        who: &Principal,
        req: BankChangeRequest,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, String), ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        let (account, code) = (who.account_id.clone(), code.to_owned());
        self.db
            .write(move |c| bank::request(c, &pid, &account, &req, &code, now))
    }

    fn confirm_bank_change(
        &self,
        who: &Principal,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<BankChange, ServiceError> {
        let pid = crate::accounts::partner_manager(who)?;
        let code = code.to_owned();
        self.db
            .write_outcome(move |c| bank::confirm(c, &pid, &code, now))
    }

    fn my_bank_changes(&self, who: &Principal) -> Result<Vec<BankChange>, ServiceError> {
        let pid = crate::accounts::own_partner(who)?;
        self.db.read(move |c| {
            Ok(rows(c, "c.partner_id = ?1", &pid)?
                .iter()
                .map(|r| r.view(false))
                .collect())
        })
    }

    fn bank_changes_to_decide(&self) -> Result<Vec<BankChange>, ServiceError> {
        self.db.read(|c| {
            Ok(c.changes_to_decide()?
                .iter()
                .map(|r| r.view(true))
                .collect())
        })
    }

    fn decide_bank_change(
        &self,
        id: &str,
        d: BankChangeDecision,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(BankChange, String), ServiceError> {
        let (id, by) = (id.to_owned(), by.to_owned());
        self.db.write(move |c| bank::decide(c, &id, &d, &by, now))
    }

    fn payouts_held(&self, partner_id: &str) -> Result<bool, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.read(move |c| {
            Ok(c.query_row(
                "SELECT bank_details_pending_since IS NOT NULL FROM partners WHERE id = ?1",
                [&pid],
                |r| r.get::<_, bool>(0),
            )
            .optional()?
            .unwrap_or(false))
        })
    }
}
