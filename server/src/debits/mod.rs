//! Debits: inspect a card, debit it (QR or number + birth date), refund, and the append-only ledger they write.

pub mod card;
pub mod error;
pub mod http;
pub mod ledger;
pub mod lookup;
pub mod model;
pub mod qr;
pub mod refund;
pub mod repo;
pub mod service;
pub mod transactions;
