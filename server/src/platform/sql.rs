//! Small SQL helpers shared by every repository: timestamps, enum codes, ids, row mapping, hashing, text fields.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use rusqlite::Connection;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;

use crate::error::ServiceError;

/// Instants are stored as fixed-width RFC 3339 text, so text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>, ServiceError> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| ServiceError::Internal("bad stored timestamp".into()))
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ServiceError::Internal("bad stored date".into()))
}

pub(crate) fn enum_code<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn enum_from<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, ServiceError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| ServiceError::Internal("bad stored code".into()))
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn random_u64() -> u64 {
    rand::random()
}

/// Maps a row to a value, or to the reason its stored data is unreadable.
pub(crate) type FromRow<T> = fn(&rusqlite::Row<'_>) -> rusqlite::Result<Result<T, ServiceError>>;

/// Runs a query through the statement cache and maps every row.
pub(crate) fn select_all<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
    from_row: FromRow<T>,
) -> Result<Vec<T>, ServiceError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

pub(crate) fn require_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, ServiceError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field,
            message: format!("Le champ « {field} » est obligatoire ({max} caractères au plus)."),
        });
    }
    Ok(v.to_owned())
}

/// Checks a French postal code (5 digits); returns it trimmed.
pub(crate) fn check_postal_code(value: &str) -> Result<String, ServiceError> {
    let postal = value.trim();
    if postal.len() != 5 || !postal.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServiceError::Invalid {
            field: "postal_code",
            message: "Le code postal comporte 5 chiffres.".into(),
        });
    }
    Ok(postal.to_owned())
}

/// SHA-256 in lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
