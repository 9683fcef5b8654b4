//! The repository boundary. Handlers only see the [`Store`] trait; the SQLite
//! implementation ([`SqliteStore`]) holds the SQL. A PostgreSQL backend would
//! implement the same trait; the rules it applies come from `passregion-core`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use passregion_core::card::CardNumber;
use passregion_core::debit::{AvantageKind, Quantity};
use passregion_core::ledger::{MovementKind, Totals};
use passregion_core::public::check_eligibility;
use passregion_core::season::region_date;
use passregion_core::{
    CardState, CardStatus, Catalogue, Money, PartnerCategory, Profile, Public, RefundPolicy,
    Season, Track,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::Cached;
use crate::db::Db;
use crate::error::ServiceError;
use crate::model::*;

/// Stored answer of an idempotent POST.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// An idempotent call: who, which key, and a hash of the request.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// Caller account.
    pub account_id: String,
    /// `Idempotency-Key` header.
    pub key: String,
    /// SHA-256 of method, path and body.
    pub request_hash: String,
}

/// Where a debit comes from.
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    /// Web form: card number + birth date.
    Web,
    /// Scanned QR code.
    Qr,
}

/// Which card, once the QR text or the number is resolved.
#[derive(Debug, Clone)]
pub enum CardRef {
    /// Card number + birth date (checked, with lockout).
    Number(CardNumber, NaiveDate),
    /// A verified QR code.
    Scanned(crate::qr::ScannedCard),
}

/// Tunable rules of the server.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Refund window.
    pub refund: RefundPolicy,
    /// Wrong birth dates before a card is locked.
    pub max_birth_date_failures: i64,
    /// How long a card stays locked.
    pub lockout: Duration,
    /// Session lifetime.
    pub session_ttl: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            refund: RefundPolicy::default(),
            max_birth_date_failures: 5,
            lockout: Duration::minutes(15),
            session_ttl: Duration::hours(12),
        }
    }
}

/// A stored account, for login.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// The account as shown.
    pub view: AccountView,
    /// PHC string.
    pub password_hash: String,
}

/// Every operation the HTTP layer needs from storage.
pub trait Store: Send + Sync + 'static {
    /// Account by e-mail.
    fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, ServiceError>;
    /// Creates a session.
    fn create_session(
        &self,
        token_hash: String,
        account_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Resolves a session.
    fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, ServiceError>;
    /// Ends a session.
    fn delete_session(&self, token_hash: String) -> Result<(), ServiceError>;
    /// Creates an account (demo data, partner sign-up).
    fn create_account(&self, account: NewAccount) -> Result<String, ServiceError>;

    /// Établissements matching a search.
    fn establishments(&self, q: Option<&str>) -> Result<Vec<Establishment>, ServiceError>;
    /// Validated partners (public directory).
    fn partners(
        &self,
        q: Option<&str>,
        category: Option<PartnerCategory>,
    ) -> Result<Vec<Partner>, ServiceError>;
    /// Validated bons plans (public).
    fn bons_plans(&self, category: Option<PartnerCategory>) -> Result<Vec<BonPlan>, ServiceError>;

    /// A youth orders the PASS.
    fn create_order(
        &self,
        who: &Principal,
        req: OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError>;
    /// The youth's orders.
    fn my_orders(&self, who: &Principal) -> Result<Vec<Order>, ServiceError>;
    /// The youth's card and balances.
    fn my_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError>;
    /// The youth confirms reception of the card.
    fn activate_card(&self, who: &Principal, now: DateTime<Utc>) -> Result<CardView, ServiceError>;
    /// The youth's transactions.
    fn my_transactions(&self, who: &Principal) -> Result<Vec<Transaction>, ServiceError>;

    /// Orders to handle by an établissement.
    fn establishment_orders(
        &self,
        who: &Principal,
        status: Option<&str>,
    ) -> Result<Vec<Order>, ServiceError>;
    /// Validates (issuing the card) or refuses an order.
    fn decide_order(
        &self,
        who: &Principal,
        order_id: &str,
        decision: OrderDecision,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError>;
    /// The établissement's cards.
    fn establishment_cards(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Vec<CardView>, ServiceError>;
    /// Suspends, reactivates or revalidates a card.
    fn change_card(
        &self,
        who: &Principal,
        card_id: &str,
        change: CardChange,
        now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError>;

    /// What a partner may debit on a card.
    fn inspect_card(
        &self,
        who: &Principal,
        card: CardRef,
        now: DateTime<Utc>,
    ) -> Result<CardInspection, ServiceError>;
    /// A partner debits a card (idempotent).
    fn debit(
        &self,
        who: &Principal,
        card: CardRef,
        req: DebitRequest,
        channel: Channel,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// A partner cancels a debit (idempotent).
    fn refund(
        &self,
        who: &Principal,
        transaction_id: &str,
        req: RefundRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
    /// A partner's transactions.
    fn partner_transactions(
        &self,
        who: &Principal,
        after: i64,
        limit: u32,
    ) -> Result<TransactionPage, ServiceError>;
    /// A partner's reimbursements.
    fn partner_reimbursements(&self, who: &Principal)
    -> Result<ReimbursementSummary, ServiceError>;
    /// A partner submits a bon plan.
    fn submit_bon_plan(
        &self,
        who: &Principal,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError>;
    /// A partner's own bons plans, any status.
    fn partner_bons_plans(&self, who: &Principal) -> Result<Vec<BonPlan>, ServiceError>;

    /// All transactions, as they happen.
    fn region_transactions(&self, after: i64, limit: u32) -> Result<TransactionPage, ServiceError>;
    /// Closes a reimbursement batch per partner.
    fn close_reimbursements(
        &self,
        period_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Batch>, ServiceError>;
    /// Marks a batch paid.
    fn pay_batch(&self, batch_id: &str, now: DateTime<Utc>) -> Result<Batch, ServiceError>;
    /// Every batch.
    fn batches(&self) -> Result<Vec<Batch>, ServiceError>;
    /// Checks the ledger.
    fn check_ledger(&self) -> Result<LedgerCheck, ServiceError>;
    /// Bons plans waiting for moderation.
    fn bons_plans_to_moderate(&self) -> Result<Vec<BonPlan>, ServiceError>;
    /// Publishes or refuses a bon plan.
    fn moderate_bon_plan(&self, id: &str, req: ModerationRequest) -> Result<BonPlan, ServiceError>;

    /// Whether an app credential was issued here and is not revoked.
    fn credential_usable(&self, credential_id: &str) -> Result<bool, ServiceError>;
    /// The youth's card as signed-QR material: (card id, version, season).
    fn card_qr_data(
        &self,
        who: &Principal,
        card_id: Option<&str>,
    ) -> Result<(String, u32, Season), ServiceError>;
    /// Records an app credential for the youth's active card; returns the
    /// claims to sign (limits decided from the card's balances and `defaults`).
    fn register_credential(
        &self,
        who: &Principal,
        device_public_key: String,
        defaults: OfflineDefaults,
        now: DateTime<Utc>,
    ) -> Result<NewCredential, ServiceError>;

    /// Deletes expired sessions and idempotency records older than `keep`
    /// (a client retries within minutes; a month is generous).
    fn prune(&self, now: DateTime<Utc>, keep: Duration) -> Result<usize, ServiceError>;

    /// End of the last closed reimbursement period.
    fn last_period_end(&self) -> Result<Option<DateTime<Utc>>, ServiceError>;

    /// Loads the avantages of every card whose season has started and is not loaded yet.
    fn load_due_seasons(&self, now: DateTime<Utc>) -> Result<usize, ServiceError>;
}

/// Default offline limits of app credentials.
#[derive(Debug, Clone, Copy)]
pub struct OfflineDefaults {
    /// Total a youth may spend offline per credential (cents).
    pub allowance_cents: i64,
    /// Largest offline debit (cents).
    pub per_transaction_max_cents: i64,
    /// Most offline debits per credential.
    pub max_count: u16,
    /// Credential lifetime.
    pub validity: Duration,
}

impl Default for OfflineDefaults {
    fn default() -> Self {
        OfflineDefaults {
            allowance_cents: 3000,
            per_transaction_max_cents: 1500,
            max_count: 3,
            validity: Duration::hours(72),
        }
    }
}

/// An app credential recorded, to be signed by the issuer key.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// Credential id.
    pub credential_id: String,
    /// Card id.
    pub card_id: String,
    /// Offline allowance (cents).
    pub allowance_cents: i64,
    /// Per-transaction maximum (cents).
    pub per_transaction_max_cents: i64,
    /// Most offline debits.
    pub max_count: u16,
    /// Issued at.
    pub issued_at: DateTime<Utc>,
    /// Expires at.
    pub expires_at: DateTime<Utc>,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// E-mail.
    pub email: String,
    /// PHC password hash.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Display name.
    pub display_name: String,
    /// Partner (partner staff).
    pub partner_id: Option<String>,
    /// Établissement (établissement staff).
    pub establishment_id: Option<String>,
}

/// A change of a card by its établissement.
#[derive(Debug, Clone)]
pub enum CardChange {
    /// Suspend with a reason.
    Suspend(String),
    /// Lift the suspension.
    Reactivate,
    /// Move to the next season.
    Revalidate,
}

/// Catalogues by season.
#[derive(Debug, Default)]
pub struct Catalogues(HashMap<Season, Catalogue>);

impl Catalogues {
    /// From a list of validated catalogues.
    pub fn new(list: Vec<Catalogue>) -> Catalogues {
        Catalogues(list.into_iter().map(|c| (c.season, c)).collect())
    }

    /// The catalogue of a season.
    pub fn get(&self, season: Season) -> Option<&Catalogue> {
        self.0.get(&season)
    }
}

/// The SQLite implementation.
pub struct SqliteStore {
    pub(crate) db: Arc<Db>,
    pub(crate) catalogues: Arc<Catalogues>,
    pub(crate) policy: Policy,
}

impl SqliteStore {
    /// Wraps an open database.
    pub fn new(db: Arc<Db>, catalogues: Arc<Catalogues>, policy: Policy) -> SqliteStore {
        SqliteStore {
            db,
            catalogues,
            policy,
        }
    }

    /// The underlying database (tests, demo seeding).
    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }
}

// ---------------------------------------------------------------- helpers

/// Instants are stored as fixed-width RFC 3339 text, so text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>, ServiceError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| ServiceError::Internal("bad stored timestamp".into()))
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ServiceError::Internal("bad stored date".into()))
}

fn enum_code<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn enum_from<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, ServiceError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| ServiceError::Internal("bad stored code".into()))
}

pub(crate) fn kind_code(k: AvantageKind) -> &'static str {
    match k {
        AvantageKind::Credit => "credit",
        AvantageKind::Entries => "entries",
    }
}

fn kind_from(s: &str) -> Result<AvantageKind, ServiceError> {
    match s {
        "credit" => Ok(AvantageKind::Credit),
        "entries" => Ok(AvantageKind::Entries),
        _ => Err(ServiceError::Internal("bad unit kind".into())),
    }
}

/// Formats ledger units: `15.00` for euros, `5` for entries.
pub(crate) fn units_text(kind: AvantageKind, units: i64) -> String {
    match kind {
        AvantageKind::Credit => Money::from_cents(units.abs())
            .map(|m| {
                if units < 0 {
                    format!("-{m}")
                } else {
                    m.to_string()
                }
            })
            .unwrap_or_default(),
        AvantageKind::Entries => units.to_string(),
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn random_u64() -> u64 {
    rand::random()
}

pub(crate) fn require_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, ServiceError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field,
            message: format!("Le champ « {field} » est obligatoire ({max} caractères au plus)."),
        });
    }
    Ok(v.to_owned())
}

