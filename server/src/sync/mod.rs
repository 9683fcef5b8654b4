//! Offline sync: partner devices, offline debits pushed and checked, overspend flags, the change log pulled as deltas.

pub mod apply;
pub mod check;
pub mod http;
pub mod repo;
pub mod service;
