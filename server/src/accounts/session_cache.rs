//! A short-lived cache of resolved sessions.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::model::Principal;

/// A short-lived cache of resolved sessions, so that a busy counter does not
/// read the sessions table on every request. An entry lives 30 seconds: a
/// logout removes it at once; a change of role or of partner status is seen
/// within 30 seconds.
#[derive(Debug, Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, (Principal, DateTime<Utc>)>>,
}

impl SessionCache {
    const TTL: Duration = Duration::seconds(30);

    pub(crate) fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Principal> {
        let map = self.map.lock().ok()?;
        map.get(token_hash)
            .filter(|(_, at)| now - *at < Self::TTL && *at <= now)
            .map(|(p, _)| p.clone())
    }

    pub(crate) fn put(&self, token_hash: String, p: Principal, now: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() > 50_000 {
                map.retain(|_, (_, at)| now - *at < Self::TTL);
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
