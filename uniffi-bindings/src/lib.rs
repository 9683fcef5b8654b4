//! # passregion-uniffi
//!
//! The PASS'Région core for native Kotlin (Android) and Swift (iOS) apps,
//! through [uniffi](https://mozilla.github.io/uniffi-rs/) proc-macros.
//!
//! This crate is a thin layer: every exported method converts its arguments,
//! forwards to `passregion_core::client` (feature `client`) or to the core
//! domain, and converts the answer. It holds no business rule; a rule that is
//! missing belongs in `core`.
//!
//! - [`YouthClient`], [`PartnerClient`]: objects built with the server URL and
//!   a data directory (the local SQLite store lives there).
//! - [`PassRegionError`]: the one public error, mapped from the core client
//!   error in one place (`error.rs`).
//! - [`DeviceSigner`]: a callback interface, so that the platform keystore
//!   signs the dynamic QR; [`SyncListener`]: the sync state callback;
//!   [`HttpTransport`]: the platform's HTTP stack (TLS), optional.
//! - Money crosses the boundary as a decimal string (`"12.50"`), validated
//!   with [`passregion_core::Money::parse`]; never as a float.

uniffi::setup_scaffolding!();

mod callbacks;
mod domain;
mod error;
mod partner;
mod records;
mod youth;

pub use callbacks::{
    DeviceSigner, HttpHeader, HttpMethod, HttpRequest, HttpResponse, HttpTransport, ListenerHandle,
    SyncListener,
};
pub use domain::{core_version, format_money, parse_money, partner_category_label, season_of};
pub use error::PassRegionError;
pub use partner::PartnerClient;
pub use records::*;
pub use youth::YouthClient;
