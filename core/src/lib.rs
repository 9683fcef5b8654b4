//! # passregion-core
//!
//! The PASS'Région domain, free of I/O: the server and the apps (Tauri and
//! uniffi) call these rules; none of them re-implements one.
//!
//! - [`money`]: euros with two decimals (`rust_decimal`), French formatting.
//! - [`season`]: 1 June → 31 May seasons, in the Region's time zone.
//! - [`public`]: publics, tracks, partner categories, eligibility.
//! - [`catalogue`]: the avantage catalogue, loaded from data files and validated.
//! - [`debit`]: the debit rule (partial debit, *reste à payer*) and the refund rule.
//! - [`card`]: card numbers and the card life cycle.
//! - [`ledger`]: balances derived from append-only movements.
//! - [`clock`]: the clock behind a trait.
//! - [`api`]: the request and response types of the server's JSON API
//!   (OpenAPI schemas with the `openapi` feature); [`sync`]: the sync protocol.
//! - [`qr`]: QR rendering (SVG, PNG); scanning of camera frames with feature
//!   `scan` (rxing; the server does not build it).
//! - `client` (feature `client`): the offline-capable app core (local store,
//!   HTTP transport, youth and partner clients, sync engine).

pub mod anomaly;
pub mod api;
pub mod application;
pub mod card;
pub mod catalogue;
#[cfg(feature = "client")]
pub mod client;
pub mod clock;
pub mod credential;
pub mod debit;
pub mod help;
pub mod ledger;
pub mod money;
pub mod partner;
pub mod public;
pub mod qr;
pub mod reimbursement;
pub mod renewal;
pub mod season;
pub mod settlement;
pub mod signed_money;
pub mod status;
pub mod sync;

pub use card::{CardError, CardNumber, CardState, CardStatus};
pub use catalogue::{Avantage, Catalogue, CatalogueError, Entitlement};
pub use clock::{Clock, FixedClock, SystemClock};
pub use debit::{AvantageKind, DebitError, DebitOutcome, Quantity, RefundError, RefundPolicy};
pub use money::{Money, MoneyError};
pub use public::{PartnerCategory, Profile, Public, Track};
pub use season::Season;
pub use signed_money::SignedMoney;
