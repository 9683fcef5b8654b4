//! Établissements and référents on PostgreSQL (ADR 0036): the SQL of `establishments::repo` in PostgreSQL's dialect; the rules stay in `establishments::service` and `establishments::grants`, the SQL of référent requests is in `grants_pg.rs`. An import adds or updates each UAI in one statement (`ON CONFLICT`), so two imports at once on two instances never fail on the key.

use chrono::DateTime;
use chrono::Utc;

use crate::accounts::model::Principal;
use crate::accounts::partner_of;
use crate::error::ServiceError;
use crate::establishments::grants;
use crate::establishments::grants::ReferentAction;
use crate::establishments::grants_pg;
use crate::establishments::import::EstablishmentRow;
use crate::establishments::model::Establishment;
use crate::establishments::model::PartnerReferent;
use crate::establishments::model::Referent;
use crate::establishments::model::ReferentRequest;
use crate::establishments::model::ReferentRequestInput;
use crate::establishments::model::ReferentSummary;
use crate::establishments::repo::EstablishmentsRepo;
use crate::establishments::repo::ReferentsRepo;
use crate::establishments::service;
use crate::establishments::service::ReferentScope;
use crate::establishments::service::ReferentsTx;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

impl ReferentsRepo for PgStore {
    fn add_referent(
        &self,
        who: &Principal,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError> {
        let referent = service::check_referent(who, r)?;
        self.pool
            .write(|tx| service::add_referent(&PgTx::new(tx), referent.clone(), now))
    }

    fn edit_referent(
        &self,
        who: &Principal,
        id: &str,
        r: &Referent,
        now: DateTime<Utc>,
    ) -> Result<Referent, ServiceError> {
        let referent = service::check_referent(who, r)?;
        self.pool
            .write(|tx| service::edit_referent(&PgTx::new(tx), id, referent.clone(), now))
    }

    fn remove_referent(&self, who: &Principal, id: &str) -> Result<(), ServiceError> {
        let establishment_id = service::own_establishment(who)?;
        self.pool
            .write(|tx| service::remove_referent(&PgTx::new(tx), &establishment_id, id))
    }

    fn own_referents(&self, who: &Principal) -> Result<Vec<Referent>, ServiceError> {
        let establishment_id = service::own_establishment(who)?;
        self.pool
            .read(|tx| grants_pg::referent_rows(tx, Some(&establishment_id), ""))
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
            .pool
            .read(|tx| grants_pg::referent_rows(tx, establishment.as_deref(), &theme))?;
        Ok(rows.into_iter().map(service::summary).collect())
    }

    fn partner_referents(
        &self,
        who: &Principal,
        theme: Option<&str>,
    ) -> Result<Vec<PartnerReferent>, ServiceError> {
        let partner_id = partner_of(who)?.0.to_owned();
        let theme = theme.unwrap_or("");
        let (rows, requests) = self.pool.read(|tx| {
            Ok((
                grants_pg::referent_rows(tx, None, theme)?,
                grants_pg::partner_requests(tx, &partner_id)?,
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
        self.pool
            .write(|tx| grants::request_referent(&PgTx::new(tx), &new))
    }

    fn referent_requests(&self, who: &Principal) -> Result<Vec<ReferentRequest>, ServiceError> {
        let establishment_id = service::own_establishment(who)?;
        self.pool
            .read(|tx| grants_pg::establishment_requests(tx, &establishment_id))
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
        self.pool.write(|tx| {
            grants::decide(
                &PgTx::new(tx),
                &establishment_id,
                &who.account_id,
                id,
                action,
                reason.as_deref(),
                now,
            )
        })
    }
}

impl ReferentsTx for PgTx<'_, '_> {
    fn insert_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO referents (id, establishment_id, theme, name, email, phone, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &r.id,
                    &r.establishment_id,
                    &r.theme,
                    &r.name,
                    &r.email,
                    &r.phone,
                    &ts(now),
                ],
            )?;
            Ok(())
        })
    }

    fn update_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx.execute(
                "UPDATE referents SET theme = $3, name = $4, email = $5, phone = $6, updated_at = $7
                 WHERE id = $1 AND establishment_id = $2",
                &[
                    &r.id,
                    &r.establishment_id,
                    &r.theme,
                    &r.name,
                    &r.email,
                    &r.phone,
                    &ts(now),
                ],
            )? > 0)
        })
    }

    fn delete_referent(&self, id: &str, establishment_id: &str) -> Result<bool, ServiceError> {
        // The requests go with it (ON DELETE CASCADE).
        self.with(|tx| {
            Ok(tx.execute(
                "DELETE FROM referents WHERE id = $1 AND establishment_id = $2",
                &[&id, &establishment_id],
            )? > 0)
        })
    }

    fn establishment_name(&self, id: &str) -> Result<String, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one("SELECT name FROM establishments WHERE id = $1", &[&id])?
                .try_get(0)?)
        })
    }
}

impl EstablishmentsRepo for PgStore {
    fn establishments(&self, q: Option<&str>) -> Result<Vec<Establishment>, ServiceError> {
        let pattern = format!("%{}%", q.unwrap_or("").trim().to_lowercase());
        self.pool.read(|tx| {
            tx.query(
                "SELECT id, name, kind, city, postal_code FROM establishments
                 WHERE lower(name) LIKE $1 OR lower(city) LIKE $1 OR lower(postal_code) LIKE $1
                 ORDER BY name LIMIT 200",
                &[&pattern],
            )?
            .iter()
            .map(|r| {
                Ok(Establishment {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    city: r.try_get(3)?,
                    postal_code: r.try_get(4)?,
                })
            })
            .collect()
        })
    }

    fn upsert_establishments(
        &self,
        rows: Vec<EstablishmentRow>,
    ) -> Result<(usize, usize), ServiceError> {
        self.pool.write(|tx| {
            let (mut added, mut updated) = (0, 0);
            for r in &rows {
                // `xmax = 0`: the row was inserted by this statement.
                let inserted: bool = tx
                    .query_one(
                        "INSERT INTO establishments (id, name, kind, city, postal_code)
                         VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
                           kind = EXCLUDED.kind, city = EXCLUDED.city,
                           postal_code = EXCLUDED.postal_code
                         RETURNING (xmax = 0)",
                        &[&r.uai, &r.name, &r.kind, &r.city, &r.postal_code],
                    )?
                    .try_get(0)?;
                if inserted {
                    added += 1;
                } else {
                    updated += 1;
                }
            }
            Ok((added, updated))
        })
    }
}
