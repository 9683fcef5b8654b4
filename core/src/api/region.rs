//! The Region's views: ledger check, overspend flags, the fraud and
//! anomalies desk, the card look-up and its audit, the live transaction feed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::signed_money::SignedMoney;

/// Result of the ledger check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerCheck {
    /// Card × season × avantage lines checked.
    pub lines_checked: i64,
    /// Lines where `loaded ≠ balance + debited − refunded` or a rule is
    /// broken, and reimbursement batches that do not reconcile.
    pub inconsistencies: Vec<String>,
    /// Reimbursement batches checked: each batch's total is the sum of its
    /// transactions, `total + carried_in = payable + carried_out`, and for
    /// each partner `Σ payable − owed = Σ (debits − refunds)` of its batched
    /// transactions (`owed`: what is carried to its next batch).
    pub batches_checked: i64,
    /// Transactions without their ledger row, or the reverse.
    pub orphans: i64,
    /// The money out: what the accounting journal must add up to.
    pub payouts: PayoutTotals,
}

/// Totals of the reimbursement batches, to reconcile with the accounting
/// journal (`Σ charges = batched`, `Σ bank = paid`) and the SEPA files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutTotals {
    /// Σ (debits − refunds) of the transactions in a batch.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub batched: SignedMoney,
    /// Σ payable of the batches.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub payable: SignedMoney,
    /// Σ payable of the batches in a transfer sent to the bank.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub in_payment: SignedMoney,
    /// Σ payable of the batches paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub paid: SignedMoney,
    /// What partners owe (refunds after payout not yet clawed back): zero or positive.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owed: SignedMoney,
}

/// A card flagged for offline overspend, for the Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardFlag {
    /// Card id.
    pub card_id: String,
    /// Last four digits of the card.
    pub card: String,
    /// Why.
    pub reason: String,
    /// Euros the Region carries for it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Money,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The kinds of anomaly on the Region's desk (ADR 0028).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// A card flagged at sync for an offline overspend.
    DepassementHorsLigne,
    /// A card number locked after wrong birth dates.
    CarteVerrouillee,
    /// An account whose failure budget is spent (wrong passwords, failed
    /// card look-ups): known from the server's memory only.
    CompteVerrouille,
    /// A partner refunding an unusual share of its debits.
    TauxRemboursementInhabituel,
    /// A partner's debits at night (23:00–05:00, Paris time).
    HoraireInhabituel,
}

impl AnomalyKind {
    /// Every kind, in the desk's order.
    pub const ALL: [AnomalyKind; 5] = [
        AnomalyKind::DepassementHorsLigne,
        AnomalyKind::CarteVerrouillee,
        AnomalyKind::CompteVerrouille,
        AnomalyKind::TauxRemboursementInhabituel,
        AnomalyKind::HoraireInhabituel,
    ];

    /// Stable code, as stored and on the wire (the prefix of an anomaly id).
    pub fn code(self) -> &'static str {
        match self {
            AnomalyKind::DepassementHorsLigne => "depassement_hors_ligne",
            AnomalyKind::CarteVerrouillee => "carte_verrouillee",
            AnomalyKind::CompteVerrouille => "compte_verrouille",
            AnomalyKind::TauxRemboursementInhabituel => "taux_remboursement_inhabituel",
            AnomalyKind::HoraireInhabituel => "horaire_inhabituel",
        }
    }

    /// Inverse of [`AnomalyKind::code`].
    pub fn from_code(code: &str) -> Option<AnomalyKind> {
        AnomalyKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One offline debit behind an overspend flag: which device of which
/// partner, how much, and what the server did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfflineDebitLine {
    /// The offline debit's id (UUIDv7, chosen by the device).
    pub id: String,
    /// The partner device that signed it.
    pub device_id: String,
    /// The device's label (« Caisse 1 »).
    pub device_label: String,
    /// The partner.
    pub partner_id: String,
    /// The partner's name.
    pub partner_name: String,
    /// What the device debited offline (euros).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub debited: Money,
    /// What the partner is reimbursed (euros); `null` when refused.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub paid: Option<Money>,
    /// `applied`, `reused` (the same code paid elsewhere) or `rejected`.
    pub status: crate::status::OfflineDebitStatus,
    /// The server's French explanation when refused or partly guaranteed.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub message: Option<String>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    /// The push of this debit raised the flag.
    pub triggered: bool,
}

/// Who marked an anomaly handled, when, and why (append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyHandling {
    /// The Region agent's account.
    pub by_account_id: String,
    /// The agent's name.
    pub by_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The agent's note.
    pub note: String,
}

/// An item of the fraud and anomalies desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Anomaly {
    /// Stable id: the kind's code and what identifies the fact
    /// (`depassement_hors_ligne:17`, `horaire_inhabituel:<partner>:2026-11-20`).
    pub id: String,
    /// The kind.
    pub kind: AnomalyKind,
    /// When it happened (the flag, the lock, the last debit or refund).
    pub at: DateTime<Utc>,
    /// What happened, in French.
    pub summary: String,
    /// The card concerned (link to the card look-up).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub card_id: Option<String>,
    /// Its last four digits (`•••• 1234`).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub card: Option<String>,
    /// The partner concerned (link to its record).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub partner_id: Option<String>,
    /// The partner's name.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub partner_name: Option<String>,
    /// The account concerned (a locked account).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub account_id: Option<String>,
    /// The amount at stake (euros): the overspend the Region carries, the
    /// refunds, the night's debits.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub amount: Option<Money>,
    /// What the server did about it, in French.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub outcome: Option<String>,
    /// For an offline overspend: the card's offline debits up to the flag.
    pub offline_debits: Vec<OfflineDebitLine>,
    /// Marked handled (once), or `null`.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub handled: Option<AnomalyHandling>,
}

