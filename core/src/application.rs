//! A partner's application and convention, sans I/O: where an application
//! stands (brouillon → envoyée → signée → en instruction → validée /
//! refusée), what it still misses, the bank details it gives (IBAN and BIC),
//! and whether a convention is in force on a day (its term, a suspension, a
//! termination and the grace given to offline debits made before it).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use iban::IbanLike;
use serde::{Deserialize, Serialize};

use crate::public::PartnerCategory;
use crate::status::ConventionStatus;

/// Where an application stands, as the applicant and the Region see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationStage {
    /// Being filled in; saved, not sent.
    #[serde(rename = "brouillon")]
    Draft,
    /// Sent with its documents and the CGP accepted; the convention waits
    /// for the SMS code.
    #[serde(rename = "envoyee")]
    Submitted,
    /// Convention signed; waiting for the Region.
    #[serde(rename = "signee")]
    Signed,
    /// The Region is examining it.
    #[serde(rename = "en_instruction")]
    InInstruction,
    /// Validated: the partner may accept the PASS.
    #[serde(rename = "validee")]
    Validated,
    /// Refused, with the Region's reason.
    #[serde(rename = "refusee")]
    Refused,
}

impl ApplicationStage {
    /// Every stage, in the order of the journey.
    pub const ALL: [ApplicationStage; 6] = [
        ApplicationStage::Draft,
        ApplicationStage::Submitted,
        ApplicationStage::Signed,
        ApplicationStage::InInstruction,
        ApplicationStage::Validated,
        ApplicationStage::Refused,
    ];

    /// The transmitted string.
    pub const fn as_str(self) -> &'static str {
        match self {
            ApplicationStage::Draft => "brouillon",
            ApplicationStage::Submitted => "envoyee",
            ApplicationStage::Signed => "signee",
            ApplicationStage::InInstruction => "en_instruction",
            ApplicationStage::Validated => "validee",
            ApplicationStage::Refused => "refusee",
        }
    }

    /// The stage of a transmitted string.
    pub fn parse(text: &str) -> Option<ApplicationStage> {
        ApplicationStage::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What the stage of an application is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplicationFacts {
    /// The partner's stored status.
    pub status: ConventionStatus,
    /// Sent (documents, CGP accepted).
    pub submitted: bool,
    /// A convention signed with the SMS code.
    pub signed: bool,
    /// The Region opened it.
    pub instruction_started: bool,
}

/// The stage of an application.
pub fn application_stage(f: ApplicationFacts) -> ApplicationStage {
    match f.status {
        ConventionStatus::Validated | ConventionStatus::Terminated => ApplicationStage::Validated,
        ConventionStatus::Rejected => ApplicationStage::Refused,
        ConventionStatus::Pending => match (f.submitted, f.signed, f.instruction_started) {
            (false, _, _) => ApplicationStage::Draft,
            (true, false, _) => ApplicationStage::Submitted,
            (true, true, false) => ApplicationStage::Signed,
            (true, true, true) => ApplicationStage::InInstruction,
        },
    }
}

/// The documents an application can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DocumentKind {
    /// Extrait Kbis, or the statuts of an association.
    #[serde(rename = "kbis_statuts")]
    KbisOrStatuts,
    /// Relevé d'identité bancaire.
    #[serde(rename = "rib")]
    Rib,
    /// Attestation d'assurance (responsabilité civile).
    #[serde(rename = "attestation_assurance")]
    Insurance,
    /// Affiliation of a sports club to its federation.
    #[serde(rename = "affiliation_federation")]
    Affiliation,
    /// Any other document the applicant adds.
    #[serde(rename = "autre")]
    Other,
}

impl DocumentKind {
    /// Every kind.
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::KbisOrStatuts,
        DocumentKind::Rib,
        DocumentKind::Insurance,
        DocumentKind::Affiliation,
        DocumentKind::Other,
    ];

    /// The stored and transmitted string.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentKind::KbisOrStatuts => "kbis_statuts",
            DocumentKind::Rib => "rib",
            DocumentKind::Insurance => "attestation_assurance",
            DocumentKind::Affiliation => "affiliation_federation",
            DocumentKind::Other => "autre",
        }
    }

    /// The kind of a stored or transmitted string.
    pub fn parse(text: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Its name, for people.
    pub const fn label(self) -> &'static str {
        match self {
            DocumentKind::KbisOrStatuts => "Extrait Kbis ou statuts",
            DocumentKind::Rib => "RIB",
            DocumentKind::Insurance => "Attestation d'assurance",
            DocumentKind::Affiliation => "Attestation d'affiliation à une fédération",
            DocumentKind::Other => "Autre document",
        }
    }
}

