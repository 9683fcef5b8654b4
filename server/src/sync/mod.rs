//! Offline sync: partner devices, offline debits pushed and checked, overspend flags, the change log pulled as deltas.

pub mod apply;
pub(crate) mod apply_pg;
pub mod check;
pub mod http;
pub mod repo;
pub mod repo_pg;
pub mod service;
