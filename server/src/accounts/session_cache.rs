//! A short-lived cache of resolved sessions.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::model::Principal;

/// A short-lived cache of resolved sessions, so that a busy counter does not
/// read the sessions table on every request. An entry lives [`Self::ttl`]
/// (30 seconds by default): a logout, a password change or a partner's
/// suspension removes the entries of this instance at once; a change made
/// through another instance (PostgreSQL) is seen within the lifetime, which
/// is why it is 0 there unless configured (ADR 0036).
#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    map: Mutex<HashMap<String, (Principal, DateTime<Utc>)>>,
}

impl Default for SessionCache {
    fn default() -> SessionCache {
        SessionCache::with_ttl(Duration::seconds(30))
    }
}

impl SessionCache {
    /// A cache whose entries live `ttl` (zero or less: nothing is kept).
    pub fn with_ttl(ttl: Duration) -> SessionCache {
        SessionCache {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// How long an entry lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub(crate) fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Principal> {
        let map = self.map.lock().ok()?;
        map.get(token_hash)
            .filter(|(_, at)| now - *at < self.ttl && *at <= now)
            .map(|(p, _)| p.clone())
    }

    pub(crate) fn put(&self, token_hash: String, p: Principal, now: DateTime<Utc>) {
        if self.ttl <= Duration::zero() {
            return;
        }
        if let Ok(mut map) = self.map.lock() {
            if map.len() > 50_000 {
                let ttl = self.ttl;
                map.retain(|_, (_, at)| now - *at < ttl);
            }
            map.insert(token_hash, (p, now));
        }
    }

    pub(crate) fn remove(&self, token_hash: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(token_hash);
        }
    }

    /// Forgets every cached session of a partner's staff (its convention
    /// was suspended or terminated: the next request reads it again).
    pub(crate) fn remove_partner(&self, partner_id: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, (p, _)| p.partner.as_ref().is_none_or(|x| x.0 != partner_id));
        }
    }

    /// Forgets every cached session of an account (its password changed).
    pub(crate) fn remove_account(&self, account_id: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, (p, _)| p.account_id != account_id);
        }
    }
}