/// The documents the Region asks of a category by default (a deployment
/// may configure its own list).
pub fn default_required_documents(category: PartnerCategory) -> Vec<DocumentKind> {
    let mut kinds = vec![DocumentKind::KbisOrStatuts, DocumentKind::Rib];
    match category {
        PartnerCategory::ClubSportif | PartnerCategory::ChassePeche => {
            kinds.push(DocumentKind::Affiliation)
        }
        PartnerCategory::SalleDeSpectacle | PartnerCategory::Musee => {
            kinds.push(DocumentKind::Insurance)
        }
        _ => {}
    }
    kinds
}

/// An IBAN checked by its country's format and its key, in its electronic
/// form (`FR7630006000011234567890189`).
pub fn valid_iban(input: &str) -> Option<String> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let iban: iban::Iban = compact.to_ascii_uppercase().parse().ok()?;
    Some(iban.electronic_str().to_owned())
}

/// A BIC (ISO 9362): 4 letters (bank), 2 letters (country), 2 letters or
/// digits (place), optionally 3 letters or digits (branch); its country
/// must be the IBAN's when one is given.
pub fn valid_bic(input: &str, iban: Option<&str>) -> Option<String> {
    let bic: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let b = bic.as_bytes();
    let shape = (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(u8::is_ascii_alphanumeric);
    let country_ok = iban.is_none_or(|i| i.get(..2) == bic.get(4..6));
    (shape && country_ok).then_some(bic)
}

/// `FR76 •••• •••• •••• •••• ••01 89`: what a partner's screens show of an
/// IBAN (the Region's finance view shows it whole).
pub fn masked_iban(electronic: &str) -> String {
    let n = electronic.chars().count();
    let head: String = electronic.chars().take(4).collect();
    let tail: String = electronic.chars().skip(n.saturating_sub(4)).collect();
    format!("{head} •••• •••• {tail}")
}

/// How long before a convention's end the partner is warned.
pub const RENEWAL_WARNING: Duration = Duration::days(30);

/// How long after a termination's effective date the partner's devices may
/// still push the offline debits they made before it.
pub const TERMINATION_GRACE: Duration = Duration::days(30);

/// What decides whether a convention is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConventionFacts {
    /// The partner's stored status.
    pub status: ConventionStatus,
    /// Suspended by the Region (until reinstated).
    pub suspended: bool,
    /// The last day of the signed convention, if any.
    pub ends_on: Option<NaiveDate>,
    /// The first day without the convention, after a termination.
    pub terminates_on: Option<NaiveDate>,
}

/// Where a partner stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Standing {
    /// Not validated yet (or refused).
    #[serde(rename = "candidat")]
    Candidate,
    /// In force: debits and enrolments accepted.
    #[serde(rename = "en_vigueur")]
    InForce,
    /// Suspended by the Region.
    #[serde(rename = "suspendu")]
    Suspended,
    /// The convention's term is past and no new one was signed.
    #[serde(rename = "echue")]
    Expired,
    /// Terminated (by the partner or the Region) from its effective date.
    #[serde(rename = "resiliee")]
    Terminated,
}

/// Where a partner stands on `today`.
pub fn standing(f: ConventionFacts, today: NaiveDate) -> Standing {
    if f.status == ConventionStatus::Terminated || f.terminates_on.is_some_and(|d| today >= d) {
        return Standing::Terminated;
    }
    if f.status != ConventionStatus::Validated {
        return Standing::Candidate;
    }
    if f.suspended {
        return Standing::Suspended;
    }
    if f.ends_on.is_some_and(|end| today > end) {
        return Standing::Expired;
    }
    Standing::InForce
}

/// Whether an offline debit scanned at `scanned_at` and pushed at
/// `pushed_at` may still be accepted from a partner terminated from
/// `terminates_on` (from midnight in Paris): it was made before the
/// termination and is pushed within [`TERMINATION_GRACE`] of it.
pub fn offline_debit_within_grace(
    scanned_at: DateTime<Utc>,
    pushed_at: DateTime<Utc>,
    terminates_on: NaiveDate,
) -> bool {
    scanned_at < termination_start(terminates_on) && pushes_within_grace(pushed_at, terminates_on)
}

/// The instant a termination takes effect: midnight in Paris.
pub fn termination_start(terminates_on: NaiveDate) -> DateTime<Utc> {
    let noon = terminates_on
        .and_hms_opt(12, 0, 0)
        .unwrap_or_default()
        .and_utc();
    crate::season::region_day_bounds(noon).0
}

/// Whether a terminated partner's devices may still push at `now`.
pub fn pushes_within_grace(now: DateTime<Utc>, terminates_on: NaiveDate) -> bool {
    now < termination_start(terminates_on) + TERMINATION_GRACE
}

