//! The notification outbox on PostgreSQL (ADR 0036, in progress): the rows a transaction writes with what it tells (`accounts::notify::NotifyTx`).

use chrono::DateTime;
use chrono::Utc;

use crate::accounts::notify::NotifyTx;
use crate::error::ServiceError;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;

impl NotifyTx for PgTx<'_, '_> {
    fn card_holder(&self, card_id: &str) -> Result<Option<String>, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt("SELECT account_id FROM cards WHERE id = $1", &[&card_id])?
                .map(|r| r.try_get(0))
                .transpose()?)
        })
    }

    fn enqueue(
        &self,
        account_id: &str,
        dedupe_key: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO notification_outbox (account_id, dedupe_key, subject, body, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING",
                &[&account_id, &dedupe_key, &subject, &body, &ts(now)],
            )?;
            Ok(())
        })
    }
}
