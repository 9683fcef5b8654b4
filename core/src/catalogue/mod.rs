//! The avantage catalogue: data, not code. One TOML file per season lists the
//! avantages, what each public or track receives, whether the amount is doubled
//! for disabled youths and which partner categories may debit it.
//!
//! A file is parsed, then validated; any problem is reported with the line and
//! the field (`line 12, avantages[1].amount: …`).

use std::fmt;

use serde::Serialize;

mod validate;

use crate::debit::{AvantageKind, Quantity};
use crate::money::Money;
use crate::public::{PartnerCategory, Profile, Public, Track};
use crate::season::Season;

/// The catalogues shipped with the project, one per season (see `core/data/`).
pub const BUILTIN_CATALOGUES: &[(&str, &str)] = &[
    (
        "catalogue-2026-2027.toml",
        include_str!("../../data/catalogue-2026-2027.toml"),
    ),
    (
        "catalogue-2027-2028.toml",
        include_str!("../../data/catalogue-2027-2028.toml"),
    ),
];

/// Largest catalogue file accepted.
const MAX_FILE_LEN: usize = 256 * 1024;
/// Largest number of entries in one avantage.
const MAX_ENTRIES: u32 = 100;

/// Why a catalogue file was refused. Every variant names where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// Not valid TOML, or a field of the wrong type or name.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A rule of the catalogue is broken.
    #[error("line {line}, {field}: {message}")]
    Invalid {
        /// 1-based line of the offending value or table.
        line: usize,
        /// Path of the field, e.g. `avantages[2].amount`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The file is larger than any real catalogue.
    #[error("catalogue file too large")]
    TooLarge,
}

/// A per-public or per-track amount that replaces the avantage's base amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    /// Applies to this public only (any when absent).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub public: Option<Public>,
    /// Applies to this track only (any when absent).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub track: Option<Track>,
    /// What the youth receives.
    pub quantity: Quantity,
}

/// One avantage of a season.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Avantage {
    /// Stable code (`lecture_loisir`).
    pub code: String,
    /// French label shown to people.
    pub label: String,
    /// French description.
    pub description: String,
    /// Euros or entries.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: AvantageKind,
    /// What a youth receives when no rule matches (none: only rules give it).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub base: Option<Quantity>,
    /// For an entries avantage: what the Region reimburses the partner per entry.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required))]
    pub entry_value: Option<Money>,
    /// Amount doubled for youths with a recognised disability.
    pub doubled_for_disability: bool,
    /// Partner categories that may debit it.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub categories: Vec<PartnerCategory>,
    /// Publics that receive it.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub publics: Vec<Public>,
    /// Tracks that receive it (all when absent).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>, required))]
    pub tracks: Option<Vec<Track>>,
    /// Per-public or per-track amounts, first match wins.
    pub rules: Vec<Rule>,
}

impl Avantage {
    /// What a youth with this profile receives, if anything.
    pub fn entitlement(&self, profile: &Profile) -> Option<Quantity> {
        if !self.publics.contains(&profile.public) {
            return None;
        }
        if let Some(tracks) = &self.tracks
            && !profile.track.is_some_and(|t| tracks.contains(&t))
        {
            return None;
        }
        let matching = self.rules.iter().find(|r| {
            r.public.is_none_or(|p| p == profile.public)
                && r.track.is_none_or(|t| Some(t) == profile.track)
        });
        let q = matching.map(|r| r.quantity).or(self.base)?;
        if profile.disabled && self.doubled_for_disability {
            // Validation guarantees the doubled amount is representable.
            Some(double(q).unwrap_or(q))
        } else {
            Some(q)
        }
    }

    /// The euro value the Region reimburses for a debited quantity: the amount
    /// itself for a credit, entries × entry value for entries.
    pub fn reimbursed_value(&self, q: Quantity) -> Money {
        match q {
            Quantity::Credit { amount } => amount,
            Quantity::Entries { count } => self
                .entry_value
                .and_then(|v| v.checked_mul(count).ok())
                .unwrap_or(Money::ZERO),
        }
    }

    /// The most any youth receives of this avantage in the season: the
    /// largest of the base and the rules, doubled where a disability doubles
    /// it (none: the avantage gives nothing). A price per youth above it can
    /// never be a real price for one youth (collective bookings cap on it).
    pub fn max_entitlement(&self) -> Option<Quantity> {
        let most = self
            .rules
            .iter()
            .map(|r| r.quantity)
            .chain(self.base)
            .max_by_key(|q| q.units())?;
        if self.doubled_for_disability {
            Some(double(most).unwrap_or(most))
        } else {
            Some(most)
        }
    }

    /// Whether a partner of this category may debit this avantage.
    pub fn allows(&self, category: PartnerCategory) -> bool {
        self.categories.contains(&category)
    }
}

