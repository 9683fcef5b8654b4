//! Importing the partners of the Region's previous system (issue 16,
//! `import-partners`; ADR 0035). Columns (`;`, a header line):
//! `siret;raison_sociale;categorie;email;responsable;telephone;adresse;
//! code_postal;commune;iban;bic;debut_convention;fin_convention`, and
//! optionally `latitude;longitude` (the directory's pin; Lyon when absent,
//! as for a draft). Each line is checked with the rules of the online
//! application ([`crate::partners::application::apply_draft`]: SIRET key,
//! mobile phone, IBAN and BIC, postal code) and every field is required;
//! a SIRET or an e-mail twice in the file, or already known, is an error.
//! The convention must be in force today (started, not ended). One bad
//! line imports nothing. The SQL is in `partners/import_repo.rs`.

use chrono::NaiveDate;
use passregion_core::PartnerCategory;
use passregion_core::status::ConventionStatus;

use crate::partners::application::{PartnerRow, apply_draft, missing};
use crate::partners::model::ApplicationDraft;
use crate::platform::csv_import::{LineError, Seen, date, message};

/// The required columns, in the documented order.
pub const COLUMNS: [&str; 13] = [
    "siret",
    "raison_sociale",
    "categorie",
    "email",
    "responsable",
    "telephone",
    "adresse",
    "code_postal",
    "commune",
    "iban",
    "bic",
    "debut_convention",
    "fin_convention",
];

/// A checked line: the partner as it will be stored (validated), its
/// convention's dates and its manager.
#[derive(Debug, Clone)]
pub struct PartnerImportRow {
    /// Line number in the file.
    pub line: usize,
    /// The partner (its id new).
    pub(crate) partner: PartnerRow,
    /// First day of the convention.
    pub starts_on: NaiveDate,
    /// Last day of the convention.
    pub ends_on: NaiveDate,
    /// The manager's e-mail, normalised.
    pub manager_email: String,
    /// The manager's name.
    pub manager_name: String,
}

