//! The rules of offline sync: who enrols a device, and the decision on each
//! pushed offline debit (idempotency, device, hash chain, QR reuse, card and
//! avantage, the credential's limits, what the card and the Region pay, the
//! overspend flag and the revocation of the card's credentials). Reads and
//! writes go through the storage-only `SyncTx` trait, implemented for SQLite
//! in `sync/apply.rs`; the checks that need no database are in `sync/check.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::credential::OfflineLimits;
use passregion_core::debit::AvantageKind;
use passregion_core::season::Season;
use passregion_core::season::region_day_bounds;
use passregion_core::settlement::PushFacts;
use passregion_core::settlement::SettlementRefusal;
use passregion_core::settlement::settle_offline_debit;
use passregion_core::status::OfflineDebitStatus;
use passregion_core::sync::EnrolRequest;
use passregion_core::sync::GENESIS_HASH;
use passregion_core::sync::ItemResult;
use passregion_core::sync::ItemStatus;
use passregion_core::sync::OfflineDebit;
use passregion_core::sync::PartnerCaps;
use uuid::Uuid;

use crate::accounts::model::Principal;
use crate::accounts::partner_of;
use crate::cards::error::CardsError;
use crate::config::Policy;
use crate::debits::card::CardRow;
use crate::debits::error::DebitsError;
use crate::debits::service::DebitTx;
use crate::error::ServiceError;
use crate::partners::error::PartnersError;
use crate::platform::catalogues::Catalogues;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;
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

