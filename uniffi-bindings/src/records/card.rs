//! The youth's card, balances, history and app credential.

use std::time::SystemTime;

use passregion_core::client as core;

use super::PartnerCategory;

/// The youth's card (cached).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Card {
    /// Card id.
    pub card_id: String,
    /// Printed number.
    pub number: String,
    /// Status code (`active`, …).
    pub status: String,
    /// Season (`2026-2027`).
    pub season: String,
    /// Last valid day.
    pub valid_until: String,
    /// When it was fetched from the server.
    pub fetched_at: SystemTime,
}

impl From<core::CardSnapshot> for Card {
    fn from(c: core::CardSnapshot) -> Self {
        Card {
            card_id: c.card_id,
            number: c.number,
            status: c.status,
            season: c.season,
            valid_until: c.valid_until,
            fetched_at: c.fetched_at.into(),
        }
    }
}

/// The balance of one avantage.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Balance {
    /// Avantage code.
    pub avantage: String,
    /// French label.
    pub label: String,
    /// Kind (`montant`, `quantite`…).
    pub kind: String,
    /// Loaded (decimal string).
    pub loaded: String,
    /// Remaining (decimal string).
    pub remaining: String,
    /// Partner categories that may debit it.
    pub categories: Vec<PartnerCategory>,
}

impl From<core::BalanceSnapshot> for Balance {
    fn from(b: core::BalanceSnapshot) -> Self {
        Balance {
            avantage: b.avantage,
            label: b.label,
            kind: b.kind,
            loaded: b.loaded,
            remaining: b.remaining,
            categories: b.categories.into_iter().map(Into::into).collect(),
        }
    }
}

/// A transaction (debit or refund) in a history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Transaction {
    /// Id.
    pub id: String,
    /// `debit` or `refund`.
    pub kind: String,
    /// Partner name.
    pub partner_name: String,
    /// Avantage code.
    pub avantage: String,
    /// Debited (decimal string).
    pub debited: String,
    /// Reste à payer (decimal string).
    pub reste_a_payer: String,
    /// Refunded since.
    pub refunded: bool,
    /// `online`, `offline`…
    pub channel: String,
    /// RFC 3339 instant.
    pub created_at: String,
}

impl From<core::HistoryItem> for Transaction {
    fn from(h: core::HistoryItem) -> Self {
        Transaction {
            id: h.id,
            kind: h.kind,
            partner_name: h.partner_name,
            avantage: h.avantage,
            debited: h.debited,
            reste_a_payer: h.reste_a_payer,
            refunded: h.refunded,
            channel: h.channel,
            created_at: h.created_at,
        }
    }
}

/// The youth home screen, from the cache (works offline).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HomeScreen {
    /// The card, once fetched.
    pub card: Option<Card>,
    /// Balances.
    pub balances: Vec<Balance>,
    /// Recent transactions.
    pub recent: Vec<Transaction>,
}

impl From<core::HomeScreen> for HomeScreen {
    fn from(h: core::HomeScreen) -> Self {
        HomeScreen {
            card: h.card.map(Into::into),
            balances: h.balances.into_iter().map(Into::into).collect(),
            recent: h.recent.into_iter().map(Into::into).collect(),
        }
    }
}

/// The stored app credential (what the dynamic QR is built from).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CredentialInfo {
    /// Credential id.
    pub credential_id: String,
    /// Issued at.
    pub issued_at: SystemTime,
    /// Expires at.
    pub expires_at: SystemTime,
    /// QR codes shown so far.
    pub qr_counter: u32,
}

impl From<core::CredentialInfo> for CredentialInfo {
    fn from(c: core::CredentialInfo) -> Self {
        CredentialInfo {
            credential_id: c.credential_id,
            issued_at: c.issued_at.into(),
            expires_at: c.expires_at.into(),
            qr_counter: c.qr_counter,
        }
    }
}
