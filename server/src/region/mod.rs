//! The Region's back office: the transaction feed, ledger checks, overspend flags.

pub mod http;
pub mod model;
pub mod repo;
