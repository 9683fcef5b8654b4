//! Référent requests on PostgreSQL (ADR 0036, ADR 0027): the SQL of `GrantsTx` and the listings' reads in PostgreSQL's dialect; the rules stay in `establishments::grants`. A request locks its référent's row before it looks for an open one (two requests of one partner at once on two instances: one stored, the other refused 409); a decision locks the request's row (grant and withdraw at once: one after the other, on the state the first left).

use chrono::DateTime;
use chrono::Utc;
use passregion_core::status::ReferentRequestStatus;
use r2d2_postgres::postgres::Row;
use r2d2_postgres::postgres::Transaction;
use r2d2_postgres::postgres::types::ToSql;

use crate::error::ServiceError;
use crate::establishments::grants::GrantsTx;
use crate::establishments::grants::NewReferentRequest;
use crate::establishments::grants::RequestRow;
use crate::establishments::grants_repo::VIEW;
use crate::establishments::grants_repo::status_from;
use crate::establishments::model::Referent;
use crate::establishments::model::ReferentRequest;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::parse_ts;
use crate::platform::sql::ts;

fn view_row(r: &Row) -> Result<ReferentRequest, ServiceError> {
    let status = status_from(&r.try_get::<_, String>(10)?)?;
    let decided_at: Option<String> = r.try_get(14)?;
    Ok(ReferentRequest {
        id: r.try_get(0)?,
        referent_id: r.try_get(1)?,
        referent_name: r.try_get(2)?,
        theme: r.try_get(3)?,
        establishment_id: r.try_get(4)?,
        establishment_name: r.try_get(5)?,
        partner_id: r.try_get(6)?,
        partner_name: r.try_get(7)?,
        partner_category: r.try_get(8)?,
        message: r.try_get(9)?,
        status,
        status_label: status.label().to_owned(),
        requested_by: r.try_get(11)?,
        requested_at: parse_ts(&r.try_get::<_, String>(12)?)?,
        decided_by: r.try_get(13)?,
        decided_at: decided_at.as_deref().map(parse_ts).transpose()?,
        reason: r.try_get(15)?,
    })
}

/// Requests matching `clause` (`$n` parameters), in `order`.
fn requests_where(
    tx: &mut Transaction<'_>,
    clause: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<ReferentRequest>, ServiceError> {
    tx.query(&format!("{VIEW} WHERE {clause}"), args)?
        .iter()
        .map(view_row)
        .collect()
}

/// The requests for an établissement's référents, newest first (at most 1000).
pub(crate) fn establishment_requests(
    tx: &mut Transaction<'_>,
    establishment_id: &str,
) -> Result<Vec<ReferentRequest>, ServiceError> {
    requests_where(
        tx,
        "r.establishment_id = $1 ORDER BY q.requested_at DESC, q.id DESC LIMIT 1000",
        &[&establishment_id],
    )
}

/// A partner's requests, newest first (at most 2000).
pub(crate) fn partner_requests(
    tx: &mut Transaction<'_>,
    partner_id: &str,
) -> Result<Vec<ReferentRequest>, ServiceError> {
    requests_where(
        tx,
        "q.partner_id = $1 ORDER BY q.requested_at DESC, q.id DESC LIMIT 2000",
        &[&partner_id],
    )
}

/// Référents with their contact, of one établissement (`Some`) or of every
/// one, of one theme (`""`: all), by établissement name, theme and name (at
/// most 2000), as `grants_repo::referent_rows`.
pub(crate) fn referent_rows(
    tx: &mut Transaction<'_>,
    establishment_id: Option<&str>,
    theme: &str,
) -> Result<Vec<Referent>, ServiceError> {
    tx.query(
        "SELECT r.id, r.establishment_id, e.name, r.theme, r.name, r.email, r.phone
         FROM referents r JOIN establishments e ON e.id = r.establishment_id
         WHERE ($1::TEXT IS NULL OR r.establishment_id = $1) AND ($2 = '' OR r.theme = $2)
         ORDER BY e.name, r.theme, r.name LIMIT 2000",
        &[&establishment_id, &theme],
    )?
    .iter()
    .map(|r| {
        Ok(Referent {
            id: r.try_get(0)?,
            establishment_id: r.try_get(1)?,
            establishment_name: r.try_get(2)?,
            theme: r.try_get(3)?,
            name: r.try_get(4)?,
            email: r.try_get(5)?,
            phone: r.try_get(6)?,
        })
    })
    .collect()
}

impl GrantsTx for PgTx<'_, '_> {
    /// Locks the référent's row: the requests for it are stored one
    /// transaction at a time, each seeing the ones before.
    fn referent_exists(&self, referent_id: &str) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT 1 FROM referents WHERE id = $1 FOR UPDATE",
                    &[&referent_id],
                )?
                .is_some())
        })
    }

    fn has_open_request(&self, referent_id: &str, partner_id: &str) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT 1 FROM referent_requests
                     WHERE referent_id = $1 AND partner_id = $2 AND status IN ($3, $4)",
                    &[
                        &referent_id,
                        &partner_id,
                        &ReferentRequestStatus::Requested.as_str(),
                        &ReferentRequestStatus::Granted.as_str(),
                    ],
                )?
                .is_some())
        })
    }

    fn insert_request(&self, r: &NewReferentRequest) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO referent_requests (id, referent_id, partner_id, message, status,
                   requested_by, requested_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &r.id,
                    &r.referent_id,
                    &r.partner_id,
                    &r.message,
                    &ReferentRequestStatus::Requested.as_str(),
                    &r.requested_by,
                    &ts(r.requested_at),
                ],
            )?;
            Ok(())
        })
    }

    /// Locks the request's row: decisions on it are taken one at a time.
    fn request_row(&self, id: &str) -> Result<Option<RequestRow>, ServiceError> {
        self.with(|tx| {
            tx.query_opt(
                "SELECT r.establishment_id, q.status FROM referent_requests q
                 JOIN referents r ON r.id = q.referent_id WHERE q.id = $1 FOR UPDATE OF q",
                &[&id],
            )?
            .map(|r| {
                Ok(RequestRow {
                    establishment_id: r.try_get(0)?,
                    status: status_from(&r.try_get::<_, String>(1)?)?,
                })
            })
            .transpose()
        })
    }

    fn set_request_status(
        &self,
        id: &str,
        status: ReferentRequestStatus,
        by: &str,
        at: DateTime<Utc>,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE referent_requests SET status = $2, decided_by = $3, decided_at = $4,
                   reason = $5 WHERE id = $1",
                &[&id, &status.as_str(), &by, &ts(at), &reason],
            )?;
            Ok(())
        })
    }

    fn request_view(&self, id: &str) -> Result<ReferentRequest, ServiceError> {
        self.with(|tx| {
            requests_where(tx, "q.id = $1", &[&id])?
                .pop()
                .ok_or(ServiceError::NotFound("Demande"))
        })
    }
}