/// The storage of offline sync inside the writer's transaction: the device
/// rows, the stored offline records (evidence), the per-item savepoint, and
/// the rows an applied offline debit writes. SQL only, no rule; the SQLite
/// implementation is in `sync/apply.rs`. The ledger totals and consumed QR
/// codes are read through [`DebitTx`].
pub(crate) trait SyncTx: DebitTx {
    /// Takes the locks that serialise the decision on `item` pushed by
    /// `partner_id` with any other instance's (ADR 0036): nothing on SQLite
    /// (one writer); on PostgreSQL, in this order, the card's row and the
    /// partner's row.
    fn lock_item(&self, _item: &CheckedItem, _partner_id: &str) -> Result<(), ServiceError> {
        Ok(())
    }
    /// Inserts an enrolled device.
    fn insert_device(&self, device: &NewDevice) -> Result<(), ServiceError>;
    /// Opens the savepoint of one item.
    fn savepoint(&self) -> Result<(), ServiceError>;
    /// Keeps what the item wrote.
    fn release_savepoint(&self) -> Result<(), ServiceError>;
    /// Undoes what the item wrote (and closes its savepoint).
    fn rollback_savepoint(&self) -> Result<(), ServiceError>;
    /// The stored record of an offline debit: (body hash, result as JSON).
    fn stored_item(&self, id: Uuid) -> Result<Option<(String, String)>, ServiceError>;
    /// The partner of a device, and whether it is revoked.
    fn device_partner(&self, device_id: &str) -> Result<Option<(String, bool)>, ServiceError>;
    /// A device's record at `seq`: (previous hash, hash); with
    /// `applied_only`, an applied record only; otherwise any, applied first.
    fn chain_record(
        &self,
        device_id: &str,
        seq: i64,
        applied_only: bool,
    ) -> Result<Option<(String, String)>, ServiceError>;
    /// A card by id.
    fn card_by_id(&self, id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// What a credential spent offline at a partner: (cents, count); zero
    /// when nothing.
    fn offline_spent(
        &self,
        credential_id: &str,
        partner_id: &str,
    ) -> Result<(i64, u32), ServiceError>;
    /// Writes the `transactions` row of an offline debit.
    fn insert_offline_transaction(&self, t: &NewOfflineTransaction<'_>)
    -> Result<(), ServiceError>;
    /// Appends a debit movement of `units` (credit) to the card's ledger.
    fn append_offline_ledger(
        &self,
        card: &CardRow,
        avantage: &str,
        units: i64,
        transaction_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Marks a QR (credential + counter) consumed by a transaction.
    fn insert_qr_use(
        &self,
        credential_id: &str,
        counter: u32,
        transaction_id: &str,
    ) -> Result<(), ServiceError>;
    /// Adds one debit of `cents` to what a credential spent at a partner.
    fn add_offline_spent(
        &self,
        credential_id: &str,
        partner_id: &str,
        cents: i64,
    ) -> Result<(), ServiceError>;
    /// What a credential spent offline across partners, in cents.
    fn offline_total(&self, credential_id: &str) -> Result<i64, ServiceError>;
    /// Flags a card for the Region.
    fn flag_card(
        &self,
        card_id: &str,
        reason: &str,
        amount_cents: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Revokes every app credential of a card still in force.
    fn revoke_card_credentials(
        &self,
        card_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// When a credential was revoked, if it was.
    fn credential_revoked_at(
        &self,
        credential_id: &str,
    ) -> Result<Option<DateTime<Utc>>, ServiceError>;
    /// Whether the card was suspended at `at` (its status history; without
    /// history, its current status).
    fn card_suspended_at(&self, card: &CardRow, at: DateTime<Utc>) -> Result<bool, ServiceError>;
    /// What a partner was paid for offline debits scanned in `[from, to)`.
    fn partner_offline_paid(
        &self,
        partner_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64, ServiceError>;
    /// What the Region covered for a card's offline debits this season
    /// (paid to partners beyond what the card paid).
    fn card_guarantee_used(&self, card: &CardRow) -> Result<i64, ServiceError>;
    /// Stores the record of an offline debit and its result (evidence).
    fn insert_offline_record(&self, record: &OfflineRecord<'_>) -> Result<(), ServiceError>;
}

/// A checked device enrolment, ready to be stored.
#[derive(Debug)]
pub(crate) struct NewDevice {
    pub(crate) id: String,
    pub(crate) partner_id: String,
    pub(crate) account_id: String,
    pub(crate) public_key: String,
    pub(crate) label: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// The `transactions` row of an applied offline debit.
pub(crate) struct NewOfflineTransaction<'a> {
    pub(crate) id: &'a str,
    pub(crate) card: &'a CardRow,
    pub(crate) partner_id: &'a str,
    pub(crate) account_id: &'a str,
    pub(crate) avantage: &'a str,
    pub(crate) kind: AvantageKind,
    /// The price, in cents.
    pub(crate) price: i64,
    /// What the card paid, in cents.
    pub(crate) on_card: i64,
    /// The *reste à payer*, in cents.
    pub(crate) reste: i64,
    /// What the partner is paid, in cents.
    pub(crate) amount: i64,
    pub(crate) scanned_at: DateTime<Utc>,
}

/// The stored record of a pushed offline debit, with its result as JSON.
pub(crate) struct OfflineRecord<'a> {
    pub(crate) item: &'a CheckedItem,
    pub(crate) status: OfflineDebitStatus,
    pub(crate) result: String,
    pub(crate) transaction_id: Option<&'a str>,
    pub(crate) received_at: DateTime<Utc>,
}

/// Who pushes offline debits: a partner (convention in force) and its
/// account, with the settlement policy (partner caps, card guarantee).
#[derive(Debug, Clone)]
pub(crate) struct Pusher {
    pub(crate) partner_id: String,
    pub(crate) category: PartnerCategory,
    pub(crate) account_id: String,
    pub(crate) caps: PartnerCaps,
    pub(crate) guarantee_cents: i64,
    /// Set when the convention was terminated from that day: only debits
    /// made before it, pushed within the core's `TERMINATION_GRACE`, pass.
    pub(crate) terminated_on: Option<chrono::NaiveDate>,
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

/// The refusal of an item signed by a device a manager revoked.
pub(crate) const DEVICE_REVOKED: (&str, &str) = (
    "appareil_revoque",
    "Cet appareil a été révoqué par le responsable de la structure : ses débits hors ligne ne sont plus acceptés.",
);

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

/// Checks an enrolment: a partner whose convention is in force, a label.
/// Returns (partner id, label).
pub(crate) fn check_enrolment(
    who: &Principal,
    req: &EnrolRequest,
) -> Result<(String, String), ServiceError> {
    let (partner_id, _) = partner_of(who)?;
    let label = require_text("label", &req.label, 80)?;
    Ok((partner_id.to_owned(), label))
}

/// Stores a checked enrolment; returns the device id.
pub(crate) fn enrol(
    tx: &dyn SyncTx,
    partner_id: String,
    account_id: String,
    public_key: String,
    label: String,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let device = NewDevice {
        id: new_id(),
        partner_id,
        account_id,
        public_key,
        label,
        created_at: now,
    };
    tx.insert_device(&device)?;
    Ok(device.id)
}

/// Checks who pushes: a partner whose convention is in force, or one
/// terminated from `terminated_on` still within the grace of its earlier
/// offline debits (`terminated`: that day, read by the caller).
pub(crate) fn check_pusher(
    who: &Principal,
    policy: &Policy,
    terminated: Option<chrono::NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Pusher, ServiceError> {
    let (partner_id, category, terminated_on) = match (partner_of(who), &who.partner, terminated) {
        (Ok((id, cat)), _, _) => (id.to_owned(), cat, None),
        (
            Err(ServiceError::Partners(PartnersError::PartnerNotValidated)),
            Some((id, cat, _)),
            Some(day),
        ) if passregion_core::application::pushes_within_grace(now, day) => {
            (id.clone(), *cat, Some(day))
        }
        (Err(e), _, _) => return Err(e),
    };
    Ok(Pusher {
        partner_id,
        category,
        account_id: who.account_id.clone(),
        caps: policy.partner_caps,
        guarantee_cents: policy.offline_guarantee_cents,
        terminated_on,
    })
}

/// Applies pushed items in order, each in its own savepoint: an item that
/// fails is rolled back alone and reported as rejected.
pub(crate) fn apply_offline(
    tx: &dyn SyncTx,
    cats: &Catalogues,
    who: &Pusher,
    items: Vec<PushItem>,
    now: DateTime<Utc>,
) -> Result<Vec<ItemResult>, ServiceError> {
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let r = match item {
            PushItem::Refused(r) => r,
            PushItem::Checked(it) => {
                tx.savepoint()?;
                match apply_one(tx, cats, who, &it, now) {
                    Ok(r) => {
                        tx.release_savepoint()?;
                        r
                    }
                    // A conflict with another transaction (PostgreSQL's
                    // deadlock or serialization failure) ends the whole
                    // transaction, which runs again: never a rejected item.
                    Err(e) if aborts_transaction(&e) => return Err(e),
                    Err(e) => {
                        tx.rollback_savepoint()?;
                        tracing::error!(error = %e, "offline item failed");
                        refused(it.item.id, ItemStatus::Rejected, e)
                    }
                }
            }
        };
        results.push(r);
    }
    Ok(results)
}

/// When each checked item of a chunk was scanned, by id (for [`count_chunk`]).
pub(crate) fn scanned_at(
    items: &[PushItem],
) -> std::collections::HashMap<uuid::Uuid, DateTime<Utc>> {
    items
        .iter()
        .filter_map(|i| match i {
            PushItem::Checked(it) => Some((it.item.id, it.item.scanned_at)),
            PushItem::Refused(_) => None,
        })
        .collect()
}

/// Counts a chunk's results once it is committed (a chunk run again after a
/// conflict is counted once): each offline debit by outcome, and the sync
/// lag of each one applied. A duplicate was counted when it was applied.
pub(crate) fn count_chunk(
    scanned: &std::collections::HashMap<uuid::Uuid, DateTime<Utc>>,
    results: &[ItemResult],
    now: DateTime<Utc>,
) {
    for r in results.iter().filter(|r| r.status != ItemStatus::Duplicate) {
        crate::platform::metrics::debit("offline", r.code.as_deref());
        if r.status == ItemStatus::Applied
            && let Some(at) = scanned.get(&r.id)
        {
            crate::platform::metrics::sync_lag(now - *at);
        }
    }
}

/// An error that must end the transaction rather than the item alone.
fn aborts_transaction(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Pg(p) if p.retryable())
}

/// Stores the evidence of an item with its result.
pub(crate) fn store_evidence(
    tx: &dyn SyncTx,
    it: &CheckedItem,
    status: OfflineDebitStatus,
    result: &ItemResult,
    transaction_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let json = serde_json::to_string(result).map_err(|e| ServiceError::Internal(e.to_string()))?;
    tx.insert_offline_record(&OfflineRecord {
        item: it,
        status,
        result: json,
        transaction_id,
        received_at: now,
    })
}

/// The hash chain around `it` holds with the applied records already stored.
pub(crate) fn chain_ok(tx: &dyn SyncTx, it: &CheckedItem) -> Result<bool, ServiceError> {
    let seq = i64::try_from(it.item.seq).unwrap_or(i64::MAX);
    if seq < 1 {
        return Ok(false);
    }
    if seq == 1 && it.item.prev_hash != GENESIS_HASH {
        return Ok(false);
    }
    // Any record the device signed is part of its chain, applied or not.
    let at = |s: i64, applied_only: bool| tx.chain_record(&it.item.device_id, s, applied_only);
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

/// The public code and French message of a settlement refusal.
fn settlement_refusal(r: SettlementRefusal) -> (&'static str, &'static str) {
    match r {
        SettlementRefusal::CredentialRevoked => (
            "qr_revoque",
            "Ce code avait été révoqué avant le débit (nouvel appareil, carte suspendue ou signalée).",
        ),
        SettlementRefusal::CardSuspended => (
            "carte_suspendue",
            "La carte était suspendue par l'établissement au moment du débit.",
        ),
        SettlementRefusal::PartnerCap => (
            "plafond_partenaire",
            "Ce débit dépasse les plafonds hors ligne du partenaire (par débit ou par jour).",
        ),
        SettlementRefusal::GuaranteeSpent => (
            "garantie_epuisee",
            "Le solde de la carte et sa garantie hors ligne sont épuisés : ce débit n'est pas remboursé.",
        ),
        SettlementRefusal::InvalidAmount => {
            ("montant_incoherent", "Le montant débité est invalide.")
        }
    }
}

/// Stores `r` as the evidence of a refused item, and returns it.
fn refuse_with_evidence(
    tx: &dyn SyncTx,
    it: &CheckedItem,
    status: OfflineDebitStatus,
    r: ItemResult,
    now: DateTime<Utc>,
) -> Result<ItemResult, ServiceError> {
    store_evidence(tx, it, status, &r, None, now)?;
    Ok(r)
}

/// The decision on one checked item, in the writer's transaction.
pub(crate) fn apply_one(
    tx: &dyn SyncTx,
    cats: &Catalogues,
    who: &Pusher,
    it: &CheckedItem,
    now: DateTime<Utc>,
) -> Result<ItemResult, ServiceError> {
    let id = it.item.id;
    let (partner_id, category) = (who.partner_id.as_str(), who.category);
    tx.lock_item(it, partner_id)?;
    // Idempotency: the same id again.
    if let Some((hash, result)) = tx.stored_item(id)? {
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
    // After a termination, only what was made before it, within the grace.
    if let Some(day) = who.terminated_on
        && !passregion_core::application::offline_debit_within_grace(it.item.scanned_at, now, day)
    {
        return Ok(reject(
            id,
            "convention_resiliee",
            "Débit fait après la résiliation de la convention (ou transmis après le délai de grâce) : refusé.",
        ));
    }
    // The device belongs to the partner pushing, and was not revoked since
    // the push was checked.
    match tx.device_partner(&it.item.device_id)? {
        Some((p, false)) if p == partner_id => {}
        Some((p, true)) if p == partner_id => {
            let (code, message) = DEVICE_REVOKED;
            return Ok(reject(id, code, message));
        }
        _ => {
            return Ok(reject(
                id,
                "appareil_inconnu",
                "Cet appareil n'est pas enrôlé pour ce partenaire.",
            ));
        }
    }
    let rejected = OfflineDebitStatus::Rejected;
    if !chain_ok(tx, it)? {
        let r = reject(
            id,
            "chaine_rompue",
            "L'enregistrement ne suit pas le précédent de cet appareil.",
        );
        return refuse_with_evidence(tx, it, rejected, r, now);
    }
    // The same QR authorisation already paid another debit: evidence only.
    if tx.qr_used(&it.credential_id, it.counter)? {
        let r = refused(
            id,
            ItemStatus::Reused,
            ServiceError::Debits(DebitsError::Qr("Replayed".into())),
        );
        return refuse_with_evidence(tx, it, OfflineDebitStatus::Reused, r, now);
    }
    let Some(card) = tx.card_by_id(&it.card_id)? else {
        return Ok(reject(id, "carte_inconnue", "Carte inconnue."));
    };
    let season = Season::of_instant(it.item.scanned_at);
    let avantage = cats
        .get(season)
        .and_then(|cat| cat.avantage(&it.item.avantage))
        .cloned();
    let Some(avantage) = avantage else {
        let e = ServiceError::Debits(DebitsError::UnknownAvantage);
        let r = refused(id, ItemStatus::Rejected, e);
        return refuse_with_evidence(tx, it, rejected, r, now);
    };
    if card.season != season {
        let e = ServiceError::Cards(CardsError::Card(passregion_core::CardError::Expired));
        let r = refused(id, ItemStatus::Rejected, e);
        return refuse_with_evidence(tx, it, rejected, r, now);
    }
    if avantage.kind != AvantageKind::Credit || !avantage.allows(category) {
        let e = ServiceError::Debits(DebitsError::AvantageNotAllowed);
        let r = refused(id, ItemStatus::Rejected, e);
        return refuse_with_evidence(tx, it, rejected, r, now);
    }
    // The credential's limits, as seen by this partner.
    let (spent, count) = tx.offline_spent(&it.credential_id, partner_id)?;
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
        return refuse_with_evidence(tx, it, rejected, r, now);
    }
    // Settle with what the server knows (core::settlement): revocation and
    // suspension at the scan time, the partner's caps across its devices,
    // the card's balance, then the card's offline guarantee.
    let scanned_at = it.item.scanned_at;
    let (day_start, day_end) = region_day_bounds(scanned_at);
    let t = tx.totals(&card.id, card.season, &avantage.code)?;
    let facts = PushFacts {
        debited_cents: it.item.debited.cents(),
        credential_revoked: tx
            .credential_revoked_at(&it.credential_id)?
            .is_some_and(|r| r <= scanned_at),
        card_suspended: tx.card_suspended_at(&card, scanned_at)?,
        partner_day_cents: tx.partner_offline_paid(partner_id, day_start, day_end)?,
        card_balance_cents: t.balance(),
        guarantee_used_cents: tx.card_guarantee_used(&card)?,
    };
    let settled = match settle_offline_debit(&who.caps, who.guarantee_cents, &facts) {
        Ok(s) => s,
        Err(refusal) => {
            let (code, message) = settlement_refusal(refusal);
            let r = reject(id, code, message);
            return refuse_with_evidence(tx, it, rejected, r, now);
        }
    };
    let on_card = settled.on_card_cents;
    let tx_id = new_id();
    tx.insert_offline_transaction(&NewOfflineTransaction {
        id: &tx_id,
        card: &card,
        partner_id,
        account_id: &who.account_id,
        avantage: &avantage.code,
        kind: avantage.kind,
        price: it.item.price.cents(),
        on_card,
        reste: it.item.reste_a_payer.cents(),
        amount: settled.paid_cents(),
        scanned_at,
    })?;
    if on_card > 0 {
        tx.append_offline_ledger(&card, &avantage.code, on_card, &tx_id, now)?;
    }
    tx.insert_qr_use(&it.credential_id, it.counter, &tx_id)?;
    // Overspend: the card could not pay it all, or the credential was spent
    // beyond its allowance across partners.
    tx.add_offline_spent(&it.credential_id, partner_id, it.item.debited.cents())?;
    let total_offline = tx.offline_total(&it.credential_id)?;
    let over_allowance = (total_offline - i64::from(it.limits.allowance_cents)).max(0);
    let shortfall = it.item.debited.cents() - on_card;
    let overspend = over_allowance > 0 || shortfall > 0;
    if overspend {
        let reason = if shortfall > 0 {
            "débit hors ligne au-delà du solde"
        } else {
            "allocation hors ligne dépensée chez plusieurs partenaires"
        };
        tx.flag_card(&card.id, reason, over_allowance.max(shortfall), now)?;
        tx.revoke_card_credentials(&card.id, now)?;
    }
    let (code, message) = if settled.unpaid_cents > 0 {
        let euros = |c: i64| passregion_core::Money::from_cents(c).unwrap_or_default();
        (
            Some("garantie_partielle".to_owned()),
            Some(format!(
                "Débit hors ligne enregistré : {} € remboursés, {} € non garantis (solde de la carte et garantie hors ligne épuisés).",
                euros(settled.paid_cents()),
                euros(settled.unpaid_cents)
            )),
        )
    } else {
        (None, None)
    };
    let result = ItemResult {
        id,
        status: ItemStatus::Applied,
        http_status: 201,
        code,
        message,
        transaction_id: Some(tx_id.clone()),
        overspend,
    };
    store_evidence(
        tx,
        it,
        OfflineDebitStatus::Applied,
        &result,
        Some(&tx_id),
        now,
    )?;
    Ok(result)
}
