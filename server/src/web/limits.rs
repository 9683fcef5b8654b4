//! Failure limits against brute force: a sliding window per key (address, account).

use axum::extract::ConnectInfo;
use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

/// Counts failures per key over a sliding window (anti brute force).
#[derive(Debug)]
pub struct FailureWindow {
    window: Duration,
    max: usize,
    map: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl FailureWindow {
    /// At most `max` failures per key within `window`.
    pub fn new(max: usize, window: Duration) -> FailureWindow {
        FailureWindow {
            window,
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the key is over its limit.
    pub fn blocked(&self, key: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut map) = self.map.lock() else {
            return true;
        };
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, v| v.last().is_some_and(|t| *t > now - window));
        }
        match map.get_mut(key) {
            Some(v) => {
                v.retain(|t| *t > now - self.window);
                v.len() >= self.max
            }
            None => false,
        }
    }

    /// Reserves one attempt on every key at once, before the slow work: the
    /// reservation counts as a failure until [`FailureWindow::release`] gives
    /// it back (on success). Checking and counting under one lock means that
    /// parallel attempts cannot all pass the check before any is counted: at
    /// most `max` attempts per key are ever in flight or failed in a window.
    /// `false` when a key is spent (nothing is reserved then).
    pub fn reserve(&self, keys: &[&str], now: DateTime<Utc>) -> bool {
        let Ok(mut map) = self.map.lock() else {
            return false;
        };
        let window = self.window;
        if map.len() > 100_000 {
            map.retain(|_, v| v.last().is_some_and(|t| *t > now - window));
        }
        for key in keys {
            if let Some(v) = map.get_mut(*key) {
                v.retain(|t| *t > now - window);
                if v.len() >= self.max {
                    return false;
                }
            }
        }
        for key in keys {
            map.entry((*key).to_owned()).or_default().push(now);
        }
        true
    }

    /// Gives back an attempt reserved at `at` (the attempt succeeded).
    pub fn release(&self, keys: &[&str], at: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            for key in keys {
                if let Some(v) = map.get_mut(*key)
                    && let Some(i) = v.iter().rposition(|t| *t == at)
                {
                    v.remove(i);
                }
            }
        }
    }

    /// Records a failure.
    pub fn record(&self, key: &str, now: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            map.entry(key.to_owned()).or_default().push(now);
        }
    }
}

pub(crate) fn client_ip(connect: &ConnectInfo<SocketAddr>) -> String {
    connect.0.ip().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_bound_attempts_in_flight_and_successes_give_them_back() {
        let now: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let w = FailureWindow::new(3, Duration::minutes(10));
        // Three attempts in flight at once: the fourth is refused before any
        // of them has finished.
        assert!(w.reserve(&["ip", "mail"], now));
        assert!(w.reserve(&["ip", "mail"], now));
        assert!(w.reserve(&["ip", "mail"], now));
        assert!(!w.reserve(&["ip", "mail"], now));
        assert!(
            !w.reserve(&["other-ip", "mail"], now),
            "the account budget is shared"
        );
        // One succeeded: its attempt is given back.
        w.release(&["ip", "mail"], now);
        assert!(w.reserve(&["ip", "mail"], now));
        // The window slides.
        assert!(w.reserve(&["ip", "mail"], now + Duration::minutes(11)));
        assert!(!w.blocked("ip", now + Duration::minutes(11)));
    }
}
