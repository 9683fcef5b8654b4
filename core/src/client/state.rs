//! The sync state shown by the UI, its listeners, and the retry policy.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the sync engine is doing ("synchronisation…", "hors ligne"…).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    /// Nothing to do, or done.
    #[default]
    Idle,
    /// Pushing or pulling.
    Syncing,
    /// The server cannot be reached; queued debits wait.
    Offline,
    /// Sync failed for another reason (session expired, server error…).
    Error {
        /// A short reason without personal data.
        reason: String,
    },
}

/// Receives sync state changes (the UI).
pub trait SyncListener: Send + Sync {
    /// Called on every change, on the syncing thread.
    fn on_state(&self, state: SyncState);
}

impl<F: Fn(SyncState) + Send + Sync> SyncListener for F {
    fn on_state(&self, state: SyncState) {
        self(state)
    }
}

/// Handle of a registered listener (pass it back to remove it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

type Listeners = Vec<(u64, Arc<dyn SyncListener>)>;

#[derive(Default)]
pub(crate) struct StateCell {
    inner: Mutex<(SyncState, u64, Listeners)>,
}

impl StateCell {
    pub fn get(&self) -> SyncState {
        self.inner
            .lock()
            .map(|g| g.0.clone())
            .unwrap_or(SyncState::Idle)
    }

    pub fn set(&self, state: SyncState) {
        let listeners = match self.inner.lock() {
            Ok(mut g) => {
                if g.0 == state {
                    return;
                }
                g.0 = state.clone();
                g.2.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>()
            }
            Err(_) => return,
        };
        for l in listeners {
            l.on_state(state.clone());
        }
    }

    pub fn add(&self, l: Arc<dyn SyncListener>) -> ListenerId {
        match self.inner.lock() {
            Ok(mut g) => {
                g.1 += 1;
                let id = g.1;
                g.2.push((id, l));
                ListenerId(id)
            }
            Err(_) => ListenerId(0),
        }
    }

    pub fn remove(&self, id: ListenerId) {
        if let Ok(mut g) = self.inner.lock() {
            g.2.retain(|(i, _)| *i != id.0);
        }
    }
}

/// Waits between retries (injectable: tests do not sleep).
pub trait Sleeper: Send + Sync {
    /// Waits.
    fn sleep(&self, d: Duration);
}

/// Sleeps the thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Exponential backoff of a sync round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries of one request before giving up for this round.
    pub max_attempts: u32,
    /// First wait.
    pub base: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `n` (1-based): base × 2^(n−1), capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let d: Vec<u128> = (1..=6).map(|n| p.delay(n).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay(64), Duration::from_secs(1));
    }

    #[test]
    fn listeners_see_changes_once() {
        let cell = StateCell::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let id = cell.add(Arc::new(move |s: SyncState| s2.lock().unwrap().push(s)));
        cell.set(SyncState::Syncing);
        cell.set(SyncState::Syncing);
        cell.set(SyncState::Offline);
        cell.remove(id);
        cell.set(SyncState::Idle);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![SyncState::Syncing, SyncState::Offline]
        );
        assert_eq!(cell.get(), SyncState::Idle);
    }
}
