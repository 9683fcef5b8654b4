//! The avantage catalogue: data, not code. One TOML file per season lists the
//! avantages, what each public or track receives, whether the amount is doubled
//! for disabled youths and which partner categories may debit it.
//!
//! A file is parsed, then validated; any problem is reported with the line and
//! the field (`line 12, avantages[1].amount: …`).

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::debit::{AvantageKind, Quantity};
use crate::money::Money;
use crate::public::{PartnerCategory, Profile, Public, Track};
use crate::season::Season;

/// The catalogues shipped with the project, one per season (see `core/data/`).
pub const BUILTIN_CATALOGUES: &[(&str, &str)] = &[
    (
        "catalogue-2026-2027.toml",
        include_str!("../data/catalogue-2026-2027.toml"),
    ),
    (
        "catalogue-2027-2028.toml",
        include_str!("../data/catalogue-2027-2028.toml"),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    season: Spanned<String>,
    avantages: Vec<Spanned<RawAvantage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAvantage {
    code: Spanned<String>,
    label: Spanned<String>,
    #[serde(default)]
    description: String,
    kind: AvantageKind,
    amount: Option<Spanned<String>>,
    entries: Option<Spanned<u32>>,
    entry_value: Option<Spanned<String>>,
    #[serde(default)]
    doubled_for_disability: bool,
    categories: Spanned<Vec<PartnerCategory>>,
    publics: Spanned<Vec<Public>>,
    tracks: Option<Spanned<Vec<Track>>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    public: Option<Public>,
    track: Option<Track>,
    amount: Option<Spanned<String>>,
    entries: Option<Spanned<u32>>,
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
        let raw: RawCatalogue = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            CatalogueError::Syntax {
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        Validator { text }.catalogue(raw)
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

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

struct Validator<'a> {
    text: &'a str,
}

impl Validator<'_> {
    fn err(&self, offset: usize, field: String, message: &str) -> CatalogueError {
        CatalogueError::Invalid {
            line: line_col(self.text, offset).0,
            field,
            message: message.to_owned(),
        }
    }

    fn catalogue(&self, raw: RawCatalogue) -> Result<Catalogue, CatalogueError> {
        let season = raw
            .season
            .get_ref()
            .parse::<Season>()
            .map_err(|e| self.err(raw.season.span().start, "season".into(), &e.to_string()))?;
        if raw.avantages.is_empty() {
            return Err(self.err(0, "avantages".into(), "at least one avantage is required"));
        }
        let mut codes = HashSet::new();
        let mut avantages = Vec::with_capacity(raw.avantages.len());
        for (i, a) in raw.avantages.into_iter().enumerate() {
            let start = a.span().start;
            let a = a.into_inner();
            let path = format!("avantages[{i}]");
            let code = a.code.get_ref();
            if code.is_empty()
                || code.len() > 40
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(self.err(
                    a.code.span().start,
                    format!("{path}.code"),
                    "a code is 1 to 40 characters among a-z, 0-9 and _",
                ));
            }
            if !codes.insert(code.clone()) {
                return Err(self.err(
                    a.code.span().start,
                    format!("{path}.code"),
                    "duplicate avantage code",
                ));
            }
            if a.label.get_ref().trim().is_empty() || a.label.get_ref().len() > 120 {
                return Err(self.err(
                    a.label.span().start,
                    format!("{path}.label"),
                    "a label is 1 to 120 characters",
                ));
            }
            if a.categories.get_ref().is_empty() {
                return Err(self.err(
                    a.categories.span().start,
                    format!("{path}.categories"),
                    "at least one partner category is required",
                ));
            }
            if a.publics.get_ref().is_empty() {
                return Err(self.err(
                    a.publics.span().start,
                    format!("{path}.publics"),
                    "at least one public is required",
                ));
            }
            let base =
                self.quantity(a.kind, a.amount.as_ref(), a.entries.as_ref(), &path, start)?;
            let mut rules = Vec::with_capacity(a.rules.len());
            for (j, r) in a.rules.into_iter().enumerate() {
                let rstart = r.span().start;
                let r = r.into_inner();
                let rpath = format!("{path}.rules[{j}]");
                let quantity = self
                    .quantity(
                        a.kind,
                        r.amount.as_ref(),
                        r.entries.as_ref(),
                        &rpath,
                        rstart,
                    )?
                    .ok_or_else(|| {
                        self.err(rstart, rpath.clone(), "a rule needs an amount or entries")
                    })?;
                if r.public.is_none() && r.track.is_none() {
                    return Err(self.err(rstart, rpath, "a rule names a public or a track"));
                }
                if let Some(p) = r.public
                    && !a.publics.get_ref().contains(&p)
                {
                    return Err(self.err(
                        rstart,
                        format!("{rpath}.public"),
                        "this public does not receive the avantage",
                    ));
                }
                if a.doubled_for_disability && double(quantity).is_none_or(|q| !fits(q)) {
                    return Err(self.err(rstart, rpath, "the doubled amount is too large"));
                }
                rules.push(Rule {
                    public: r.public,
                    track: r.track,
                    quantity,
                });
            }
            if base.is_none() && rules.is_empty() {
                return Err(self.err(
                    start,
                    path,
                    "an avantage needs an amount, entries, or rules",
                ));
            }
            if let Some(q) = base
                && a.doubled_for_disability
                && double(q).is_none_or(|q| !fits(q))
            {
                return Err(self.err(start, path, "the doubled amount is too large"));
            }
            let entry_value = match (a.kind, a.entry_value) {
                (AvantageKind::Entries, Some(v)) => {
                    let m = Money::parse(v.get_ref()).map_err(|e| {
                        self.err(
                            v.span().start,
                            format!("{path}.entry_value"),
                            &e.to_string(),
                        )
                    })?;
                    if m.is_zero() {
                        return Err(self.err(
                            v.span().start,
                            format!("{path}.entry_value"),
                            "an entry value must be greater than zero",
                        ));
                    }
                    Some(m)
                }
                (AvantageKind::Entries, None) => {
                    return Err(self.err(
                        start,
                        format!("{path}.entry_value"),
                        "an entries avantage needs the value reimbursed per entry",
                    ));
                }
                (AvantageKind::Credit, Some(v)) => {
                    return Err(self.err(
                        v.span().start,
                        format!("{path}.entry_value"),
                        "only an entries avantage has an entry value",
                    ));
                }
                (AvantageKind::Credit, None) => None,
            };
            avantages.push(Avantage {
                code: a.code.into_inner(),
                label: a.label.into_inner(),
                description: a.description,
                kind: a.kind,
                base,
                entry_value,
                doubled_for_disability: a.doubled_for_disability,
                categories: a.categories.into_inner(),
                publics: a.publics.into_inner(),
                tracks: a.tracks.map(Spanned::into_inner),
                rules,
            });
        }
        Ok(Catalogue { season, avantages })
    }

    fn quantity(
        &self,
        kind: AvantageKind,
        amount: Option<&Spanned<String>>,
        entries: Option<&Spanned<u32>>,
        path: &str,
        start: usize,
    ) -> Result<Option<Quantity>, CatalogueError> {
        match (kind, amount, entries) {
            (AvantageKind::Credit, Some(a), None) => {
                let m = Money::parse(a.get_ref()).map_err(|e| {
                    self.err(a.span().start, format!("{path}.amount"), &e.to_string())
                })?;
                if m.is_zero() {
                    return Err(self.err(
                        a.span().start,
                        format!("{path}.amount"),
                        "an amount must be greater than zero",
                    ));
                }
                Ok(Some(Quantity::Credit { amount: m }))
            }
            (AvantageKind::Entries, None, Some(n)) => {
                if *n.get_ref() == 0 || *n.get_ref() > MAX_ENTRIES {
                    return Err(self.err(
                        n.span().start,
                        format!("{path}.entries"),
                        "entries must be between 1 and 100",
                    ));
                }
                Ok(Some(Quantity::Entries {
                    count: *n.get_ref(),
                }))
            }
            (_, None, None) => Ok(None),
            (AvantageKind::Credit, _, Some(n)) => Err(self.err(
                n.span().start,
                format!("{path}.entries"),
                "a credit avantage has an amount, not entries",
            )),
            (AvantageKind::Entries, Some(a), _) => Err(self.err(
                a.span().start,
                format!("{path}.amount"),
                "an entries avantage has entries, not an amount",
            )),
            #[allow(unreachable_patterns)]
            _ => Err(self.err(start, path.to_owned(), "inconsistent amount")),
        }
    }
}

fn fits(q: Quantity) -> bool {
    match q {
        Quantity::Credit { .. } => true,
        Quantity::Entries { count } => count <= 2 * MAX_ENTRIES,
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
