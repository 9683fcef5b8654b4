//! The account's own sessions, listed and closed one by one (issue 16). A
//! session is shown by the first 16 hex digits of its token's SHA-256 (its
//! key in the store): nothing from which the token could be found.

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use crate::accounts::model::SessionView;
use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::sql::{parse_ts, ts};
use crate::platform::store::SqliteStore;

/// The listed id of a session.
pub(crate) fn public_id(token_hash: &str) -> String {
    token_hash.chars().take(16).collect()
}

/// A session as listed: `current` when it is the caller's (`current`: its hash).
pub(crate) fn session_view(
    hash: String,
    expires: &str,
    current: &str,
    ttl: Duration,
) -> Result<SessionView, ServiceError> {
    let expires_at = parse_ts(expires)?;
    Ok(SessionView {
        id: public_id(&hash),
        opened_at: expires_at - ttl,
        expires_at,
        current: hash == current,
    })
}

/// A listed id as typed (16 hex digits), or `None`: not one of ours.
pub(crate) fn listed_id(id: &str) -> Option<&str> {
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// Sessions of an account.
pub trait MySessionsRepo: Send + Sync + 'static {
    /// The account's live sessions, newest first (`current`: the caller's hash).
    fn my_sessions(
        &self,
        account_id: &str,
        current: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionView>, ServiceError>;
    /// Ends one of the account's sessions by its listed id; returns its
    /// token hash (to forget it from the cache), `None` when it is not one.
    fn end_session(&self, account_id: &str, id: &str) -> Result<Option<String>, ServiceError>;
}

impl MySessionsRepo for SqliteStore {
    fn my_sessions(
        &self,
        account_id: &str,
        current: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionView>, ServiceError> {
        let (id, current) = (account_id.to_owned(), current.to_owned());
        self.db.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT token_hash, expires_at FROM sessions WHERE account_id = ?1 AND expires_at > ?2
                 ORDER BY expires_at DESC LIMIT 100",
            )?;
            let rows = stmt.query_map(params![id, ts(now)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (hash, expires) = row?;
                out.push(session_view(hash, &expires, &current, ttl)?);
            }
            Ok(out)
        })
    }

    fn end_session(&self, account_id: &str, id: &str) -> Result<Option<String>, ServiceError> {
        let Some(id) = listed_id(id) else {
            return Ok(None);
        };
        let (account, id) = (account_id.to_owned(), id.to_owned());
        self.db.write(move |c| {
            let hash: Option<String> = {
                use rusqlite::OptionalExtension;
                c.one(
                    "SELECT token_hash FROM sessions WHERE account_id = ?1 AND substr(token_hash, 1, 16) = ?2",
                    params![account, id],
                    |r| r.get(0),
                )
                .optional()?
            };
            if let Some(h) = &hash {
                c.exec("DELETE FROM sessions WHERE token_hash = ?1", [h])?;
            }
            Ok(hash)
        })
    }
}
