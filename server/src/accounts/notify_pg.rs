//! The notification outbox on PostgreSQL (ADR 0036): the SQL of `accounts::notify` in PostgreSQL's dialect. Several instances drain one outbox: each notification is claimed under its row lock (`FOR UPDATE SKIP LOCKED`), sent and recorded in one transaction, so it is sent once.

use chrono::DateTime;
use chrono::Utc;
use r2d2_postgres::postgres::Transaction;

use crate::accounts::notify::BATCH;
use crate::accounts::notify::MAX_ATTEMPTS;
use crate::accounts::notify::NotifyRepo;
use crate::accounts::notify::NotifyTx;
use crate::accounts::notify::deliver;
use crate::accounts::notify::notice;
use crate::accounts::notify::season_end_reminders;
use crate::error::ServiceError;
use crate::platform::mail::Mail;
use crate::platform::mail::Mailer;
use crate::platform::pg::PgTx;
use crate::platform::pg_cache::CachedQueries;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// What a notification to send is: due, of a confirmed account not forgotten.
const DUE: &str = "n.sent_at IS NULL AND n.attempts < $1 AND a.email_verified_at IS NOT NULL
     AND a.forgotten_at IS NULL";

/// Queues a mail to an account, once per `dedupe_key`, inside the caller's
/// transaction (the twin of `notify::enqueue`).
pub(crate) fn enqueue(
    tx: &mut Transaction<'_>,
    account_id: &str,
    dedupe_key: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    tx.execute_cached(
        "INSERT INTO notification_outbox (account_id, dedupe_key, subject, body, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING",
        &[&account_id, &dedupe_key, &subject, &body, &ts(now)],
    )?;
    Ok(())
}

/// The holder's account of a card (the twin of `notify::card_holder`).
pub(crate) fn card_holder(
    tx: &mut Transaction<'_>,
    card_id: &str,
) -> Result<Option<String>, ServiceError> {
    Ok(tx
        .query_opt("SELECT account_id FROM cards WHERE id = $1", &[&card_id])?
        .map(|r| r.try_get(0))
        .transpose()?)
}

impl NotifyTx for PgTx<'_, '_> {
    /// One statement: the holder read and the mail queued together.
    fn enqueue_to_holder(
        &self,
        card_id: &str,
        dedupe_key: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute_cached(
                "INSERT INTO notification_outbox (account_id, dedupe_key, subject, body, created_at)
                 SELECT account_id, $2, $3, $4, $5 FROM cards
                 WHERE id = $1
                 ON CONFLICT (dedupe_key) DO NOTHING",
                &[&card_id, &dedupe_key, &subject, &body, &ts(now)],
            )?;
            Ok(())
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
        self.with(|tx| enqueue(tx, account_id, dedupe_key, subject, body, now))
    }

    fn unreminded_holders(&self, season: i64) -> Result<Vec<String>, ServiceError> {
        self.with(|tx| {
            let rows = tx.query_cached(
                "SELECT k.account_id FROM cards k WHERE k.season = $1 AND k.status = 'active'
                 AND NOT EXISTS (SELECT 1 FROM notification_outbox n
                     WHERE n.dedupe_key = 'fin-de-saison:' || $1::text || ':' || k.account_id)
                 LIMIT 5000",
                &[&season],
            )?;
            rows.iter()
                .map(|r| Ok(r.try_get::<_, String>(0)?))
                .collect()
        })
    }
}

fn record(
    tx: &mut Transaction<'_>,
    id: i64,
    sent: bool,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    tx.execute_cached(
        "UPDATE notification_outbox SET attempts = attempts + 1,
         sent_at = CASE WHEN $2 THEN $3 ELSE sent_at END WHERE id = $1",
        &[&id, &sent, &ts(now)],
    )?;
    Ok(())
}

