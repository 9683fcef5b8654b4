//! Orders: a youth orders the PASS; the établissement validates (issuing the card) or refuses.

use passregion_core::status::OrderStatus;

use crate::cards::error::CardsError;

use crate::platform::db::Cached;

use crate::platform::sql::random_u64;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::CardStatus;
use passregion_core::Profile;
use passregion_core::Season;
use passregion_core::card::CardNumber;
use passregion_core::public::check_eligibility;
use passregion_core::season::region_date;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::establishment_of;
use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::cards::load_season;
use crate::cards::model::Order;
use crate::cards::model::OrderDecision;
use crate::cards::model::OrderRequest;
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::sql::enum_code;
use crate::platform::sql::enum_from;
use crate::platform::sql::new_id;
use crate::platform::sql::parse_date;
use crate::platform::sql::parse_ts;
use crate::platform::sql::require_text;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

pub(crate) const ORDER_COLS: &str =
    "id, season, status, reason, establishment_id, first_name, last_name,
    birth_date, public, track, disabled, created_at, decided_at";

pub(crate) fn order_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<Order, ServiceError>> {
    let season: i32 = r.get(1)?;
    let birth: String = r.get(7)?;
    let public: String = r.get(8)?;
    let track: Option<String> = r.get(9)?;
    let created: String = r.get(11)?;
    let decided: Option<String> = r.get(12)?;
    let build = || -> Result<Order, ServiceError> {
        Ok(Order {
            id: r.get(0)?,
            season: Season::starting(season)
                .map_err(|_| ServiceError::Internal("bad season".into()))?
                .to_string(),
            status: r.get(2)?,
            reason: r.get(3)?,
            establishment_id: r.get(4)?,
            first_name: r.get(5)?,
            last_name: r.get(6)?,
            birth_date: parse_date(&birth)?,
            public: enum_from(&public)?,
            track: track.as_deref().map(enum_from).transpose()?,
            disabled: r.get::<_, i64>(10)? != 0,
            created_at: parse_ts(&created)?,
            decided_at: decided.as_deref().map(parse_ts).transpose()?,
        })
    };
    Ok(build())
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
    /// Orders to handle by an établissement.
    fn establishment_orders(
        &self,
        who: &Principal,
        status: Option<&str>,
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
        require_role(who, Role::Youth)?;
        let first = require_text("first_name", &req.first_name, 80)?;
        let last = require_text("last_name", &req.last_name, 80)?;
        let address = require_text("address", &req.address, 200)?;
        let city = require_text("city", &req.city, 80)?;
        let postal = req.postal_code.trim().to_owned();
        if postal.len() != 5 || !postal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ServiceError::Invalid {
                field: "postal_code",
                message: "Le code postal comporte 5 chiffres.".into(),
            });
        }
        let profile = Profile {
            public: req.public,
            track: req.track,
            disabled: req.disabled,
        };
        let today = region_date(now);
        check_eligibility(&profile, req.birth_date, today)?;
        let season = Season::of_instant(now);
        let account = who.account_id.clone();
        let eid = req.establishment_id.clone();
        self.db.write(move |c| {
            let exists: bool = c
                .query_row("SELECT 1 FROM establishments WHERE id = ?1", [&eid], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if !exists {
                return Err(ServiceError::Invalid {
                    field: "establishment_id",
                    message: "Cet établissement n'existe pas.".into(),
                });
            }
            let has_card: bool = c
                .query_row("SELECT 1 FROM cards WHERE account_id = ?1", [&account], |_| Ok(true))
                .optional()?
                .unwrap_or(false);
            if has_card {
                return Err(ServiceError::Cards(CardsError::DuplicateOrder));
            }
            let id = new_id();
            let res = c.exec(
                "INSERT INTO orders (id, account_id, season, establishment_id, public, track, disabled,
                 first_name, last_name, birth_date, address, postal_code, city, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?15, ?14)",
                params![
                    id,
                    account,
                    season.start_year(),
                    eid,
                    enum_code(&profile.public),
                    profile.track.map(|t| enum_code(&t)),
                    profile.disabled as i64,
                    first,
                    last,
                    req.birth_date.format("%Y-%m-%d").to_string(),
                    address,
                    postal,
                    city,
                    ts(now),
                    OrderStatus::Pending.as_str()
                ],
            );
            match res {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    return Err(ServiceError::Cards(CardsError::DuplicateOrder));
                }
                other => {
                    other?;
                }
            }
            orders_where(c, "id = ?1", &[&id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Commande"))
        })
    }

    fn my_orders(&self, who: &Principal) -> Result<Vec<Order>, ServiceError> {
        require_role(who, Role::Youth)?;
        let id = who.account_id.clone();
        self.db
            .read(move |c| orders_where(c, "account_id = ?1", &[&id]))
    }

    fn establishment_orders(
        &self,
        who: &Principal,
        status: Option<&str>,
    ) -> Result<Vec<Order>, ServiceError> {
        let eid = establishment_of(who)?.to_owned();
        let status = status.unwrap_or("").to_owned();
        self.db.read(move |c| {
            orders_where(
                c,
                "establishment_id = ?1 AND (?2 = '' OR status = ?2)",
                &[&eid, &status],
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
        let eid = establishment_of(who)?.to_owned();
        let reason = match (decision.validate, decision.reason.as_deref()) {
            (false, Some(r)) => Some(require_text("reason", r, 500)?),
            (false, None) => {
                return Err(ServiceError::Invalid {
                    field: "reason",
                    message: "Indiquez le motif du refus.".into(),
                });
            }
            (true, _) => None,
        };
        let order_id = order_id.to_owned();
        let cats = self.catalogues.clone();
        self.db.write(move |c| {
            let order = orders_where(c, "id = ?1 AND establishment_id = ?2", &[&order_id, &eid])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Commande"))?;
            if order.status != OrderStatus::Pending.as_str() {
                return Err(ServiceError::Cards(CardsError::OrderAlreadyDecided));
            }
            let status = if decision.validate {
                OrderStatus::Validated
            } else {
                OrderStatus::Refused
            }
            .as_str();
            c.exec(
                "UPDATE orders SET status = ?2, reason = ?3, decided_at = ?4 WHERE id = ?1",
                params![order_id, status, reason, ts(now)],
            )?;
            if decision.validate {
                let account: String =
                    c.one("SELECT account_id FROM orders WHERE id = ?1", [&order_id], |r| r.get(0))?;
                let season: Season = order.season.parse().map_err(|_| ServiceError::Internal("season".into()))?;
                let card = CardRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    number: CardNumber::generate(random_u64).as_str().to_owned(),
                    establishment_id: eid.clone(),
                    season,
                    status: CardStatus::Expediee,
                    profile: Profile {
                        public: order.public,
                        track: order.track,
                        disabled: order.disabled,
                    },
                    first_name: order.first_name.clone(),
                    last_name: order.last_name.clone(),
                    birth_date: order.birth_date,
                    status_reason: None,
                    failed_attempts: 0,
                    locked_until: None,
                };
                let res = c.exec(
                    "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status,
                     public, track, disabled, first_name, last_name, birth_date, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?14, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        card.id,
                        card.number,
                        account,
                        order_id,
                        eid,
                        season.start_year(),
                        enum_code(&card.profile.public),
                        card.profile.track.map(|t| enum_code(&t)),
                        card.profile.disabled as i64,
                        card.first_name,
                        card.last_name,
                        card.birth_date.format("%Y-%m-%d").to_string(),
                        ts(now),
                        CardStatus::Expediee.code()
                    ],
                );
                match res {
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        return Err(ServiceError::Cards(CardsError::DuplicateOrder));
                    }
                    other => {
                        other?;
                    }
                }
                if Season::of_instant(now) >= season {
                    load_season(c, &cats, &card, now)?;
                }
            }
            orders_where(c, "id = ?1", &[&order_id])?
                .into_iter()
                .next()
                .ok_or(ServiceError::NotFound("Commande"))
        })
    }
}
