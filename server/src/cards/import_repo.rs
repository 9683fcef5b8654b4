//! The SQL of `import-cards` (issue 16): a chunk of checked lines per
//! writer transaction. Each new line makes the youth's account (an
//! unusable password until the invitation link is followed), a validated
//! order and an active card of the current season with a new number from
//! the platform's generator, records the import (its key, the old number),
//! appends one `opening` ledger row per avantage with a balance left, and
//! stores the invitation's token. A line already imported (same key) is
//! skipped: running the same file again (or again after a failure) creates
//! nothing twice. The rules are in `cards/import.rs`.

use chrono::{DateTime, Utc};
use passregion_core::card::CardNumber;
use passregion_core::ledger::MovementKind;
use passregion_core::status::OrderStatus;
use passregion_core::{CardStatus, Season};
use rusqlite::{Connection, OptionalExtension, params};

use crate::cards::import::{CardImportRow, EmailState};
use crate::cards::service::{NewOrder, OrdersTx};
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::db::Cached;
use crate::platform::sql::{new_id, random_u64, ts};
use crate::platform::store::SqliteStore;

/// The statements of a card import, per engine (`Connection` here,
/// `PgTx` in `import_repo_pg.rs`); the rules of a chunk are
/// [`import_chunk_with`], once.
pub(crate) trait CardImportTx: OrdersTx {
    /// What the e-mail of a line already is.
    fn email_state(&self, email: &str) -> Result<EmailState, ServiceError>;
    /// The youth's account, an unusable password until the invitation.
    fn insert_youth(
        &self,
        id: &str,
        email: &str,
        password_hash: &str,
        display_name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Records the import of a card (its key, the old number).
    fn record_import(
        &self,
        card_id: &str,
        key: &str,
        season: Season,
        previous_number: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Appends one `opening` ledger row.
    fn append_opening(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
        kind: passregion_core::debit::AvantageKind,
        units: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Stores an invitation link's token hash.
    fn insert_invitation(
        &self,
        token_hash: &str,
        account_id: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

/// What the e-mail of a line already is.
pub fn email_state(store: &SqliteStore, email: &str) -> Result<EmailState, ServiceError> {
    let email = email.to_owned();
    store.db().read(move |c| c.email_state(&email))
}

impl CardImportTx for Connection {
    fn email_state(&self, email: &str) -> Result<EmailState, ServiceError> {
        let found: Option<bool> = self
            .one(
                "SELECT EXISTS (SELECT 1 FROM card_imports i JOIN cards k ON k.id = i.card_id
                   WHERE k.account_id = a.id AND i.import_key = a.email)
                 FROM accounts a WHERE a.email = ?1",
                [email],
                |r| r.get(0),
            )
            .optional()?;
        Ok(state_from(found))
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
             VALUES (?1, ?2, ?3, 'youth', ?4, ?5)",
            params![id, email, password_hash, display_name, ts(now)],
        )?;
        Ok(())
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
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![card_id, key, season.start_year(), previous_number, ts(now)],
        )?;
        Ok(())
    }

    fn append_opening(
        &self,
        card_id: &str,
        season: Season,
        avantage: &str,
        kind: passregion_core::debit::AvantageKind,
        units: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        crate::debits::ledger::append_ledger(
            self,
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
             VALUES (?1, ?2, 'invitation', ?3, ?4)",
            params![token_hash, account_id, ts(now), ts(expires_at)],
        )?;
        Ok(())
    }
}

/// The state of an e-mail from "is the account's card imported under this
/// key" (`None`: no account).
pub(crate) fn state_from(found: Option<bool>) -> EmailState {
    match found {
        None => EmailState::Free,
        Some(true) => EmailState::Imported,
        Some(false) => EmailState::Taken,
    }
}

/// A youth to invite, once its card is stored.
#[derive(Debug, Clone)]
pub struct YouthInvitation {
    /// E-mail.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// The card's new number.
    pub number: String,
    /// The link's token (mailed, stored as its hash).
    pub token: String,
}

/// Stores one chunk in one transaction (all of it or nothing); returns the
/// youths to invite (the lines not imported before).
pub fn import_chunk(
    store: &SqliteStore,
    rows: Vec<CardImportRow>,
    placeholder_hash: String,
    season: Season,
    now: DateTime<Utc>,
) -> Result<Vec<YouthInvitation>, ServiceError> {
    store
        .db()
        .write(move |c| import_chunk_with(c, &rows, &placeholder_hash, season, now))
}

/// The rules of one chunk, inside the caller's transaction: a line
/// imported before is skipped, an e-mail taken meanwhile refuses the chunk.
pub(crate) fn import_chunk_with(
    tx: &dyn CardImportTx,
    rows: &[CardImportRow],
    placeholder_hash: &str,
    season: Season,
    now: DateTime<Utc>,
) -> Result<Vec<YouthInvitation>, ServiceError> {
    let mut invited = Vec::new();
    for row in rows {
        match tx.email_state(&row.email)? {
            EmailState::Imported => continue,
            EmailState::Taken => {
                return Err(ServiceError::Invalid {
                    field: "email",
                    message: format!(
                        "ligne {} : adresse e-mail déjà utilisée par un compte",
                        row.line
                    ),
                });
            }
            EmailState::Free => {}
        }
        invited.push(import_one(tx, row.clone(), placeholder_hash, season, now)?);
    }
    Ok(invited)
}

fn import_one(
    tx: &dyn CardImportTx,
    row: CardImportRow,
    placeholder_hash: &str,
    season: Season,
    now: DateTime<Utc>,
) -> Result<YouthInvitation, ServiceError> {
    let account_id = new_id();
    tx.insert_youth(
        &account_id,
        &row.email,
        placeholder_hash,
        &format!("{} {}", row.first_name, row.last_name),
        now,
    )?;
    let order_id = new_id();
    let order = NewOrder {
        account_id: account_id.clone(),
        season,
        establishment_id: row.uai.clone(),
        profile: row.profile,
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        birth_date: row.birth_date,
        address: row.address.clone(),
        postal_code: row.postal_code.clone(),
        city: row.city.clone(),
        status: OrderStatus::Validated,
        created_at: now,
    };
    if !tx.insert_order(&order, &order_id)? {
        return Err(ServiceError::Internal("imported order refused".into()));
    }
    // A new number from the platform's generator; never the old one.
    let number = loop {
        let n = CardNumber::generate(random_u64).as_str().to_owned();
        if row.previous_number.as_deref() != Some(n.as_str()) {
            break n;
        }
    };
    let card = CardRow {
        id: uuid::Uuid::new_v4().to_string(),
        number: number.clone(),
        establishment_id: row.uai.clone(),
        season,
        status: CardStatus::Active,
        profile: row.profile,
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        birth_date: row.birth_date,
        status_reason: None,
        version: 1,
    };
    if !tx.insert_card(&card, &account_id, &order_id, now)? {
        return Err(ServiceError::Internal("imported card refused".into()));
    }
    tx.record_import(
        &card.id,
        &row.email,
        season,
        row.previous_number.as_deref(),
        now,
    )?;
    for (avantage, kind, units) in &row.balances {
        if *units > 0 {
            tx.append_opening(&card.id, season, avantage, *kind, *units, now)?;
        }
    }
    let link = crate::accounts::invitation::new_link(now);
    tx.insert_invitation(&link.token_hash, &account_id, now, link.expires_at)?;
    Ok(YouthInvitation {
        email: row.email,
        first_name: row.first_name,
        number,
        token: link.token,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cards::repo::CardsRepo;
    use crate::establishments::repo::EstablishmentsRepo;
    use crate::region::repo::RegionRepo;

    #[test]
    fn a_card_taken_over_keeps_its_balances_and_is_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(crate::platform::db::Db::open(&dir.path().join("i.db")).unwrap());
        let cats = Arc::new(crate::config::load_catalogues(&[]).unwrap());
        let store = SqliteStore::new(db, cats.clone(), crate::config::Policy::default());
        store
            .upsert_establishments(
                crate::establishments::import::parse(
                    "uai;nom;type;commune;code_postal\n0690026D;Lycée Ampère;lycee;Lyon;69002\n",
                )
                .unwrap(),
            )
            .unwrap();
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let season = Season::of_instant(now);
        let text = "email;nom;prenom;date_naissance;uai;public;classe;adresse;code_postal;commune;avantage:manuels_scolaires;avantage:lecture_loisir;avantage:licence_sportive;avantage:spectacles;avantage:cinema;avantage:chasse_peche\n\
                    zoe@exemple.fr;Martin;Zoé;2010-03-14;0690026D;lyceen;seconde;3 rue X;69003;Lyon;0;7,50;0;0;0;0\n";
        let rows = crate::cards::import::parse(
            text,
            cats.get(season).unwrap(),
            passregion_core::season::region_date(now),
            &|_| true,
            &|_| EmailState::Free,
        )
        .unwrap();
        let first = import_chunk(&store, rows.clone(), "h".into(), season, now).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(
            email_state(&store, "zoe@exemple.fr").unwrap(),
            EmailState::Imported
        );
        // The same lines again: nothing new.
        assert!(
            import_chunk(&store, rows, "h".into(), season, now)
                .unwrap()
                .is_empty()
        );
        // Neither the season's loading nor a change of the card loads the
        // avantages it had used up before.
        assert_eq!(
            store
                .load_due_seasons(now, crate::cards::service::LOADING_BATCH)
                .unwrap(),
            0
        );
        let loaded = store
            .db()
            .write(move |c| {
                let card = crate::debits::card::card_by(c, "account_id", &{
                    c.one(
                        "SELECT id FROM accounts WHERE email = 'zoe@exemple.fr'",
                        [],
                        |r| r.get::<_, String>(0),
                    )?
                })?
                .unwrap();
                crate::cards::service::load_season(c, &cats, &card, now)
            })
            .unwrap();
        assert_eq!(loaded, 0);
        let rows: Vec<(String, String, i64)> = store
            .db()
            .read(|c| {
                let mut stmt = c.prepare("SELECT movement, avantage, units FROM ledger")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap();
        assert_eq!(rows, vec![("opening".into(), "lecture_loisir".into(), 750)]);
        let check = store.check_ledger().unwrap();
        assert!(
            check.inconsistencies.is_empty() && check.orphans == 0,
            "{check:?}"
        );
    }
}
