//! The card and youth look-up for support: how a query is read (a card
//! number, an e-mail, part of a name, or a card id from the desk's links),
//! what a look-up shows (the card, its holder, balances and ledger), and its
//! audit: who looked, when, the kind of query and its keyed hash (never its
//! text), and which cards were shown. The SQL is in `desk_repo.rs`.

use chrono::{DateTime, Utc};
use passregion_core::card::CARD_NUMBER_LEN;

use crate::cards::model::Balance;
use crate::debits::card::CardRow;
use crate::error::ServiceError;
use crate::platform::catalogues::Catalogues;
use crate::region::model::{LedgerLine, LookupAuditEntry, LookupCard, LookupResult};
use crate::region::{LOOKUP_MAX_RESULTS, LOOKUP_MIN_CHARS};

/// A query, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupKey {
    /// 16 digits (spaces allowed): the card number.
    Number(String),
    /// Contains `@`: the holder's e-mail (exact, any case).
    Email(String),
    /// Anything else: part of the holder's first and last names.
    Name(String),
    /// A card id (links from the desk).
    CardId(String),
}

impl LookupKey {
    /// Reads `?q=` or `?card_id=`.
    pub fn read(q: Option<&str>, card_id: Option<&str>) -> Result<LookupKey, ServiceError> {
        let invalid = |message: &str| ServiceError::Invalid {
            field: "q",
            message: message.to_owned(),
        };
        match (q.map(str::trim).filter(|s| !s.is_empty()), card_id) {
            (None, Some(id)) => {
                let id = id.trim();
                if id.is_empty()
                    || id.len() > 64
                    || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                {
                    return Err(invalid("Identifiant de carte invalide."));
                }
                Ok(LookupKey::CardId(id.to_ascii_lowercase()))
            }
            (Some(q), None) => {
                if q.chars().count() > 200 || q.chars().any(char::is_control) {
                    return Err(invalid("La recherche est trop longue."));
                }
                let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
                if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                    if digits.len() != CARD_NUMBER_LEN {
                        return Err(invalid("Un numéro de carte a 16 chiffres."));
                    }
                    return Ok(LookupKey::Number(digits));
                }
                if q.contains('@') {
                    return Ok(LookupKey::Email(q.to_lowercase()));
                }
                let name = q
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                if name.chars().count() < LOOKUP_MIN_CHARS {
                    return Err(invalid("Indiquez au moins 3 lettres du nom."));
                }
                Ok(LookupKey::Name(name))
            }
            _ => Err(invalid(
                "Indiquez un numéro de carte, une adresse e-mail ou un nom.",
            )),
        }
    }

    /// The audit's code of the kind of query.
    pub fn kind(&self) -> &'static str {
        match self {
            LookupKey::Number(_) => "numero_carte",
            LookupKey::Email(_) => "email",
            LookupKey::Name(_) => "nom",
            LookupKey::CardId(_) => "identifiant_carte",
        }
    }

    /// The normalised text (hashed for the audit, never stored).
    pub fn text(&self) -> &str {
        match self {
            LookupKey::Number(s)
            | LookupKey::Email(s)
            | LookupKey::Name(s)
            | LookupKey::CardId(s) => s,
        }
    }
}

/// The keyed hash the audit keeps of a query: SHA-256 of the key (made at
/// migration, kept in the database), the kind and the normalised text. The
/// same query gives the same hash, so an auditor holding the key can tell
/// whether a given query was made; the audit alone gives the text away to no
/// one (a plain hash of a card number or an e-mail could be guessed).
pub fn query_hash(key: &str, q: &LookupKey) -> String {
    let material = format!("{key}\u{0}{}\u{0}{}", q.kind(), q.text());
    crate::platform::sql::sha256_hex(material.as_bytes())
}

