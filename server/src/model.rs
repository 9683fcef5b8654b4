//! Request and response bodies of the HTTP API (JSON). Money is always a
//! decimal string (`"12.50"`), never a JSON number.

use chrono::{DateTime, NaiveDate, Utc};
use passregion_core::debit::AvantageKind;
use passregion_core::{Money, PartnerCategory, Public, Track};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The four roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A young card holder.
    Youth,
    /// Staff of a partner structure.
    Partner,
    /// Staff of an établissement (lycée, CFA, mission locale…).
    Establishment,
    /// Agent of the Region.
    Region,
}

impl Role {
    /// Stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Role::Youth => "youth",
            Role::Partner => "partner",
            Role::Establishment => "establishment",
            Role::Region => "region",
        }
    }

    /// Inverse of [`Role::code`].
    pub fn from_code(s: &str) -> Option<Role> {
        match s {
            "youth" => Some(Role::Youth),
            "partner" => Some(Role::Partner),
            "establishment" => Some(Role::Establishment),
            "region" => Some(Role::Region),
            _ => None,
        }
    }
}

/// Who is calling (from the session).
#[derive(Clone, Debug)]
pub struct Principal {
    /// Account id.
    pub account_id: String,
    /// Role.
    pub role: Role,
    /// For partner staff: the partner and its category.
    pub partner: Option<(String, PartnerCategory, bool)>,
    /// For établissement staff: the établissement.
    pub establishment_id: Option<String>,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `POST /api/auth/register`: a youth creates an account before ordering.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail (the login).
    pub email: String,
    /// Password, 8 characters or more.
    pub password: String,
    /// Name shown in the app.
    pub display_name: String,
}

/// An account as shown to its owner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    /// Id.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Name shown in the app.
    pub display_name: String,
    /// Partner structure (partner staff).
    pub partner_id: Option<String>,
    /// Partner category (partner staff).
    #[schema(value_type = Option<String>)]
    pub partner_category: Option<PartnerCategory>,
    /// Établissement (établissement staff).
    pub establishment_id: Option<String>,
}

/// Answer to a login.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The account.
    pub account: AccountView,
}

/// An établissement, for the order form.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Establishment {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind (lycée, CFA, mission locale, IME, institut de formation…).
    pub kind: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words to look for in names and cities.
    pub q: Option<String>,
    /// Partner category filter.
    pub category: Option<String>,
}

/// `POST /api/youth/orders`: the *bon de commande*.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Birth date (YYYY-MM-DD).
    pub birth_date: NaiveDate,
    /// Public.
    #[schema(value_type = String, example = "lyceen")]
    pub public: Public,
    /// Track (class or diploma), required for lycéens and apprentis.
    #[schema(value_type = Option<String>, example = "seconde")]
    pub track: Option<Track>,
    /// Recognised disability.
    #[serde(default)]
    pub disabled: bool,
    /// Établissement that will validate the order.
    pub establishment_id: String,
    /// Postal address (street).
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
}

/// An order and its status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    /// Id.
    pub id: String,
    /// Season label (`2026-2027`).
    pub season: String,
    /// `en_attente`, `validee` or `refusee`.
    pub status: String,
    /// Reason of a refusal.
    pub reason: Option<String>,
    /// Établissement.
    pub establishment_id: String,
    /// Youth's first name.
    pub first_name: String,
    /// Youth's last name.
    pub last_name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Public.
    #[schema(value_type = String)]
    pub public: Public,
    /// Track.
    #[schema(value_type = Option<String>)]
    pub track: Option<Track>,
    /// Disability.
    pub disabled: bool,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
    /// Validated or refused at.
    pub decided_at: Option<DateTime<Utc>>,
}

/// `POST /api/establishment/orders/{id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderDecision {
    /// `true` validates, `false` refuses.
    pub validate: bool,
    /// Required when refusing.
    pub reason: Option<String>,
}

/// `POST …/cards/{id}/suspend` and similar.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why (shown to the youth).
    pub reason: String,
}

