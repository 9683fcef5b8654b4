//! What the CSV imports need beyond `state::Storage` (issue 16), on both
//! engines: the établissements' UAIs, the card and partner imports'
//! statements (`cards::import_repo{,_pg}`, `partners::import_repo{,_pg}`;
//! their rules once, in `import_repo.rs`).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use passregion_core::Season;

use crate::cards::import::{CardImportRow, EmailState};
use crate::cards::import_repo::YouthInvitation;
use crate::error::ServiceError;
use crate::partners::import::PartnerImportRow;
use crate::platform::files::DocumentStore;
use crate::platform::store::{PgStore, SqliteStore};

/// The imports' own storage calls.
pub trait ImportsRepo: Send + Sync {
    /// The établissements' UAIs.
    fn establishment_ids(&self) -> Result<HashSet<String>, ServiceError>;
    /// What the e-mail of a card line already is.
    fn card_email_state(&self, email: &str) -> Result<EmailState, ServiceError>;
    /// One chunk of cards in one transaction (`cards::import_repo::import_chunk`).
    fn import_card_chunk(
        &self,
        rows: Vec<CardImportRow>,
        placeholder_hash: String,
        season: Season,
        now: DateTime<Utc>,
    ) -> Result<Vec<YouthInvitation>, ServiceError>;
    /// Whether a SIRET is already a partner's.
    fn siret_known(&self, siret: &str) -> Result<bool, ServiceError>;
    /// Every partner in one transaction (`partners::import_repo::import_partners`).
    fn import_partners(
        &self,
        rows: Vec<PartnerImportRow>,
        files: Arc<DocumentStore>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, ServiceError>;
}

impl ImportsRepo for SqliteStore {
    fn establishment_ids(&self) -> Result<HashSet<String>, ServiceError> {
        self.db().read(|c| {
            let mut stmt = c.prepare("SELECT id FROM establishments")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn card_email_state(&self, email: &str) -> Result<EmailState, ServiceError> {
        crate::cards::import_repo::email_state(self, email)
    }

    fn import_card_chunk(
        &self,
        rows: Vec<CardImportRow>,
        placeholder_hash: String,
        season: Season,
        now: DateTime<Utc>,
    ) -> Result<Vec<YouthInvitation>, ServiceError> {
        crate::cards::import_repo::import_chunk(self, rows, placeholder_hash, season, now)
    }

    fn siret_known(&self, siret: &str) -> Result<bool, ServiceError> {
        crate::partners::import_repo::siret_known(self, siret)
    }

    fn import_partners(
        &self,
        rows: Vec<PartnerImportRow>,
        files: Arc<DocumentStore>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, ServiceError> {
        crate::partners::import_repo::import_partners(self, rows, files, now)
    }
}

impl ImportsRepo for PgStore {
    fn establishment_ids(&self) -> Result<HashSet<String>, ServiceError> {
        self.pool.read(|tx| {
            tx.query("SELECT id FROM establishments", &[])?
                .iter()
                .map(|r| r.try_get::<_, String>(0).map_err(ServiceError::from))
                .collect()
        })
    }

    fn card_email_state(&self, email: &str) -> Result<EmailState, ServiceError> {
        crate::cards::import_repo_pg::email_state(self, email)
    }

    fn import_card_chunk(
        &self,
        rows: Vec<CardImportRow>,
        placeholder_hash: String,
        season: Season,
        now: DateTime<Utc>,
    ) -> Result<Vec<YouthInvitation>, ServiceError> {
        crate::cards::import_repo_pg::import_chunk(self, rows, placeholder_hash, season, now)
    }

    fn siret_known(&self, siret: &str) -> Result<bool, ServiceError> {
        crate::partners::import_repo_pg::siret_known(self, siret)
    }

    fn import_partners(
        &self,
        rows: Vec<PartnerImportRow>,
        files: Arc<DocumentStore>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, ServiceError> {
        crate::partners::import_repo_pg::import_partners(self, rows, files, now)
    }
}
