//! Storage of the sync protocol: partner devices, offline debits pushed at
//! sync, overspend flags and the change log pulled as deltas. The checks that
//! need no database (signatures, QR, consistency) are done before, in
//! [`crate::sync_check`]; what needs the ledger is done here, in the writer's
//! transaction, one savepoint per item.

use chrono::{DateTime, Utc};
use passregion_core::credential::OfflineLimits;
use passregion_core::debit::AvantageKind;
use passregion_core::season::Season;
use passregion_core::sync::{
    DirectoryEntry, EnrolRequest, GENESIS_HASH, ItemResult, ItemStatus, OfflineDebit,
};
use passregion_core::{Money, PartnerCategory};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Cached;
use crate::error::{ApiError, ServiceError};
use crate::model::Principal;
use crate::store::{SqliteStore, card_by, kind_code, new_id, partner_of, require_text, totals, ts};

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

/// A card flagged for offline overspend, for the Region.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardFlag {
    /// Card id.
    pub card_id: String,
    /// Last four digits of the card.
    pub card: String,
    /// Why.
    pub reason: String,
    /// Euros the Region carries for it.
    #[schema(value_type = String)]
    pub amount: Money,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of changes.
#[derive(Debug, Clone)]
pub struct ChangePage {
    /// Last change included.
    pub cursor: i64,
    /// Whether more changes wait.
    pub more: bool,
    /// Partners changed.
    pub partners: Vec<DirectoryEntry>,
    /// Cards to refuse.
    pub revoked_cards: Vec<Uuid>,
    /// Cards no longer refused.
    pub restored_cards: Vec<Uuid>,
    /// Credentials to refuse.
    pub revoked_credentials: Vec<Uuid>,
}

