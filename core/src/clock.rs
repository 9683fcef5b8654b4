//! Time behind a trait, so that time-dependent rules are tested at fixed times.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests, simulations, demos).
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = at;
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .map(|g| *g)
            .unwrap_or_else(|p| *p.into_inner())
    }
}

/// A clock shifted by a fixed offset (the server's clock as seen from a phone
/// that learned the offset at its last sync).
#[derive(Debug)]
pub struct OffsetClock<C> {
    inner: C,
    offset: Duration,
}

impl<C: Clock> OffsetClock<C> {
    /// `inner` plus `offset`.
    pub fn new(inner: C, offset: Duration) -> Self {
        OffsetClock { inner, offset }
    }
}

impl<C: Clock> Clock for OffsetClock<C> {
    fn now(&self) -> DateTime<Utc> {
        self.inner.now() + self.offset
    }
}
