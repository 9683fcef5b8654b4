//! Debits and refunds at partners, and the transactions they leave.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::api::cards::Balance;
use crate::debit::AvantageKind;
use crate::money::Money;

/// Which card a partner debits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DebitRequest {
    /// Card number typed on the web form…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_number: Option<String>,
    /// …with the holder's birth date (used as a PIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// Or the text read from the card's QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<String>,
    /// Avantage code.
    pub avantage: String,
    /// Price of the service in euros ("12.50"), for a credit avantage.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "12.50"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// Number of entries, for an entries avantage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u32>,
    /// When the QR was read (information only). Online, a code is always
    /// verified at the server's clock, within its time step ±1; a scan time
    /// more than one minute old is refused (`scan_trop_ancien`). A debit made
    /// offline goes through `/api/sync/push`, signed by an enrolled device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<DateTime<Utc>>,
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

/// `POST /api/partner/cards/inspect`: what a partner may do with a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardInspection {
    /// Card id.
    pub card_id: String,
    /// Holder's first name and initial (to check identity at the counter).
    pub holder: String,
    /// Card status.
    pub status: crate::CardStatus,
    /// Season label.
    pub season: String,
    /// Whether it can be debited today.
    pub usable: bool,
    /// Why not, in French.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
    /// The avantages this partner may debit, with what is left.
    pub balances: Vec<Balance>,
}

/// A partner transaction (debit or refund) as shown to the partner, the youth and the Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit_kind: AvantageKind,
    /// Price asked (euros, or entries asked).
    pub price: String,
    /// Taken from (debit) or given back to (refund) the card.
    pub debited: String,
    /// What the youth paid at the counter.
    pub reste_a_payer: String,
    /// Remaining balance of the avantage after this transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<String>,
    /// Euro amount reimbursed to the partner (negative for a refund).
    pub reimbursed_amount: String,
    /// For a refund: the debit it cancels.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub refund_of: Option<String>,
    /// Whether this debit was refunded.
    pub refunded: bool,
    /// `web`, `qr`, `offline` or `collective`.
    pub channel: String,
    /// For a collective debit: its booking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<String>,
    /// For a collective debit: what the booking is (its label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_label: Option<String>,
    /// `en_attente`, `en_cours_de_remboursement`, `rembourse` or `compense` (in a
    /// batch settled by offsetting refunds carried from earlier batches).
    pub reimbursement_status: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/partner/transactions/{id}/refund`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Euros to give back (default: the whole debit).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// Entries to give back (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u32>,
}

/// A page of transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransactionPage {
    /// Items, oldest first.
    pub items: Vec<Transaction>,
    /// Pass as `after` to get the next page.
    pub next_cursor: i64,
}

/// The receipt of a debit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DebitReceipt {
    /// The transaction.
    #[serde(flatten)]
    pub transaction: Transaction,
    /// What is left on the avantage.
    pub balance: String,
    /// Holder's first name and initial.
    pub holder: String,
}