/// The balance of one avantage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    /// Avantage code.
    pub avantage: String,
    /// Label.
    pub label: String,
    /// `credit` or `entries`.
    #[schema(value_type = String)]
    pub kind: AvantageKind,
    /// Loaded for the season (euros as "15.00", or a count of entries as "5").
    pub loaded: String,
    /// What is left.
    pub remaining: String,
    /// Categories of partners that accept it.
    #[schema(value_type = Vec<String>)]
    pub categories: Vec<PartnerCategory>,
}

/// A card as its holder (or its établissement) sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardView {
    /// Card id (what the QR carries).
    pub id: String,
    /// Number to type on the partner web form.
    pub number: String,
    /// `expediee`, `active` or `suspendue`.
    pub status: String,
    /// Reason of a suspension.
    pub status_reason: Option<String>,
    /// Season label.
    pub season: String,
    /// Last day of use.
    pub valid_until: NaiveDate,
    /// Holder's first name.
    pub first_name: String,
    /// Holder's last name.
    pub last_name: String,
    /// Établissement.
    pub establishment_id: String,
    /// Balances of the season.
    pub balances: Vec<Balance>,
}

impl DebitRequest {
    /// The card part of the request.
    pub fn card(&self) -> CardSelector {
        CardSelector {
            card_number: self.card_number.clone(),
            birth_date: self.birth_date,
            qr: self.qr.clone(),
        }
    }
}

/// Which card a partner debits.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardSelector {
    /// Card number typed on the web form…
    pub card_number: Option<String>,
    /// …with the holder's birth date (used as a PIN).
    pub birth_date: Option<NaiveDate>,
    /// Or the text read from the card's QR code.
    pub qr: Option<String>,
}

/// `POST /api/partner/debits`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebitRequest {
    /// Card number typed on the web form…
    pub card_number: Option<String>,
    /// …with the holder's birth date (used as a PIN).
    pub birth_date: Option<NaiveDate>,
    /// Or the text read from the card's QR code.
    pub qr: Option<String>,
    /// Avantage code.
    pub avantage: String,
    /// Price of the service in euros ("12.50"), for a credit avantage.
    #[schema(value_type = Option<String>, example = "12.50")]
    pub price: Option<Money>,
    /// Number of entries, for an entries avantage.
    pub entries: Option<u32>,
    /// When the QR was scanned, for a debit the partner's app queued while
    /// offline: the code is verified at that instant (at most 72 hours ago),
    /// the debit itself is decided now.
    pub scanned_at: Option<DateTime<Utc>>,
}

/// `POST /api/partner/cards/inspect`: what a partner may do with a card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardInspection {
    /// Card id.
    pub card_id: String,
    /// Holder's first name and initial (to check identity at the counter).
    pub holder: String,
    /// Card status.
    pub status: String,
    /// Season label.
    pub season: String,
    /// Whether it can be debited today.
    pub usable: bool,
    /// Why not, in French.
    pub reason: Option<String>,
    /// The avantages this partner may debit, with what is left.
    pub balances: Vec<Balance>,
}

