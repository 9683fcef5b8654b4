//! The SQL of `import-cards` on PostgreSQL (ADR 0036): the statements of
//! `cards::import_repo::CardImportTx` over a PostgreSQL transaction; the
//! rules of a chunk are `import_repo::import_chunk_with`, shared with SQLite.

use chrono::{DateTime, Utc};
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::ledger::MovementKind;

use crate::cards::import::{CardImportRow, EmailState};
use crate::cards::import_repo::{CardImportTx, YouthInvitation, import_chunk_with, state_from};
use crate::error::ServiceError;
use crate::platform::pg_tx::PgTx;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

/// What the e-mail of a line already is.
pub fn email_state(store: &PgStore, email: &str) -> Result<EmailState, ServiceError> {
    store.pool.read(|tx| PgTx::new(tx).email_state(email))
}

/// Stores one chunk in one transaction (all of it or nothing); returns the
/// youths to invite (the lines not imported before).
pub fn import_chunk(
    store: &PgStore,
    rows: Vec<CardImportRow>,
    placeholder_hash: String,
    season: Season,
    now: DateTime<Utc>,
) -> Result<Vec<YouthInvitation>, ServiceError> {
    store
        .pool
        .write(|tx| import_chunk_with(&PgTx::new(tx), &rows, &placeholder_hash, season, now))
}

impl CardImportTx for PgTx<'_, '_> {
    fn email_state(&self, email: &str) -> Result<EmailState, ServiceError> {
        self.with(|tx| {
            let found: Option<bool> = tx
                .query_opt(
                    "SELECT EXISTS (SELECT 1 FROM card_imports i JOIN cards k ON k.id = i.card_id
                       WHERE k.account_id = a.id AND i.import_key = a.email::text)
                     FROM accounts a WHERE a.email = $1",
                    &[&email],
                )?
                .map(|r| r.try_get(0))
                .transpose()?;
            Ok(state_from(found))
        })
    }

    fn insert_youth(
        &self,
        id: &str,
        email: &str,
        password_hash: &str,
        display_name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
             VALUES ($1, $2, $3, 'youth', $4, $5)",
            &[&id, &email, &password_hash, &display_name, &ts(now)],
        )
    }

    fn record_import(
        &self,
        card_id: &str,
        key: &str,
        season: Season,
        previous_number: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO card_imports (card_id, import_key, season, previous_number, imported_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &card_id,
                &key,
                &i64::from(season.start_year()),
                &previous_number,
                &ts(now),
            ],
        )
    }

    fn append_opening(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
        kind: AvantageKind,
        units: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        // The card is new in this transaction: no other one sees its row.
        self.with(|tx| {
            crate::debits::ledger_pg::append_ledger(
                tx,
                card_id,
                season,
                avantage,
                kind,
                MovementKind::Opening,
                units,
                None,
                now,
            )?;
            Ok(())
        })
    }

    fn insert_invitation(
        &self,
        token_hash: &str,
        account_id: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO email_tokens (token_hash, account_id, purpose, created_at, expires_at)
             VALUES ($1, $2, 'invitation', $3, $4)",
            &[&token_hash, &account_id, &ts(now), &ts(expires_at)],
        )
    }
}
