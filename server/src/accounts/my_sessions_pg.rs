//! The account's own sessions on PostgreSQL (ADR 0036): the SQL of `accounts::my_sessions` in PostgreSQL's dialect; the view is made by `my_sessions::session_view`.

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;

use crate::accounts::model::SessionView;
use crate::accounts::my_sessions::MySessionsRepo;
use crate::accounts::my_sessions::listed_id;
use crate::accounts::my_sessions::session_view;
use crate::error::ServiceError;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

impl MySessionsRepo for PgStore {
    fn my_sessions(
        &self,
        account_id: &str,
        current: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionView>, ServiceError> {
        self.pool.read(|tx| {
            let rows = tx.query(
                "SELECT token_hash, expires_at FROM sessions WHERE account_id = $1 AND expires_at > $2
                 ORDER BY expires_at DESC LIMIT 100",
                &[&account_id, &ts(now)],
            )?;
            rows.iter()
                .map(|r| session_view(r.try_get(0)?, r.try_get(1)?, current, ttl))
                .collect()
        })
    }

    fn end_session(&self, account_id: &str, id: &str) -> Result<Option<String>, ServiceError> {
        let Some(id) = listed_id(id) else {
            return Ok(None);
        };
        self.pool.write(|tx| {
            // One statement: the row found is the row deleted.
            let row = tx.query_opt(
                "DELETE FROM sessions WHERE token_hash = (
                     SELECT token_hash FROM sessions
                     WHERE account_id = $1 AND substr(token_hash, 1, 16) = $2 LIMIT 1)
                 RETURNING token_hash",
                &[&account_id, &id],
            )?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
    }
}