/// A card's holder as support sees it.
#[derive(Debug, Clone)]
pub(crate) struct SupportHolder {
    pub(crate) email: String,
    pub(crate) account_id: String,
    pub(crate) establishment_name: String,
    /// The card has an overspend flag.
    pub(crate) flagged: bool,
}

/// A ledger row as read: id, instant, season, avantage, unit kind,
/// movement, units, balance after, transaction, partner's name, channel.
pub(crate) type LedgerRow = (
    i64,
    String,
    i32,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// What a look-up reads (SQL only; `desk_repo.rs`, `desk_pg.rs`).
pub(crate) trait LookupTx {
    /// The audit key.
    fn audit_key(&self) -> Result<String, ServiceError>;
    /// The ids of the cards matching, at most `limit` (names: by last and
    /// first name).
    fn matching_cards(&self, key: &LookupKey, limit: usize) -> Result<Vec<String>, ServiceError>;
    /// A card.
    fn card(&self, card_id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// The card's holder, établissement and flag.
    fn holder(&self, card_id: &str) -> Result<SupportHolder, ServiceError>;
    /// The card's balances.
    fn balances(&self, cats: &Catalogues, card: &CardRow) -> Result<Vec<Balance>, ServiceError>;
    /// The card's ledger rows, newest first, at most `limit`.
    fn ledger_rows(&self, card_id: &str, limit: i64) -> Result<Vec<LedgerRow>, ServiceError>;
}

/// A card with its holder, balances and ledger (newest first, at most
/// `LOOKUP_LEDGER_MAX` lines).
pub(crate) fn card_for_support(
    tx: &dyn LookupTx,
    cats: &Catalogues,
    card_id: &str,
) -> Result<Option<LookupCard>, ServiceError> {
    let Some(row) = tx.card(card_id)? else {
        return Ok(None);
    };
    let holder = tx.holder(card_id)?;
    let balances = tx.balances(cats, &row)?;
    let max = crate::region::LOOKUP_LEDGER_MAX;
    let mut ledger = tx
        .ledger_rows(card_id, max + 1)?
        .into_iter()
        .map(|r| ledger_line(cats, r))
        .collect::<Result<Vec<_>, _>>()?;
    let ledger_truncated = ledger.len() as i64 > max;
    ledger.truncate(usize::try_from(max).unwrap_or(usize::MAX));
    Ok(Some(LookupCard {
        card_id: row.id,
        number: row.number,
        status: row.status,
        status_reason: row.status_reason,
        season: row.season.to_string(),
        first_name: row.first_name,
        last_name: row.last_name,
        birth_date: row.birth_date,
        email: holder.email,
        account_id: holder.account_id,
        establishment_id: row.establishment_id,
        establishment_name: holder.establishment_name,
        flagged: holder.flagged,
        balances,
        ledger,
        ledger_truncated,
    }))
}

fn ledger_line(cats: &Catalogues, row: LedgerRow) -> Result<LedgerLine, ServiceError> {
    use crate::debits::ledger::{kind_from, units_text};
    let (id, at, season, avantage, kind, movement, units, left, tx, partner, channel) = row;
    let kind = kind_from(&kind)?;
    let season = passregion_core::Season::starting(season)
        .map_err(|_| ServiceError::Internal("bad season".into()))?;
    let label = cats
        .get(season)
        .and_then(|c| c.avantage(&avantage))
        .map_or_else(|| avantage.clone(), |a| a.label.clone());
    Ok(LedgerLine {
        id,
        at: crate::platform::sql::parse_ts(&at)?,
        season: season.to_string(),
        avantage,
        avantage_label: label,
        unit_kind: kind,
        movement,
        units: units_text(kind, units),
        balance_after: units_text(kind, left),
        transaction_id: tx,
        partner_name: partner,
        channel,
    })
}

/// What an audit writes (SQL only; `desk_repo.rs`).
pub(crate) trait AuditTx {
    /// Appends one audit entry.
    fn append_audit(
        &self,
        account_id: &str,
        at: DateTime<Utc>,
        kind: &str,
        query_hash: &str,
        card_ids: &[String],
    ) -> Result<(), ServiceError>;
}

/// Finds the cards of a query (reader): at most [`LOOKUP_MAX_RESULTS`].
/// Returns the result and the query's keyed hash for the audit.
pub(crate) fn find(
    tx: &dyn LookupTx,
    cats: &Catalogues,
    key: &LookupKey,
) -> Result<(LookupResult, String), ServiceError> {
    let hash = query_hash(&tx.audit_key()?, key);
    let mut ids = tx.matching_cards(key, LOOKUP_MAX_RESULTS + 1)?;
    let truncated = ids.len() > LOOKUP_MAX_RESULTS;
    ids.truncate(LOOKUP_MAX_RESULTS);
    let mut cards = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(card) = card_for_support(tx, cats, id)? {
            cards.push(card);
        }
    }
    Ok((
        LookupResult {
            kind: key.kind().to_owned(),
            cards,
            truncated,
        },
        hash,
    ))
}

/// Audits a look-up (writer), before its result is given: a look-up whose
/// audit fails shows nothing.
pub(crate) fn audit(
    tx: &dyn AuditTx,
    account_id: &str,
    key: &LookupKey,
    hash: &str,
    result: &LookupResult,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let ids: Vec<String> = result.cards.iter().map(|c| c.card_id.clone()).collect();
    tx.append_audit(account_id, now, key.kind(), hash, &ids)
}

/// Keeps only well-formed audit entries' card lists (stored as JSON).
pub(crate) fn card_ids_from_json(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// An audit entry from its columns.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_entry(
    id: i64,
    at: DateTime<Utc>,
    account_id: String,
    account_name: String,
    query_kind: String,
    query_hash: String,
    results: i64,
    card_ids: &str,
) -> LookupAuditEntry {
    LookupAuditEntry {
        id,
        at,
        account_id,
        account_name,
        query_kind,
        query_hash,
        results,
        card_ids: card_ids_from_json(card_ids),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_read_by_their_shape() {
        let read = |q: &str| LookupKey::read(Some(q), None);
        assert_eq!(
            read("4970 1234 5678 9012").unwrap(),
            LookupKey::Number("4970123456789012".into())
        );
        assert!(read("4970 1234").is_err(), "a partial number is refused");
        assert_eq!(
            read(" Lea@Example.ORG ").unwrap(),
            LookupKey::Email("lea@example.org".into())
        );
        assert_eq!(
            read("  Léa   Martin ").unwrap(),
            LookupKey::Name("léa martin".into())
        );
        // Too short a name would list half the region.
        assert!(read("Lé").is_err());
        assert!(read("Léa").is_ok());
        assert!(read(&"a".repeat(201)).is_err());
        assert!(LookupKey::read(None, None).is_err());
        assert!(
            LookupKey::read(Some("x"), Some("y")).is_err(),
            "one or the other"
        );
        assert!(LookupKey::read(None, Some("'; DROP TABLE cards")).is_err());
        assert_eq!(
            LookupKey::read(None, Some("0195-ABC")).unwrap(),
            LookupKey::CardId("0195-abc".into())
        );
    }

    #[test]
    fn the_audit_hash_is_keyed_and_says_nothing_without_the_key() {
        let q = LookupKey::Email("lea@example.org".into());
        let a = query_hash("key-a", &q);
        assert_eq!(a, query_hash("key-a", &q), "the same query, the same hash");
        assert_ne!(a, query_hash("key-b", &q), "another key, another hash");
        assert_ne!(
            a,
            crate::platform::sql::sha256_hex(b"lea@example.org"),
            "not the plain hash of the text"
        );
        assert!(!a.contains("lea"));
        assert_ne!(
            a,
            query_hash("key-a", &LookupKey::Name("lea@example.org".into()))
        );
    }
}
