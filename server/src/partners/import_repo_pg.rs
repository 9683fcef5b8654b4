//! The SQL of `import-partners` on PostgreSQL (ADR 0036): the statements
//! of `partners::import_repo::PartnerImportTx` over a PostgreSQL
//! transaction; the rules are `import_repo::import_partners_with`, shared
//! with SQLite.

use chrono::{DateTime, Utc};

use crate::error::ServiceError;
use crate::partners::application::{ConventionRow, PartnerRow};
use crate::partners::import::PartnerImportRow;
use crate::partners::import_repo::{PartnerImportTx, import_partners_with};
use crate::platform::files::DocumentStore;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// Whether a SIRET is already a partner's.
pub fn siret_known(store: &PgStore, siret: &str) -> Result<bool, ServiceError> {
    store.pool.read(|tx| PgTx::new(tx).siret_taken(siret))
}

/// Stores every row in one transaction (nothing when one fails). Returns
/// the new partners' ids, in order.
pub fn import_partners(
    store: &PgStore,
    rows: Vec<PartnerImportRow>,
    files: std::sync::Arc<DocumentStore>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ServiceError> {
    store
        .pool
        .write(|tx| import_partners_with(&PgTx::new(tx), &rows, &files, now))
}

impl PartnerImportTx for PgTx<'_, '_> {
    fn siret_taken(&self, siret: &str) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM partners WHERE siret = $1)",
                    &[&siret],
                )?
                .try_get(0)?)
        })
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $10, $10, $10,
             $10, $16)",
            &[
                &p.id,
                &p.name,
                &p.category.code(),
                &p.address,
                &p.city,
                &p.postal_code,
                &p.latitude,
                &p.longitude,
                &p.status.as_str(),
                &at,
                &p.siret,
                &p.phone,
                &p.contact_name,
                &p.iban,
                &p.bic,
                &p.convention_ends_on.map(|d| d.to_string()),
            ],
        )
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, 'migrated')",
            &[
                &conv.id,
                &partner_id,
                &conv.cgp_version,
                &conv.starts_on.to_string(),
                &conv.ends_on.to_string(),
                &conv.document_sha256,
                &ts(now),
                &conv.signed_document_sha256,
            ],
        )
    }
}
