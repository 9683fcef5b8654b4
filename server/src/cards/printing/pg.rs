//! The print queue on PostgreSQL (ADR 0036): the SQL of `printing` in PostgreSQL's dialect. Marking a card posted is one conditional UPDATE (`posted_at IS NULL`): two instances marking the same cards count and tell each card once (the second waits on the row and finds it posted).

use chrono::DateTime;
use chrono::Utc;

use crate::cards::printing::PrintItemCols;
use crate::cards::printing::PrintRepo;
use crate::cards::printing::QueuedCard;
use crate::cards::printing::check_posted;
use crate::cards::printing::posted_mail;
use crate::cards::printing::queued;
use crate::error::ServiceError;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

impl PrintRepo for PgStore {
    fn print_queue(&self, now: DateTime<Utc>) -> Result<Vec<QueuedCard>, ServiceError> {
        self.pool.read(|tx| {
            let rows = tx.query(
                "SELECT k.id, k.number, k.first_name, k.last_name, e.name, o.address, o.postal_code,
                        o.city, k.season, k.version,
                        COALESCE((SELECT MAX(r.retired_at) FROM retired_card_numbers r WHERE r.card_id = k.id),
                                 o.decided_at, o.created_at) AS since
                 FROM cards k JOIN orders o ON o.id = k.order_id
                 JOIN establishments e ON e.id = k.establishment_id
                 WHERE k.status = 'expediee' AND k.posted_at IS NULL
                 ORDER BY since, k.id LIMIT 10000",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    queued(
                        PrintItemCols {
                            card_id: r.try_get(0)?,
                            number: r.try_get(1)?,
                            first_name: r.try_get(2)?,
                            last_name: r.try_get(3)?,
                            establishment: r.try_get(4)?,
                            address: r.try_get(5)?,
                            postal_code: r.try_get(6)?,
                            city: r.try_get(7)?,
                            season_year: r.try_get(8)?,
                            version: r.try_get(9)?,
                            since: r.try_get(10)?,
                        },
                        now,
                    )
                })
                .collect()
        })
    }

    fn mark_posted(&self, ids: Vec<String>, now: DateTime<Utc>) -> Result<u32, ServiceError> {
        check_posted(&ids)?;
        self.pool.write(|tx| {
            let mut n = 0u32;
            for id in &ids {
                let changed = tx.execute(
                    "UPDATE cards SET posted_at = $2 WHERE id = $1 AND status = 'expediee'
                     AND posted_at IS NULL",
                    &[id, &ts(now)],
                )?;
                if changed == 1
                    && let Some(holder) = crate::accounts::notify_pg::card_holder(tx, id)?
                {
                    let (key, subject, body) = posted_mail(id, now);
                    crate::accounts::notify_pg::enqueue(tx, &holder, &key, subject, &body, now)?;
                }
                n += u32::try_from(changed).unwrap_or(0);
            }
            Ok(n)
        })
    }
}