fn double(q: Quantity) -> Option<Quantity> {
    match q {
        Quantity::Credit { amount } => amount
            .checked_mul(2)
            .ok()
            .map(|amount| Quantity::Credit { amount }),
        Quantity::Entries { count } => count
            .checked_mul(2)
            .map(|count| Quantity::Entries { count }),
    }
}

/// What one youth receives for one avantage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entitlement {
    /// Avantage code.
    pub code: String,
    /// Quantity loaded on the card.
    pub quantity: Quantity,
}

/// A validated catalogue for one season.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalogue {
    /// The season it applies to.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-2027"))]
    pub season: Season,
    /// Its avantages, in file order.
    pub avantages: Vec<Avantage>,
}

impl Catalogue {
    /// Parses and validates a catalogue file.
    pub fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        if text.len() > MAX_FILE_LEN {
            return Err(CatalogueError::TooLarge);
        }
        validate::parse(text)
    }

    /// The built-in catalogues, validated.
    pub fn builtin() -> Result<Vec<Catalogue>, (String, CatalogueError)> {
        BUILTIN_CATALOGUES
            .iter()
            .map(|(name, text)| Catalogue::parse(text).map_err(|e| ((*name).to_owned(), e)))
            .collect()
    }

    /// An avantage by code.
    pub fn avantage(&self, code: &str) -> Option<&Avantage> {
        self.avantages.iter().find(|a| a.code == code)
    }

    /// Everything a youth with this profile receives this season.
    pub fn entitlements(&self, profile: &Profile) -> Vec<Entitlement> {
        self.avantages
            .iter()
            .filter_map(|a| {
                a.entitlement(profile).map(|quantity| Entitlement {
                    code: a.code.clone(),
                    quantity,
                })
            })
            .collect()
    }
}

impl fmt::Display for Catalogue {
    /// A French, human-readable listing (used by the CLI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Catalogue des avantages, saison {}", self.season)?;
        for a in &self.avantages {
            let base = match a.base {
                Some(q) => describe(q),
                None => "selon le public".to_owned(),
            };
            let cats: Vec<&str> = a.categories.iter().map(|c| c.label_fr()).collect();
            write!(f, "- {} : {} ({})", a.label, base, cats.join(", "))?;
            if a.doubled_for_disability {
                write!(f, ", doublé en situation de handicap")?;
            }
            writeln!(f)?;
            for r in &a.rules {
                let who: Vec<&str> = r
                    .public
                    .map(Public::label_fr)
                    .into_iter()
                    .chain(r.track.map(Track::label_fr))
                    .collect();
                writeln!(f, "    {} : {}", who.join(" / "), describe(r.quantity))?;
            }
        }
        Ok(())
    }
}

