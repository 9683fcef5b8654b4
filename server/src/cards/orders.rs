//! Orders: a youth orders the PASS; the établissement validates (issuing the card) or refuses.
//! The rules are in `cards::service`; this file holds the SQL.

use passregion_core::status::OrderStatus;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Season;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::cards::model::Order;
use crate::cards::model::OrderDecision;
use crate::cards::model::OrderFilter;
use crate::cards::model::OrderRequest;
use crate::cards::service;
use crate::cards::service::NewOrder;
use crate::cards::service::OrdersTx;
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::sql::enum_code;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

pub(crate) const ORDER_COLS: &str =
    "id, season, status, reason, establishment_id, first_name, last_name,
    birth_date, public, track, disabled, created_at, decided_at";

/// An order row's values as stored (either engine), read with [`ORDER_COLS`].
pub(crate) struct OrderCols {
    pub(crate) id: String,
    pub(crate) season: i64,
    pub(crate) status: String,
    pub(crate) reason: Option<String>,
    pub(crate) establishment_id: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) birth_date: String,
    pub(crate) public: String,
    pub(crate) track: Option<String>,
    pub(crate) disabled: bool,
    pub(crate) created_at: String,
    pub(crate) decided_at: Option<String>,
}

impl OrderCols {
    /// The order these values mean.
    pub(crate) fn into_order(self) -> Result<Order, ServiceError> {
        Ok(Order {
            id: self.id,
            season: i32::try_from(self.season)
                .ok()
                .and_then(|y| Season::starting(y).ok())
                .ok_or_else(|| ServiceError::Internal("bad season".into()))?
                .to_string(),
            status: enum_from(&self.status)?,
            reason: self.reason,
            establishment_id: self.establishment_id,
            first_name: self.first_name,
            last_name: self.last_name,
            birth_date: parse_date(&self.birth_date)?,
            public: enum_from(&self.public)?,
            track: self.track.as_deref().map(enum_from).transpose()?,
            disabled: self.disabled,
            created_at: parse_ts(&self.created_at)?,
            decided_at: self.decided_at.as_deref().map(parse_ts).transpose()?,
        })
    }
}

pub(crate) fn order_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<Order, ServiceError>> {
    Ok(OrderCols {
        id: r.get(0)?,
        season: r.get(1)?,
        status: r.get(2)?,
        reason: r.get(3)?,
        establishment_id: r.get(4)?,
        first_name: r.get(5)?,
        last_name: r.get(6)?,
        birth_date: r.get(7)?,
        public: r.get(8)?,
        track: r.get(9)?,
        disabled: r.get::<_, i64>(10)? != 0,
        created_at: r.get(11)?,
        decided_at: r.get(12)?,
    }
    .into_order())
}

/// The e-mail telling the youth the decision on her order: (subject, body).
pub(crate) fn decision_mail(decision: &service::CheckedDecision) -> (String, String) {
    match &decision.reason {
        _ if decision.validate => (
            "PASS'Région : votre commande est validée".to_owned(),
            "Bonjour,\n\nVotre établissement a validé votre commande de PASS'Région. Votre carte est imprimée et vous sera envoyée sous une semaine : activez-la dès réception dans l'application.".to_owned(),
        ),
        Some(r) => (
            "PASS'Région : votre commande est refusée".to_owned(),
            format!("Bonjour,\n\nVotre établissement a refusé votre commande de PASS'Région : {r}\n\nVous pouvez en faire une nouvelle depuis l'application."),
        ),
        None => (
            "PASS'Région : votre commande est refusée".to_owned(),
            "Bonjour,\n\nVotre établissement a refusé votre commande de PASS'Région.".to_owned(),
        ),
    }
}

/// The dedupe key of the decision's e-mail.
pub(crate) fn decision_mail_key(order_id: &str) -> String {
    format!("commande:{order_id}")
}

pub(crate) fn orders_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Order>, ServiceError> {
    let sql = format!(
        "SELECT {ORDER_COLS} FROM orders WHERE {clause} ORDER BY created_at DESC LIMIT 1000"
    );
    select_all(conn, &sql, args, order_from_row)
}