pub(crate) fn require_role(who: &Principal, role: Role) -> Result<(), ServiceError> {
    if who.role == role {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

pub(crate) fn partner_of(who: &Principal) -> Result<(&str, PartnerCategory), ServiceError> {
    require_role(who, Role::Partner)?;
    match &who.partner {
        Some((id, cat, true)) => Ok((id.as_str(), *cat)),
        Some((_, _, false)) => Err(ServiceError::PartnerNotValidated),
        None => Err(ServiceError::Forbidden),
    }
}

fn establishment_of(who: &Principal) -> Result<&str, ServiceError> {
    require_role(who, Role::Establishment)?;
    who.establishment_id
        .as_deref()
        .ok_or(ServiceError::Forbidden)
}

/// A card row.
#[derive(Debug, Clone)]
pub(crate) struct CardRow {
    pub(crate) id: String,
    pub(crate) number: String,
    pub(crate) establishment_id: String,
    pub(crate) season: Season,
    pub(crate) status: CardStatus,
    pub(crate) profile: Profile,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) birth_date: NaiveDate,
    pub(crate) status_reason: Option<String>,
    pub(crate) failed_attempts: i64,
    pub(crate) locked_until: Option<DateTime<Utc>>,
}

impl CardRow {
    /// `Léa M.`: what a partner sees of the holder to check identity.
    pub(crate) fn holder(&self) -> String {
        let initial: String = self.last_name.chars().take(1).collect();
        format!("{} {}.", self.first_name, initial)
    }
}

/// Checks an e-mail address (accounts, referents): one rule for the server.
pub(crate) fn check_email(field: &'static str, email: &str) -> Result<String, ServiceError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(a, b)| {
            !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(ServiceError::Invalid {
            field,
            message: "Adresse e-mail invalide.".into(),
        })
    }
}

const CARD_COLS: &str = "id, number, establishment_id, season, status, public, track, disabled,
    first_name, last_name, birth_date, status_reason, failed_attempts, locked_until";

fn card_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<CardRow, ServiceError>> {
    let season: i32 = r.get(3)?;
    let status: String = r.get(4)?;
    let public: String = r.get(5)?;
    let track: Option<String> = r.get(6)?;
    let birth: String = r.get(10)?;
    let locked: Option<String> = r.get(13)?;
    let build = || -> Result<CardRow, ServiceError> {
        Ok(CardRow {
            id: r.get(0)?,
            number: r.get(1)?,
            establishment_id: r.get(2)?,
            season: Season::starting(season)
                .map_err(|_| ServiceError::Internal("bad season".into()))?,
            status: CardStatus::from_code(&status)
                .ok_or_else(|| ServiceError::Internal("bad status".into()))?,
            profile: Profile {
                public: enum_from::<Public>(&public)?,
                track: track.as_deref().map(enum_from::<Track>).transpose()?,
                disabled: r.get::<_, i64>(7)? != 0,
            },
            first_name: r.get(8)?,
            last_name: r.get(9)?,
            birth_date: parse_date(&birth)?,
            status_reason: r.get(11)?,
            failed_attempts: r.get(12)?,
            locked_until: locked.as_deref().map(parse_ts).transpose()?,
        })
    };
    Ok(build())
}

pub(crate) fn card_by(
    conn: &Connection,
    column: &str,
    value: &str,
) -> Result<Option<CardRow>, ServiceError> {
    let sql = format!("SELECT {CARD_COLS} FROM cards WHERE {column} = ?1");
    conn.one(&sql, [value], card_from_row)
        .optional()?
        .transpose()
}

