//! Storage of établissements and référents. The rules are in
//! `establishments::service`; this file holds the SQL.

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use rusqlite::Connection;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::error::ServiceError;
use crate::establishments::model::Establishment;
use crate::establishments::model::Referent;
use crate::establishments::service;
use crate::establishments::service::ReferentScope;
use crate::establishments::service::ReferentsTx;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// Storage of référents.
pub trait ReferentsRepo: Send + Sync + 'static {
    /// Declares a referent of the caller's établissement.
    fn add_referent(
        &self,
        who: &Principal,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError>;
    /// Referents (of the caller's établissement, or all of a theme for a partner).
    fn referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<Referent>, ServiceError>;
}

impl ReferentsRepo for SqliteStore {
    fn add_referent(
        &self,
        who: &Principal,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError> {
        let referent = service::check_referent(who, r)?;
        self.db
            .write(move |c| service::add_referent(c, referent, now))
    }

    fn referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<Referent>, ServiceError> {
        let (clause, arg) = match service::referent_scope(who, theme)? {
            ReferentScope::Establishment(eid) => ("r.establishment_id = ?1", eid),
            ReferentScope::Theme(theme) => ("(?1 = '' OR r.theme = ?1)", theme),
        };
        self.db.read(move |c| {
            let sql = format!(
                "SELECT r.id, r.establishment_id, e.name, r.theme, r.name, r.email, r.phone
                 FROM referents r JOIN establishments e ON e.id = r.establishment_id
                 WHERE {clause} ORDER BY e.name, r.theme LIMIT 2000"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([arg], |r| {
                Ok(Referent {
                    id: r.get(0)?,
                    establishment_id: r.get(1)?,
                    establishment_name: r.get(2)?,
                    theme: r.get(3)?,
                    name: r.get(4)?,
                    email: r.get(5)?,
                    phone: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

impl ReferentsTx for Connection {
    fn insert_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO referents (id, establishment_id, theme, name, email, phone, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                r.id,
                r.establishment_id,
                r.theme,
                r.name,
                r.email,
                r.phone,
                ts(now)
            ],
        )?;
        Ok(())
    }

    fn establishment_name(&self, id: &str) -> Result<String, ServiceError> {
        Ok(
            self.one("SELECT name FROM establishments WHERE id = ?1", [id], |r| {
                r.get(0)
            })?,
        )
    }
}

/// The établissement directory.
pub trait EstablishmentsRepo: Send + Sync + 'static {
    /// Établissements matching a search.
    fn establishments(&self, q: Option<&str>) -> Result<Vec<Establishment>, ServiceError>;
    /// Adds or updates (by UAI) checked établissements, all in one
    /// transaction (a failure imports nothing); returns (added, updated).
    fn upsert_establishments(
        &self,
        rows: Vec<crate::establishments::import::EstablishmentRow>,
    ) -> Result<(usize, usize), ServiceError>;
}

impl EstablishmentsRepo for SqliteStore {
    fn upsert_establishments(
        &self,
        rows: Vec<crate::establishments::import::EstablishmentRow>,
    ) -> Result<(usize, usize), ServiceError> {
        self.db.write(move |c| {
            let (mut added, mut updated) = (0, 0);
            for r in &rows {
                let exists = c.exec(
                    "UPDATE establishments SET name = ?2, kind = ?3, city = ?4, postal_code = ?5 WHERE id = ?1",
                    params![r.uai, r.name, r.kind, r.city, r.postal_code],
                )? > 0;
                if exists {
                    updated += 1;
                } else {
                    c.exec(
                        "INSERT INTO establishments (id, name, kind, city, postal_code) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![r.uai, r.name, r.kind, r.city, r.postal_code],
                    )?;
                    added += 1;
                }
            }
            Ok((added, updated))
        })
    }

    fn establishments(&self, q: Option<&str>) -> Result<Vec<Establishment>, ServiceError> {
        let pattern = format!("%{}%", q.unwrap_or("").trim().to_lowercase());
        self.db.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, kind, city, postal_code FROM establishments
                 WHERE lower(name) LIKE ?1 OR lower(city) LIKE ?1 OR postal_code LIKE ?1
                 ORDER BY name LIMIT 200",
            )?;
            let rows = stmt.query_map([pattern], |r| {
                Ok(Establishment {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    kind: r.get(2)?,
                    city: r.get(3)?,
                    postal_code: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
