//! The Region's back office: the transaction feed, ledger checks, overspend
//! flags, the fraud and anomalies desk (`anomalies.rs`, its SQL in
//! `desk_repo.rs`), the card look-up for support with its audit
//! (`lookup.rs`). The desk's thresholds are in `passregion_core::anomaly`;
//! the bounds of the look-up and of the lists are here (ADR 0028).

pub mod anomalies;
pub mod desk_pg;
pub mod desk_repo;
pub mod error;
pub mod http;
pub mod ledger_check;
pub mod lookup;
pub mod model;
pub mod pages;
pub mod repo;
pub mod repo_pg;
pub mod staff;

/// At most this many anomalies of each kind are listed (the most recent).
pub const ANOMALIES_PER_KIND: i64 = 500;
/// At most this many offline debits are shown under an overspend flag.
pub const FLAG_OFFLINE_DEBITS: i64 = 50;
/// A name look-up needs at least this many characters.
pub const LOOKUP_MIN_CHARS: usize = 3;
/// A look-up returns at most this many cards (`truncated` beyond).
pub const LOOKUP_MAX_RESULTS: usize = 20;
/// At most this many ledger movements per card in a look-up (newest first).
pub const LOOKUP_LEDGER_MAX: i64 = 200;
/// Feed and audit pages: default and largest sizes.
pub const PAGE_DEFAULT: u32 = 100;
/// See [`PAGE_DEFAULT`].
pub const PAGE_MAX: u32 = 500;

/// A page size asked for, within `1..=PAGE_MAX` (default [`PAGE_DEFAULT`]).
pub fn page_size(asked: Option<u32>) -> u32 {
    asked.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size(None), PAGE_DEFAULT);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(10_000)), PAGE_MAX);
        assert_eq!(page_size(Some(42)), 42);
    }
}
