//! App credentials on PostgreSQL (ADR 0036): the SQL of `cards::credentials` in PostgreSQL's dialect; the rule of a registration stays in `credentials::register`. A registration locks the card's row, so two registrations from two instances leave one live credential.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::Season;
use passregion_core::ledger::Totals;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::cards::credentials::CredentialTx;
use crate::cards::credentials::CredentialsRepo;
use crate::cards::credentials::NewCredential;
use crate::cards::credentials::OfflineDefaults;
use crate::cards::credentials::qr_data;
use crate::cards::credentials::qr_lookup;
use crate::cards::credentials::register;
use crate::cards::repo_pg::lock_account_card;
use crate::debits::card::CardRow;
use crate::debits::repo_pg::PgTx;
use crate::error::ServiceError;
use crate::platform::sql::ts;
use crate::platform::store::PgStore;

impl CredentialsRepo for PgStore {
    fn card_qr_data(
        &self,
        who: &Principal,
        card_id: Option<&str>,
    ) -> Result<(String, u32, Season), ServiceError> {
        let (column, value) = qr_lookup(who, card_id)?;
        let etab = who.establishment_id.as_deref();
        self.pool.read(|tx| {
            let row = tx
                .query_opt(
                    &format!(
                        "SELECT id, version, season, establishment_id FROM cards WHERE {column} = $1"
                    ),
                    &[&value],
                )?
                .map(|r| -> Result<_, ServiceError> {
                    Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
                })
                .transpose()?;
            qr_data(row, etab)
        })
    }

    fn register_credential(
        &self,
        who: &Principal,
        device_public_key: String,
        defaults: OfflineDefaults,
        now: DateTime<Utc>,
    ) -> Result<NewCredential, ServiceError> {
        require_role(who, Role::Youth)?;
        self.pool.write(|tx| {
            register(
                &PgTx::new(tx),
                &self.catalogues,
                &who.account_id,
                &device_public_key,
                defaults,
                now,
            )
        })
    }

    fn revoke_youth_credentials(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        require_role(who, Role::Youth)?;
        self.pool.write(|tx| {
            let n = tx.execute(
                "UPDATE app_credentials SET revoked_at = $2
                 WHERE revoked_at IS NULL AND card_id IN (SELECT id FROM cards WHERE account_id = $1)",
                &[&who.account_id, &ts(now)],
            )?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }
}

impl CredentialTx for PgTx<'_, '_> {
    fn holder_card(&self, account_id: &str) -> Result<Option<CardRow>, ServiceError> {
        self.with(|tx| lock_account_card(tx, account_id))
    }

    fn flagged(&self, card_id: &str) -> Result<bool, ServiceError> {
        self.with(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT 1 FROM card_flags WHERE card_id = $1 LIMIT 1",
                    &[&card_id],
                )?
                .is_some())
        })
    }

    fn totals(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
    ) -> Result<Totals, ServiceError> {
        self.with(|tx| crate::debits::repo_pg::totals(tx, card_id, season, avantage))
    }

    fn revoke_live(&self, card_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "UPDATE app_credentials SET revoked_at = $2 WHERE card_id = $1 AND revoked_at IS NULL",
                &[&card_id, &ts(now)],
            )?;
            Ok(())
        })
    }

    fn insert_credential(
        &self,
        cred: &NewCredential,
        device_public_key: &str,
    ) -> Result<(), ServiceError> {
        self.with(|tx| {
            tx.execute(
                "INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents,
                 per_tx_max_cents, max_count, issued_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &cred.credential_id,
                    &cred.card_id,
                    &device_public_key,
                    &cred.allowance_cents,
                    &cred.per_transaction_max_cents,
                    &i64::from(cred.max_count),
                    &ts(cred.issued_at),
                    &ts(cred.expires_at),
                ],
            )?;
            Ok(())
        })
    }
}
