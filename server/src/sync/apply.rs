//! The SQL of offline sync inside the writer's transaction (`SyncTx` for
//! SQLite): devices, the per-item savepoint, the stored offline records, and
//! the rows an applied offline debit writes. The rules are in
//! `sync/service.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardStatus;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::MovementKind;
use passregion_core::status::OfflineDebitStatus;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;
use uuid::Uuid;

use crate::debits::card::CardRow;
use crate::debits::card::card_by;
use crate::debits::ledger::append_ledger;
use crate::debits::ledger::kind_code;
use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::sync::service::NewDevice;
use crate::sync::service::NewOfflineTransaction;
use crate::sync::service::OfflineRecord;
use crate::sync::service::SyncTx;

// The types of a push, named here by `sync/check.rs` and the repository.
pub use crate::sync::service::CheckedItem;
pub use crate::sync::service::PushItem;
pub use crate::sync::service::refused;

impl SyncTx for Connection {
    fn insert_device(&self, d: &NewDevice) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO partner_devices (id, partner_id, account_id, public_key, label, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![d.id, d.partner_id, d.account_id, d.public_key, d.label, ts(d.created_at)],
        )?;
        Ok(())
    }

    fn savepoint(&self) -> Result<(), ServiceError> {
        self.execute_batch("SAVEPOINT item")?;
        Ok(())
    }

    fn release_savepoint(&self) -> Result<(), ServiceError> {
        self.execute_batch("RELEASE item")?;
        Ok(())
    }

    fn rollback_savepoint(&self) -> Result<(), ServiceError> {
        self.execute_batch("ROLLBACK TO item; RELEASE item")?;
        Ok(())
    }

    fn stored_item(&self, id: Uuid) -> Result<Option<(String, String)>, ServiceError> {
        Ok(self
            .query_row(
                "SELECT body_hash, result FROM offline_debits WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn device_partner(&self, device_id: &str) -> Result<Option<(String, bool)>, ServiceError> {
        Ok(self
            .query_row(
                "SELECT partner_id, revoked_at IS NOT NULL FROM partner_devices WHERE id = ?1",
                [device_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn chain_record(
        &self,
        device_id: &str,
        seq: i64,
        applied_only: bool,
    ) -> Result<Option<(String, String)>, ServiceError> {
        Ok(self
            .one(
                "SELECT prev_hash, hash FROM offline_debits WHERE device_id = ?1 AND seq = ?2
                 AND (?3 = 0 OR status = ?4) ORDER BY status = ?4 DESC LIMIT 1",
                params![
                    device_id,
                    seq,
                    applied_only as i64,
                    OfflineDebitStatus::Applied.as_str()
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn card_by_id(&self, id: &str) -> Result<Option<CardRow>, ServiceError> {
        card_by(self, "id", id)
    }

    fn offline_spent(
        &self,
        credential_id: &str,
        partner_id: &str,
    ) -> Result<(i64, u32), ServiceError> {
        Ok(self
            .one(
                "SELECT cents, count FROM offline_spent WHERE credential_id = ?1 AND partner_id = ?2",
                params![credential_id, partner_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0)))
    }

    fn insert_offline_transaction(
        &self,
        t: &NewOfflineTransaction<'_>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
             unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
             VALUES (?1, 'debit', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'offline', ?12)",
            params![
                t.id,
                t.card.id,
                t.partner_id,
                t.account_id,
                t.card.season.start_year(),
                t.avantage,
                kind_code(t.kind),
                t.price,
                t.on_card,
                t.reste,
                t.amount,
                ts(t.scanned_at)
            ],
        )?;
        Ok(())
    }

    fn append_offline_ledger(
        &self,
        card: &CardRow,
        avantage: &str,
        units: i64,
        transaction_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        append_ledger(
            self,
            &card.id,
            card.season,
            avantage,
            AvantageKind::Credit,
            MovementKind::Debit,
            units,
            Some(transaction_id),
            now,
        )?;
        Ok(())
    }

    fn insert_qr_use(
        &self,
        credential_id: &str,
        counter: u32,
        transaction_id: &str,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO qr_uses (credential_id, counter, transaction_id) VALUES (?1, ?2, ?3)",
            params![credential_id, counter, transaction_id],
        )?;
        Ok(())
    }

    fn add_offline_spent(
        &self,
        credential_id: &str,
        partner_id: &str,
        cents: i64,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO offline_spent (credential_id, partner_id, cents, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (credential_id, partner_id) DO UPDATE SET
             cents = cents + excluded.cents, count = count + 1",
            params![credential_id, partner_id, cents],
        )?;
        Ok(())
    }

    fn offline_total(&self, credential_id: &str) -> Result<i64, ServiceError> {
        Ok(self.one(
            "SELECT COALESCE(SUM(cents), 0) FROM offline_spent WHERE credential_id = ?1",
            [credential_id],
            |r| r.get(0),
        )?)
    }

    fn flag_card(
        &self,
        card_id: &str,
        reason: &str,
        amount_cents: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO card_flags (card_id, reason, amount_cents, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![card_id, reason, amount_cents, ts(now)],
        )?;
        Ok(())
    }

    fn revoke_card_credentials(
        &self,
        card_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE app_credentials SET revoked_at = ?2 WHERE card_id = ?1 AND revoked_at IS NULL",
            params![card_id, ts(now)],
        )?;
        Ok(())
    }

    fn credential_revoked_at(
        &self,
        credential_id: &str,
    ) -> Result<Option<DateTime<Utc>>, ServiceError> {
        let at: Option<Option<String>> = self
            .one(
                "SELECT revoked_at FROM app_credentials WHERE id = ?1",
                [credential_id],
                |r| r.get(0),
            )
            .optional()?;
        at.flatten().map(|s| parse_ts(&s)).transpose()
    }

    fn card_suspended_at(&self, card: &CardRow, at: DateTime<Utc>) -> Result<bool, ServiceError> {
        let status: Option<String> = self
            .one(
                "SELECT status FROM card_status_events WHERE card_id = ?1 AND at <= ?2
                 ORDER BY at DESC, id DESC LIMIT 1",
                params![card.id, ts(at)],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(status) = status {
            return Ok(status == CardStatus::Suspendue.code());
        }
        let any: Option<i64> = self
            .one(
                "SELECT 1 FROM card_status_events WHERE card_id = ?1 LIMIT 1",
                [&card.id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(any.is_none() && card.status == CardStatus::Suspendue)
    }

    fn partner_offline_paid(
        &self,
        partner_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        Ok(self.one(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM transactions
             WHERE partner_id = ?1 AND channel = 'offline' AND kind = 'debit'
               AND created_at >= ?2 AND created_at < ?3",
            params![partner_id, ts(from), ts(to)],
            |r| r.get(0),
        )?)
    }

    fn card_guarantee_used(&self, card: &CardRow) -> Result<i64, ServiceError> {
        Ok(self.one(
            "SELECT COALESCE(SUM(amount_cents - units), 0) FROM transactions
             WHERE card_id = ?1 AND season = ?2 AND channel = 'offline' AND kind = 'debit'",
            params![card.id, card.season.start_year()],
            |r| r.get(0),
        )?)
    }

    fn insert_offline_record(&self, o: &OfflineRecord<'_>) -> Result<(), ServiceError> {
        let it = o.item;
        self.exec(
            "INSERT INTO offline_debits (id, device_id, seq, prev_hash, hash, body_hash, credential_id, counter,
             debited_cents, status, result, transaction_id, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                it.item.id.to_string(),
                it.item.device_id,
                i64::try_from(it.item.seq).unwrap_or(i64::MAX),
                it.item.prev_hash,
                it.hash,
                it.body_hash,
                it.credential_id,
                it.counter,
                it.item.debited.cents(),
                o.status.as_str(),
                o.result,
                o.transaction_id,
                ts(o.received_at)
            ],
        )?;
        Ok(())
    }
}
