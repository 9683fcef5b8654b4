//! Storage of référent requests (ADR 0027): the SQL of `GrantsTx` and the
//! reads the listings need. The rules are in `establishments::grants`.

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::status::ReferentRequestStatus;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::error::ServiceError;
use crate::establishments::grants::GrantsTx;
use crate::establishments::grants::NewReferentRequest;
use crate::establishments::grants::RequestRow;
use crate::establishments::model::Referent;
use crate::establishments::model::ReferentRequest;
use crate::platform::sql::parse_ts;
use crate::platform::sql::select_all;
use crate::platform::sql::ts;

/// A request with its référent, établissement, partner and who did what.
pub(crate) const VIEW: &str =
    "SELECT q.id, q.referent_id, r.name, r.theme, r.establishment_id, e.name,
       q.partner_id, p.name, p.category, q.message, q.status, a.display_name, q.requested_at,
       d.display_name, q.decided_at, q.reason
     FROM referent_requests q
     JOIN referents r ON r.id = q.referent_id
     JOIN establishments e ON e.id = r.establishment_id
     JOIN partners p ON p.id = q.partner_id
     JOIN accounts a ON a.id = q.requested_by
     LEFT JOIN accounts d ON d.id = q.decided_by";

pub(crate) fn status_from(s: &str) -> Result<ReferentRequestStatus, ServiceError> {
    ReferentRequestStatus::parse(s)
        .ok_or_else(|| ServiceError::Internal("bad stored referent request status".into()))
}

fn view_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ReferentRequest, ServiceError>> {
    let status: String = r.get(10)?;
    let requested_at: String = r.get(12)?;
    let decided_at: Option<String> = r.get(14)?;
    let build = |status: &str| -> Result<(ReferentRequestStatus, DateTime<Utc>, _), ServiceError> {
        Ok((
            status_from(status)?,
            parse_ts(&requested_at)?,
            decided_at.as_deref().map(parse_ts).transpose()?,
        ))
    };
    let (status, requested_at, decided_at) = match build(&status) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(ReferentRequest {
        id: r.get(0)?,
        referent_id: r.get(1)?,
        referent_name: r.get(2)?,
        theme: r.get(3)?,
        establishment_id: r.get(4)?,
        establishment_name: r.get(5)?,
        partner_id: r.get(6)?,
        partner_name: r.get(7)?,
        partner_category: r.get(8)?,
        message: r.get(9)?,
        status,
        status_label: status.label().to_owned(),
        requested_by: r.get(11)?,
        requested_at,
        decided_by: r.get(13)?,
        decided_at,
        reason: r.get(15)?,
    }))
}

/// The requests for an établissement's référents, newest first (at most 1000).
pub(crate) fn establishment_requests(
    c: &Connection,
    establishment_id: &str,
) -> Result<Vec<ReferentRequest>, ServiceError> {
    select_all(
        c,
        &format!(
            "{VIEW} WHERE r.establishment_id = ?1 ORDER BY q.requested_at DESC, q.id DESC LIMIT 1000"
        ),
        &[&establishment_id],
        view_row,
    )
}

/// A partner's requests, newest first (at most 2000).
pub(crate) fn partner_requests(
    c: &Connection,
    partner_id: &str,
) -> Result<Vec<ReferentRequest>, ServiceError> {
    select_all(
        c,
        &format!(
            "{VIEW} WHERE q.partner_id = ?1 ORDER BY q.requested_at DESC, q.id DESC LIMIT 2000"
        ),
        &[&partner_id],
        view_row,
    )
}

/// Référents with their contact, of one établissement (`Some`) or of every
/// one, of one theme (`""`: all), by établissement name, theme and name (at
/// most 2000). What leaves the server is decided by the caller's rules.
pub(crate) fn referent_rows(
    c: &Connection,
    establishment_id: Option<&str>,
    theme: &str,
) -> Result<Vec<Referent>, ServiceError> {
    select_all(
        c,
        "SELECT r.id, r.establishment_id, e.name, r.theme, r.name, r.email, r.phone
         FROM referents r JOIN establishments e ON e.id = r.establishment_id
         WHERE (?1 IS NULL OR r.establishment_id = ?1) AND (?2 = '' OR r.theme = ?2)
         ORDER BY e.name, r.theme, r.name LIMIT 2000",
        &[&establishment_id, &theme],
        |r| {
            Ok(Ok(Referent {
                id: r.get(0)?,
                establishment_id: r.get(1)?,
                establishment_name: r.get(2)?,
                theme: r.get(3)?,
                name: r.get(4)?,
                email: r.get(5)?,
                phone: r.get(6)?,
            }))
        },
    )
}

impl GrantsTx for Connection {
    fn referent_exists(&self, referent_id: &str) -> Result<bool, ServiceError> {
        Ok(self
            .one(
                "SELECT 1 FROM referents WHERE id = ?1",
                [referent_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn has_open_request(&self, referent_id: &str, partner_id: &str) -> Result<bool, ServiceError> {
        Ok(self
            .one(
                "SELECT 1 FROM referent_requests
                 WHERE referent_id = ?1 AND partner_id = ?2 AND status IN (?3, ?4)",
                params![
                    referent_id,
                    partner_id,
                    ReferentRequestStatus::Requested.as_str(),
                    ReferentRequestStatus::Granted.as_str()
                ],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn insert_request(&self, r: &NewReferentRequest) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO referent_requests (id, referent_id, partner_id, message, status,
               requested_by, requested_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                r.id,
                r.referent_id,
                r.partner_id,
                r.message,
                ReferentRequestStatus::Requested.as_str(),
                r.requested_by,
                ts(r.requested_at)
            ],
        )?;
        Ok(())
    }

    fn request_row(&self, id: &str) -> Result<Option<RequestRow>, ServiceError> {
        let row = self
            .one(
                "SELECT r.establishment_id, q.status FROM referent_requests q
                 JOIN referents r ON r.id = q.referent_id WHERE q.id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        row.map(|(establishment_id, status)| {
            Ok(RequestRow {
                establishment_id,
                status: status_from(&status)?,
            })
        })
        .transpose()
    }

    fn set_request_status(
        &self,
        id: &str,
        status: ReferentRequestStatus,
        by: &str,
        at: DateTime<Utc>,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE referent_requests SET status = ?2, decided_by = ?3, decided_at = ?4,
               reason = ?5 WHERE id = ?1",
            params![id, status.as_str(), by, ts(at), reason],
        )?;
        Ok(())
    }

    fn request_view(&self, id: &str) -> Result<ReferentRequest, ServiceError> {
        select_all(self, &format!("{VIEW} WHERE q.id = ?1"), &[&id], view_row)?
            .pop()
            .ok_or(ServiceError::NotFound("Demande"))
    }
}