fn mail_of(r: &r2d2_postgres::postgres::Row) -> Result<(i64, Mail), ServiceError> {
    Ok((
        r.try_get(0)?,
        Mail {
            to: r.try_get(1)?,
            subject: r.try_get(2)?,
            body: r.try_get(3)?,
        },
    ))
}

impl NotifyRepo for PgStore {
    fn queue_season_end_reminders(&self, now: DateTime<Utc>) -> Result<usize, ServiceError> {
        // Two instances queueing together: the dedupe key's unique index
        // keeps one reminder (ON CONFLICT DO NOTHING).
        self.pool
            .write(|tx| season_end_reminders(&PgTx::new(tx), now))
    }

    fn notifications_to_send(&self) -> Result<Vec<(i64, Mail)>, ServiceError> {
        self.pool.read(|tx| {
            let rows = tx.query_cached(
                &format!(
                    "SELECT n.id, a.email::text, n.subject, n.body FROM notification_outbox n
                     JOIN accounts a ON a.id = n.account_id WHERE {DUE} ORDER BY n.id LIMIT $2"
                ),
                &[&i64::from(MAX_ATTEMPTS), &i64::from(BATCH)],
            )?;
            rows.iter().map(mail_of).collect()
        })
    }

    fn notices_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<crate::accounts::model::AccountNotice>, ServiceError> {
        self.pool.read(|tx| {
            let rows = tx.query_cached(
                "SELECT subject, body, created_at FROM notification_outbox WHERE account_id = $1
                 ORDER BY id DESC LIMIT 50",
                &[&account_id],
            )?;
            rows.iter()
                .map(|r| notice(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
                .collect()
        })
    }

    fn record_notification(
        &self,
        id: i64,
        sent: bool,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.pool.write(|tx| record(tx, id, sent, now))
    }

    fn outbox_counts(&self) -> Result<(u64, u64), ServiceError> {
        self.pool.read(|tx| {
            let r = tx.query_one_cached(
                "SELECT COUNT(*) FILTER (WHERE n.attempts < $1), COUNT(*) FILTER (WHERE n.attempts >= $1)
                 FROM notification_outbox n JOIN accounts a ON a.id = n.account_id
                 WHERE n.sent_at IS NULL AND a.email_verified_at IS NOT NULL
                   AND a.forgotten_at IS NULL",
                &[&i64::from(MAX_ATTEMPTS)],
            )?;
            let (due, given_up): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
            Ok((due.max(0) as u64, given_up.max(0) as u64))
        })
    }

    /// Each notification in its own transaction: claimed under its row lock
    /// (another instance skips it), sent, recorded, committed. A crash before
    /// the commit leaves it to send again (at least once, as on SQLite); two
    /// instances never send it both.
    fn send_pending(&self, mailer: &dyn Mailer, now: DateTime<Utc>) -> Result<usize, ServiceError> {
        let (mut after, mut sent) = (0_i64, 0);
        for _ in 0..BATCH {
            // A retried transaction (conflict) records the send already
            // made instead of sending again.
            let mut tried: Option<(i64, bool)> = None;
            let claimed = self.pool.write(|tx| {
                let Some(r) = tx.query_opt_cached(
                    &format!(
                        "SELECT n.id, a.email::text, n.subject, n.body FROM notification_outbox n
                         JOIN accounts a ON a.id = n.account_id WHERE {DUE} AND n.id > $2
                         ORDER BY n.id LIMIT 1 FOR UPDATE OF n SKIP LOCKED"
                    ),
                    &[&i64::from(MAX_ATTEMPTS), &after],
                )?
                else {
                    return Ok(None);
                };
                let (id, mail) = mail_of(&r)?;
                let ok = match tried {
                    Some((t, ok)) if t == id => ok,
                    _ => deliver(mailer, &mail),
                };
                tried = Some((id, ok));
                record(tx, id, ok, now)?;
                Ok(Some((id, ok)))
            })?;
            let Some((id, ok)) = claimed else { break };
            after = id;
            sent += usize::from(ok);
        }
        Ok(sent)
    }
}
