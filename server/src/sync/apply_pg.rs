//! The SQL of offline sync on PostgreSQL (ADR 0036): `SyncTx` for a PostgreSQL transaction, with the locks that stand for SQLite's single writer. The rules are in `sync/service.rs`.
//!
//! The locks of one item, taken before anything of it is read
//! (`lock_item`), always in this order: the card's row
//! (`debits::repo_pg::lock_card`: the QR's uses, the credential's
//! `offline_spent` and total, the card's balance and guarantee are read
//! under it, whichever partner pushes), then the pushing partner's row
//! (`partners::repo_pg::lock_partner`: its offline day cap across its
//! devices and cards, its devices' hash chains, and the stored record of the
//! item: the same batch sent to two instances at once is decided by one,
//! and the other, reading after its commit, answers duplicates). An item
//! whose card does not exist still takes the partner's lock.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardStatus;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::MovementKind;
use passregion_core::status::OfflineDebitStatus;
use uuid::Uuid;

use crate::debits::card::CardRow;
use crate::debits::ledger::kind_code;
use crate::debits::ledger_pg::append_ledger;
use crate::debits::repo_pg::lock_card;
use crate::error::ServiceError;
use crate::partners::repo_pg::lock_partner;
use crate::platform::pg::PgTx;
use crate::platform::pg_cache::CachedQueries;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;
use crate::sync::service::CheckedItem;
use crate::sync::service::NewDevice;
use crate::sync::service::NewOfflineTransaction;
use crate::sync::service::OfflineRecord;
use crate::sync::service::SyncTx;

impl SyncTx for PgTx<'_, '_> {
    fn lock_item(&self, item: &CheckedItem, partner_id: &str) -> Result<(), ServiceError> {
        self.with(|tx| {
            lock_card(tx, &item.card_id)?;
            lock_partner(tx, partner_id)
        })
    }

