//! E-mail notifications to youths (issue 16): an order decided, a card
//! posted, each debit (a receipt), the season's end. Each is written to a
//! durable outbox (`notification_outbox`) in the transaction of what it
//! tells, keyed so the same event is told once; the background sender
//! drains it, retrying a failed send a bounded number of times.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::mail::{Mail, Mailer};
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// Sends of one notification before it is given up.
pub const MAX_ATTEMPTS: u32 = 10;

/// Most notifications sent per round.
pub const BATCH: u32 = 200;

/// Queues a mail to an account, once per `dedupe_key`, inside the caller's
/// transaction.
pub(crate) fn enqueue(
    c: &Connection,
    account_id: &str,
    dedupe_key: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    c.exec(
        "INSERT OR IGNORE INTO notification_outbox (account_id, dedupe_key, subject, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![account_id, dedupe_key, subject, body, ts(now)],
    )?;
    Ok(())
}

/// The holder's account of a card.
pub(crate) fn card_holder(c: &Connection, card_id: &str) -> Result<Option<String>, ServiceError> {
    use rusqlite::OptionalExtension;
    Ok(c.one(
        "SELECT account_id FROM cards WHERE id = ?1",
        [card_id],
        |r| r.get(0),
    )
    .optional()?)
}

/// The outbox rows a transaction writes with what it tells (SQL only, no
/// rule; SQLite here, PostgreSQL in `accounts/notify_pg.rs`).
pub(crate) trait NotifyTx {
    /// Queues a mail to the holder of a card (nothing for an unknown card),
    /// once per `dedupe_key`.
    fn enqueue_to_holder(
        &self,
        card_id: &str,
        dedupe_key: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Queues a mail to an account, once per `dedupe_key`.
    fn enqueue(
        &self,
        account_id: &str,
        dedupe_key: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Holders of an active card of `season` with no end reminder queued yet
    /// (at most 5000 a round).
    fn unreminded_holders(&self, season: i64) -> Result<Vec<String>, ServiceError>;
}

impl NotifyTx for Connection {
    fn enqueue_to_holder(
        &self,
        card_id: &str,
        dedupe_key: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        match card_holder(self, card_id)? {
            Some(holder) => enqueue(self, &holder, dedupe_key, subject, body, now),
            None => Ok(()),
        }
    }

    fn enqueue(
        &self,
        account_id: &str,
        dedupe_key: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        enqueue(self, account_id, dedupe_key, subject, body, now)
    }

    fn unreminded_holders(&self, season: i64) -> Result<Vec<String>, ServiceError> {
        let mut stmt = self.prepare_cached(
            "SELECT k.account_id FROM cards k WHERE k.season = ?1 AND k.status = 'active'
             AND NOT EXISTS (SELECT 1 FROM notification_outbox n WHERE n.dedupe_key = 'fin-de-saison:' || ?1 || ':' || k.account_id)
             LIMIT 5000",
        )?;
        let rows = stmt.query_map([season], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The key that tells a season's end reminder once per account.
pub(crate) fn season_end_key(season: i64, account_id: &str) -> String {
    format!("fin-de-saison:{season}:{account_id}")
}

/// Queues a reminder for every active card of the season that ends within
/// `END_NOTICE_DAYS` (core rule `renewal::ends_soon`) (once per season and account).
pub(crate) fn season_end_reminders(
    tx: &dyn NotifyTx,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    let season = passregion_core::Season::of_instant(now);
    let today = passregion_core::season::region_date(now);
    if !passregion_core::renewal::ends_soon(season, today) {
        return Ok(0);
    }
    let year = i64::from(season.start_year());
    let accounts = tx.unreminded_holders(year)?;
    let end = season.last_day().format("%d/%m/%Y");
    for a in &accounts {
        tx.enqueue(
            a,
            &season_end_key(year, a),
            "PASS'Région : la saison se termine bientôt",
            &format!(
                "Bonjour,\n\nVotre PASS'Région est valable jusqu'au {end}. Utilisez vos avantages d'ici là.\n\nPour la saison prochaine, votre établissement doit revalider votre carte : vérifiez auprès de lui que vous êtes toujours inscrit(e)."
            ),
            now,
        )?;
    }
    Ok(accounts.len())
}

/// A notice as the account reads it: the subject without the app's prefix.
pub(crate) fn notice(
    subject: &str,
    body: String,
    created_at: &str,
) -> Result<crate::accounts::model::AccountNotice, ServiceError> {
    Ok(crate::accounts::model::AccountNotice {
        subject: subject.trim_start_matches("PASS'Région : ").to_owned(),
        body,
        created_at: crate::platform::sql::parse_ts(created_at)?,
    })
}

/// Sends one mail and counts it; whether it went.
pub(crate) fn deliver(mailer: &dyn Mailer, mail: &Mail) -> bool {
    let ok = mailer.send(mail).is_ok();
    crate::platform::metrics::notification(ok);
    if !ok {
        tracing::warn!("notification not sent; retried later");
    }
    ok
}

/// The outbox, for the background sender.
pub trait NotifyRepo: Send + Sync + 'static {
    /// Queues the season's end reminders when due; returns how many.
    fn queue_season_end_reminders(&self, now: DateTime<Utc>) -> Result<usize, ServiceError>;
    /// Notifications to send (at most [`BATCH`]): id, address, subject, body.
    fn notifications_to_send(&self) -> Result<Vec<(i64, Mail)>, ServiceError>;
    /// The account's last notices (newest first, at most 50).
    fn notices_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<crate::accounts::model::AccountNotice>, ServiceError>;
    /// Records a send (or a failed one, retried up to [`MAX_ATTEMPTS`]).
    fn record_notification(
        &self,
        id: i64,
        sent: bool,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Notifications not sent yet: (still to try, given up after
    /// [`MAX_ATTEMPTS`]) — the figures of `/metrics`.
    fn outbox_counts(&self) -> Result<(u64, u64), ServiceError>;
    /// Sends what waits (at most [`BATCH`]), each notification once even
    /// when several instances drain the outbox; returns how many were sent.
    /// The default reads a batch, then records each send: right for one
    /// process (SQLite); PostgreSQL claims each row under its lock.
    fn send_pending(&self, mailer: &dyn Mailer, now: DateTime<Utc>) -> Result<usize, ServiceError> {
        let mut sent = 0;
        for (id, mail) in self.notifications_to_send()? {
            let ok = deliver(mailer, &mail);
            self.record_notification(id, ok, now)?;
            sent += usize::from(ok);
        }
        Ok(sent)
    }
}

impl NotifyRepo for SqliteStore {
    fn queue_season_end_reminders(&self, now: DateTime<Utc>) -> Result<usize, ServiceError> {
        self.db.write(move |c| season_end_reminders(c, now))
    }

    fn notifications_to_send(&self) -> Result<Vec<(i64, Mail)>, ServiceError> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT n.id, a.email, n.subject, n.body FROM notification_outbox n
                 JOIN accounts a ON a.id = n.account_id
                 WHERE n.sent_at IS NULL AND n.attempts < ?1 AND a.email_verified_at IS NOT NULL
                   AND a.forgotten_at IS NULL
                 ORDER BY n.id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![MAX_ATTEMPTS, BATCH], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Mail {
                        to: r.get(1)?,
                        subject: r.get(2)?,
                        body: r.get(3)?,
                    },
                ))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn notices_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<crate::accounts::model::AccountNotice>, ServiceError> {
        let id = account_id.to_owned();
        self.db.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT subject, body, created_at FROM notification_outbox WHERE account_id = ?1
                 ORDER BY id DESC LIMIT 50",
            )?;
            let rows = stmt.query_map([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (subject, body, at) = row?;
                out.push(notice(&subject, body, &at)?);
            }
            Ok(out)
        })
    }

    fn record_notification(
        &self,
        id: i64,
        sent: bool,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.db.write(move |c| {
            c.exec(
                "UPDATE notification_outbox SET attempts = attempts + 1,
                 sent_at = CASE WHEN ?2 THEN ?3 ELSE sent_at END WHERE id = ?1",
                params![id, sent, ts(now)],
            )?;
            Ok(())
        })
    }

    fn outbox_counts(&self) -> Result<(u64, u64), ServiceError> {
        self.db.read(|c| {
            Ok(c.one(
                "SELECT COUNT(*) FILTER (WHERE n.attempts < ?1), COUNT(*) FILTER (WHERE n.attempts >= ?1)
                 FROM notification_outbox n JOIN accounts a ON a.id = n.account_id
                 WHERE n.sent_at IS NULL AND a.email_verified_at IS NOT NULL
                   AND a.forgotten_at IS NULL",
                [MAX_ATTEMPTS],
                |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get::<_, i64>(1)?.max(0) as u64)),
            )?)
        })
    }
}

/// Sends what waits in the outbox (at most [`BATCH`]); returns how many were sent.
pub fn send_pending(
    store: &dyn NotifyRepo,
    mailer: &dyn Mailer,
    now: DateTime<Utc>,
) -> Result<usize, ServiceError> {
    store.send_pending(mailer, now)
}
