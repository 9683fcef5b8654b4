//! Importing the cards of the Region's previous system with what is left on
//! them (issue 16, `import-cards`; ADR 0035). Columns (`;`, a header line):
//! `email;nom;prenom;date_naissance;uai;public;adresse;code_postal;commune`,
//! optionally `classe` (the track, as the order form has it), `handicap`
//! (`oui`/`non`) and `ancien_numero` (the old system's card number, kept for
//! support only), and one column `avantage:CODE` per avantage of the
//! current season's catalogue: the balance left, `12,50` for euros, `3` for
//! entries. Every avantage the youth's profile is entitled to needs its
//! balance (`0` when used up); a balance is not negative, has at most two
//! decimals and does not exceed what the catalogue gives that profile.
//! Each line is checked like an order (eligibility, établissement known).
//! One bad line imports nothing. The SQL is in `cards/import_repo.rs`.

use chrono::NaiveDate;
use passregion_core::debit::{AvantageKind, Quantity};
use passregion_core::public::check_eligibility;
use passregion_core::{Catalogue, Money, MoneyError, Profile, Public};

use crate::error::ServiceError;
use crate::platform::csv_import::{Cells, LineError, Seen, date, message};
use crate::platform::sql::{check_postal_code, enum_code, require_text};

/// The required columns.
pub const COLUMNS: [&str; 9] = [
    "email",
    "nom",
    "prenom",
    "date_naissance",
    "uai",
    "public",
    "adresse",
    "code_postal",
    "commune",
];

/// The prefix of a balance column.
pub const BALANCE_PREFIX: &str = "avantage:";

/// What an e-mail already is on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailState {
    /// No account.
    Free,
    /// The account of a card this import made (the line is skipped).
    Imported,
    /// Any other account (the line is an error).
    Taken,
}

/// A checked line.
#[derive(Debug, Clone)]
pub struct CardImportRow {
    /// Line number in the file.
    pub line: usize,
    /// The youth's e-mail, normalised: the line's key.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// The établissement's UAI.
    pub uai: String,
    /// Public, track, disability.
    pub profile: Profile,
    /// Postal address.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// Commune.
    pub city: String,
    /// The previous system's card number (support only).
    pub previous_number: Option<String>,
    /// The balance left per avantage (ledger units: cents or entries; 0
    /// when used up).
    pub balances: Vec<(String, AvantageKind, i64)>,
    /// Already imported by an earlier run of the file: skipped.
    pub already_imported: bool,
}

/// Parses and checks the whole file against the current season's
/// catalogue and `today`; `known_uai` and `email_state` answer from the
/// database.
pub fn parse(
    text: &str,
    catalogue: &Catalogue,
    today: NaiveDate,
    known_uai: &dyn Fn(&str) -> bool,
    email_state: &dyn Fn(&str) -> EmailState,
) -> Result<Vec<CardImportRow>, Vec<LineError>> {
    let file = crate::platform::csv_import::read(text)?;
    let cols = file.columns(COLUMNS)?;
    let mut balance_columns = Vec::new();
    for (i, h) in file.header.iter().enumerate() {
        if let Some(code) = h.strip_prefix(BALANCE_PREFIX) {
            if !catalogue.avantages.iter().any(|a| a.code == code) {
                return Err(vec![crate::platform::csv_import::line_error(
                    1,
                    &format!(
                        "avantage inconnu « {code} » (catalogue {})",
                        catalogue.season
                    ),
                )]);
            }
            balance_columns.push((code.to_owned(), i));
        }
    }
    let optional = |name| file.column(name);
    let (track_col, disabled_col, number_col) = (
        optional("classe"),
        optional("handicap"),
        optional("ancien_numero"),
    );
    let mut emails = Seen::default();
    file.check_all(|line, r| {
        let cell = |name: &str| {
            let i = COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
            r.get(cols[i])
        };
        let email = crate::accounts::check_email("email", cell("email"))
            .map_err(|_| "adresse e-mail invalide".to_owned())?;
        emails.first(&email, "adresse e-mail")?;
        let state = email_state(&email);
        if state == EmailState::Taken {
            return Err("adresse e-mail déjà utilisée par un compte".into());
        }
        let text = |field, name: &str, max| require_text(field, cell(name), max).map_err(message);
        let last_name = text("last_name", "nom", 80)?;
        let first_name = text("first_name", "prenom", 80)?;
        let birth_date = date(cell("date_naissance"), "date de naissance")?;
        let uai = cell("uai").to_uppercase();
        if !known_uai(&uai) {
            return Err(format!("établissement inconnu : {uai}"));
        }
        let profile = profile(r, cell("public"), track_col, disabled_col)?;
        check_eligibility(&profile, birth_date, today)
            .map_err(|e| message(ServiceError::from(e)))?;
        let address = text("address", "adresse", 200)?;
        let city = text("city", "commune", 80)?;
        let postal_code = check_postal_code(cell("code_postal")).map_err(message)?;
        let previous_number = r
            .optional(number_col)
            .map(|n| require_text("ancien_numero", n, 40).map_err(message))
            .transpose()?;
        let balances = balances(r, catalogue, &profile, &balance_columns)?;
        Ok(CardImportRow {
            line,
            email,
            first_name,
            last_name,
            birth_date,
            uai,
            profile,
            address,
            postal_code,
            city,
            previous_number,
            balances,
            already_imported: state == EmailState::Imported,
        })
    })
}

