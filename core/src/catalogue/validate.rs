//! Parsing and validating a catalogue file: the raw TOML shapes (with their
//! spans) and the checks that turn them into a [`Catalogue`], each error
//! naming its line and field.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::{Avantage, Catalogue, CatalogueError, MAX_ENTRIES, Rule, double};
use crate::debit::{AvantageKind, Quantity};
use crate::money::Money;
use crate::public::{PartnerCategory, Public, Track};
use crate::season::Season;

/// Parses the TOML and validates it.
pub(super) fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
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
