//! App credentials (offline QR codes signed by the youth's device) and the data of the printed card QR.

use crate::debits::error::DebitsError;

use crate::platform::db::Cached;

use crate::debits::ledger::totals;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::CardState;
use passregion_core::Season;
use passregion_core::debit::AvantageKind;
use passregion_core::season::region_date;
use rusqlite::OptionalExtension;
use rusqlite::params;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::debits::card::CardRow;
use crate::debits::card::card_by;
use crate::error::ServiceError;
use crate::platform::sql::ts;
use crate::platform::store::SqliteStore;
use passregion_core::ledger::Totals;

/// Default offline limits of app credentials.
#[derive(Debug, Clone, Copy)]
pub struct OfflineDefaults {
    /// Total a youth may spend offline per credential (cents).
    pub allowance_cents: i64,
    /// Largest offline debit (cents).
    pub per_transaction_max_cents: i64,
    /// Most offline debits per credential.
    pub max_count: u16,
    /// Credential lifetime.
    pub validity: Duration,
}

impl Default for OfflineDefaults {
    fn default() -> Self {
        OfflineDefaults {
            allowance_cents: 3000,
            per_transaction_max_cents: 1500,
            max_count: 3,
            validity: Duration::hours(72),
        }
    }
}

/// An app credential recorded, to be signed by the issuer key.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// Credential id.
    pub credential_id: String,
    /// Card id.
    pub card_id: String,
    /// Offline allowance (cents).
    pub allowance_cents: i64,
    /// Per-transaction maximum (cents).
    pub per_transaction_max_cents: i64,
    /// Most offline debits.
    pub max_count: u16,
    /// Issued at.
    pub issued_at: DateTime<Utc>,
    /// Expires at.
    pub expires_at: DateTime<Utc>,
}

/// Storage of app credentials and card QR data.
pub trait CredentialsRepo: Send + Sync + 'static {
    /// The youth's card as signed-QR material: (card id, version, season).
    fn card_qr_data(
        &self,
        who: &Principal,
        card_id: Option<&str>,
    ) -> Result<(String, u32, Season), ServiceError>;
    /// Records an app credential for the youth's active card; returns the
    /// claims to sign (limits decided from the card's balances and `defaults`).
    fn register_credential(
        &self,
        who: &Principal,
        device_public_key: String,
        defaults: OfflineDefaults,
        now: DateTime<Utc>,
    ) -> Result<NewCredential, ServiceError>;
    /// Revokes every live credential of the youth's card (a lost phone);
    /// returns how many. Partners pull the revocation; offline debits
    /// scanned after it are refused at push.
    fn revoke_youth_credentials(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError>;
}

impl CredentialsRepo for SqliteStore {
    fn revoke_youth_credentials(
        &self,
        who: &Principal,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        require_role(who, Role::Youth)?;
        let account = who.account_id.clone();
        self.db.write(move |c| {
            Ok(c.exec(
                "UPDATE app_credentials SET revoked_at = ?2
                 WHERE revoked_at IS NULL AND card_id IN (SELECT id FROM cards WHERE account_id = ?1)",
                params![account, ts(now)],
            )?)
        })
    }