pub(crate) fn totals(
    conn: &Connection,
    card_id: &str,
    season: Season,
    avantage: &str,
) -> Result<Totals, ServiceError> {
    Ok(conn
        .one(
            "SELECT loaded_total, debited_total, refunded_total FROM ledger
             WHERE card_id = ?1 AND season = ?2 AND avantage = ?3 ORDER BY id DESC LIMIT 1",
            params![card_id, season.start_year(), avantage],
            |r| {
                Ok(Totals {
                    loaded: r.get(0)?,
                    debited: r.get(1)?,
                    refunded: r.get(2)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// Appends one movement to the ledger, with the running totals after it
/// (checked by `passregion_core::ledger::Totals::apply`). Returns the totals.
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_ledger(
    conn: &Connection,
    card_id: &str,
    season: Season,
    avantage: &str,
    unit_kind: AvantageKind,
    movement: MovementKind,
    units: i64,
    transaction_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Totals, ServiceError> {
    let before = totals(conn, card_id, season, avantage)?;
    append_ledger_after(
        conn,
        card_id,
        season,
        avantage,
        unit_kind,
        movement,
        units,
        transaction_id,
        before,
        now,
    )
}

/// [`append_ledger`] when the caller has just read the totals (same transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append_ledger_after(
    conn: &Connection,
    card_id: &str,
    season: Season,
    avantage: &str,
    unit_kind: AvantageKind,
    movement: MovementKind,
    units: i64,
    transaction_id: Option<&str>,
    before: Totals,
    now: DateTime<Utc>,
) -> Result<Totals, ServiceError> {
    let after = before
        .apply(movement, units)
        .map_err(|e| ServiceError::Internal(format!("ledger: {e}")))?;
    conn.exec(
        "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units, transaction_id,
         loaded_total, debited_total, refunded_total, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            card_id,
            season.start_year(),
            avantage,
            kind_code(unit_kind),
            movement.code(),
            units,
            transaction_id,
            after.loaded,
            after.debited,
            after.refunded,
            ts(now)
        ],
    )?;
    Ok(after)
}

fn balances(
    conn: &Connection,
    catalogues: &Catalogues,
    card: &CardRow,
    only_category: Option<PartnerCategory>,
) -> Result<Vec<Balance>, ServiceError> {
    let Some(cat) = catalogues.get(card.season) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for a in &cat.avantages {
        if only_category.is_some_and(|c| !a.allows(c)) {
            continue;
        }
        let t = totals(conn, &card.id, card.season, &a.code)?;
        if t.loaded == 0 {
            continue;
        }
        out.push(Balance {
            avantage: a.code.clone(),
            label: a.label.clone(),
            kind: a.kind,
            loaded: units_text(a.kind, t.loaded),
            remaining: units_text(a.kind, t.balance()),
            categories: a.categories.clone(),
        });
    }
    Ok(out)
}

fn card_view(
    conn: &Connection,
    catalogues: &Catalogues,
    card: &CardRow,
) -> Result<CardView, ServiceError> {
    Ok(CardView {
        id: card.id.clone(),
        number: card.number.clone(),
        status: card.status.code().to_owned(),
        status_reason: card.status_reason.clone(),
        season: card.season.to_string(),
        valid_until: card.season.last_day(),
        first_name: card.first_name.clone(),
        last_name: card.last_name.clone(),
        establishment_id: card.establishment_id.clone(),
        balances: balances(conn, catalogues, card, None)?,
    })
}

/// Loads a card's avantages for its season, once (the unique index makes a
/// second load impossible).
fn load_season(
    conn: &Connection,
    catalogues: &Catalogues,
    card: &CardRow,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let Some(cat) = catalogues.get(card.season) else {
        return Ok(0);
    };
    let mut n = 0;
    for e in cat.entitlements(&card.profile) {
        // Once per card, season and avantage (a unique index enforces it too).
        if totals(conn, &card.id, card.season, &e.code)?.loaded > 0 {
            continue;
        }
        append_ledger(
            conn,
            &card.id,
            card.season,
            &e.code,
            e.quantity.kind(),
            MovementKind::Load,
            e.quantity.units(),
            None,
            now,
        )?;
        n += 1;
    }
    Ok(n)
}

/// Maps a row to a value, or to the reason its stored data is unreadable.
type FromRow<T> = fn(&rusqlite::Row<'_>) -> rusqlite::Result<Result<T, ServiceError>>;

/// Runs a query through the statement cache and maps every row.
fn select_all<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
    from_row: FromRow<T>,
) -> Result<Vec<T>, ServiceError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

const ORDER_COLS: &str = "id, season, status, reason, establishment_id, first_name, last_name,
    birth_date, public, track, disabled, created_at, decided_at";

fn order_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Order, ServiceError>> {
    let season: i32 = r.get(1)?;
    let birth: String = r.get(7)?;
    let public: String = r.get(8)?;
    let track: Option<String> = r.get(9)?;
    let created: String = r.get(11)?;
    let decided: Option<String> = r.get(12)?;
    let build = || -> Result<Order, ServiceError> {
        Ok(Order {
            id: r.get(0)?,
            season: Season::starting(season)
                .map_err(|_| ServiceError::Internal("bad season".into()))?
                .to_string(),
            status: r.get(2)?,
            reason: r.get(3)?,
            establishment_id: r.get(4)?,
            first_name: r.get(5)?,
            last_name: r.get(6)?,
            birth_date: parse_date(&birth)?,
            public: enum_from(&public)?,
            track: track.as_deref().map(enum_from).transpose()?,
            disabled: r.get::<_, i64>(10)? != 0,
            created_at: parse_ts(&created)?,
            decided_at: decided.as_deref().map(parse_ts).transpose()?,
        })
    };
    Ok(build())
}

fn orders_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Order>, ServiceError> {
    let sql = format!(
        "SELECT {ORDER_COLS} FROM orders WHERE {clause} ORDER BY created_at DESC LIMIT 1000"
    );
    select_all(conn, &sql, args, order_from_row)
}

const TX_SELECT: &str = "SELECT t.id, t.seq, t.kind, t.partner_id, p.name, c.number, t.avantage,
    t.unit_kind, t.price_units, t.units, t.reste_units, t.amount_cents, t.refund_of,
    EXISTS (SELECT 1 FROM transactions r WHERE r.refund_of = t.id), t.channel,
    b.status, t.created_at, t.season
    FROM transactions t
    JOIN partners p ON p.id = t.partner_id
    JOIN cards c ON c.id = t.card_id
    LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
    LEFT JOIN reimbursement_batches b ON b.id = i.batch_id";

fn tx_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Transaction, ServiceError>> {
    let unit_kind: String = r.get(7)?;
    let number: String = r.get(5)?;
    let batch_status: Option<String> = r.get(15)?;
    let created: String = r.get(16)?;
    let season: i32 = r.get(17)?;
    let amount: i64 = r.get(11)?;
    let build = || -> Result<Transaction, ServiceError> {
        let kind = kind_from(&unit_kind)?;
        Ok(Transaction {
            id: r.get(0)?,
            seq: r.get(1)?,
            kind: r.get(2)?,
            partner_id: r.get(3)?,
            partner_name: r.get(4)?,
            card: format!("•••• {}", number.get(12..).unwrap_or("")),
            avantage: r.get(6)?,
            avantage_label: String::new(),
            season: Season::starting(season)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            unit_kind: kind,
            price: units_text(kind, r.get(8)?),
            debited: units_text(kind, r.get(9)?),
            reste_a_payer: units_text(kind, r.get(10)?),
            balance_after: None,
            reimbursed_amount: units_text(AvantageKind::Credit, amount),
            refund_of: r.get(12)?,
            refunded: r.get::<_, i64>(13)? != 0,
            channel: r.get(14)?,
            reimbursement_status: match batch_status.as_deref() {
                None => "en_attente",
                Some("rembourse") => "rembourse",
                Some(_) => "en_cours_de_remboursement",
            }
            .to_owned(),
            created_at: parse_ts(&created)?,
        })
    };
    Ok(build())
}

/// Fills each transaction's avantage label from its season's catalogue.
pub(crate) fn with_labels(cats: &Catalogues, mut items: Vec<Transaction>) -> Vec<Transaction> {
    for t in &mut items {
        t.avantage_label = t
            .season
            .parse::<Season>()
            .ok()
            .and_then(|s| cats.get(s))
            .and_then(|c| c.avantage(&t.avantage))
            .map_or_else(|| t.avantage.clone(), |a| a.label.clone());
    }
    items
}

pub(crate) fn transactions_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Transaction>, ServiceError> {
    select_all(
        conn,
        &format!("{TX_SELECT} WHERE {clause}"),
        args,
        tx_from_row,
    )
}

fn page(items: Vec<Transaction>, after: i64) -> TransactionPage {
    let next_cursor = items.last().map_or(after, |t| t.seq);
    TransactionPage { items, next_cursor }
}

const BATCH_SELECT: &str = "SELECT b.id, b.partner_id, p.name, b.period_end, b.total_cents,
    (SELECT COUNT(*) FROM reimbursement_items i WHERE i.batch_id = b.id),
    b.status, b.created_at, b.paid_at
    FROM reimbursement_batches b JOIN partners p ON p.id = b.partner_id";

fn batch_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Batch, ServiceError>> {
    let period_end: String = r.get(3)?;
    let total: i64 = r.get(4)?;
    let created: String = r.get(7)?;
    let paid: Option<String> = r.get(8)?;
    let build = || -> Result<Batch, ServiceError> {
        Ok(Batch {
            id: r.get(0)?,
            partner_id: r.get(1)?,
            partner_name: r.get(2)?,
            period_end: parse_ts(&period_end)?,
            // A net negative batch (more refunds than debits) is carried as zero
            // here and its debt stays visible in the transactions.
            total: Money::from_cents(total.max(0))?,
            transactions: r.get(5)?,
            status: r.get(6)?,
            created_at: parse_ts(&created)?,
            paid_at: paid.as_deref().map(parse_ts).transpose()?,
        })
    };
    Ok(build())
}

fn batches_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Batch>, ServiceError> {
    select_all(
        conn,
        &format!("{BATCH_SELECT} WHERE {clause} ORDER BY b.created_at DESC, b.id"),
        args,
        batch_from_row,
    )
}

const BON_PLAN_SELECT: &str = "SELECT b.id, b.partner_id, p.name, p.category, p.city, b.title,
    b.description, b.status, b.reason, b.valid_until, b.created_at
    FROM bons_plans b JOIN partners p ON p.id = b.partner_id";

fn bon_plan_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<BonPlan, ServiceError>> {
    let category: String = r.get(3)?;
    let valid: Option<String> = r.get(9)?;
    let created: String = r.get(10)?;
    let build = || -> Result<BonPlan, ServiceError> {
        Ok(BonPlan {
            id: r.get(0)?,
            partner_id: r.get(1)?,
            partner_name: r.get(2)?,
            category: enum_from(&category)?,
            city: r.get(4)?,
            title: r.get(5)?,
            description: r.get(6)?,
            status: r.get(7)?,
            reason: r.get(8)?,
            valid_until: valid.as_deref().map(parse_date).transpose()?,
            created_at: parse_ts(&created)?,
        })
    };
    Ok(build())
}

fn bons_plans_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<BonPlan>, ServiceError> {
    select_all(
        conn,
        &format!("{BON_PLAN_SELECT} WHERE {clause} ORDER BY b.created_at DESC LIMIT 500"),
        args,
        bon_plan_from_row,
    )
}

/// Runs an idempotent write: replays the stored answer of a known key, refuses
/// a known key with another request, otherwise runs `op` and stores its answer
/// in the same transaction.
pub(crate) fn idempotent(
    conn: &Connection,
    idem: &Idempotency,
    now: DateTime<Utc>,
    op: impl FnOnce(&Connection) -> Result<Result<StoredResponse, ServiceError>, ServiceError>,
) -> Result<Result<StoredResponse, ServiceError>, ServiceError> {
    let existing: Option<(String, u16, String)> = conn
        .query_row(
            "SELECT request_hash, status, body FROM idempotency WHERE account_id = ?1 AND key = ?2",
            params![idem.account_id, idem.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((hash, status, body)) = existing {
        if hash == idem.request_hash {
            return Ok(Ok(StoredResponse { status, body }));
        }
        return Ok(Err(ServiceError::IdempotencyMismatch));
    }
    let out = op(conn)?;
    if let Ok(resp) = &out {
        conn.exec(
            "INSERT INTO idempotency (account_id, key, request_hash, status, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                idem.account_id,
                idem.key,
                idem.request_hash,
                resp.status,
                resp.body,
                ts(now)
            ],
        )?;
    }
    Ok(out)
}

pub(crate) fn json_response<T: Serialize>(
    status: u16,
    v: &T,
) -> Result<StoredResponse, ServiceError> {
    Ok(StoredResponse {
        status,
        body: serde_json::to_string(v).map_err(|e| ServiceError::Internal(e.to_string()))?,
    })
}

/// Finds the card of a debit or an inspection, applying the birth-date check
/// and the lockout. Returns `Ok(Err(..))` when a failure must be recorded
/// (committed) and still reported.
fn resolve_card(
    conn: &Connection,
    card: &CardRef,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Result<CardRow, ServiceError>, ServiceError> {
    match card {
        CardRef::Scanned(scan) => {
            Ok(card_by(conn, "id", &scan.card_id)?.ok_or(ServiceError::Qr("unknown card".into())))
        }
        CardRef::Number(number, birth) => {
            let Some(row) = card_by(conn, "number", number.as_str())? else {
                return Ok(Err(ServiceError::CardOrBirthDate));
            };
            if row.locked_until.is_some_and(|t| t > now) {
                return Ok(Err(ServiceError::CardLocked));
            }
            if row.birth_date != *birth {
                let failures = row.failed_attempts + 1;
                if failures >= policy.max_birth_date_failures {
                    conn.exec(
                        "UPDATE cards SET failed_attempts = 0, locked_until = ?2 WHERE id = ?1",
                        params![row.id, ts(now + policy.lockout)],
                    )?;
                    return Ok(Err(ServiceError::CardLocked));
                }
                conn.exec(
                    "UPDATE cards SET failed_attempts = ?2 WHERE id = ?1",
                    params![row.id, failures],
                )?;
                return Ok(Err(ServiceError::CardOrBirthDate));
            }
            if row.failed_attempts > 0 || row.locked_until.is_some() {
                conn.exec(
                    "UPDATE cards SET failed_attempts = 0, locked_until = NULL WHERE id = ?1",
                    [&row.id],
                )?;
            }
            Ok(Ok(row))
        }
    }
}

/// Who debits, how and when.
pub(crate) struct DebitAt<'a> {
    pub(crate) partner_id: &'a str,
    pub(crate) category: PartnerCategory,
    pub(crate) account_id: &'a str,
    pub(crate) channel: &'static str,
    pub(crate) now: DateTime<Utc>,
}

/// Debits one card (already identified) with the core debit rule: the card
/// must be usable, the avantage allowed for the partner's category; writes the
/// transaction, the ledger row and the consumed QR. `Ok(Err(..))` is a refusal.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_debit(
    c: &Connection,
    cats: &Catalogues,
    at: &DebitAt<'_>,
    row: &CardRow,
    avantage_code: &str,
    price: Option<Money>,
    entries: Option<u32>,
    used_qr: Option<&crate::qr::UsedQr>,
) -> Result<Result<(Transaction, String), ServiceError>, ServiceError> {
    let state = CardState {
        status: row.status,
        season: row.season,
    };
    if let Err(e) = state.check_usable(region_date(at.now)) {
        return Ok(Err(e.into()));
    }
    let Some(cat) = cats.get(row.season) else {
        return Ok(Err(ServiceError::NoCatalogue));
    };
    let Some(avantage) = cat.avantage(avantage_code) else {
        return Ok(Err(ServiceError::UnknownAvantage));
    };
    if !avantage.allows(at.category) {
        return Ok(Err(ServiceError::AvantageNotAllowed));
    }
    let price = match (avantage.kind, price, entries) {
        (AvantageKind::Credit, Some(p), None) => Quantity::Credit { amount: p },
        (AvantageKind::Entries, None, Some(n)) if n <= 100 => Quantity::Entries { count: n },
        (AvantageKind::Credit, _, _) => {
            return Ok(Err(ServiceError::Invalid {
                field: "price",
                message: "Indiquez le prix (en euros) de la prestation, sans nombre d'entrées."
                    .into(),
            }));
        }
        (AvantageKind::Entries, _, _) => {
            return Ok(Err(ServiceError::Invalid {
                field: "entries",
                message: "Indiquez le nombre d'entrées (1 à 100), sans prix.".into(),
            }));
        }
    };
    let t = totals(c, &row.id, row.season, &avantage.code)?;
    let available = Quantity::from_units(avantage.kind, t.balance())?;
    let outcome = match passregion_core::debit::debit(available, price) {
        Ok(o) => o,
        Err(e) => return Ok(Err(e.into())),
    };
    if let Some(u) = used_qr
        && qr_used(c, &u.credential_id, u.counter)?
    {
        return Ok(Err(ServiceError::Qr("Replayed".into())));
    }
    let value = avantage.reimbursed_value(outcome.debited);
    let id = new_id();
    c.exec(
        "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
             unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
             VALUES (?1, 'debit', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            id,
            row.id,
            at.partner_id,
            at.account_id,
            row.season.start_year(),
            avantage.code,
            kind_code(avantage.kind),
            price.units(),
            outcome.debited.units(),
            outcome.reste_a_payer.units(),
            value.cents(),
            at.channel,
            ts(at.now)
        ],
    )?;
    append_ledger_after(
        c,
        &row.id,
        row.season,
        &avantage.code,
        avantage.kind,
        MovementKind::Debit,
        outcome.debited.units(),
        Some(&id),
        t,
        at.now,
    )?;
    if let Some(u) = used_qr {
        c.exec(
            "INSERT INTO qr_uses (credential_id, counter, transaction_id) VALUES (?1, ?2, ?3)",
            params![u.credential_id, u.counter, id],
        )?;
    }
    let mut tx = with_labels(cats, transactions_where(c, "t.id = ?1", &[&id])?)
        .into_iter()
        .next()
        .ok_or(ServiceError::Internal("debit not found".into()))?;
    let balance = units_text(avantage.kind, outcome.new_balance.units());
    tx.balance_after = Some(balance.clone());
    Ok(Ok((tx, balance)))
}

/// Whether a dynamic QR (credential + counter) already served a debit.
pub(crate) fn qr_used(
    conn: &Connection,
    credential_id: &str,
    counter: u32,
) -> Result<bool, ServiceError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM qr_uses WHERE credential_id = ?1 AND counter = ?2",
            params![credential_id, counter],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The receipt of a debit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DebitReceipt {
    /// The transaction.
    #[serde(flatten)]
    pub transaction: Transaction,
    /// What is left on the avantage.
    pub balance: String,
    /// Holder's first name and initial.
    pub holder: String,
}

impl Store for SqliteStore {
    fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, ServiceError> {
        let email = email.trim().to_owned();
        self.db.read(move |c| {
            c.one(
                "SELECT a.id, a.email, a.role, a.display_name, a.partner_id, p.category,
                        a.establishment_id, a.password_hash
                 FROM accounts a LEFT JOIN partners p ON p.id = a.partner_id WHERE a.email = ?1",
                [email],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                },
            )
            .optional()?
            .map(|(id, email, role, name, pid, pcat, eid, hash)| {
                Ok(AccountRecord {
                    view: AccountView {
                        id,
                        email,
                        role: Role::from_code(&role)
                            .ok_or_else(|| ServiceError::Internal("bad role".into()))?,
                        display_name: name,
                        partner_id: pid,
                        partner_category: pcat.as_deref().map(enum_from).transpose()?,
                        establishment_id: eid,
                    },
                    password_hash: hash,
                })
            })
            .transpose()
        })
    }

    fn create_session(
        &self,
        token_hash: String,
        account_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.db.write(move |c| {
            c.exec(
                "INSERT INTO sessions (token_hash, account_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, account_id, ts(expires_at)],
            )?;
            Ok(())
        })
    }

    fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, ServiceError> {
        self.db.read(|c| {
            let row = c
                .query_row(
                    "SELECT a.id, a.role, a.partner_id, p.category, p.status, a.establishment_id
                     FROM sessions s JOIN accounts a ON a.id = s.account_id
                     LEFT JOIN partners p ON p.id = a.partner_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                    params![token_hash, ts(now)],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, Option<String>>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, Option<String>>(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, role, pid, pcat, pstatus, eid)) = row else {
                return Ok(None);
            };
            let partner = match (pid, pcat) {
                (Some(p), Some(cat)) => Some((
                    p,
                    enum_from::<PartnerCategory>(&cat)?,
                    pstatus.as_deref() == Some("validated"),
                )),
                _ => None,
            };
            Ok(Some(Principal {
                account_id: id,
                role: Role::from_code(&role)
                    .ok_or_else(|| ServiceError::Internal("bad role".into()))?,
                partner,
                establishment_id: eid,
            }))
        })
    }

    fn delete_session(&self, token_hash: String) -> Result<(), ServiceError> {
        self.db.write(move |c| {
            c.exec("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
    }

    fn create_account(&self, a: NewAccount) -> Result<String, ServiceError> {
        self.db.write(move |c| {
            let id = new_id();
            let taken: bool = c
                .query_row(
                    "SELECT 1 FROM accounts WHERE email = ?1",
                    [&a.email],
                    |_| Ok(true),
                )
                .optional()?
                .unwrap_or(false);
            if taken {
                return Err(ServiceError::EmailTaken);
            }
            c.exec(
                "INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id,
                 establishment_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id,
                    a.email,
                    a.password_hash,
                    a.role.code(),
                    a.display_name,
                    a.partner_id,
                    a.establishment_id,
                    ts(Utc::now())
                ],
            )?;
            Ok(id)
        })
    }

    fn establishments(&self, q: Option<&str>) -> Result<Vec<Establishment>, ServiceError> {
        let pattern = format!("%{}%", q.unwrap_or("").trim().to_lowercase());
        self.db.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, kind, city, postal_code FROM establishments
                 WHERE lower(name) LIKE ?1 OR lower(city) LIKE ?1 OR postal_code LIKE ?1
                 ORDER BY name LIMIT 200",
            )?;
            let rows = stmt.query_map([pattern], |r| {
                Ok(Establishment {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    kind: r.get(2)?,
                    city: r.get(3)?,
                    postal_code: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn partners(
        &self,
        q: Option<&str>,
        category: Option<PartnerCategory>,
    ) -> Result<Vec<Partner>, ServiceError> {
        let pattern = format!("%{}%", q.unwrap_or("").trim().to_lowercase());
        let cat = category.map(|c| c.code().to_owned()).unwrap_or_default();
        self.db.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, category, address, city, postal_code, latitude, longitude
                 FROM partners WHERE status = 'validated'
                 AND (lower(name) LIKE ?1 OR lower(city) LIKE ?1)
                 AND (?2 = '' OR category = ?2) ORDER BY name LIMIT 5000",
            )?;
            let rows = stmt.query_map(params![pattern, cat], |r| {
                let category: String = r.get(2)?;
                Ok((
                    category,
                    Partner {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        category: PartnerCategory::Librairie,
                        address: r.get(3)?,
                        city: r.get(4)?,
                        postal_code: r.get(5)?,
                        latitude: r.get(6)?,
                        longitude: r.get(7)?,
                    },
                ))
            })?;
            let mut out = Vec::new();
            for r in rows {
                let (cat, mut p) = r?;
                p.category = enum_from(&cat)?;
                out.push(p);
            }
            Ok(out)
        })
    }

    fn bons_plans(&self, category: Option<PartnerCategory>) -> Result<Vec<BonPlan>, ServiceError> {
        let cat = category.map(|c| c.code().to_owned()).unwrap_or_default();
        self.db.read(move |c| {
            bons_plans_where(
                c,
                "b.status = 'valide' AND p.status = 'validated' AND (?1 = '' OR p.category = ?1)",
                &[&cat],
            )
        })
    }

    fn create_order(
        &self,
        who: &Principal,
        req: OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError> {
        require_role(who, Role::Youth)?;
        let first = require_text("first_name", &req.first_name, 80)?;
        let last = require_text("last_name", &req.last_name, 80)?;
        let address = require_text("address", &req.address, 200)?;
        let city = require_text("city", &req.city, 80)?;
        let postal = req.postal_code.trim().to_owned();
        if postal.len() != 5 || !postal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ServiceError::Invalid {
                field: "postal_code",
                message: "Le code postal comporte 5 chiffres.".into(),
            });
        }
        let profile = Profile {
            public: req.public,
            track: req.track,
            disabled: req.disabled,
        };
        let today = region_date(now);
        check_eligibility(&profile, req.birth_date, today)?;
        let season = Season::of_instant(now);
        let account = who.account_id.clone();
        let eid = req.establishment_id.clone();
        self.db.write(move |c| {
            let exists: bool = c
                .query_row("SELECT 1 FROM establishments WHERE id = ?1", [&eid], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if !exists {
                return Err(ServiceError::Invalid {
                    field: "establishment_id",
                    message: "Cet établissement n'existe pas.".into(),
                });
            }
            let has_card: bool = c
                .query_row("SELECT 1 FROM cards WHERE account_id = ?1", [&account], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if has_card {
                return Err(ServiceError::DuplicateOrder);
            }
            let id = new_id();
            let res = c.exec(
                "INSERT INTO orders (id, account_id, season, establishment_id, public, track, disabled,
                 first_name, last_name, birth_date, address, postal_code, city, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'en_attente', ?14)",
                params![
                    id,
                    account,
                    season.start_year(),
                    eid,
                    enum_code(&profile.public),
                    profile.track.map(|t| enum_code(&t)),
                    profile.disabled as i64,
                    first,
                    last,
                    req.birth_date.format("%Y-%m-%d").to_string(),
                    address,
                    postal,
                    city,
                    ts(now)
                ],
            );
            match res {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    return Err(ServiceError::DuplicateOrder);
                }
                other => {
                    other?;
                }
            }
            orders_where(c, "id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Commande"))
        })
    }

    fn my_orders(&self, who: &Principal) -> Result<Vec<Order>, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        self.db
            .read(move |c| orders_where(c, "account_id = ?1", &[&id]))
    }

    fn my_card(&self, who: &Principal, _now: DateTime<Utc>) -> Result<CardView, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let card = card_by(c, "account_id", &id)?.ok_or(ServiceError::NotFound("Carte"))?;
            card_view(c, &cats, &card)
        })
    }

    fn activate_card(
        &self,
        who: &Principal,
        _now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let mut card = card_by(c, "account_id", &id)?.ok_or(ServiceError::NotFound("Carte"))?;
            let next = CardState {
                status: card.status,
                season: card.season,
            }
            .activate()?;
            c.exec(
                "UPDATE cards SET status = ?2 WHERE id = ?1",
                params![card.id, next.status.code()],
            )?;
            card.status = next.status;
            card_view(c, &cats, &card)
        })
    }

    fn my_transactions(&self, who: &Principal) -> Result<Vec<Transaction>, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            transactions_where(
                c,
                "t.card_id = (SELECT id FROM cards WHERE account_id = ?1) ORDER BY t.seq DESC LIMIT 500",
                &[&id],
            )
            .map(|items| with_labels(&cats, items))
        })
    }

    fn establishment_orders(
        &self,
        who: &Principal,
        status: Option<&str>,
    ) -> Result<Vec<Order>, ServiceError> {
        let eid = establishment_of(who)?.to_owned();
        let status = status.unwrap_or("").to_owned();
        self.db.read(move |c| {
            orders_where(
                c,
                "establishment_id = ?1 AND (?2 = '' OR status = ?2)",
                &[&eid, &status],
            )
        })
    }

    fn decide_order(
        &self,
        who: &Principal,
        order_id: &str,
        decision: OrderDecision,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError> {
        let eid = establishment_of(who)?.to_owned();
        let reason = match (decision.validate, decision.reason.as_deref()) {
            (false, Some(r)) => Some(require_text("reason", r, 500)?),
            (false, None) => {
                return Err(ServiceError::Invalid {
                    field: "reason",
                    message: "Indiquez le motif du refus.".into(),
                });
            }
            (true, _) => None,
        };
        let order_id = order_id.to_owned();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let order = orders_where(c, "id = ?1 AND establishment_id = ?2", &[&order_id, &eid])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Commande"))?;
            if order.status != "en_attente" {
                return Err(ServiceError::OrderAlreadyDecided);
            }
            let status = if decision.validate { "validee" } else { "refusee" };
            c.exec(
                "UPDATE orders SET status = ?2, reason = ?3, decided_at = ?4 WHERE id = ?1",
                params![order_id, status, reason, ts(now)],
            )?;
            if decision.validate {
                let account: String =
                    c.one("SELECT account_id FROM orders WHERE id = ?1", [&order_id], |r| r.get(0))?;
                let season: Season = order.season.parse().map_err(|_| ServiceError::Internal("season".into()))?;
                let card = CardRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    number: CardNumber::generate(random_u64).as_str().to_owned(),
                    establishment_id: eid.clone(),
                    season,
                    status: CardStatus::Expediee,
                    profile: Profile {
                        public: order.public,
                        track: order.track,
                        disabled: order.disabled,
                    },
                    first_name: order.first_name.clone(),
                    last_name: order.last_name.clone(),
                    birth_date: order.birth_date,
                    status_reason: None,
                    failed_attempts: 0,
                    locked_until: None,
                };
                let res = c.exec(
                    "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status,
                     public, track, disabled, first_name, last_name, birth_date, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'expediee', ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        card.id,
                        card.number,
                        account,
                        order_id,
                        eid,
                        season.start_year(),
                        enum_code(&card.profile.public),
                        card.profile.track.map(|t| enum_code(&t)),
                        card.profile.disabled as i64,
                        card.first_name,
                        card.last_name,
                        card.birth_date.format("%Y-%m-%d").to_string(),
                        ts(now)
                    ],
                );
                match res {
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        return Err(ServiceError::DuplicateOrder);
                    }
                    other => {
                        other?;
                    }
                }
                if Season::of_instant(now) >= season {
                    load_season(c, &cats, &card, now)?;
                }
            }
            orders_where(c, "id = ?1", &[&order_id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Commande"))
        })
    }

    fn establishment_cards(
        &self,
        who: &Principal,
        _now: DateTime<Utc>,
    ) -> Result<Vec<CardView>, ServiceError> {
        let eid = establishment_of(who)?.to_owned();
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let sql = format!(
                "SELECT {CARD_COLS} FROM cards WHERE establishment_id = ?1 ORDER BY last_name, first_name LIMIT 2000"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([&eid], card_from_row)?;
            let mut out = Vec::new();
            for r in rows {
                let card = r??;
                out.push(card_view(c, &cats, &card)?);
            }
            Ok(out)
        })
    }

    fn change_card(
        &self,
        who: &Principal,
        card_id: &str,
        change: CardChange,
        now: DateTime<Utc>,
    ) -> Result<CardView, ServiceError> {
        let eid = establishment_of(who)?.to_owned();
        let reason = match &change {
            CardChange::Suspend(r) => Some(require_text("reason", r, 500)?),
            _ => None,
        };
        let card_id = card_id.to_owned();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let mut card = card_by(c, "id", &card_id)?
                .filter(|card| card.establishment_id == eid)
                .ok_or(ServiceError::NotFound("Carte"))?;
            let state = CardState {
                status: card.status,
                season: card.season,
            };
            let next = match change {
                CardChange::Suspend(_) => state.suspend()?,
                CardChange::Reactivate => state.reactivate()?,
                CardChange::Revalidate => {
                    let today = region_date(now);
                    let next = state.revalidate(today)?;
                    // Still eligible on the first day it is used in the new season.
                    let on = next.season.first_day().max(today);
                    check_eligibility(&card.profile, card.birth_date, on)?;
                    next
                }
            };
            c.exec(
                "UPDATE cards SET status = ?2, season = ?3, status_reason = ?4 WHERE id = ?1",
                params![
                    card.id,
                    next.status.code(),
                    next.season.start_year(),
                    reason
                ],
            )?;
            card.status = next.status;
            card.season = next.season;
            card.status_reason = reason;
            if Season::of_instant(now) >= card.season {
                load_season(c, &cats, &card, now)?;
            }
            card_view(c, &cats, &card)
        })
    }

    fn inspect_card(
        &self,
        who: &Principal,
        card: CardRef,
        now: DateTime<Utc>,
    ) -> Result<CardInspection, ServiceError> {
        let (_, category) = partner_of(who)?;
        let cats = self.catalogues.clone();
        let policy = self.policy.clone();
        self.db.write_outcome(move |c| {
            let row = match resolve_card(c, &card, &policy, now)? {
                Ok(r) => r,
                Err(e) => return Ok(Err(e)),
            };
            let state = CardState {
                status: row.status,
                season: row.season,
            };
            let usable = state.check_usable(region_date(now));
            let reason = usable
                .as_ref()
                .err()
                .map(|e| crate::error::ApiError::from(ServiceError::Card(e.clone())).message);
            Ok(Ok(CardInspection {
                card_id: row.id.clone(),
                holder: row.holder(),
                status: row.status.code().to_owned(),
                season: row.season.to_string(),
                usable: usable.is_ok(),
                reason,
                balances: balances(c, &cats, &row, Some(category))?,
            }))
        })
    }

    fn debit(
        &self,
        who: &Principal,
        card: CardRef,
        req: DebitRequest,
        channel: Channel,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let (partner_id, category) = partner_of(who)?;
        let partner_id = partner_id.to_owned();
        let account = who.account_id.clone();
        let cats = self.catalogues.clone();
        let policy = self.policy.clone();
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                let row = match resolve_card(c, &card, &policy, now)? {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(e)),
                };
                let used_qr = match &card {
                    CardRef::Scanned(crate::qr::ScannedCard { used: Some(u), .. }) => {
                        Some(u.clone())
                    }
                    _ => None,
                };
                let at = DebitAt {
                    partner_id: &partner_id,
                    category,
                    account_id: &account,
                    channel: match channel {
                        Channel::Web => "web",
                        Channel::Qr => "qr",
                    },
                    now,
                };
                let (tx, balance) = match apply_debit(
                    c,
                    &cats,
                    &at,
                    &row,
                    &req.avantage,
                    req.price,
                    req.entries,
                    used_qr.as_ref(),
                )? {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                };
                Ok(json_response(
                    201,
                    &DebitReceipt {
                        transaction: tx,
                        balance,
                        holder: row.holder(),
                    },
                ))
            })
        })
    }

    fn refund(
        &self,
        who: &Principal,
        transaction_id: &str,
        req: RefundRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        let (partner_id, _) = partner_of(who)?;
        let partner_id = partner_id.to_owned();
        let account = who.account_id.clone();
        let tx_id = transaction_id.to_owned();
        let cats = self.catalogues.clone();
        let policy = self.policy.clone();
        self.db.write_outcome(move |c| {
            idempotent(c, &idem, now, |c| {
                let original = transactions_where(c, "t.id = ?1 AND t.partner_id = ?2", &[&tx_id, &partner_id])?
                    .into_iter()
                    .next();
                let Some(original) = original else {
                    return Ok(Err(ServiceError::NotFound("Transaction")));
                };
                if original.kind != "debit" {
                    return Ok(Err(ServiceError::Invalid {
                        field: "transaction_id",
                        message: "Seul un débit peut être annulé.".into(),
                    }));
                }
                let (card_id, season, units): (String, i32, i64) = c.one(
                    "SELECT card_id, season, units FROM transactions WHERE id = ?1",
                    [&tx_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                let debited = Quantity::from_units(original.unit_kind, units)?;
                let requested = match (original.unit_kind, req.amount, req.entries) {
                    (_, None, None) => None,
                    (AvantageKind::Credit, Some(a), None) => Some(Quantity::Credit { amount: a }),
                    (AvantageKind::Entries, None, Some(n)) => Some(Quantity::Entries { count: n }),
                    _ => return Ok(Err(passregion_core::RefundError::KindMismatch.into())),
                };
                let amount = match passregion_core::debit::refund(
                    debited,
                    original.refunded,
                    requested,
                    original.created_at,
                    now,
                    policy.refund,
                ) {
                    Ok(a) => a,
                    Err(e) => return Ok(Err(e.into())),
                };
                let season = Season::starting(season).map_err(|_| ServiceError::Internal("season".into()))?;
                let value = cats
                    .get(season)
                    .and_then(|cat| cat.avantage(&original.avantage))
                    .map(|a| a.reimbursed_value(amount))
                    .ok_or(ServiceError::NoCatalogue)?;
                let id = new_id();
                c.exec(
                    "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
                     unit_kind, price_units, units, reste_units, amount_cents, refund_of, channel, created_at)
                     VALUES (?1, 'refund', ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, 0, ?9, ?10, ?11, ?12)",
                    params![
                        id,
                        card_id,
                        partner_id,
                        account,
                        season.start_year(),
                        original.avantage,
                        kind_code(original.unit_kind),
                        amount.units(),
                        -value.cents(),
                        tx_id,
                        original.channel,
                        ts(now)
                    ],
                )?;
                let t = append_ledger(
                    c,
                    &card_id,
                    season,
                    &original.avantage,
                    original.unit_kind,
                    MovementKind::Refund,
                    amount.units(),
                    Some(&id),
                    now,
                )?;
                let mut tx = with_labels(&cats, transactions_where(c, "t.id = ?1", &[&id])?)
                    .into_iter()
                    .next()
                    .ok_or(ServiceError::Internal("refund not found".into()))?;
                tx.balance_after = Some(units_text(original.unit_kind, t.balance()));
                Ok(json_response(201, &tx))
            })
        })
    }

    fn partner_transactions(
        &self,
        who: &Principal,
        after: i64,
        limit: u32,
    ) -> Result<TransactionPage, ServiceError> {
        require_role(who, Role::Partner)?;
        let pid = who
            .partner
            .as_ref()
            .map(|p| p.0.clone())
            .ok_or(ServiceError::Forbidden)?;
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let items = transactions_where(
                c,
                "t.partner_id = ?1 AND t.seq > ?2 ORDER BY t.seq LIMIT ?3",
                &[&pid, &after, &limit],
            )?;
            Ok(page(with_labels(&cats, items), after))
        })
    }

    fn partner_reimbursements(
        &self,
        who: &Principal,
    ) -> Result<ReimbursementSummary, ServiceError> {
        require_role(who, Role::Partner)?;
        let pid = who
            .partner
            .as_ref()
            .map(|p| p.0.clone())
            .ok_or(ServiceError::Forbidden)?;
        self.db.read(move |c| {
            let sum = |clause: &str| -> Result<Money, ServiceError> {
                let sql = format!(
                    "SELECT COALESCE(SUM(t.amount_cents), 0) FROM transactions t
                     LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                     LEFT JOIN reimbursement_batches b ON b.id = i.batch_id
                     WHERE t.partner_id = ?1 AND {clause}"
                );
                let cents: i64 = c.one(&sql, [&pid], |r| r.get(0))?;
                Ok(Money::from_cents(cents.max(0))?)
            };
            Ok(ReimbursementSummary {
                pending_total: sum("i.batch_id IS NULL")?,
                in_progress_total: sum("b.status = 'en_cours'")?,
                paid_total: sum("b.status = 'rembourse'")?,
                batches: batches_where(c, "b.partner_id = ?1", &[&pid])?,
            })
        })
    }

    fn submit_bon_plan(
        &self,
        who: &Principal,
        req: BonPlanRequest,
        now: DateTime<Utc>,
    ) -> Result<BonPlan, ServiceError> {
        let (pid, _) = partner_of(who)?;
        let pid = pid.to_owned();
        let title = require_text("title", &req.title, 120)?;
        let description = require_text("description", &req.description, 2000)?;
        self.db.write(move |c| {
            let id = new_id();
            c.exec(
                "INSERT INTO bons_plans (id, partner_id, title, description, status, valid_until, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'soumis', ?5, ?6)",
                params![
                    id,
                    pid,
                    title,
                    description,
                    req.valid_until.map(|d| d.format("%Y-%m-%d").to_string()),
                    ts(now)
                ],
            )?;
            bons_plans_where(c, "b.id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Bon plan"))
        })
    }

    fn partner_bons_plans(&self, who: &Principal) -> Result<Vec<BonPlan>, ServiceError> {
        require_role(who, Role::Partner)?;
        let pid = who
            .partner
            .as_ref()
            .map(|p| p.0.clone())
            .ok_or(ServiceError::Forbidden)?;
        self.db
            .read(move |c| bons_plans_where(c, "b.partner_id = ?1", &[&pid]))
    }

    fn region_transactions(&self, after: i64, limit: u32) -> Result<TransactionPage, ServiceError> {
        let cats = self.catalogues.clone();
        self.db.read(move |c| {
            let items =
                transactions_where(c, "t.seq > ?1 ORDER BY t.seq LIMIT ?2", &[&after, &limit])?;
            Ok(page(with_labels(&cats, items), after))
        })
    }

    fn close_reimbursements(
        &self,
        period_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Batch>, ServiceError> {
        self.db.write(move |c| {
            let partners: Vec<(String, i64)> = {
                let mut stmt = c.prepare(
                    "SELECT t.partner_id, SUM(t.amount_cents) FROM transactions t
                     LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                     WHERE i.batch_id IS NULL AND t.created_at < ?1
                     GROUP BY t.partner_id ORDER BY t.partner_id",
                )?;
                let rows = stmt.query_map([ts(period_end)], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut ids = Vec::new();
            for (pid, total) in partners {
                let id = new_id();
                c.exec(
                    "INSERT INTO reimbursement_batches (id, partner_id, period_end, total_cents, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, 'en_cours', ?5)",
                    params![id, pid, ts(period_end), total, ts(now)],
                )?;
                c.exec(
                    "INSERT INTO reimbursement_items (transaction_id, batch_id)
                     SELECT t.id, ?1 FROM transactions t
                     LEFT JOIN reimbursement_items i ON i.transaction_id = t.id
                     WHERE i.batch_id IS NULL AND t.partner_id = ?2 AND t.created_at < ?3",
                    params![id, pid, ts(period_end)],
                )?;
                ids.push(id);
            }
            let mut out = Vec::new();
            for id in ids {
                out.extend(batches_where(c, "b.id = ?1", &[&id])?);
            }
            Ok(out)
        })
    }

    fn pay_batch(&self, batch_id: &str, now: DateTime<Utc>) -> Result<Batch, ServiceError> {
        let id = batch_id.to_owned();
        self.db.write(move |c| {
            let n = c.exec(
                "UPDATE reimbursement_batches SET status = 'rembourse', paid_at = ?2
                 WHERE id = ?1 AND status = 'en_cours'",
                params![id, ts(now)],
            )?;
            let batch = batches_where(c, "b.id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Lot de remboursement"))?;
            if n == 0 {
                return Err(ServiceError::Invalid {
                    field: "id",
                    message: "Ce lot est déjà marqué comme remboursé.".into(),
                });
            }
            Ok(batch)
        })
    }

    fn batches(&self) -> Result<Vec<Batch>, ServiceError> {
        self.db.read(|c| batches_where(c, "1 = 1", &[]))
    }

    fn check_ledger(&self) -> Result<LedgerCheck, ServiceError> {
        self.db.read(|c| {
            // The sums of the movements must equal the running totals of the
            // last row, and obey the invariants.
            let mut stmt = c.prepare(
                "SELECT l.card_id, l.season, l.avantage,
                   SUM(CASE l.movement WHEN 'load' THEN l.units ELSE 0 END),
                   SUM(CASE l.movement WHEN 'debit' THEN l.units ELSE 0 END),
                   SUM(CASE l.movement WHEN 'refund' THEN l.units ELSE 0 END),
                   (SELECT loaded_total || ',' || debited_total || ',' || refunded_total FROM ledger x
                    WHERE x.card_id = l.card_id AND x.season = l.season AND x.avantage = l.avantage
                    ORDER BY x.id DESC LIMIT 1)
                 FROM ledger l GROUP BY l.card_id, l.season, l.avantage",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    Totals {
                        loaded: r.get(3)?,
                        debited: r.get(4)?,
                        refunded: r.get(5)?,
                    },
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut lines = 0;
            let mut inconsistencies = Vec::new();
            for row in rows {
                let (card, season, avantage, t, last) = row?;
                lines += 1;
                if let Err(e) = t.check() {
                    inconsistencies.push(format!("{card}/{season}/{avantage}: {e}"));
                }
                let running = format!("{},{},{}", t.loaded, t.debited, t.refunded);
                if running != last {
                    inconsistencies.push(format!(
                        "{card}/{season}/{avantage}: running totals {last} differ from the movements {running}"
                    ));
                }
            }
            // Every transaction has exactly one ledger row with the same units, and
            // every non-load ledger row belongs to a transaction of the same kind.
            let orphans: i64 = c.one(
                "SELECT
                   (SELECT COUNT(*) FROM transactions t WHERE t.units > 0 AND NOT EXISTS (
                      SELECT 1 FROM ledger l WHERE l.transaction_id = t.id AND l.units = t.units
                      AND l.movement = t.kind AND l.card_id = t.card_id))
                 + (SELECT COUNT(*) FROM ledger l WHERE l.movement <> 'load' AND NOT EXISTS (
                      SELECT 1 FROM transactions t WHERE t.id = l.transaction_id))",
                [],
                |r| r.get(0),
            )?;
            Ok(LedgerCheck {
                lines_checked: lines,
                inconsistencies,
                orphans,
            })
        })
    }

    fn bons_plans_to_moderate(&self) -> Result<Vec<BonPlan>, ServiceError> {
        self.db
            .read(|c| bons_plans_where(c, "b.status = 'soumis'", &[]))
    }

    fn moderate_bon_plan(&self, id: &str, req: ModerationRequest) -> Result<BonPlan, ServiceError> {
        let reason = match (req.validate, req.reason.as_deref()) {
            (false, Some(r)) => Some(require_text("reason", r, 500)?),
            (false, None) => {
                return Err(ServiceError::Invalid {
                    field: "reason",
                    message: "Indiquez au partenaire le motif du refus.".into(),
                });
            }
            (true, r) => r.map(|r| require_text("reason", r, 500)).transpose()?,
        };
        let id = id.to_owned();
        self.db.write(move |c| {
            let status = if req.validate { "valide" } else { "refuse" };
            let n = c.exec(
                "UPDATE bons_plans SET status = ?2, reason = ?3 WHERE id = ?1 AND status = 'soumis'",
                params![id, status, reason],
            )?;
            let plan = bons_plans_where(c, "b.id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Bon plan"))?;
            if n == 0 {
                return Err(ServiceError::Invalid {
                    field: "id",
                    message: "Ce bon plan a déjà été modéré.".into(),
                });
            }
            Ok(plan)
        })
    }

    fn credential_usable(&self, credential_id: &str) -> Result<bool, ServiceError> {
        let id = credential_id.to_owned();
        self.db.read(move |c| {
            Ok(c.one(
                "SELECT revoked_at IS NULL FROM app_credentials WHERE id = ?1",
                [id],
                |r| r.get::<_, bool>(0),
            )
            .optional()?
            .unwrap_or(false))
        })
    }

    fn card_qr_data(
        &self,
        who: &Principal,
        card_id: Option<&str>,
    ) -> Result<(String, u32, Season), ServiceError> {
        let (column, value) = match (who.role, card_id) {
            (Role::Youth, None) => ("account_id", who.account_id.clone()),
            (Role::Establishment, Some(id)) => ("id", id.to_owned()),
            _ => return Err(ServiceError::Forbidden),
        };
        let etab = who.establishment_id.clone();
        self.db.read(move |c| {
            let sql = format!(
                "SELECT id, version, season, establishment_id FROM cards WHERE {column} = ?1"
            );
            let row = c
                .query_row(&sql, [value], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, i32>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .optional()?;
            match row {
                Some((id, version, season, e)) if etab.is_none() || etab.as_deref() == Some(&e) => {
                    Ok((
                        id,
                        version,
                        Season::starting(season)
                            .map_err(|_| ServiceError::Internal("season".into()))?,
                    ))
                }
                _ => Err(ServiceError::NotFound("Carte")),
            }
        })
    }

    fn register_credential(
        &self,
        who: &Principal,
        device_public_key: String,
        defaults: OfflineDefaults,
        now: DateTime<Utc>,
    ) -> Result<NewCredential, ServiceError> {
        require_role(who, Role::Youth)?;
        let account = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let card = card_by(c, "account_id", &account)?.ok_or(ServiceError::NotFound("Carte"))?;
            CardState {
                status: card.status,
                season: card.season,
            }
            .check_usable(region_date(now))?;
            let flagged: bool = c
                .query_row("SELECT 1 FROM card_flags WHERE card_id = ?1 LIMIT 1", [&card.id], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if flagged {
                return Err(ServiceError::CardFlagged);
            }
            // The offline allowance never exceeds what the card holds in euros.
            let mut credit = 0i64;
            if let Some(cat) = cats.get(card.season) {
                for a in cat.avantages.iter().filter(|a| a.kind == AvantageKind::Credit) {
                    credit += totals(c, &card.id, card.season, &a.code)?.balance();
                }
            }
            let allowance = defaults.allowance_cents.min(credit).max(0);
            let cred = NewCredential {
                credential_id: uuid::Uuid::new_v4().to_string(),
                card_id: card.id.clone(),
                allowance_cents: allowance,
                per_transaction_max_cents: defaults.per_transaction_max_cents.min(allowance),
                max_count: defaults.max_count,
                issued_at: now,
                expires_at: now + defaults.validity,
            };
            c.exec(
                "INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents, per_tx_max_cents,
                 max_count, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    cred.credential_id,
                    cred.card_id,
                    device_public_key,
                    cred.allowance_cents,
                    cred.per_transaction_max_cents,
                    cred.max_count,
                    ts(cred.issued_at),
                    ts(cred.expires_at)
                ],
            )?;
            Ok(cred)
        })
    }

    fn prune(&self, now: DateTime<Utc>, keep: Duration) -> Result<usize, ServiceError> {
        self.db.write(move |c| {
            let sessions = c.exec("DELETE FROM sessions WHERE expires_at < ?1", [ts(now)])?;
            let keys = c.exec(
                "DELETE FROM idempotency WHERE created_at < ?1",
                [ts(now - keep)],
            )?;
            Ok(sessions + keys)
        })
    }

    fn last_period_end(&self) -> Result<Option<DateTime<Utc>>, ServiceError> {
        self.db.read(|c| {
            let v: Option<String> = c.one(
                "SELECT MAX(period_end) FROM reimbursement_batches",
                [],
                |r| r.get(0),
            )?;
            v.as_deref().map(parse_ts).transpose()
        })
    }

    fn load_due_seasons(&self, now: DateTime<Utc>) -> Result<usize, ServiceError> {
        let cats = self.catalogues.clone();
        let current = Season::of_instant(now);
        self.db.write(move |c| {
            let sql = format!(
                "SELECT {CARD_COLS} FROM cards c WHERE season = ?1 AND NOT EXISTS (
                   SELECT 1 FROM ledger l WHERE l.card_id = c.id AND l.season = c.season AND l.movement = 'load')"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([current.start_year()], card_from_row)?;
            let mut cards = Vec::new();
            for r in rows {
                cards.push(r??);
            }
            let mut n = 0;
            for card in cards {
                n += load_season(c, &cats, &card, now)?;
            }
            Ok(n)
        })
    }
}

/// SHA-256 in lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
