//! Storage of établissements and référents.

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::error::ServiceError;
use crate::establishments::model::Establishment;
use crate::establishments::model::Referent;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

pub(crate) const THEMES: [&str; 4] = ["sport", "culture", "sante", "administratif"];

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
        require_role(who, Role::Establishment)?;
        let eid = who
            .establishment_id
            .clone()
            .ok_or(ServiceError::Forbidden)?;
        if !THEMES.contains(&r.theme.as_str()) {
            return Err(ServiceError::Invalid {
                field: "theme",
                message: "Thème : sport, culture, sante ou administratif.".into(),
            });
        }
        let name = require_text("name", &r.name, 80)?;
        let email = crate::accounts::check_email("email", &r.email)?;
        let phone = r
            .phone
            .as_deref()
            .map(|p| require_text("phone", p, 30))
            .transpose()?;
        let theme = r.theme.clone();
        self.db.write(move |c| {
            let id = new_id();
            c.exec(
                "INSERT INTO referents (id, establishment_id, theme, name, email, phone, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, eid, theme, name, email, phone, ts(now)],
            )?;
            let establishment_name: String = c.one(
                "SELECT name FROM establishments WHERE id = ?1",
                [&eid],
                |r| r.get(0),
            )?;
            Ok(Referent {
                id,
                establishment_id: eid,
                establishment_name,
                theme,
                name,
                email,
                phone,
            })
        })
    }

    fn referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<Referent>, ServiceError> {
        let (clause, arg) = match who.role {
            Role::Establishment => (
                "r.establishment_id = ?1",
                who.establishment_id
                    .clone()
                    .ok_or(ServiceError::Forbidden)?,
            ),
            Role::Partner if who.partner.as_ref().is_some_and(|p| p.2) => {
                ("(?1 = '' OR r.theme = ?1)", theme.unwrap_or("").to_owned())
            }
            Role::Region => ("(?1 = '' OR r.theme = ?1)", theme.unwrap_or("").to_owned()),
            _ => return Err(ServiceError::Forbidden),
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

/// The établissement directory.
pub trait EstablishmentsRepo: Send + Sync + 'static {
    /// Établissements matching a search.
    fn establishments(&self, q: Option<&str>) -> Result<Vec<Establishment>, ServiceError>;
}

impl EstablishmentsRepo for SqliteStore {
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
