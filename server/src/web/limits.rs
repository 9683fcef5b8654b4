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
