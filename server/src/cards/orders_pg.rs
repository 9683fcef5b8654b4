//! Orders on PostgreSQL (ADR 0036): the SQL of `cards::orders` in PostgreSQL's dialect; the rules stay in `cards::service`. A decision locks the order's row (`FOR UPDATE`), so two decisions on one order from two instances apply once: the second finds it decided. Inserts refused by a unique index (`ON CONFLICT DO NOTHING`) leave the transaction usable, as SQLite's refused insert does.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::status::OrderStatus;
use r2d2_postgres::postgres::Row;
use r2d2_postgres::postgres::Transaction;
use r2d2_postgres::postgres::types::ToSql;

use crate::accounts::model::Principal;
use crate::cards::model::Order;
use crate::cards::model::OrderDecision;
use crate::cards::model::OrderFilter;
use crate::cards::model::OrderRequest;
use crate::cards::orders::ORDER_COLS;
use crate::cards::orders::OrderCols;
use crate::cards::orders::OrdersRepo;
use crate::cards::orders::decision_mail;
use crate::cards::orders::decision_mail_key;
use crate::cards::service;
use crate::cards::service::NewOrder;
use crate::cards::service::OrdersTx;
use crate::debits::card::CardRow;
use crate::debits::repo_pg::PgTx;
use crate::error::ServiceError;
use crate::platform::sql::enum_code;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

fn order_from(r: &Row) -> Result<Order, ServiceError> {
    OrderCols {
        id: r.try_get(0)?,
        season: r.try_get(1)?,
        status: r.try_get(2)?,
        reason: r.try_get(3)?,
        establishment_id: r.try_get(4)?,
        first_name: r.try_get(5)?,
        last_name: r.try_get(6)?,
        birth_date: r.try_get(7)?,
        public: r.try_get(8)?,
        track: r.try_get(9)?,
        disabled: r.try_get(10)?,
        created_at: r.try_get(11)?,
        decided_at: r.try_get(12)?,
    }
    .into_order()
}

/// Orders matching `clause` (`$n` parameters), newest first; `lock` is
/// appended (`FOR UPDATE` or nothing).
fn orders_where(
    tx: &mut Transaction<'_>,
    clause: &str,
    args: &[&(dyn ToSql + Sync)],
    lock: &str,
) -> Result<Vec<Order>, ServiceError> {
    let sql = format!(
        "SELECT {ORDER_COLS} FROM orders WHERE {clause} ORDER BY created_at DESC LIMIT 1000 {lock}"
    );
    tx.query(&sql, args)?.iter().map(order_from).collect()
}

fn exists(tx: &mut Transaction<'_>, sql: &str, arg: &str) -> Result<bool, ServiceError> {
    Ok(tx.query_opt(sql, &[&arg])?.is_some())
}

