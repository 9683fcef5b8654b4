//! The card as a debit sees it, and how it is found: a verified QR, or number + birth date with the lockout.

use crate::platform::db::Cached;

use crate::platform::sql::enum_from;

use chrono::NaiveDate;
use passregion_core::CardStatus;
use passregion_core::Profile;
use passregion_core::Public;
use passregion_core::Season;
use passregion_core::Track;
use passregion_core::card::CardNumber;
use rusqlite::Connection;
use rusqlite::OptionalExtension;

use crate::error::ServiceError;
use crate::platform::sql::parse_date;

/// Where a debit comes from.
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    /// Web form: card number + birth date.
    Web,
    /// Scanned QR code.
    Qr,
}

/// Which card, once the QR text or the number is resolved.
#[derive(Debug, Clone)]
pub enum CardRef {
    /// Card number + birth date (checked, with lockout).
    Number(CardNumber, NaiveDate),
    /// A verified QR code.
    Scanned(crate::debits::qr::ScannedCard),
    /// A printed card's verified QR (its card id) + the birth date the
    /// holder gave: checked like a typed number, with the same lockout.
    /// The version is the one the code was printed with: an earlier print
    /// of a replaced card is refused in the debit's transaction, read with
    /// the card's row.
    Printed(String, u32, NaiveDate),
}

/// A card row.
#[derive(Debug, Clone)]
pub(crate) struct CardRow {
    pub(crate) id: String,
    pub(crate) number: String,
    pub(crate) establishment_id: String,
    pub(crate) season: Season,
    pub(crate) status: CardStatus,
    pub(crate) profile: Profile,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) birth_date: NaiveDate,
    pub(crate) status_reason: Option<String>,
    /// Bumped when the card is replaced: the version its codes carry.
    pub(crate) version: u32,
}

impl CardRow {
    /// `Léa M.`: what a partner sees of the holder to check identity.
    pub(crate) fn holder(&self) -> String {
        let initial: String = self.last_name.chars().take(1).collect();
        format!("{} {}.", self.first_name, initial)
    }
}

pub(crate) const CARD_COLS: &str =
    "id, number, establishment_id, season, status, public, track, disabled,
    first_name, last_name, birth_date, status_reason, version";

pub(crate) fn card_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<CardRow, ServiceError>> {
    let season: i32 = r.get(3)?;
    let status: String = r.get(4)?;
    let public: String = r.get(5)?;
    let track: Option<String> = r.get(6)?;
    let birth: String = r.get(10)?;
    let build = || -> Result<CardRow, ServiceError> {
        Ok(CardRow {
            id: r.get(0)?,
            number: r.get(1)?,
            establishment_id: r.get(2)?,
            season: Season::starting(season)
                .map_err(|_| ServiceError::Internal("bad season".into()))?,
            status: CardStatus::from_code(&status)
                .ok_or_else(|| ServiceError::Internal("bad status".into()))?,
            profile: Profile {
                public: enum_from::<Public>(&public)?,
                track: track.as_deref().map(enum_from::<Track>).transpose()?,
                disabled: r.get::<_, i64>(7)? != 0,
            },
            first_name: r.get(8)?,
            last_name: r.get(9)?,
            birth_date: parse_date(&birth)?,
            status_reason: r.get(11)?,
            version: r.get(12)?,
        })
    };
    Ok(build())
}

pub(crate) fn card_by(
    conn: &Connection,
    column: &str,
    value: &str,
) -> Result<Option<CardRow>, ServiceError> {
    let sql = format!("SELECT {CARD_COLS} FROM cards WHERE {column} = ?1");
    conn.one(&sql, [value], card_from_row)
        .optional()?
        .transpose()
}
