//! Importing établissement staff from a CSV file (issue 16): columns
//! `uai;email;nom;role` (`chef` or `personnel`; `head`/`staff` too), a
//! header line. Every line is checked first (the e-mail, the name, the role,
//! the établissement known); one bad line imports nothing and every bad line
//! is reported. Then each person is invited by e-mail like from the apps.

use passregion_core::status::EstablishmentRole;

use crate::establishments::import::LineError;

/// A checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// Line number in the file.
    pub line: usize,
    /// The établissement's UAI.
    pub uai: String,
    /// E-mail of the person.
    pub email: String,
    /// Name.
    pub name: String,
    /// Head or staff.
    pub role: EstablishmentRole,
}

/// Parses and checks the file's own content (the établissements are
/// checked against the database by the caller, with `known`).
pub fn parse(text: &str, known: &dyn Fn(&str) -> bool) -> Result<Vec<StaffRow>, Vec<LineError>> {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim().trim_start_matches('\u{feff}');
        if raw.is_empty() || (line == 1 && raw.to_lowercase().starts_with("uai")) {
            continue;
        }
        let sep = if raw.contains(';') { ';' } else { ',' };
        let cells: Vec<&str> = raw.split(sep).map(str::trim).collect();
        let mut bad = |message: String| errors.push(LineError { line, message });
        if cells.len() != 4 {
            bad("4 colonnes attendues : uai;email;nom;role".into());
            continue;
        }
        let uai = cells[0].to_uppercase();
        if !known(&uai) {
            bad(format!("établissement inconnu : {uai}"));
            continue;
        }
        let email = match crate::accounts::check_email("email", cells[1]) {
            Ok(e) => e,
            Err(_) => {
                bad("adresse e-mail invalide".into());
                continue;
            }
        };
        if !seen.insert(email.clone()) {
            bad("adresse e-mail en double dans le fichier".into());
            continue;
        }
        let name = cells[2];
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            bad("nom manquant (80 caractères au plus)".into());
            continue;
        }
        let role = match cells[3].to_lowercase().as_str() {
            "chef" | "head" | "chef d'établissement" => EstablishmentRole::Head,
            "personnel" | "staff" => EstablishmentRole::Staff,
            other => {
                bad(format!("rôle inconnu : {other} (chef ou personnel)"));
                continue;
            }
        };
        rows.push(StaffRow {
            line,
            uai,
            email,
            name: name.to_owned(),
            role,
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_line_is_reported() {
        let known = |u: &str| u == "0690026D";
        let text = "uai;email;nom;role\n0690026d;chef@ampere.fr;Mme Durand;chef\n0000000X;a@b.fr;A;personnel\n0690026D;pas-une-adresse;B;personnel\n0690026D;chef@ampere.fr;C;personnel\n0690026D;c@d.fr;D;directeur\n0690026D;e@f.fr;E\n";
        let errors = parse(text, &known).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7], "{errors:?}");
        let ok = parse("0690026D,cpe@ampere.fr,M. Roux,personnel\n", &known).unwrap();
        assert_eq!(ok[0].role, EstablishmentRole::Staff);
        assert_eq!(ok[0].uai, "0690026D");
    }
}
