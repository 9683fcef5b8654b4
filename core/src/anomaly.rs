//! The thresholds of the Region's fraud and anomalies desk, and the pure
//! rules behind them (ADR 0028). The server reads the facts (transactions,
//! refunds, times) and asks these rules; nothing else decides what is
//! unusual.
//!
//! - A partner's **refund rate** is unusual when, over the last
//!   [`REFUND_RATE_WINDOW_DAYS`] days, it made at least
//!   [`REFUND_RATE_MIN_DEBITS`] debits and refunded more than
//!   [`REFUND_RATE_MAX_PERCENT`] % of their euro value.
//! - A debit at an **odd hour** is one made from [`NIGHT_START_HOUR`]:00 to
//!   [`NIGHT_END_HOUR`]:00 (excluded), Paris time, over the last
//!   [`NIGHT_WINDOW_DAYS`] days; one anomaly per partner and night.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Europe::Paris;

/// The window of the refund rate, in days back from now.
pub const REFUND_RATE_WINDOW_DAYS: i64 = 30;
/// Refunds above this share (in percent) of the debits' euro value are unusual.
pub const REFUND_RATE_MAX_PERCENT: i64 = 20;
/// Fewer debits than this in the window: the rate says nothing (one refund
/// out of two debits is not fraud).
pub const REFUND_RATE_MIN_DEBITS: i64 = 10;
/// The night starts at this hour (Paris time, included).
pub const NIGHT_START_HOUR: u32 = 23;
/// The night ends at this hour (Paris time, excluded).
pub const NIGHT_END_HOUR: u32 = 5;
/// Debits at odd hours are looked for over this many days back from now.
pub const NIGHT_WINDOW_DAYS: i64 = 30;

/// The start of the refund-rate window at `now`.
pub fn refund_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(REFUND_RATE_WINDOW_DAYS)
}

/// The start of the odd-hours window at `now`.
pub fn night_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(NIGHT_WINDOW_DAYS)
}

/// Whether a partner's refunds are unusual: `debits` debits worth
/// `debited_cents` and refunds worth `refunded_cents` in the window. Integer
/// arithmetic: `refunded × 100 > debited × REFUND_RATE_MAX_PERCENT`.
pub fn refund_rate_unusual(debits: i64, debited_cents: i64, refunded_cents: i64) -> bool {
    debits >= REFUND_RATE_MIN_DEBITS
        && refunded_cents.max(0).saturating_mul(100)
            > debited_cents.max(0).saturating_mul(REFUND_RATE_MAX_PERCENT)
}

/// The refunded share in whole percent (rounded down; 0 without debits),
/// for display.
pub fn refund_percent(debited_cents: i64, refunded_cents: i64) -> i64 {
    if debited_cents <= 0 {
        return 0;
    }
    refunded_cents.max(0).saturating_mul(100) / debited_cents
}

/// Whether an instant is at an odd hour: from 23:00 to 05:00 (excluded),
/// Paris time (summer and winter time alike).
pub fn odd_hour(at: DateTime<Utc>) -> bool {
    let hour = at.with_timezone(&Paris).hour();
    !(NIGHT_END_HOUR..NIGHT_START_HOUR).contains(&hour)
}

/// The night an odd-hour instant belongs to, named by the evening's date in
/// Paris: 23:30 on the 14th and 02:00 on the 15th are both the night of the
/// 14th.
pub fn night_of(at: DateTime<Utc>) -> NaiveDate {
    let local = at.with_timezone(&Paris);
    let day = local.date_naive();
    if local.hour() < NIGHT_END_HOUR {
        day.pred_opt().unwrap_or(day)
    } else {
        day
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_refund_rate_needs_volume_and_a_share_above_the_threshold() {
        // 10 debits of 10 €: 20 € refunded is exactly 20 %, not above.
        assert!(!refund_rate_unusual(10, 10_000, 2_000));
        assert!(refund_rate_unusual(10, 10_000, 2_001));
        // Below the volume, even 100 % refunded says nothing.
        assert!(!refund_rate_unusual(
            REFUND_RATE_MIN_DEBITS - 1,
            9_000,
            9_000
        ));
        assert!(refund_rate_unusual(REFUND_RATE_MIN_DEBITS, 9_000, 9_000));
        // No refund, or nonsense negative sums: never unusual.
        assert!(!refund_rate_unusual(1_000, 1_000_000, 0));
        assert!(!refund_rate_unusual(1_000, 1_000_000, -5));
        // No overflow on huge sums.
        assert!(refund_rate_unusual(i64::MAX, i64::MAX / 200, i64::MAX / 2));
        assert!(!refund_rate_unusual(i64::MAX, i64::MAX, i64::MAX));
        assert_eq!(refund_percent(10_000, 2_001), 20);
        assert_eq!(refund_percent(10_000, 2_100), 21);
        assert_eq!(refund_percent(0, 100), 0);
    }

    #[test]
    fn odd_hours_are_paris_time_in_winter_and_summer() {
        // Winter (UTC+1): 23:00 Paris is 22:00 UTC.
        assert!(!odd_hour(at("2026-11-20T21:59:59Z")));
        assert!(odd_hour(at("2026-11-20T22:00:00Z")));
        assert!(odd_hour(at("2026-11-21T03:59:59Z")));
        assert!(!odd_hour(at("2026-11-21T04:00:00Z")));
        // Summer (UTC+2): 23:00 Paris is 21:00 UTC, 05:00 is 03:00 UTC.
        assert!(!odd_hour(at("2027-06-10T20:59:59Z")));
        assert!(odd_hour(at("2027-06-10T21:00:00Z")));
        assert!(odd_hour(at("2027-06-11T02:59:59Z")));
        assert!(!odd_hour(at("2027-06-11T03:00:00Z")));
        // Midday is never odd.
        assert!(!odd_hour(at("2026-11-20T11:00:00Z")));
    }

    #[test]
    fn a_night_is_named_by_its_evening() {
        let evening = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(night_of(at("2026-11-20T22:30:00Z")), evening);
        assert_eq!(night_of(at("2026-11-21T01:00:00Z")), evening);
        // 23:30 UTC on the 20th is 00:30 on the 21st in Paris: still the 20th's night.
        assert_eq!(night_of(at("2026-11-20T23:30:00Z")), evening);
    }

    #[test]
    fn the_windows_go_back_from_now() {
        let now = at("2026-11-20T10:00:00Z");
        assert_eq!(refund_window_start(now), at("2026-10-21T10:00:00Z"));
        assert_eq!(night_window_start(now), at("2026-10-21T10:00:00Z"));
    }
}
