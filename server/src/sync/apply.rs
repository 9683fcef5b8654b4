//! Applying checked offline debits in the writer's transaction, one savepoint per item.

use passregion_core::status::OfflineDebitStatus;

use crate::cards::error::CardsError;
use crate::debits::error::DebitsError;

use crate::platform::db::Cached;

use crate::debits::ledger::totals;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::credential::OfflineLimits;
use passregion_core::debit::AvantageKind;
use passregion_core::season::Season;
use passregion_core::sync::GENESIS_HASH;
use passregion_core::sync::ItemResult;
use passregion_core::sync::ItemStatus;
use passregion_core::sync::OfflineDebit;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;
use uuid::Uuid;

use crate::debits::card::card_by;
use crate::debits::ledger::kind_code;
use crate::error::ServiceError;
use crate::platform::sql::new_id;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;
use crate::web::problem::ApiError;

/// An offline debit whose signature, consistency and QR were checked.
#[derive(Debug, Clone)]
pub struct CheckedItem {
    /// The item as pushed.
    pub item: OfflineDebit,
    /// SHA-256 of its canonical JSON (same id + other body = conflict).
    pub body_hash: String,
    /// Its chain hash.
    pub hash: String,
    /// The card designated by its QR.
    pub card_id: String,
    /// The app credential of its QR.
    pub credential_id: String,
    /// The QR counter.
    pub counter: u32,
    /// The credential's limits.
    pub limits: OfflineLimits,
}

/// A pushed item: checked, or refused before storage.
#[derive(Debug, Clone)]
pub enum PushItem {
    /// Passed the checks that need no database.
    Checked(Box<CheckedItem>),
    /// Refused already (bad signature, bad QR…).
    Refused(ItemResult),
}

/// A refusal as an item result.
pub fn refused(id: Uuid, status: ItemStatus, e: ServiceError) -> ItemResult {
    let api = ApiError::from(e);
    ItemResult {
        id,
        status,
        http_status: api.status,
        code: Some(api.code.to_owned()),
        message: Some(api.message),
        transaction_id: None,
        overspend: false,
    }
}

pub(crate) fn reject(id: Uuid, code: &'static str, message: &str) -> ItemResult {
    ItemResult {
        id,
        status: ItemStatus::Rejected,
        http_status: 422,
        code: Some(code.to_owned()),
        message: Some(message.to_owned()),
        transaction_id: None,
        overspend: false,
    }
}

pub(crate) fn store_evidence(
    c: &Connection,
    it: &CheckedItem,
    status: OfflineDebitStatus,
    result: &ItemResult,
    transaction_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let json = serde_json::to_string(result).map_err(|e| ServiceError::Internal(e.to_string()))?;
    c.exec(
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
            status.as_str(),
            json,
            transaction_id,
            ts(now)
        ],
    )?;
    Ok(())
}