    fn card_qr_data(
        &self,
        who: &Principal,
        card_id: Option<&str>,
    ) -> Result<(String, u32, Season), ServiceError> {
        let (column, value) = qr_lookup(who, card_id)?;
        let etab = who.establishment_id.clone();
        self.db.read(move |c| {
            let sql = format!(
                "SELECT id, version, season, establishment_id FROM cards WHERE {column} = ?1"
            );
            let row = c
                .query_row(&sql, [value], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .optional()?;
            qr_data(row, etab.as_deref())
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
        let account = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db
            .write(move |c| register(c, &cats, &account, &device_public_key, defaults, now))
    }
}

/// Which card a QR is asked for: the youth's own, or one of the
/// établissement's by id (`(column, value)`).
pub(crate) fn qr_lookup(
    who: &Principal,
    card_id: Option<&str>,
) -> Result<(&'static str, String), ServiceError> {
    match (who.role, card_id) {
        (Role::Youth, None) => Ok(("account_id", who.account_id.clone())),
        (Role::Establishment, Some(id)) => Ok(("id", id.to_owned())),
        _ => Err(ServiceError::Forbidden),
    }
}

/// The QR material of the card found (id, version, season, établissement),
/// if the caller's établissement (when it has one) is the card's.
pub(crate) fn qr_data(
    row: Option<(String, i64, i64, String)>,
    etab: Option<&str>,
) -> Result<(String, u32, Season), ServiceError> {
    match row {
        Some((id, version, season, e)) if etab.is_none() || etab == Some(e.as_str()) => Ok((
            id,
            u32::try_from(version).map_err(|_| ServiceError::Internal("version".into()))?,
            i32::try_from(season)
                .ok()
                .and_then(|y| Season::starting(y).ok())
                .ok_or_else(|| ServiceError::Internal("season".into()))?,
        )),
        _ => Err(ServiceError::NotFound("Carte")),
    }
}

/// The storage of a credential's registration. SQL only; on PostgreSQL the
/// card's row is locked by `holder_card` (one live credential per card).
pub(crate) trait CredentialTx {
    /// The card of a youth account (locked until the end of the transaction
    /// where the engine has row locks).
    fn holder_card(&self, account_id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// Whether the card is flagged (an anomaly under review).
    fn flagged(&self, card_id: &str) -> Result<bool, ServiceError>;
    /// The running totals of a card × season × avantage.
    fn totals(&self, card_id: &str, season: Season, avantage: &str)
    -> Result<Totals, ServiceError>;
    /// Revokes every live credential of the card.
    fn revoke_live(&self, card_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Stores a credential.
    fn insert_credential(
        &self,
        cred: &NewCredential,
        device_public_key: &str,
    ) -> Result<(), ServiceError>;
}

/// Records an app credential for the youth's usable, unflagged card, with
/// the offline limits of `defaults` capped by its credit; earlier live
/// credentials are revoked.
pub(crate) fn register(
    tx: &dyn CredentialTx,
    cats: &crate::platform::catalogues::Catalogues,
    account_id: &str,
    device_public_key: &str,
    defaults: OfflineDefaults,
    now: DateTime<Utc>,
) -> Result<NewCredential, ServiceError> {
    let card = tx
        .holder_card(account_id)?
        .ok_or(ServiceError::NotFound("Carte"))?;
    CardState {
        status: card.status,
        season: card.season,
    }
    .check_usable(region_date(now))?;
    if tx.flagged(&card.id)? {
        return Err(ServiceError::Debits(DebitsError::CardFlagged));
    }
    // The offline allowance never exceeds what the card holds in euros.
    let mut credit = 0i64;
    if let Some(cat) = cats.get(card.season) {
        for a in cat
            .avantages
            .iter()
            .filter(|a| a.kind == AvantageKind::Credit)
        {
            credit += tx.totals(&card.id, card.season, &a.code)?.balance();
        }
    }
    let allowance = defaults.allowance_cents.min(credit).max(0);
    let cred = NewCredential {
        credential_id: uuid::Uuid::new_v4().to_string(),
        card_id: card.id.clone(),
        allowance_cents: allowance,
        per_transaction_max_cents: defaults.per_transaction_max_cents.min(allowance),
        max_count: defaults.max_count,
        issued_at: now,
        expires_at: now + defaults.validity,
    };
    // At most one live credential per card: a new device (or a new
    // credential on the same one) revokes the earlier ones; partners
    // pull the revocation, and offline debits scanned after it are
    // refused at push (sync::service, core::settlement).
    tx.revoke_live(&card.id, now)?;
    tx.insert_credential(&cred, device_public_key)?;
    Ok(cred)
}

impl CredentialTx for rusqlite::Connection {
    fn holder_card(&self, account_id: &str) -> Result<Option<CardRow>, ServiceError> {
        card_by(self, "account_id", account_id)
    }

    fn flagged(&self, card_id: &str) -> Result<bool, ServiceError> {
        Ok(self
            .query_row(
                "SELECT 1 FROM card_flags WHERE card_id = ?1 LIMIT 1",
                [card_id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false))
    }

    fn totals(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
    ) -> Result<Totals, ServiceError> {
        totals(self, card_id, season, avantage)
    }

    fn revoke_live(&self, card_id: &str, now: DateTime<Utc>) -> Result<(), ServiceError> {
        self.exec(
            "UPDATE app_credentials SET revoked_at = ?2 WHERE card_id = ?1 AND revoked_at IS NULL",
            params![card_id, ts(now)],
        )?;
        Ok(())
    }

    fn insert_credential(
        &self,
        cred: &NewCredential,
        device_public_key: &str,
    ) -> Result<(), ServiceError> {
        self.exec(
            "INSERT INTO app_credentials (id, card_id, device_public_key, allowance_cents, per_tx_max_cents,
             max_count, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                cred.credential_id,
                cred.card_id,
                device_public_key,
                cred.allowance_cents,
                cred.per_transaction_max_cents,
                cred.max_count,
                ts(cred.issued_at),
                ts(cred.expires_at)
            ],
        )?;
        Ok(())
    }
}

/// Issues an app credential to a youth's device: checks the device key,
/// records the credential with the offline limits of `defaults` (capped by
/// the card's credit), and signs its claims with the issuer key.
pub fn issue(
    store: &dyn CredentialsRepo,
    keys: &crate::platform::keys::ServerKeys,
    who: &Principal,
    req: &crate::cards::model::CredentialRequest,
    defaults: OfflineDefaults,
    now: DateTime<Utc>,
) -> Result<crate::cards::model::CredentialResponse, ServiceError> {
    use passregion_core::credential::{
        AppCredential, AppCredentialClaims, OfflineLimits, PublicKey,
    };
    let device_key = PublicKey::from_base64(req.device_public_key.trim()).map_err(|_| {
        ServiceError::Invalid {
            field: "device_public_key",
            message: "Clé publique de l'appareil invalide (Ed25519, 32 octets en base64url)."
                .into(),
        }
    })?;
    let cred = store.register_credential(who, device_key.to_base64(), defaults, now)?;
    let id = |s: &str| uuid::Uuid::parse_str(s).map_err(|_| ServiceError::Internal("id".into()));
    let claims = AppCredentialClaims {
        credential_id: id(&cred.credential_id)?,
        card_id: id(&cred.card_id)?,
        device_key,
        limits: OfflineLimits {
            allowance_cents: u32::try_from(cred.allowance_cents).unwrap_or(0),
            per_transaction_max_cents: u32::try_from(cred.per_transaction_max_cents).unwrap_or(0),
            max_count: cred.max_count,
        },
        issued_at: cred.issued_at,
        expires_at: cred.expires_at,
    };
    let signed = AppCredential::issue(&keys.issuer(), &claims)
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let money = |c: i64| passregion_core::Money::from_cents(c).unwrap_or_default();
    Ok(crate::cards::model::CredentialResponse {
        credential: signed.to_base64(),
        credential_id: cred.credential_id,
        card_id: cred.card_id,
        allowance: money(cred.allowance_cents),
        per_transaction_max: money(cred.per_transaction_max_cents),
        max_count: cred.max_count,
        issued_at: cred.issued_at,
        expires_at: cred.expires_at,
        server_time: now,
    })
}