/// Storage operations of the sync protocol.
pub trait SyncStore: Send + Sync + 'static {
    /// Enrols a partner phone; returns the device id.
    fn enrol_device(
        &self,
        who: &Principal,
        req: &EnrolRequest,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError>;
    /// The partner's devices: (id, public key, revoked).
    fn partner_devices(
        &self,
        partner_id: &str,
    ) -> Result<Vec<(String, String, bool)>, ServiceError>;
    /// Applies checked offline debits (one transaction, one savepoint each).
    fn apply_offline(
        &self,
        who: &Principal,
        items: Vec<PushItem>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError>;
    /// Changes after `cursor`.
    fn changes(&self, cursor: i64, limit: u32) -> Result<ChangePage, ServiceError>;
    /// Cards flagged for overspend.
    fn flags(&self) -> Result<Vec<CardFlag>, ServiceError>;
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

fn reject(id: Uuid, code: &'static str, message: &str) -> ItemResult {
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

fn store_evidence(
    c: &Connection,
    it: &CheckedItem,
    status: &str,
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
            status,
            json,
            transaction_id,
            ts(now)
        ],
    )?;
    Ok(())
}

/// The hash chain around `it` holds with the applied records already stored.
fn chain_ok(c: &Connection, it: &CheckedItem) -> Result<bool, ServiceError> {
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
             AND (?3 = 0 OR status = 'applied') ORDER BY status = 'applied' DESC LIMIT 1",
            params![it.item.device_id, s, applied_only as i64],
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
    fn apply_one(
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
            store_evidence(c, it, "rejected", &r, None, now)?;
            return Ok(r);
        }
        // The same QR authorisation already paid another debit: evidence only.
        if crate::store::qr_used(c, &it.credential_id, it.counter)? {
            let r = refused(id, ItemStatus::Reused, ServiceError::Qr("Replayed".into()));
            store_evidence(c, it, "reused", &r, None, now)?;
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
            let r = refused(id, ItemStatus::Rejected, ServiceError::UnknownAvantage);
            store_evidence(c, it, "rejected", &r, None, now)?;
            return Ok(r);
        };
        if card.season != season {
            let r = refused(
                id,
                ItemStatus::Rejected,
                ServiceError::Card(passregion_core::CardError::Expired),
            );
            store_evidence(c, it, "rejected", &r, None, now)?;
            return Ok(r);
        }
        if avantage.kind != AvantageKind::Credit || !avantage.allows(category) {
            let r = refused(id, ItemStatus::Rejected, ServiceError::AvantageNotAllowed);
            store_evidence(c, it, "rejected", &r, None, now)?;
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
            store_evidence(c, it, "rejected", &r, None, now)?;
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
            crate::store::append_ledger(
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
        store_evidence(c, it, "applied", &result, Some(&tx_id), now)?;
        Ok(result)
    }
}

impl SyncStore for SqliteStore {
    fn enrol_device(
        &self,
        who: &Principal,
        req: &EnrolRequest,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let (partner_id, _) = partner_of(who)?;
        let label = require_text("label", &req.label, 80)?;
        let (pid, account, key) = (
            partner_id.to_owned(),
            who.account_id.clone(),
            req.device_public_key.clone(),
        );
        self.db.write(move |c| {
            let id = new_id();
            c.exec(
                "INSERT INTO partner_devices (id, partner_id, account_id, public_key, label, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, pid, account, key, label, ts(now)],
            )?;
            Ok(id)
        })
    }

    fn partner_devices(
        &self,
        partner_id: &str,
    ) -> Result<Vec<(String, String, bool)>, ServiceError> {
        let pid = partner_id.to_owned();
        self.db.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, public_key, revoked_at IS NOT NULL FROM partner_devices WHERE partner_id = ?1",
            )?;
            let rows = stmt.query_map([pid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn apply_offline(
        &self,
        who: &Principal,
        items: Vec<PushItem>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemResult>, ServiceError> {
        let (partner_id, category) = partner_of(who)?;
        let partner_id = partner_id.to_owned();
        let account = who.account_id.clone();
        let me = SqliteStore {
            db: self.db.clone(),
            catalogues: self.catalogues.clone(),
            policy: self.policy.clone(),
        };
        self.db.write(move |c| {
            let mut results = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    PushItem::Refused(r) => results.push(r),
                    PushItem::Checked(it) => {
                        c.execute_batch("SAVEPOINT item")?;
                        match me.apply_one(c, &partner_id, category, &account, &it, now) {
                            Ok(r) => {
                                c.execute_batch("RELEASE item")?;
                                results.push(r);
                            }
                            Err(e) => {
                                c.execute_batch("ROLLBACK TO item; RELEASE item")?;
                                tracing::error!(error = %e, "offline item failed");
                                results.push(refused(it.item.id, ItemStatus::Rejected, e));
                            }
                        }
                    }
                }
            }
            Ok(results)
        })
    }

    fn changes(&self, cursor: i64, limit: u32) -> Result<ChangePage, ServiceError> {
        self.db.read(move |c| {
            let rows: Vec<(String, String, i64)> = {
                let mut stmt = c.prepare_cached(
                    "SELECT kind, entity_id, MAX(seq) AS s FROM change_log WHERE seq > ?1
                     GROUP BY kind, entity_id ORDER BY s LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![cursor, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut page = ChangePage {
                cursor,
                more: rows.len() as u32 == limit,
                partners: Vec::new(),
                revoked_cards: Vec::new(),
                restored_cards: Vec::new(),
                revoked_credentials: Vec::new(),
            };
            let mut partner_stmt = c.prepare_cached(
                "SELECT id, name, category, address, city, postal_code, latitude, longitude, status
                 FROM partners WHERE id = ?1",
            )?;
            for (kind, id, seq) in rows {
                page.cursor = page.cursor.max(seq);
                match kind.as_str() {
                    "partner" => {
                        let p = partner_stmt
                            .query_row([&id], |r| {
                                Ok((
                                    r.get::<_, String>(0)?,
                                    r.get::<_, String>(1)?,
                                    r.get::<_, String>(2)?,
                                    r.get::<_, String>(3)?,
                                    r.get::<_, String>(4)?,
                                    r.get::<_, String>(5)?,
                                    r.get::<_, f64>(6)?,
                                    r.get::<_, f64>(7)?,
                                    r.get::<_, String>(8)?,
                                ))
                            })
                            .optional()?;
                        if let Some((id, name, cat, address, city, postal_code, lat, lon, status)) = p {
                            page.partners.push(DirectoryEntry {
                                id,
                                name,
                                category: crate::store::enum_from(&cat)?,
                                address,
                                city,
                                postal_code,
                                latitude: lat,
                                longitude: lon,
                                active: status == "validated",
                            });
                        }
                    }
                    "card" => {
                        let blocked: bool = c.one(
                            "SELECT status = 'suspendue' OR EXISTS (SELECT 1 FROM card_flags f WHERE f.card_id = cards.id)
                             FROM cards WHERE id = ?1",
                            [&id],
                            |r| r.get(0),
                        )?;
                        if let Ok(u) = Uuid::parse_str(&id) {
                            if blocked {
                                page.revoked_cards.push(u);
                            } else {
                                page.restored_cards.push(u);
                            }
                        }
                    }
                    _ => {
                        if let Ok(u) = Uuid::parse_str(&id) {
                            page.revoked_credentials.push(u);
                        }
                    }
                }
            }
            Ok(page)
        })
    }

    fn flags(&self) -> Result<Vec<CardFlag>, ServiceError> {
        self.db.read(|c| {
            let mut stmt = c.prepare(
                "SELECT f.card_id, c.number, f.reason, f.amount_cents, f.created_at
                 FROM card_flags f JOIN cards c ON c.id = f.card_id ORDER BY f.id DESC LIMIT 1000",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (card_id, number, reason, amount, created) = row?;
                out.push(CardFlag {
                    card_id,
                    card: format!("•••• {}", number.get(12..).unwrap_or("")),
                    reason,
                    amount: Money::from_cents(amount.max(0))?,
                    created_at: crate::store::parse_ts(&created)?,
                });
            }
            Ok(out)
        })
    }
}
