//! Orders, cards, app credentials and the trust root.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::debit::AvantageKind;
use crate::money::Money;
use crate::public::{PartnerCategory, Public, Track};

/// `POST /api/youth/orders`: the *bon de commande*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Birth date (YYYY-MM-DD).
    pub birth_date: NaiveDate,
    /// Public.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "lyceen"))]
    pub public: Public,
    /// Track (class or diploma), required for lycéens and apprentis.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "seconde"))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    /// Id.
    pub id: String,
    /// Season label (`2026-2027`).
    pub season: String,
    /// Where the order stands.
    pub status: crate::status::OrderStatus,
    /// Reason of a refusal.
    #[cfg_attr(feature = "openapi", schema(required))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub public: Public,
    /// Track.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub track: Option<Track>,
    /// Disability.
    pub disabled: bool,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
    /// Validated or refused at.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decided_at: Option<DateTime<Utc>>,
}

/// `POST /api/establishment/orders/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderDecision {
    /// `true` validates, `false` refuses.
    pub validate: bool,
    /// Required when refusing.
    pub reason: Option<String>,
}

/// `POST …/cards/{id}/suspend` and similar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why (shown to the youth).
    pub reason: String,
}

/// The balance of one avantage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Balance {
    /// Avantage code.
    pub avantage: String,
    /// Label.
    pub label: String,
    /// `credit` or `entries`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: AvantageKind,
    /// Loaded for the season (euros as "15.00", or a count of entries as "5").
    pub loaded: String,
    /// What is left.
    pub remaining: String,
    /// Categories of partners that accept it.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub categories: Vec<PartnerCategory>,
}

/// A card as its holder (or its établissement) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardView {
    /// Card id (what the QR carries).
    pub id: String,
    /// Number to type on the partner web form.
    pub number: String,
    /// Where the card stands.
    pub status: crate::CardStatus,
    /// Reason of a suspension.
    #[cfg_attr(feature = "openapi", schema(required))]
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
    /// When the card was posted (`None` while it waits to be printed).
    #[serde(default)]
    pub posted_at: Option<DateTime<Utc>>,
    /// The end of the card's season, when near or past: the youth is told
    /// her établissement must revalidate it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required))]
    pub renewal: Option<crate::renewal::RenewalNotice>,
}

/// The card's signed QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardQrView {
    /// The `PR1:` text.
    pub text: String,
    /// The QR as SVG.
    pub svg: String,
}

/// `POST /api/youth/credentials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CredentialRequest {
    /// The device's Ed25519 public key (32 bytes, base64url).
    pub device_public_key: String,
}

/// A signed app credential and its offline limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialResponse {
    /// The credential (154 bytes, base64url): the app puts it in its `PD1:` codes.
    pub credential: String,
    /// Its id.
    pub credential_id: String,
    /// The card.
    pub card_id: String,
    /// Total the youth may spend offline with it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub allowance: Money,
    /// Largest offline debit.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
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

/// `GET /api/trust-root`: the root public key that signs the trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustRoot {
    /// Ed25519 public key (base64url).
    pub root_public_key: String,
}

/// The youth's account, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedAccount {
    /// Login e-mail.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// A postal address given with an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedAddress {
    /// The order's id.
    pub order_id: String,
    /// Street.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
}

/// `GET /api/youth/data`: everything the server keeps about the youth (RGPD
/// right of access), as one JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YouthDataExport {
    /// When it was made.
    pub exported_at: DateTime<Utc>,
    /// The account.
    pub account: ExportedAccount,
    /// Every order.
    pub orders: Vec<Order>,
    /// The postal addresses given with the orders (where the card was sent).
    pub addresses: Vec<ExportedAddress>,
    /// The card, with its balances, if one was issued.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub card: Option<CardView>,
    /// Every transaction on the card.
    pub transactions: Vec<crate::api::debits::Transaction>,
    /// How long the data is kept, in words.
    pub retention: String,
}

/// `POST /api/youth/card/lost` and `POST /api/establishment/cards/{id}/lost`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LostCardRequest {
    /// Stolen (`true`) or lost (`false`).
    pub stolen: bool,
}

/// A card waiting to be printed and posted (the Region's print queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrintItem {
    /// Card id.
    pub card_id: String,
    /// Card number.
    pub number: String,
    /// Holder's first name.
    pub first_name: String,
    /// Holder's last name.
    pub last_name: String,
    /// Établissement.
    pub establishment: String,
    /// Postal address (from the order).
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Season label.
    pub season: String,
    /// Since when it waits (validation or replacement).
    pub waiting_since: DateTime<Utc>,
    /// Waiting more than a week (the FAQ promises a week).
    pub late: bool,
}

/// `POST /api/region/print-queue/posted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostedRequest {
    /// The cards posted (at most 5,000).
    pub card_ids: Vec<String>,
}

/// Answer to `POST /api/region/print-queue/posted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostedResponse {
    /// How many were marked posted (cards already posted or unknown are left).
    pub posted: u32,
}