/// `GET /api/region/anomalies?kind=…&handled=…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AnomalyQuery {
    /// Only this kind (its code).
    pub kind: Option<String>,
    /// Only handled (`true`) or not yet handled (`false`) items.
    pub handled: Option<bool>,
}

/// `POST /api/region/anomalies/{id}/handled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HandledRequest {
    /// What was done (1 to 1000 characters).
    pub note: String,
}

/// `GET /api/region/feed`: `before` pages back in time, `after` asks for
/// what is newer (the live feed's polling).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct FeedQuery {
    /// Transactions older than this cursor (a `seq`), newest first.
    pub before: Option<i64>,
    /// Transactions newer than this cursor: the oldest `limit` of them.
    pub after: Option<i64>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<u32>,
}

/// A page of the Region's live transaction feed, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedPage {
    /// Transactions, newest first.
    pub items: Vec<crate::api::debits::Transaction>,
    /// Pass as `before` for the older page; `null` when nothing is older.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub older_cursor: Option<i64>,
    /// Pass as `after` to poll for newer transactions: the newest `seq` of
    /// this page (0 when the feed is empty), or the `after` given when
    /// nothing is new.
    pub newest_cursor: i64,
    /// More newer transactions wait than this page holds: poll again at once.
    pub more_newer: bool,
}

/// `GET /api/region/lookup?q=…` (a card number, a name or an e-mail) or
/// `?card_id=…` (a link from the desk).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LookupQuery {
    /// A card number (16 digits), an e-mail address, or part of a name (3
    /// characters at least).
    pub q: Option<String>,
    /// A card id.
    pub card_id: Option<String>,
}

/// One movement of a card's ledger, for support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerLine {
    /// The ledger row.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Season label.
    pub season: String,
    /// Avantage code.
    pub avantage: String,
    /// Avantage label.
    pub avantage_label: String,
    /// `credit` or `entries`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit_kind: crate::debit::AvantageKind,
    /// `load`, `debit` or `refund`.
    pub movement: String,
    /// Units moved ("12.50" euros or "2" entries).
    pub units: String,
    /// What was left after it.
    pub balance_after: String,
    /// The transaction (debits and refunds).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub transaction_id: Option<String>,
    /// The partner (debits and refunds).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub partner_name: Option<String>,
    /// How the transaction was made (`qr`, `web`, `offline`, `collective`).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub channel: Option<String>,
}

/// A card and its holder, as support sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupCard {
    /// Card id.
    pub card_id: String,
    /// Card number.
    pub number: String,
    /// Where the card stands.
    pub status: crate::CardStatus,
    /// Reason of a suspension.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub status_reason: Option<String>,
    /// Season label.
    pub season: String,
    /// Holder's first name.
    pub first_name: String,
    /// Holder's last name.
    pub last_name: String,
    /// Holder's birth date.
    pub birth_date: chrono::NaiveDate,
    /// Holder's e-mail.
    pub email: String,
    /// Holder's account.
    pub account_id: String,
    /// Établissement.
    pub establishment_id: String,
    /// Établissement's name.
    pub establishment_name: String,
    /// Flagged for an offline overspend (no new app credential).
    pub flagged: bool,
    /// Balances of the card's season.
    pub balances: Vec<crate::api::cards::Balance>,
    /// Ledger movements, newest first.
    pub ledger: Vec<LedgerLine>,
    /// More movements exist than `ledger` holds.
    pub ledger_truncated: bool,
}

/// The answer of a look-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupResult {
    /// How the query was read: `numero_carte`, `email`, `nom` or `identifiant_carte`.
    pub kind: String,
    /// The cards found.
    pub cards: Vec<LookupCard>,
    /// More cards match than were returned (refine the query).
    pub truncated: bool,
}

/// One look-up, as audited: who, when, what kind of query (its keyed hash,
/// never its text) and which cards were shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupAuditEntry {
    /// Cursor.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The agent's account.
    pub account_id: String,
    /// The agent's name.
    pub account_name: String,
    /// `numero_carte`, `email`, `nom` or `identifiant_carte`.
    pub query_kind: String,
    /// Keyed SHA-256 of the normalised query (the key stays in the database).
    pub query_hash: String,
    /// Cards shown.
    pub results: i64,
    /// Their ids.
    pub card_ids: Vec<String>,
}

/// A page of the look-up audit, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupAuditPage {
    /// Entries, newest first.
    pub items: Vec<LookupAuditEntry>,
    /// Pass as `before` for older entries; `null` at the end.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub older_cursor: Option<i64>,
}

/// `GET /api/region/lookup-audit?before=…&limit=…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Entries older than this cursor.
    pub before: Option<i64>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<u32>,
}
