//! The SQL of `import-partners` (issue 16): every checked line in one
//! writer transaction (all or nothing): the partner validated, with its
//! migrated convention (signed outside the platform, in force from the
//! file's dates). The rules are in `partners/import.rs`; the managers are
//! invited afterwards, like from the partner space.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::error::ServiceError;
use crate::partners::application::{ConventionRow, PartnerRow};
use crate::partners::application_repo::ConventionsTx;
use crate::partners::import::PartnerImportRow;
use crate::platform::db::Cached;
use crate::platform::files::DocumentStore;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;

/// The statements of a partner import, per engine (`Connection` here,
/// `PgTx` in `import_repo_pg.rs`); the rules are [`import_partners_with`],
/// once.
pub(crate) trait PartnerImportTx: ConventionsTx {
    /// Whether a SIRET is already a partner's.
    fn siret_taken(&self, siret: &str) -> Result<bool, ServiceError>;
    /// The imported partner, validated.
    fn insert_imported_partner(
        &self,
        p: &PartnerRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Its migrated convention.
    fn insert_migrated_convention(
        &self,
        partner_id: &str,
        conv: &ConventionRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

/// Whether a SIRET is already a partner's.
pub fn siret_known(store: &SqliteStore, siret: &str) -> Result<bool, ServiceError> {
    let siret = siret.to_owned();
    store.db().read(move |c| c.siret_taken(&siret))
}

/// Stores every row in one transaction (nothing when one fails, e.g. a
/// SIRET imported meanwhile). Returns the new partners' ids, in order.
pub fn import_partners(
    store: &SqliteStore,
    rows: Vec<PartnerImportRow>,
    files: std::sync::Arc<DocumentStore>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ServiceError> {
    store
        .db()
        .write(move |c| import_partners_with(c, &rows, &files, now))
}

/// The rules of the import, inside the caller's transaction.
pub(crate) fn import_partners_with(
    tx: &dyn PartnerImportTx,
    rows: &[PartnerImportRow],
    files: &DocumentStore,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ServiceError> {
    let cgp = tx
        .current_cgp()?
        .ok_or_else(|| ServiceError::Internal("no CGP published".into()))?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let p = &row.partner;
        if tx.siret_taken(p.siret.as_deref().unwrap_or(""))? {
            return Err(ServiceError::Invalid {
                field: "siret",
                message: format!("ligne {} : SIRET déjà connu de la plateforme", row.line),
            });
        }
        tx.insert_imported_partner(p, now)?;
        let conv =
            crate::partners::convention::migrated(p, &cgp, files, row.starts_on, row.ends_on, now)?;
        tx.insert_migrated_convention(&p.id, &conv, now)?;
        ids.push(p.id.clone());
    }
    Ok(ids)
}

impl PartnerImportTx for Connection {
    fn siret_taken(&self, siret: &str) -> Result<bool, ServiceError> {
        Ok(self.one(
            "SELECT EXISTS (SELECT 1 FROM partners WHERE siret = ?1)",
            [siret],
            |r| r.get(0),
        )?)
    }

    fn insert_imported_partner(
        &self,
        p: &PartnerRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let at = ts(now);
        self.exec(
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

    fn insert_migrated_convention(
        &self,
        partner_id: &str,
        conv: &ConventionRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO conventions (id, partner_id, cgp_version, starts_on, ends_on,
             document_sha256, created_at, signed_at, signed_document_sha256, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, 'migrated')",
            params![
                conv.id,
                partner_id,
                conv.cgp_version,
                conv.starts_on.to_string(),
                conv.ends_on.to_string(),
                conv.document_sha256,
                ts(now),
                conv.signed_document_sha256,
            ],
        )?;
        Ok(())
    }
}