    fn insert_device(&self, d: &NewDevice) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO partner_devices (id, partner_id, account_id, public_key, label,
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &d.id,
                    &d.partner_id,
                    &d.account_id,
                    &d.public_key,
                    &d.label,
                    &ts(d.created_at),
                ],
            )?;
            Ok(())
        })
    }

    fn savepoint(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("SAVEPOINT item")?))
    }

    fn release_savepoint(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("RELEASE SAVEPOINT item")?))
    }

    fn rollback_savepoint(&self) -> Result<(), ServiceError> {
        self.with(|tx| Ok(tx.batch_execute("ROLLBACK TO SAVEPOINT item; RELEASE SAVEPOINT item")?))
    }

    fn stored_item(&self, id: Uuid) -> Result<Option<(String, String)>, ServiceError> {
        self.with(|tx| {
            let row = tx.query_opt_cached(
                "SELECT body_hash, result FROM offline_debits WHERE id = $1",
                &[&id.to_string()],
            )?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn device_partner(&self, device_id: &str) -> Result<Option<(String, bool)>, ServiceError> {
        self.with(|tx| {
            let row = tx.query_opt_cached(
                "SELECT partner_id, revoked_at IS NOT NULL FROM partner_devices WHERE id = $1",
                &[&device_id],
            )?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn chain_record(
        &self,
        device_id: &str,
        seq: i64,
        applied_only: bool,
    ) -> Result<Option<(String, String)>, ServiceError> {
        self.with(|tx| {
            let row = tx.query_opt_cached(
                "SELECT prev_hash, hash FROM offline_debits WHERE device_id = $1 AND seq = $2
                 AND (NOT $3 OR status = $4) ORDER BY status = $4 DESC LIMIT 1",
                &[
                    &device_id,
                    &seq,
                    &applied_only,
                    &OfflineDebitStatus::Applied.as_str(),
                ],
            )?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    /// The card, its row locked (already by `lock_item`).
    fn card_by_id(&self, id: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| lock_card(tx, id))
    }

    fn offline_spent(
        &self,
        credential_id: &str,
        partner_id: &str,
    ) -> Result<(i64, u32), ServiceError> {
        self.with(|tx| {
            let row = tx.query_opt_cached(
                "SELECT cents, count FROM offline_spent
                 WHERE credential_id = $1 AND partner_id = $2",
                &[&credential_id, &partner_id],
            )?;
            Ok(match row {
                Some(r) => (
                    r.try_get(0)?,
                    u32::try_from(r.try_get::<_, i64>(1)?).unwrap_or(u32::MAX),
                ),
                None => (0, 0),
            })
        })
    }

    fn insert_offline_transaction(
        &self,
        t: &NewOfflineTransaction<'_>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season,
                 avantage, unit_kind, price_units, units, reste_units, amount_cents, channel,
                 created_at)
                 VALUES ($1, 'debit', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'offline', $12)",
                &[
                    &t.id,
                    &t.card.id,
                    &t.partner_id,
                    &t.account_id,
                    &i64::from(t.card.season.start_year()),
                    &t.avantage,
                    &kind_code(t.kind),
                    &t.price,
                    &t.on_card,
                    &t.reste,
                    &t.amount,
                    &ts(t.scanned_at),
                ],
            )?;
            Ok(())
        })
    }

    fn append_offline_ledger(
        &self,
        card: &CardRow,
        avantage: &str,
        units: i64,
        transaction_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            append_ledger(
                tx,
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
        })
    }

    fn insert_qr_use(
        &self,
        credential_id: &str,
        counter: u32,
        transaction_id: &str,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO qr_uses (credential_id, counter, transaction_id) VALUES ($1, $2, $3)",
                &[&credential_id, &i64::from(counter), &transaction_id],
            )?;
            Ok(())
        })
    }

    fn add_offline_spent(
        &self,
        credential_id: &str,
        partner_id: &str,
        cents: i64,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO offline_spent (credential_id, partner_id, cents, count)
                 VALUES ($1, $2, $3, 1)
                 ON CONFLICT (credential_id, partner_id) DO UPDATE SET
                 cents = offline_spent.cents + excluded.cents, count = offline_spent.count + 1",
                &[&credential_id, &partner_id, &cents],
            )?;
            Ok(())
        })
    }

    fn offline_total(&self, credential_id: &str) -> Result<i64, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT COALESCE(SUM(cents), 0)::BIGINT FROM offline_spent
                     WHERE credential_id = $1",
                    &[&credential_id],
                )?
                .try_get(0)?)
        })
    }

    fn flag_card(
        &self,
        card_id: &str,
        reason: &str,
        amount_cents: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO card_flags (card_id, reason, amount_cents, created_at)
                 VALUES ($1, $2, $3, $4)",
                &[&card_id, &reason, &amount_cents, &ts(now)],
            )?;
            Ok(())
        })
    }

    fn revoke_card_credentials(
        &self,
        card_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "UPDATE app_credentials SET revoked_at = $2
                 WHERE card_id = $1 AND revoked_at IS NULL",
                &[&card_id, &ts(now)],
            )?;
            Ok(())
        })
    }

    fn credential_revoked_at(
        &self,
        credential_id: &str,
    ) -> Result<Option<DateTime<Utc>>, ServiceError> {
        let at: Option<String> = self.with(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT revoked_at FROM app_credentials WHERE id = $1",
                    &[&credential_id],
                )?
                .map(|r| r.try_get::<_, Option<String>>(0))
                .transpose()?
                .flatten())
        })?;
        at.map(|s| parse_ts(&s)).transpose()
    }

    fn card_suspended_at(&self, card: &CardRow, at: DateTime<Utc>) -> Result<bool, ServiceError> {
        self.with(|tx| {
            let status: Option<String> = tx
                .query_opt(
                    "SELECT status FROM card_status_events WHERE card_id = $1 AND at <= $2
                     ORDER BY at DESC, id DESC LIMIT 1",
                    &[&card.id, &ts(at)],
                )?
                .map(|r| r.try_get(0))
                .transpose()?;
            if let Some(status) = status {
                return Ok(status == CardStatus::Suspendue.code());
            }
            let any = tx
                .query_opt(
                    "SELECT 1 FROM card_status_events WHERE card_id = $1 LIMIT 1",
                    &[&card.id],
                )?
                .is_some();
            Ok(!any && card.status == CardStatus::Suspendue)
        })
    }

    fn partner_offline_paid(
        &self,
        partner_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT COALESCE(SUM(amount_cents), 0)::BIGINT FROM transactions
                     WHERE partner_id = $1 AND channel = 'offline' AND kind = 'debit'
                       AND created_at >= $2 AND created_at < $3",
                    &[&partner_id, &ts(from), &ts(to)],
                )?
                .try_get(0)?)
        })
    }

    fn card_guarantee_used(&self, card: &CardRow) -> Result<i64, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT COALESCE(SUM(amount_cents - units), 0)::BIGINT FROM transactions
                     WHERE card_id = $1 AND season = $2 AND channel = 'offline' AND kind = 'debit'",
                    &[&card.id, &i64::from(card.season.start_year())],
                )?
                .try_get(0)?)
        })
    }

    fn insert_offline_record(&self, o: &OfflineRecord<'_>) -> Result<(), ServiceError> {
        let it = o.item;
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO offline_debits (id, device_id, seq, prev_hash, hash, body_hash,
                 credential_id, counter, debited_cents, status, result, transaction_id,
                 received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &it.item.id.to_string(),
                    &it.item.device_id,
                    &i64::try_from(it.item.seq).unwrap_or(i64::MAX),
                    &it.item.prev_hash,
                    &it.hash,
                    &it.body_hash,
                    &it.credential_id,
                    &i64::from(it.counter),
                    &it.item.debited.cents(),
                    &o.status.as_str(),
                    &o.result,
                    &o.transaction_id,
                    &ts(o.received_at),
                ],
            )?;
            Ok(())
        })
    }
}
