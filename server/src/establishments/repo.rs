//! Storage of établissements and référents. The rules are in
//! `establishments::service` (référents) and `establishments::grants`
//! (requests for their contact); this file holds the SQL of the first, and
//! the repository the handlers call.

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use rusqlite::Connection;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::partner_of;
use crate::error::ServiceError;
use crate::establishments::grants;
use crate::establishments::grants::ReferentAction;
use crate::establishments::grants_repo;
use crate::establishments::model::Establishment;
use crate::establishments::model::PartnerReferent;
use crate::establishments::model::Referent;
use crate::establishments::model::ReferentRequest;
use crate::establishments::model::ReferentRequestInput;
use crate::establishments::model::ReferentSummary;
use crate::establishments::service;
use crate::establishments::service::ReferentScope;
use crate::establishments::service::ReferentsTx;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// Storage of référents and of partners' requests for their contact.
pub trait ReferentsRepo: Send + Sync + 'static {
    /// Declares a referent of the caller's établissement.
    fn add_referent(
        &self,
        who: &Principal,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError>;
    /// Edits a référent of the caller's établissement.
    fn edit_referent(
        &self,
        who: &Principal,
        id: &str,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError>;
    /// Removes a référent of the caller's établissement (and the requests for it).
    fn remove_referent(&self, who: &Principal, id: &str) -> Result<(), ServiceError>;
    /// The caller's établissement's référents, with their contact.
    fn own_referents(&self, who: &Principal) -> Result<Vec<Referent>, ServiceError>;
    /// The directory of référents, without contact (the caller's
    /// établissement's, or all of a theme for a partner in force and the Region).
    fn referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<ReferentSummary>, ServiceError>;
    /// Every référent of a theme as a partner in force sees it: the contact
    /// only while its request is granted.
    fn partner_referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<PartnerReferent>, ServiceError>;
    /// A partner in force asks for a référent's contact.
    fn request_referent(
        &self,
        who: &Principal,
        input: &ReferentRequestInput,
        now: DateTime<Utc>,
    ) -> Result<ReferentRequest, ServiceError>;
    /// The requests for the caller's établissement's référents, newest first.
    fn referent_requests(&self, who: &Principal) -> Result<Vec<ReferentRequest>, ServiceError>;
    /// The référent's établissement grants, declines or withdraws a request.
    fn decide_referent_request(
        &self,
        who: &Principal,
        id: &str,
        action: ReferentAction,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ReferentRequest, ServiceError>;
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

    fn edit_referent(
        &self,
        who: &Principal,
        id: &str,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError> {
        let referent = service::check_referent(who, r)?;
        let id = id.to_owned();
        self.db
            .write(move |c| service::edit_referent(c, &id, referent, now))
    }

    fn remove_referent(&self, who: &Principal, id: &str) -> Result<(), ServiceError> {
        let establishment_id = service::own_establishment(who)?;
        let id = id.to_owned();
        self.db
            .write(move |c| service::remove_referent(c, &establishment_id, &id))
    }

    fn own_referents(&self, who: &Principal) -> Result<Vec<Referent>, ServiceError> {
        let establishment_id = service::own_establishment(who)?;
        self.db
            .read(move |c| grants_repo::referent_rows(c, Some(&establishment_id), ""))
    }

    fn referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<ReferentSummary>, ServiceError> {
        let (establishment, theme) = match service::referent_scope(who, theme)? {
            ReferentScope::Establishment(eid) => (Some(eid), String::new()),
            ReferentScope::Theme(theme) => (None, theme),
        };
        let rows = self
            .db
            .read(move |c| grants_repo::referent_rows(c, establishment.as_deref(), &theme))?;
        Ok(rows.into_iter().map(service::summary).collect())
    }

    fn partner_referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<PartnerReferent>, ServiceError> {
        let partner_id = partner_of(who)?.0.to_owned();
        let theme = theme.unwrap_or("").to_owned();
        let (rows, requests) = self.db.read(move |c| {
            Ok((
                grants_repo::referent_rows(c, None, &theme)?,
                grants_repo::partner_requests(c, &partner_id)?,
            ))
        })?;
        Ok(grants::partner_referents(rows, requests))
    }

    fn request_referent(
        &self,
        who: &Principal,
        input: &ReferentRequestInput,
        now: DateTime<Utc>,
    ) -> Result<ReferentRequest, ServiceError> {
        let new = grants::check_request(who, input, now)?;
        self.db.write(move |c| grants::request_referent(c, &new))
    }

    fn referent_requests(&self, who: &Principal) -> Result<Vec<ReferentRequest>, ServiceError> {
        let establishment_id = service::own_establishment(who)?;
        self.db
            .read(move |c| grants_repo::establishment_requests(c, &establishment_id))
    }

    fn decide_referent_request(
        &self,
        who: &Principal,
        id: &str,
        action: ReferentAction,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ReferentRequest, ServiceError> {
        let establishment_id = service::own_establishment(who)?;
        let (account, id) = (who.account_id.clone(), id.to_owned());
        self.db.write(move |c| {
            grants::decide(
                c,
                &establishment_id,
                &account,
                &id,
                action,
                reason.as_deref(),
                now,
            )
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

    fn update_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<bool, ServiceError> {
        Ok(self.exec(
            "UPDATE referents SET theme = ?3, name = ?4, email = ?5, phone = ?6, updated_at = ?7
             WHERE id = ?1 AND establishment_id = ?2",
            params![
                r.id,
                r.establishment_id,
                r.theme,
                r.name,
                r.email,
                r.phone,
                ts(now)
            ],
        )? > 0)
    }

    fn delete_referent(&self, id: &str, establishment_id: &str) -> Result<bool, ServiceError> {
        // The requests go with it (ON DELETE CASCADE).
        Ok(self.exec(
            "DELETE FROM referents WHERE id = ?1 AND establishment_id = ?2",
            params![id, establishment_id],
        )? > 0)
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