/// A partner transaction (debit or refund) as shown to the partner, the youth and the Region.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transaction {
    /// Id (UUIDv7).
    pub id: String,
    /// Cursor position.
    pub seq: i64,
    /// `debit` or `refund`.
    pub kind: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Card (last four digits only).
    pub card: String,
    /// Avantage code.
    pub avantage: String,
    /// Avantage label (French), from the season's catalogue.
    pub avantage_label: String,
    /// Season of the card when debited (`2026-2027`).
    pub season: String,
    /// `credit` or `entries`.
    #[schema(value_type = String)]
    pub unit_kind: AvantageKind,
    /// Price asked (euros, or entries asked).
    pub price: String,
    /// Taken from (debit) or given back to (refund) the card.
    pub debited: String,
    /// What the youth paid at the counter.
    pub reste_a_payer: String,
    /// Remaining balance of the avantage after this transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<String>,
    /// Euro amount reimbursed to the partner (negative for a refund).
    pub reimbursed_amount: String,
    /// For a refund: the debit it cancels.
    pub refund_of: Option<String>,
    /// Whether this debit was refunded.
    pub refunded: bool,
    /// `web`, `qr` or `offline`.
    pub channel: String,
    /// `en_attente`, `en_cours_de_remboursement` or `rembourse`.
    pub reimbursement_status: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/partner/transactions/{id}/refund`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Euros to give back (default: the whole debit).
    #[schema(value_type = Option<String>)]
    pub amount: Option<Money>,
    /// Entries to give back (default: all).
    pub entries: Option<u32>,
}

/// Cursor paging parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Return items after this cursor.
    pub after: Option<i64>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<u32>,
}

/// A page of transactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionPage {
    /// Items, oldest first.
    pub items: Vec<Transaction>,
    /// Pass as `after` to get the next page.
    pub next_cursor: i64,
}

/// A reimbursement batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Batch {
    /// Id.
    pub id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Transactions up to this instant are included.
    pub period_end: DateTime<Utc>,
    /// Net euros reimbursed.
    #[schema(value_type = String)]
    pub total: Money,
    /// Number of transactions.
    pub transactions: i64,
    /// `en_cours` or `rembourse`.
    pub status: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Paid at.
    pub paid_at: Option<DateTime<Utc>>,
}

/// The partner's reimbursement view.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReimbursementSummary {
    /// Euros not yet in a batch.
    #[schema(value_type = String)]
    pub pending_total: Money,
    /// Euros in batches being paid.
    #[schema(value_type = String)]
    pub in_progress_total: Money,
    /// Euros already paid.
    #[schema(value_type = String)]
    pub paid_total: Money,
    /// Batches, newest first.
    pub batches: Vec<Batch>,
}

/// `POST /api/region/reimbursements/close`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Include transactions before this instant (default: now).
    pub period_end: Option<DateTime<Utc>>,
}

/// Result of the ledger check.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerCheck {
    /// Card × season × avantage lines checked.
    pub lines_checked: i64,
    /// Lines where `loaded ≠ balance + debited − refunded` or a rule is broken.
    pub inconsistencies: Vec<String>,
    /// Transactions without their ledger row, or the reverse.
    pub orphans: i64,
}

/// A partner in the public directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Partner {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[schema(value_type = String)]
    pub category: PartnerCategory,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude (WGS84).
    pub latitude: f64,
    /// Longitude (WGS84).
    pub longitude: f64,
}

/// A *bon plan*.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BonPlan {
    /// Id.
    pub id: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Partner category.
    #[schema(value_type = String)]
    pub category: PartnerCategory,
    /// City.
    pub city: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `soumis`, `valide` or `refuse`.
    pub status: String,
    /// Moderation note.
    pub reason: Option<String>,
    /// Last day.
    pub valid_until: Option<NaiveDate>,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/partner/bons-plans`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BonPlanRequest {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Last day.
    pub valid_until: Option<NaiveDate>,
}

/// `POST /api/region/bons-plans/{id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// Publish or refuse.
    pub validate: bool,
    /// Note to the partner (required when refusing).
    pub reason: Option<String>,
}

/// `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// Server time.
    pub time: DateTime<Utc>,
    /// Current season.
    pub season: String,
}

/// The card's signed QR.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardQrView {
    /// The `PR1:` text.
    pub text: String,
    /// The QR as SVG.
    pub svg: String,
}

/// `POST /api/youth/credentials`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialRequest {
    /// The device's Ed25519 public key (32 bytes, base64url).
    pub device_public_key: String,
}

/// A signed app credential and its offline limits.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialResponse {
    /// The credential (154 bytes, base64url): the app puts it in its `PD1:` codes.
    pub credential: String,
    /// Its id.
    pub credential_id: String,
    /// The card.
    pub card_id: String,
    /// Total the youth may spend offline with it.
    #[schema(value_type = String)]
    pub allowance: Money,
    /// Largest offline debit.
    #[schema(value_type = String)]
    pub per_transaction_max: Money,
    /// Most offline debits.
    pub max_count: u16,
    /// Issued at.
    pub issued_at: DateTime<Utc>,
    /// Expires at.
    pub expires_at: DateTime<Utc>,
    /// Server time (phones correct their clock with it).
    pub server_time: DateTime<Utc>,
}