fn profile(
    r: &Cells<'_>,
    public: &str,
    track_col: Option<usize>,
    disabled_col: Option<usize>,
) -> Result<Profile, String> {
    let public = Public::ALL
        .into_iter()
        .find(|p| enum_code(p) == public)
        .ok_or_else(|| format!("public inconnu « {public} »"))?;
    let track = match r.optional(track_col) {
        None => None,
        Some(t) => Some(
            public
                .tracks()
                .iter()
                .copied()
                .find(|k| enum_code(k) == t)
                .ok_or_else(|| format!("classe ou diplôme inconnu « {t} » pour ce public"))?,
        ),
    };
    let disabled = match r.optional(disabled_col).map(str::to_lowercase).as_deref() {
        None | Some("non" | "0") => false,
        Some("oui" | "1") => true,
        Some(other) => return Err(format!("handicap : oui ou non (pas « {other} »)")),
    };
    Ok(Profile {
        public,
        track,
        disabled,
    })
}

/// The balance left of every avantage the profile is entitled to, each
/// within what the catalogue gives it; a balance for another avantage is
/// an error.
fn balances(
    r: &Cells<'_>,
    catalogue: &Catalogue,
    profile: &Profile,
    columns: &[(String, usize)],
) -> Result<Vec<(String, AvantageKind, i64)>, String> {
    let entitlements = catalogue.entitlements(profile);
    for (code, col) in columns {
        if !r.get(*col).is_empty() && !entitlements.iter().any(|e| &e.code == code) {
            return Err(format!("avantage {code} non prévu pour ce public"));
        }
    }
    let mut out = Vec::new();
    for e in entitlements {
        let cell = columns
            .iter()
            .find(|(code, _)| *code == e.code)
            .map(|(_, col)| r.get(*col))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("solde manquant pour l'avantage {}", e.code))?;
        let units = opening_units(cell, e.quantity).map_err(|m| format!("{} : {m}", e.code))?;
        out.push((e.code, e.quantity.kind(), units));
    }
    Ok(out)
}

/// A balance left, in ledger units: not negative, at most two decimals
/// (euros, parsed as integer cents, never a float) or a whole count
/// (entries), and at most what the catalogue gives.
pub fn opening_units(text: &str, given: Quantity) -> Result<i64, String> {
    let units = match given {
        Quantity::Credit { .. } => Money::parse(text).map(Money::cents).map_err(|e| match e {
            MoneyError::Negative => "solde négatif".to_owned(),
            MoneyError::TooManyDecimals => "deux décimales au plus".to_owned(),
            _ => format!("montant invalide « {text} »"),
        })?,
        Quantity::Entries { .. } => {
            if text.starts_with('-') {
                return Err("solde négatif".into());
            }
            text.parse::<u32>()
                .map(i64::from)
                .map_err(|_| format!("nombre d'entrées invalide « {text} »"))?
        }
    };
    if units > given.units() {
        return Err(format!(
            "solde supérieur à ce que donne l'avantage ({})",
            crate::debits::ledger::units_text(given.kind(), given.units())
        ));
    }
    Ok(units)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_balance_is_bounded_by_the_avantage() {
        let credit = Quantity::Credit {
            amount: Money::from_cents(1500).unwrap(),
        };
        assert_eq!(opening_units("12,50", credit), Ok(1250));
        assert_eq!(opening_units("15", credit), Ok(1500));
        assert_eq!(opening_units("0", credit), Ok(0));
        assert!(
            opening_units("15,01", credit)
                .unwrap_err()
                .contains("supérieur")
        );
        assert!(opening_units("-1", credit).unwrap_err().contains("négatif"));
        assert!(
            opening_units("1,255", credit)
                .unwrap_err()
                .contains("décimales")
        );
        assert!(
            opening_units("1e3", credit)
                .unwrap_err()
                .contains("invalide")
        );
        let entries = Quantity::Entries { count: 5 };
        assert_eq!(opening_units("3", entries), Ok(3));
        assert!(
            opening_units("6", entries)
                .unwrap_err()
                .contains("supérieur")
        );
        assert!(
            opening_units("-1", entries)
                .unwrap_err()
                .contains("négatif")
        );
        assert!(opening_units("2,5", entries).is_err());
    }
}