/// The hash chain around `it` holds with the applied records already stored.
pub(crate) fn chain_ok(c: &Connection, it: &CheckedItem) -> Result<bool, ServiceError> {
    let seq = i64::try_from(it.item.seq).unwrap_or(i64::MAX);
    if seq < 1 {
        return Ok(false);
    }
    if seq == 1 && it.item.prev_hash != GENESIS_HASH {
        return Ok(false);
    }
    // Any record the device signed is part of its chain, applied or not.
    let at = |s: i64, applied_only: bool| -> Result<Option<(String, String)>, ServiceError> {
        Ok(c.one(
            "SELECT prev_hash, hash FROM offline_debits WHERE device_id = ?1 AND seq = ?2
             AND (?3 = 0 OR status = ?4) ORDER BY status = ?4 DESC LIMIT 1",
            params![
                it.item.device_id,
                s,
                applied_only as i64,
                OfflineDebitStatus::Applied.as_str()
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
    };
    if at(seq, true)?.is_some() {
        return Ok(false);
    }
    if let Some((_, prev)) = at(seq - 1, false)?
        && prev != it.item.prev_hash
    {
        return Ok(false);
    }
    if let Some((next_prev, _)) = at(seq + 1, false)?
        && next_prev != it.hash
    {
        return Ok(false);
    }
    Ok(true)
}

impl SqliteStore {
    pub(crate) fn apply_one(
        &self,
        c: &Connection,
        partner_id: &str,
        category: PartnerCategory,
        account_id: &str,
        it: &CheckedItem,
        now: DateTime<Utc>,
    ) -> Result<ItemResult, ServiceError> {
        let id = it.item.id;
        // Idempotency: the same id again.
        let existing: Option<(String, String)> = c
            .query_row(
                "SELECT body_hash, result FROM offline_debits WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((hash, result)) = existing {
            if hash != it.body_hash {
                return Ok(refused(
                    id,
                    ItemStatus::Conflict,
                    ServiceError::IdempotencyMismatch,
                ));
            }
            let mut stored: ItemResult =
                serde_json::from_str(&result).map_err(|e| ServiceError::Internal(e.to_string()))?;
            if stored.status == ItemStatus::Applied {
                stored.status = ItemStatus::Duplicate;
                stored.http_status = 200;
            }
            return Ok(stored);
        }
        // The device belongs to the partner pushing.
        let owner: Option<String> = c
            .query_row(
                "SELECT partner_id FROM partner_devices WHERE id = ?1 AND revoked_at IS NULL",
                [&it.item.device_id],
                |r| r.get(0),
            )
            .optional()?;
        if owner.as_deref() != Some(partner_id) {
            return Ok(reject(
                id,
                "appareil_inconnu",
                "Cet appareil n'est pas enrôlé pour ce partenaire.",
            ));
        }
        if !chain_ok(c, it)? {
            let r = reject(
                id,
                "chaine_rompue",
                "L'enregistrement ne suit pas le précédent de cet appareil.",
            );
            store_evidence(c, it, OfflineDebitStatus::Rejected, &r, None, now)?;
            return Ok(r);
        }
        // The same QR authorisation already paid another debit: evidence only.
        if crate::debits::service::DebitTx::qr_used(c, &it.credential_id, it.counter)? {
            let r = refused(
                id,
                ItemStatus::Reused,
                ServiceError::Debits(DebitsError::Qr("Replayed".into())),
            );
            store_evidence(c, it, OfflineDebitStatus::Reused, &r, None, now)?;
            return Ok(r);
        }
        let Some(card) = card_by(c, "id", &it.card_id)? else {
            return Ok(reject(id, "carte_inconnue", "Carte inconnue."));
        };
        let season = Season::of_instant(it.item.scanned_at);
        let avantage = self
            .catalogues
            .get(season)
            .and_then(|cat| cat.avantage(&it.item.avantage))
            .cloned();
        let Some(avantage) = avantage else {
            let r = refused(
                id,
                ItemStatus::Rejected,
                ServiceError::Debits(DebitsError::UnknownAvantage),
            );
            store_evidence(c, it, OfflineDebitStatus::Rejected, &r, None, now)?;
            return Ok(r);
        };
        if card.season != season {
            let r = refused(
                id,
                ItemStatus::Rejected,
                ServiceError::Cards(CardsError::Card(passregion_core::CardError::Expired)),
            );
            store_evidence(c, it, OfflineDebitStatus::Rejected, &r, None, now)?;
            return Ok(r);
        }
        if avantage.kind != AvantageKind::Credit || !avantage.allows(category) {
            let r = refused(
                id,
                ItemStatus::Rejected,
                ServiceError::Debits(DebitsError::AvantageNotAllowed),
            );
            store_evidence(c, it, OfflineDebitStatus::Rejected, &r, None, now)?;
            return Ok(r);
        }
        // The credential's limits, as seen by this partner.
        let (spent, count): (i64, u32) = c
            .one(
                "SELECT cents, count FROM offline_spent WHERE credential_id = ?1 AND partner_id = ?2",
                params![it.credential_id, partner_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, 0));
        let debited = u32::try_from(it.item.debited.cents()).unwrap_or(u32::MAX);
        if it
            .limits
            .check_debit(debited, u64::try_from(spent).unwrap_or(u64::MAX), count)
            .is_err()
        {
            let r = reject(
                id,
                "hors_limites",
                "Ce débit dépasse les limites hors ligne de la carte.",
            );
            store_evidence(c, it, OfflineDebitStatus::Rejected, &r, None, now)?;
            return Ok(r);
        }
        // Apply: the card pays what it still holds; the partner is paid what it
        // accepted within the limits; any shortfall is the Region's (flagged).
        let t = totals(c, &card.id, card.season, &avantage.code)?;
        let on_card = t.balance().clamp(0, it.item.debited.cents());
        let tx_id = new_id();
        c.exec(
            "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
             unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
             VALUES (?1, 'debit', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'offline', ?12)",
            params![
                tx_id,
                card.id,
                partner_id,
                account_id,
                card.season.start_year(),
                avantage.code,
                kind_code(avantage.kind),
                it.item.price.cents(),
                on_card,
                it.item.reste_a_payer.cents(),
                it.item.debited.cents(),
                ts(it.item.scanned_at)
            ],
        )?;
        if on_card > 0 {
            crate::debits::ledger::append_ledger(
                c,
                &card.id,
                card.season,
                &avantage.code,
                AvantageKind::Credit,
                passregion_core::ledger::MovementKind::Debit,
                on_card,
                Some(&tx_id),
                now,
            )?;
        }
        c.exec(
            "INSERT INTO qr_uses (credential_id, counter, transaction_id) VALUES (?1, ?2, ?3)",
            params![it.credential_id, it.counter, tx_id],
        )?;
        // Overspend: the card could not pay it all, or the credential was spent
        // beyond its allowance across partners.
        c.exec(
            "INSERT INTO offline_spent (credential_id, partner_id, cents, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (credential_id, partner_id) DO UPDATE SET
             cents = cents + excluded.cents, count = count + 1",
            params![it.credential_id, partner_id, it.item.debited.cents()],
        )?;
        let total_offline: i64 = c.one(
            "SELECT COALESCE(SUM(cents), 0) FROM offline_spent WHERE credential_id = ?1",
            [&it.credential_id],
            |r| r.get(0),
        )?;
        let over_allowance = (total_offline - i64::from(it.limits.allowance_cents)).max(0);
        let shortfall = it.item.debited.cents() - on_card;
        let overspend = over_allowance > 0 || shortfall > 0;
        if overspend {
            let reason = if shortfall > 0 {
                "débit hors ligne au-delà du solde"
            } else {
                "allocation hors ligne dépensée chez plusieurs partenaires"
            };
            c.exec(
                "INSERT INTO card_flags (card_id, reason, amount_cents, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![card.id, reason, over_allowance.max(shortfall), ts(now)],
            )?;
            c.exec(
                "UPDATE app_credentials SET revoked_at = ?2 WHERE card_id = ?1 AND revoked_at IS NULL",
                params![card.id, ts(now)],
            )?;
        }
        let result = ItemResult {
            id,
            status: ItemStatus::Applied,
            http_status: 201,
            code: None,
            message: None,
            transaction_id: Some(tx_id.clone()),
            overspend,
        };
        store_evidence(
            c,
            it,
            OfflineDebitStatus::Applied,
            &result,
            Some(&tx_id),
            now,
        )?;
        Ok(result)
    }
}