/// Whether the partner should be told its convention ends soon.
pub fn renewal_due(ends_on: NaiveDate, today: NaiveDate) -> bool {
    today <= ends_on && ends_on - today <= RENEWAL_WARNING
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn stages_follow_the_journey() {
        let f = |status, submitted, signed, instruction_started| {
            application_stage(ApplicationFacts {
                status,
                submitted,
                signed,
                instruction_started,
            })
        };
        use ConventionStatus::*;
        assert_eq!(f(Pending, false, false, false), ApplicationStage::Draft);
        assert_eq!(f(Pending, true, false, false), ApplicationStage::Submitted);
        assert_eq!(f(Pending, true, true, false), ApplicationStage::Signed);
        assert_eq!(
            f(Pending, true, true, true),
            ApplicationStage::InInstruction
        );
        assert_eq!(f(Validated, true, true, true), ApplicationStage::Validated);
        assert_eq!(f(Rejected, true, true, true), ApplicationStage::Refused);
        for s in ApplicationStage::ALL {
            assert_eq!(ApplicationStage::parse(s.as_str()), Some(s));
        }
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn ibans_and_bics() {
        assert_eq!(
            valid_iban("fr76 3000 6000 0112 3456 7890 189").as_deref(),
            Some("FR7630006000011234567890189")
        );
        // One digit changed: the key no longer matches.
        assert_eq!(valid_iban("FR7630006000011234567890188"), None);
        assert_eq!(valid_iban("FR76"), None);
        assert_eq!(valid_iban(""), None);
        let iban = "FR7630006000011234567890189";
        assert_eq!(
            valid_bic("agri frpp xxx", Some(iban)).as_deref(),
            Some("AGRIFRPPXXX")
        );
        assert_eq!(
            valid_bic("AGRIFRPP", Some(iban)).as_deref(),
            Some("AGRIFRPP")
        );
        assert_eq!(valid_bic("DEUTDEFF", Some(iban)), None, "country differs");
        assert_eq!(valid_bic("AGRIFR", None), None);
        assert_eq!(valid_bic("1GRIFRPP", None), None);
        assert_eq!(masked_iban(iban), "FR76 •••• •••• 0189");
    }

    #[test]
    fn a_convention_is_in_force_within_its_term_only() {
        let base = ConventionFacts {
            status: ConventionStatus::Validated,
            suspended: false,
            ends_on: Some(day("2027-05-31")),
            terminates_on: None,
        };
        assert_eq!(standing(base, day("2027-05-31")), Standing::InForce);
        assert_eq!(standing(base, day("2027-06-01")), Standing::Expired);
        let suspended = ConventionFacts {
            suspended: true,
            ..base
        };
        assert_eq!(standing(suspended, day("2026-12-01")), Standing::Suspended);
        let ending = ConventionFacts {
            terminates_on: Some(day("2026-12-15")),
            ..base
        };
        assert_eq!(standing(ending, day("2026-12-14")), Standing::InForce);
        assert_eq!(standing(ending, day("2026-12-15")), Standing::Terminated);
        let pending = ConventionFacts {
            status: ConventionStatus::Pending,
            ..base
        };
        assert_eq!(standing(pending, day("2026-12-01")), Standing::Candidate);
        assert!(renewal_due(day("2027-05-31"), day("2027-05-01")));
        assert!(!renewal_due(day("2027-05-31"), day("2027-04-30")));
        assert!(!renewal_due(day("2027-05-31"), day("2027-06-01")));
    }

    #[test]
    fn the_grace_covers_debits_made_before_the_termination_only() {
        let end = day("2026-12-15");
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let before = t("2026-12-14T18:00:00Z");
        // 23:30 UTC on the 14th is 00:30 on the 15th in Paris: after.
        assert!(!offline_debit_within_grace(
            t("2026-12-14T23:30:00Z"),
            t("2026-12-15T10:00:00Z"),
            end
        ));
        assert!(offline_debit_within_grace(
            before,
            t("2026-12-20T10:00:00Z"),
            end
        ));
        // Made after the termination: refused whenever pushed.
        assert!(!offline_debit_within_grace(
            t("2026-12-15T00:00:01Z"),
            t("2026-12-15T00:01:00Z"),
            end
        ));
        assert!(offline_debit_within_grace(
            t("2026-12-14T22:59:59Z"),
            t("2026-12-15T00:01:00Z"),
            end
        ));
        // Pushed after the grace (30 days from Paris midnight, 23:00 UTC): refused.
        assert!(!offline_debit_within_grace(
            before,
            t("2027-01-13T23:00:00Z"),
            end
        ));
        assert!(offline_debit_within_grace(
            before,
            t("2027-01-13T22:59:59Z"),
            end
        ));
    }

    proptest! {
        #[test]
        fn nothing_is_in_force_after_its_termination(
            days_after in 0i64..4000, suspended: bool, ends in 0i64..4000,
        ) {
            let term = day("2026-12-15");
            let f = ConventionFacts {
                status: ConventionStatus::Validated,
                suspended,
                ends_on: Some(term + Duration::days(ends)),
                terminates_on: Some(term),
            };
            prop_assert_eq!(standing(f, term + Duration::days(days_after)), Standing::Terminated);
        }

        #[test]
        fn iban_parsing_never_panics(s in "\\PC{0,40}") {
            let _ = valid_iban(&s);
            let _ = valid_bic(&s, Some(&s));
        }
    }
}
