//! The SQL of `import-partners` (issue 16): every checked line in one
//! writer transaction (all or nothing): the partner validated, with its
//! migrated convention (signed outside the platform, in force from the
//! file's dates). The rules are in `partners/import.rs`; the managers are
//! invited afterwards, like from the partner space.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::error::ServiceError;
use crate::partners::application::PartnerRow;
use crate::partners::application_repo::ConventionsTx;
use crate::partners::import::PartnerImportRow;
use crate::platform::db::Cached;
use crate::platform::files::DocumentStore;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// Whether a SIRET is already a partner's.
pub fn siret_known(store: &SqliteStore, siret: &str) -> Result<bool, ServiceError> {
    let siret = siret.to_owned();
    store.db().read(move |c| siret_taken(c, &siret))
}

fn siret_taken(c: &Connection, siret: &str) -> Result<bool, ServiceError> {
    Ok(c.one(
        "SELECT EXISTS (SELECT 1 FROM partners WHERE siret = ?1)",
        [siret],
        |r| r.get(0),
    )?)
}

/// Stores every row in one transaction (nothing when one fails, e.g. a
/// SIRET imported meanwhile). Returns the new partners' ids, in order.
pub fn import_partners(
    store: &SqliteStore,
    rows: Vec<PartnerImportRow>,
    files: std::sync::Arc<DocumentStore>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ServiceError> {
    store.db().write(move |c| {
        let cgp = c
            .current_cgp()?
            .ok_or_else(|| ServiceError::Internal("no CGP published".into()))?;
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let p = &row.partner;
            if siret_taken(c, p.siret.as_deref().unwrap_or(""))? {
                return Err(ServiceError::Invalid {
                    field: "siret",
                    message: format!("ligne {} : SIRET déjà connu de la plateforme", row.line),
                });
            }
            insert_partner(c, p, now)?;
            let conv = crate::partners::convention::migrated(
                p,
                &cgp,
                &files,
                row.starts_on,
                row.ends_on,
                now,
            )?;
            c.exec(
                "INSERT INTO conventions (id, partner_id, cgp_version, starts_on, ends_on,
                 document_sha256, created_at, signed_at, signed_document_sha256, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, 'migrated')",
                params![
                    conv.id,
                    p.id,
                    conv.cgp_version,
                    conv.starts_on.to_string(),
                    conv.ends_on.to_string(),
                    conv.document_sha256,
                    ts(now),
                    conv.signed_document_sha256,
                ],
            )?;
            ids.push(p.id.clone());
        }
        Ok(ids)
    })
}

fn insert_partner(c: &Connection, p: &PartnerRow, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let at = ts(now);
    c.exec(
        "INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
         status, created_at, siret, phone, contact_name, iban, bic, submitted_at,
         instruction_started_at, decided_at, convention_signed_at, convention_ends_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?10, ?10, ?10,
         ?10, ?16)",
        params![
            p.id,
            p.name,
            p.category.code(),
            p.address,
            p.city,
            p.postal_code,
            p.latitude,
            p.longitude,
            p.status.as_str(),
            at,
            p.siret,
            p.phone,
            p.contact_name,
            p.iban,
            p.bic,
            p.convention_ends_on.map(|d| d.to_string()),
        ],
    )?;
    Ok(())
}