/// Parses and checks the whole file against `today`; `known_siret` and
/// `taken_email` answer from the database.
pub fn parse(
    text: &str,
    today: NaiveDate,
    known_siret: &dyn Fn(&str) -> bool,
    taken_email: &dyn Fn(&str) -> bool,
) -> Result<Vec<PartnerImportRow>, Vec<LineError>> {
    let file = crate::platform::csv_import::read(text)?;
    let cols = file.columns(COLUMNS)?;
    let (lat, lon) = (file.column("latitude"), file.column("longitude"));
    let (mut sirets, mut emails) = (Seen::default(), Seen::default());
    file.check_all(|line, r| {
        let cell = |name: &str| {
            let i = COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
            r.get(cols[i]).to_owned()
        };
        let coordinate = |c: Option<usize>| -> Result<Option<f64>, String> {
            r.optional(c)
                .map(|v| {
                    v.replace(',', ".")
                        .parse::<f64>()
                        .map_err(|_| "latitude ou longitude invalide".to_owned())
                })
                .transpose()
        };
        let category = PartnerCategory::ALL
            .into_iter()
            .find(|c| c.code() == cell("categorie"))
            .ok_or_else(|| {
                let codes: Vec<&str> = PartnerCategory::ALL.iter().map(|c| c.code()).collect();
                format!(
                    "catégorie inconnue « {} » (attendu : {})",
                    cell("categorie"),
                    codes.join(", ")
                )
            })?;
        let draft = ApplicationDraft {
            name: Some(cell("raison_sociale")),
            category: Some(category),
            siret: Some(cell("siret")),
            address: Some(cell("adresse")),
            city: Some(cell("commune")),
            postal_code: Some(cell("code_postal")),
            latitude: coordinate(lat)?,
            longitude: coordinate(lon)?,
            contact_name: Some(cell("responsable")),
            phone: Some(cell("telephone")),
            iban: Some(cell("iban")),
            bic: Some(cell("bic")),
        };
        let mut partner = PartnerRow::blank(crate::platform::sql::new_id(), category);
        apply_draft(&mut partner, &draft).map_err(message)?;
        if let Some(first) = missing(&partner, &[], &[]).first() {
            return Err(format!("{first} manque"));
        }
        let siret = partner.siret.clone().unwrap_or_default();
        sirets.first(&siret, "SIRET")?;
        if known_siret(&siret) {
            return Err(format!("SIRET {siret} déjà connu de la plateforme"));
        }
        let (manager_email, manager_name) =
            crate::accounts::invitation::check_person(&cell("email"), &cell("responsable"))
                .map_err(message)?;
        emails.first(&manager_email, "adresse e-mail")?;
        if taken_email(&manager_email) {
            return Err("adresse e-mail déjà utilisée par un compte".into());
        }
        let starts_on = date(&cell("debut_convention"), "date de début de convention")?;
        let ends_on = date(&cell("fin_convention"), "date de fin de convention")?;
        if starts_on > today {
            return Err("la convention doit avoir commencé (début dans le futur)".into());
        }
        if ends_on < today || ends_on < starts_on {
            return Err("la convention est déjà terminée (fin passée)".into());
        }
        partner.status = ConventionStatus::Validated;
        partner.convention_ends_on = Some(ends_on);
        Ok(PartnerImportRow {
            line,
            partner,
            starts_on,
            ends_on,
            manager_email,
            manager_name,
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HEADER: &str = "siret;raison_sociale;categorie;email;responsable;telephone;adresse;code_postal;commune;iban;bic;debut_convention;fin_convention\n";
    const GOOD: &str = "73282932000074;Librairie du Parc;librairie;gerant@parc.example;Mme Blanc;06 12 34 56 78;3 rue du Parc;69006;Lyon;FR7630006000011234567890189;AGRIFRPP;2025-09-01;2027-05-31\n";

    fn day() -> NaiveDate {
        "2026-10-15".parse().unwrap()
    }

    #[test]
    fn a_good_line_is_a_validated_partner_in_force() {
        let rows = parse(&format!("{HEADER}{GOOD}"), day(), &|_| false, &|_| false).unwrap();
        let p = &rows[0].partner;
        assert_eq!(p.siret.as_deref(), Some("73282932000074"));
        assert_eq!(p.phone.as_deref(), Some("+33612345678"));
        assert_eq!(
            passregion_core::application::standing(p.convention_facts(), day()),
            passregion_core::application::Standing::InForce
        );
        assert_eq!(rows[0].manager_email, "gerant@parc.example");
    }

    #[test]
    fn every_rule_of_the_application_refuses_its_line() {
        let bad = [
            GOOD.replace("73282932000074", "73282932000075"), // SIRET key
            GOOD.replace("librairie;", "boulangerie;"),       // category
            GOOD.replace("06 12 34 56 78", "04 78 00 00 00"), // not a mobile
            GOOD.replace("0189", "0188"),                     // IBAN key
            GOOD.replace("AGRIFRPP", "AGRIDEPP"),             // BIC of another country
            GOOD.replace("69006", "6906"),                    // postal code
            GOOD.replace("2025-09-01", "2026-11-01"),         // not started
            GOOD.replace("2027-05-31", "2026-10-14"),         // already ended
            GOOD.replace("gerant@parc.example", "gerant"),    // e-mail
            GOOD.to_owned(),                                  // SIRET twice
        ];
        let text = format!("{HEADER}{GOOD}{}", bad.concat());
        let errors = parse(&text, day(), &|_| false, &|_| false).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, (3..=12).collect::<Vec<_>>(), "{errors:?}");
        assert!(errors[0].message.contains("SIRET"), "{errors:?}");
        assert!(errors[9].message.contains("en double"), "{errors:?}");
        let known = parse(&format!("{HEADER}{GOOD}"), day(), &|_| true, &|_| false).unwrap_err();
        assert!(known[0].message.contains("déjà connu"));
        let taken = parse(&format!("{HEADER}{GOOD}"), day(), &|_| false, &|_| true).unwrap_err();
        assert!(taken[0].message.contains("déjà utilisée"));
    }
}
