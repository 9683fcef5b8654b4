//! # passregion-server
//!
//! The Region's source of truth: accounts, orders, cards, avantages, the
//! ledger, debits, refunds and reimbursements, over HTTP (axum) on embedded
//! SQLite. The code is cut by domain (one folder per capability) over
//! `platform` (storage, keys) and `web` (HTTP plumbing); see `ARCHITECTURE.md`.

pub mod app;
pub mod background;
pub mod config;
pub mod error;
pub mod router;
pub mod setup;
pub mod state;
pub mod stats;

pub mod platform;
pub mod web;

pub mod accounts;
pub mod bons_plans;
pub mod cards;
pub mod debits;
pub mod establishments;
pub mod help;
pub mod partners;
pub mod region;
pub mod reimbursements;
pub mod sync;

pub mod demo;

pub use app::Server;
pub use config::Config;
pub use state::AppState;
