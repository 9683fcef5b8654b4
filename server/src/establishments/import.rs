//! Importing établissements from the national directory's CSV (issue 16):
//! columns `uai;nom;type;commune;code_postal` (`;` or `,`, a header line).
//! Every line is checked first; one bad line imports nothing, and every bad
//! line is reported with its number. A dry run only reports.

use crate::error::ServiceError;

/// The établissement kinds (the publics of the PASS).
pub const KINDS: &[&str] = &[
    "lycee",
    "cfa",
    "mission_locale",
    "ime",
    "impro",
    "formation_sanitaire_sociale",
];

/// A checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstablishmentRow {
    /// UAI (national identifier, 7 digits and a letter): the id.
    pub uai: String,
    /// Name.
    pub name: String,
    /// Kind (one of [`KINDS`]).
    pub kind: String,
    /// Commune.
    pub city: String,
    /// Postal code (5 digits).
    pub postal_code: String,
}

pub use crate::platform::csv_import::LineError;
use crate::platform::csv_import::Seen;

/// Parses and checks the whole file: the rows, or every line's error.
pub fn parse(text: &str) -> Result<Vec<EstablishmentRow>, Vec<LineError>> {
    let file = crate::platform::csv_import::read(text)?;
    let [uai, nom, kind, city, cp] =
        file.columns(["uai", "nom", "type", "commune", "code_postal"])?;
    let mut seen = Seen::default();
    file.check_all(|_, r| {
        let get = |c: usize| r.get(c).to_owned();
        let row = check(get(uai), get(nom), get(kind), get(city), get(cp))?;
        seen.first(&row.uai, &format!("UAI {}", row.uai))?;
        Ok(row)
    })
}

fn check(
    uai: String,
    name: String,
    kind: String,
    city: String,
    postal_code: String,
) -> Result<EstablishmentRow, String> {
    let uai = uai.to_uppercase();
    let b = uai.as_bytes();
    if b.len() != 8 || !b[..7].iter().all(u8::is_ascii_digit) || !b[7].is_ascii_uppercase() {
        return Err("UAI invalide (7 chiffres et une lettre, par exemple 0690026D)".into());
    }
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err("nom manquant ou trop long (200 caractères au plus)".into());
    }
    if !KINDS.contains(&kind.as_str()) {
        return Err(format!(
            "type inconnu « {kind} » (attendu : {})",
            KINDS.join(", ")
        ));
    }
    if city.is_empty() || city.chars().count() > 100 {
        return Err("commune manquante".into());
    }
    let postal_code = crate::platform::sql::check_postal_code(&postal_code).map_err(
        |e: ServiceError| match e {
            ServiceError::Invalid { message, .. } => message,
            other => other.to_string(),
        },
    )?;
    Ok(EstablishmentRow {
        uai,
        name,
        kind,
        city,
        postal_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text = "uai;nom;type;commune;code_postal\n\
                    0690026D;Lycée Ampère;lycee;Lyon;69002\n\
                    069002;Lycée X;lycee;Lyon;69002\n\
                    0380027E;Lycée Y;ecole;Grenoble;38000\n\
                    0420001A;CFA Z;cfa;Saint-Étienne;4200\n\
                    0690026D;Doublon;lycee;Lyon;69002\n";
        let errors = parse(text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert!(errors[0].message.contains("UAI invalide"));
        assert!(errors[1].message.contains("type inconnu"));
        assert!(errors[2].message.contains("5 chiffres"));
        assert!(errors[3].message.contains("en double"));
    }

    #[test]
    fn a_good_file_parses_with_commas_or_semicolons() {
        let rows = parse(
            "UAI,Nom,Type,Commune,Code_postal\n0690026d,\"Lycée Ampère, Lyon\",lycee,Lyon,69002\n",
        )
        .unwrap();
        assert_eq!(rows[0].uai, "0690026D");
        assert_eq!(rows[0].name, "Lycée Ampère, Lyon");
        assert!(parse("nom;ville\nx;y\n").is_err());
    }
}