impl OrdersRepo for PgStore {
    fn create_order(
        &self,
        who: &Principal,
        req: OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError> {
        let order = service::check_order(who, req, now)?;
        self.pool
            .write(|tx| service::create_order(&PgTx::new(tx), &order))
    }

    fn my_orders(&self, who: &Principal) -> Result<Vec<Order>, ServiceError> {
        let id = service::youth_account(who)?;
        self.pool
            .read(|tx| orders_where(tx, "account_id = $1", &[&id], ""))
    }

    fn establishment_orders(
        &self,
        who: &Principal,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, ServiceError> {
        let eid = service::own_establishment(who)?;
        let (status, public, track) = service::check_order_filter(filter)?;
        self.pool.read(|tx| {
            orders_where(
                tx,
                "establishment_id = $1 AND ($2 = '' OR status = $2)
                 AND ($3 = '' OR public = $3) AND ($4 = '' OR track = $4)",
                &[&eid, &status, &public, &track],
                "",
            )
        })
    }

    fn decide_order(
        &self,
        who: &Principal,
        order_id: &str,
        decision: OrderDecision,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError> {
        let decision = service::check_decision(who, decision)?;
        self.pool.write(|tx| {
            let order =
                service::decide_order(&PgTx::new(tx), &self.catalogues, order_id, &decision, now)?;
            let account: String = tx
                .query_one("SELECT account_id FROM orders WHERE id = $1", &[&order_id])?
                .try_get(0)?;
            let (subject, body) = decision_mail(&decision);
            crate::accounts::notify_pg::enqueue(
                tx,
                &account,
                &decision_mail_key(order_id),
                &subject,
                &body,
                now,
            )?;
            Ok(order)
        })
    }
}

impl OrdersTx for PgTx<'_, '_> {
    fn establishment_exists(&self, id: &str) -> Result<bool, ServiceError> {
        self.with(|tx| exists(tx, "SELECT 1 FROM establishments WHERE id = $1", id))
    }

    fn has_card(&self, account_id: &str) -> Result<bool, ServiceError> {
        self.with(|tx| exists(tx, "SELECT 1 FROM cards WHERE account_id = $1", account_id))
    }

    fn insert_order(&self, o: &NewOrder, id: &str) -> Result<bool, ServiceError> {
        self.with(|tx| {
            // A second live order of the season (on any instance) meets
            // the unique index: refused, the transaction still usable.
            let n = tx.execute(
                "INSERT INTO orders (id, account_id, season, establishment_id, public, track,
                 disabled, first_name, last_name, birth_date, address, postal_code, city, status,
                 created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                 ON CONFLICT DO NOTHING",
                &[
                    &id,
                    &o.account_id,
                    &i64::from(o.season.start_year()),
                    &o.establishment_id,
                    &enum_code(&o.profile.public),
                    &o.profile.track.map(|t| enum_code(&t)),
                    &o.profile.disabled,
                    &o.first_name,
                    &o.last_name,
                    &o.birth_date.format("%Y-%m-%d").to_string(),
                    &o.address,
                    &o.postal_code,
                    &o.city,
                    &o.status.as_str(),
                    &ts(o.created_at),
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn order(&self, id: &str) -> Result<Option<Order>, ServiceError> {
        self.with(|tx| Ok(orders_where(tx, "id = $1", &[&id], "")?.into_iter().next()))
    }

    /// Locks the order's row: a decision reads it to change it.
    fn establishment_order(
        &self,
        id: &str,
        establishment_id: &str,
    ) -> Result<Option<Order>, ServiceError> {
        self.with(|tx| {
            Ok(orders_where(
                tx,
                "id = $1 AND establishment_id = $2",
                &[&id, &establishment_id],
                "FOR UPDATE",
            )?
            .into_iter()
            .next())
        })
    }

    fn order_account(&self, id: &str) -> Result<String, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one("SELECT account_id FROM orders WHERE id = $1", &[&id])?
                .try_get(0)?)
        })
    }

    fn set_order_status(
        &self,
        id: &str,
        status: OrderStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE orders SET status = $2, reason = $3, decided_at = $4 WHERE id = $1",
                &[&id, &status.as_str(), &reason, &ts(now)],
            )?;
            Ok(())
        })
    }

    fn insert_card(
        &self,
        card: &CardRow,
        account_id: &str,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        self.with(|tx| {
            let n = tx.execute(
                "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season,
                 status, public, track, disabled, first_name, last_name, birth_date, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT DO NOTHING",
                &[
                    &card.id,
                    &card.number,
                    &account_id,
                    &order_id,
                    &card.establishment_id,
                    &i64::from(card.season.start_year()),
                    &card.status.code(),
                    &enum_code(&card.profile.public),
                    &card.profile.track.map(|t| enum_code(&t)),
                    &card.profile.disabled,
                    &card.first_name,
                    &card.last_name,
                    &card.birth_date.format("%Y-%m-%d").to_string(),
                    &ts(now),
                ],
            )?;
            Ok(n == 1)
        })
    }
}
