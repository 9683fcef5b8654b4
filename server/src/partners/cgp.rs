//! The Conditions Générales de Partenariat: the version a fresh install
//! publishes (`server/cgp/2026-06.txt`), and the checks of a new version.

use chrono::{DateTime, Utc};
use passregion_core::season::region_date;

use crate::error::ServiceError;
use crate::partners::model::Cgp;
use crate::platform::sql::require_text;

/// The first CGP version, published at the first start when none is: its
/// conventions end with the season of that start (31 May).
pub fn default_cgp(now: DateTime<Utc>) -> Cgp {
    Cgp {
        version: "2026-06".into(),
        title: "Conditions Générales de Partenariat PASS'Région".into(),
        body: include_str!("../../cgp/2026-06.txt").trim().to_owned(),
        convention_ends_on: passregion_core::Season::of_instant(now).last_day(),
    }
}

/// Checks a version the Region publishes: a short version label, a title,
/// a text, and a term not already past.
pub(crate) fn check(c: Cgp, now: DateTime<Utc>) -> Result<Cgp, ServiceError> {
    let version = require_text("version", &c.version, 20)?;
    if !version
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.')
    {
        return Err(ServiceError::Invalid {
            field: "version",
            message: "La version s'écrit avec des chiffres, des lettres, des points ou des tirets."
                .into(),
        });
    }
    let title = require_text("title", &c.title, 200)?;
    let body = c.body.trim().to_owned();
    if body.is_empty() || body.chars().count() > 100_000 {
        return Err(ServiceError::Invalid {
            field: "body",
            message: "Le texte des CGP est obligatoire (100 000 caractères au plus).".into(),
        });
    }
    if c.convention_ends_on <= region_date(now) {
        return Err(ServiceError::Invalid {
            field: "convention_ends_on",
            message: "Le terme des conventions doit être dans le futur.".into(),
        });
    }
    Ok(Cgp {
        version,
        title,
        body,
        convention_ends_on: c.convention_ends_on,
    })
}