/// Storage and rules of orders.
pub trait OrdersRepo: Send + Sync + 'static {
    /// A youth orders the PASS.
    fn create_order(
        &self,
        who: &Principal,
        req: OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError>;
    /// The youth's orders.
    fn my_orders(&self, who: &Principal) -> Result<Vec<Order>, ServiceError>;
    /// An établissement's orders, filtered by status, public and track.
    fn establishment_orders(
        &self,
        who: &Principal,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, ServiceError>;
    /// Validates (issuing the card) or refuses an order.
    fn decide_order(
        &self,
        who: &Principal,
        order_id: &str,
        decision: OrderDecision,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError>;
}

impl OrdersRepo for SqliteStore {
    fn create_order(
        &self,
        who: &Principal,
        req: OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<Order, ServiceError> {
        let order = service::check_order(who, req, now)?;
        self.db.write(move |c| service::create_order(c, &order))
    }

    fn my_orders(&self, who: &Principal) -> Result<Vec<Order>, ServiceError> {
        let id = service::youth_account(who)?;
        self.db
            .read(move |c| orders_where(c, "account_id = ?1", &[&id]))
    }

    fn establishment_orders(
        &self,
        who: &Principal,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, ServiceError> {
        let eid = service::own_establishment(who)?;
        let (status, public, track) = service::check_order_filter(filter)?;
        self.db.read(move |c| {
            orders_where(
                c,
                "establishment_id = ?1 AND (?2 = '' OR status = ?2)
                 AND (?3 = '' OR public = ?3) AND (?4 = '' OR track = ?4)",
                &[&eid, &status, &public, &track],
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
        let order_id = order_id.to_owned();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let order = service::decide_order(c, &cats, &order_id, &decision, now)?;
            let account: String = c.one(
                "SELECT account_id FROM orders WHERE id = ?1",
                [&order_id],
                |r| r.get(0),
            )?;
            let (subject, body) = decision_mail(&decision);
            crate::accounts::notify::enqueue(
                c,
                &account,
                &decision_mail_key(&order_id),
                &subject,
                &body,
                now,
            )?;
            Ok(order)
        })
    }
}

/// Whether an insert was refused by a constraint (a unique index): `Ok(false)`.
fn inserted(res: rusqlite::Result<usize>) -> Result<bool, ServiceError> {
    match res {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(false)
        }
        other => {
            other?;
            Ok(true)
        }
    }
}

fn exists(c: &Connection, sql: &str, arg: &str) -> Result<bool, ServiceError> {
    Ok(c.query_row(sql, [arg], |_| Ok(true))
        .optional()?
        .unwrap_or(false))
}

impl OrdersTx for Connection {
    fn establishment_exists(&self, id: &str) -> Result<bool, ServiceError> {
        exists(self, "SELECT 1 FROM establishments WHERE id = ?1", id)
    }

    fn has_card(&self, account_id: &str) -> Result<bool, ServiceError> {
        exists(
            self,
            "SELECT 1 FROM cards WHERE account_id = ?1",
            account_id,
        )
    }

    fn insert_order(&self, o: &NewOrder, id: &str) -> Result<bool, ServiceError> {
        inserted(self.exec(
            "INSERT INTO orders (id, account_id, season, establishment_id, public, track, disabled,
             first_name, last_name, birth_date, address, postal_code, city, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?15, ?14)",
            params![
                id,
                o.account_id,
                o.season.start_year(),
                o.establishment_id,
                enum_code(&o.profile.public),
                o.profile.track.map(|t| enum_code(&t)),
                o.profile.disabled as i64,
                o.first_name,
                o.last_name,
                o.birth_date.format("%Y-%m-%d").to_string(),
                o.address,
                o.postal_code,
                o.city,
                ts(o.created_at),
                o.status.as_str()
            ],
        ))
    }

    fn order(&self, id: &str) -> Result<Option<Order>, ServiceError> {
        Ok(orders_where(self, "id = ?1", &[&id])?.into_iter().next())
    }

    fn establishment_order(
        &self,
        id: &str,
        establishment_id: &str,
    ) -> Result<Option<Order>, ServiceError> {
        Ok(orders_where(
            self,
            "id = ?1 AND establishment_id = ?2",
            &[&id, &establishment_id],
        )?
        .into_iter()
        .next())
    }

    fn order_account(&self, id: &str) -> Result<String, ServiceError> {
        Ok(
            self.one("SELECT account_id FROM orders WHERE id = ?1", [id], |r| {
                r.get(0)
            })?,
        )
    }

    fn set_order_status(
        &self,
        id: &str,
        status: OrderStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE orders SET status = ?2, reason = ?3, decided_at = ?4 WHERE id = ?1",
            params![id, status.as_str(), reason, ts(now)],
        )?;
        Ok(())
    }

    fn insert_card(
        &self,
        card: &CardRow,
        account_id: &str,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        inserted(self.exec(
            "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status,
             public, track, disabled, first_name, last_name, birth_date, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?14, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                card.id,
                card.number,
                account_id,
                order_id,
                card.establishment_id,
                card.season.start_year(),
                enum_code(&card.profile.public),
                card.profile.track.map(|t| enum_code(&t)),
                card.profile.disabled as i64,
                card.first_name,
                card.last_name,
                card.birth_date.format("%Y-%m-%d").to_string(),
                ts(now),
                card.status.code()
            ],
        ))
    }
}