/// `15,00 €` or `5 entrées`.
pub fn describe(q: Quantity) -> String {
    match q {
        Quantity::Credit { amount } => amount.format_fr(),
        Quantity::Entries { count: 1 } => "1 entrée".to_owned(),
        Quantity::Entries { count } => format!("{count} entrées"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(public: Public, track: Option<Track>, disabled: bool) -> Profile {
        Profile {
            public,
            track,
            disabled,
        }
    }

    #[test]
    fn builtin_catalogues_are_valid() {
        let cats = Catalogue::builtin().unwrap();
        assert_eq!(cats[0].season.to_string(), "2026-2027");
        assert_eq!(cats[1].season.to_string(), "2027-2028");
    }

    #[test]
    fn the_most_a_youth_receives_is_the_largest_rule_doubled_for_disability() {
        let cat = &Catalogue::builtin().unwrap()[0];
        let most = |code: &str| cat.avantage(code).unwrap().max_entitlement();
        let credit = |c: i64| {
            Some(Quantity::Credit {
                amount: Money::from_cents(c).unwrap(),
            })
        };
        assert_eq!(most("spectacles"), credit(2000));
        // 70 € base, 100 € in seconde, doubled for a disability.
        assert_eq!(most("manuels_scolaires"), credit(20000));
        // Rules only: the largest (400 € in BP).
        assert_eq!(most("premier_equipement_pro"), credit(40000));
        assert_eq!(most("cinema"), Some(Quantity::Entries { count: 5 }));
    }

    #[test]
    fn entitlements_depend_on_public_track_and_disability() {
        let cat = &Catalogue::builtin().unwrap()[0];
        let get = |p: &Profile, code: &str| {
            cat.entitlements(p)
                .into_iter()
                .find(|e| e.code == code)
                .map(|e| e.quantity)
        };
        let credit = |c: i64| {
            Some(Quantity::Credit {
                amount: Money::from_cents(c).unwrap(),
            })
        };
        let seconde = profile(Public::Lyceen, Some(Track::Seconde), false);
        assert_eq!(get(&seconde, "lecture_loisir"), credit(1500));
        assert_eq!(get(&seconde, "manuels_scolaires"), credit(10000));
        assert_eq!(get(&seconde, "premier_equipement_pro"), None);
        let terminale = profile(Public::Lyceen, Some(Track::Terminale), true);
        assert_eq!(get(&terminale, "manuels_scolaires"), credit(14000));
        assert_eq!(get(&terminale, "licence_sportive"), credit(6000));
        let cap = profile(Public::Apprenti, Some(Track::Cap), false);
        assert_eq!(get(&cap, "premier_equipement_pro"), credit(15000));
        assert_eq!(get(&cap, "manuels_scolaires"), None);
        let ml = profile(Public::MissionLocale, None, false);
        assert_eq!(get(&ml, "cinema"), Some(Quantity::Entries { count: 5 }));
        let avantage = cat.avantage("lecture_loisir").unwrap();
        assert!(avantage.allows(PartnerCategory::Librairie));
        assert!(!avantage.allows(PartnerCategory::ClubSportif));
    }

    const MINIMAL: &str = r#"season = "2026-2027"

[[avantages]]
code = "lecture_loisir"
label = "Lecture loisir"
kind = "credit"
amount = "15.00"
categories = ["librairie"]
publics = ["lyceen"]
"#;

    fn broken(find: &str, replace: &str) -> CatalogueError {
        let text = MINIMAL.replace(find, replace);
        assert_ne!(text, MINIMAL, "the test must change the file");
        Catalogue::parse(&text).unwrap_err()
    }

    #[test]
    fn minimal_file_parses() {
        assert_eq!(Catalogue::parse(MINIMAL).unwrap().avantages.len(), 1);
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let e = broken("\"15.00\"", "\"15.001\"");
        assert!(
            matches!(&e, CatalogueError::Invalid { line: 7, field, .. } if field == "avantages[0].amount"),
            "{e:?}"
        );
        let e = broken("\"15.00\"", "15.0");
        assert!(
            matches!(&e, CatalogueError::Syntax { line: 7, .. }),
            "{e:?}"
        );
        let e = broken("\"librairie\"", "\"boulangerie\"");
        assert!(
            matches!(&e, CatalogueError::Syntax { line: 8, .. }),
            "{e:?}"
        );
        let e = broken("2026-2027", "2026-2028");
        assert!(
            matches!(&e, CatalogueError::Invalid { line: 1, field, .. } if field == "season"),
            "{e:?}"
        );
        let e = broken("kind = \"credit\"", "kind = \"entries\"");
        assert!(
            matches!(&e, CatalogueError::Invalid { line: 7, field, .. } if field == "avantages[0].amount"),
            "{e:?}"
        );
        let e = broken("lecture_loisir", "Lecture Loisir");
        assert!(
            matches!(&e, CatalogueError::Invalid { line: 4, field, .. } if field == "avantages[0].code"),
            "{e:?}"
        );
        let e = broken("categories = [\"librairie\"]", "categories = []");
        assert!(
            matches!(&e, CatalogueError::Invalid { line: 8, field, .. } if field == "avantages[0].categories"),
            "{e:?}"
        );
        let e = broken(
            "publics = [\"lyceen\"]",
            "publics = [\"lyceen\"]\ncolour = \"red\"",
        );
        assert!(
            matches!(&e, CatalogueError::Syntax { line: 10, .. }),
            "{e:?}"
        );
        let e = broken("amount = \"15.00\"", "amount = \"-3\"");
        assert!(
            matches!(&e, CatalogueError::Invalid { line: 7, .. }),
            "{e:?}"
        );
        let e = broken("[[avantages]]", "[[avantages]");
        assert!(
            matches!(&e, CatalogueError::Syntax { line: 3, .. }),
            "{e:?}"
        );
        let twice = format!("{MINIMAL}{}", &MINIMAL[MINIMAL.find("[[").unwrap()..]);
        let e = Catalogue::parse(&twice).unwrap_err();
        assert!(
            matches!(&e, CatalogueError::Invalid { line: 11, field, .. } if field == "avantages[1].code"),
            "{e:?}"
        );
        assert_eq!(
            Catalogue::parse(&"#".repeat(300_000)),
            Err(CatalogueError::TooLarge)
        );
    }

    #[test]
    fn rules_are_checked() {
        let with_rule =
            format!("{MINIMAL}\n[[avantages.rules]]\npublic = \"apprenti\"\namount = \"10.00\"\n");
        let e = Catalogue::parse(&with_rule).unwrap_err();
        assert!(
            matches!(&e, CatalogueError::Invalid { field, .. } if field == "avantages[0].rules[0].public"),
            "{e:?}"
        );
        let empty_rule = format!("{MINIMAL}\n[[avantages.rules]]\namount = \"10.00\"\n");
        assert!(Catalogue::parse(&empty_rule).is_err());
    }
}
