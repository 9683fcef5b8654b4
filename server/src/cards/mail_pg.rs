//! The notification outbox on PostgreSQL, for the cards' e-mails (`accounts::notify::enqueue` and `card_holder` in PostgreSQL's dialect; the outbox's sender is ported with `NotifyRepo`).

use chrono::DateTime;
use chrono::Utc;
use r2d2_postgres::postgres::Transaction;

use crate::error::ServiceError;
use crate::platform::sql::ts;

/// Queues a mail to an account, once per `dedupe_key` (unique), inside the
/// caller's transaction.
pub(crate) fn enqueue(
    tx: &mut Transaction<'_>,
    account_id: &str,
    dedupe_key: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    tx.execute(
        "INSERT INTO notification_outbox (account_id, dedupe_key, subject, body, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING",
        &[&account_id, &dedupe_key, &subject, &body, &ts(now)],
    )?;
    Ok(())
}

/// The holder's account of a card.
pub(crate) fn card_holder(
    tx: &mut Transaction<'_>,
    card_id: &str,
) -> Result<Option<String>, ServiceError> {
    Ok(tx
        .query_opt("SELECT account_id FROM cards WHERE id = $1", &[&card_id])?
        .map(|r| r.try_get(0))
        .transpose()?)
}
