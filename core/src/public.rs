//! Publics (who may hold a PASS), tracks, partner categories and eligibility.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The priority publics of the Region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Public {
    /// Lycéen (lycée général, technologique or professionnel).
    Lyceen,
    /// Apprenti in a CFA.
    Apprenti,
    /// Student in a BTS section.
    Bts,
    /// Young person registered with a mission locale.
    MissionLocale,
    /// Young person in an IME or IMPRO.
    ImeImpro,
    /// Student of a formation sanitaire et sociale.
    FormationSanitaireSociale,
}

impl Public {
    /// Every public, in display order.
    pub const ALL: [Public; 6] = [
        Public::Lyceen,
        Public::Apprenti,
        Public::Bts,
        Public::MissionLocale,
        Public::ImeImpro,
        Public::FormationSanitaireSociale,
    ];

    /// The tracks a youth of this public must choose from (empty: no track).
    pub fn tracks(self) -> &'static [Track] {
        match self {
            Public::Lyceen => &[
                Track::Seconde,
                Track::Premiere,
                Track::Terminale,
                Track::Cap,
                Track::BacPro,
            ],
            Public::Apprenti => &[
                Track::Cap,
                Track::BacPro,
                Track::Bp,
                Track::AutreApprentissage,
            ],
            _ => &[],
        }
    }

    /// Inclusive age bounds (age on the day of the order or revalidation).
    pub fn age_bounds(self) -> (u32, u32) {
        match self {
            Public::ImeImpro => (12, 20),
            Public::MissionLocale => (16, 25),
            _ => (14, 25),
        }
    }

    /// French label.
    pub fn label_fr(self) -> &'static str {
        match self {
            Public::Lyceen => "Lycéen",
            Public::Apprenti => "Apprenti",
            Public::Bts => "Étudiant en BTS",
            Public::MissionLocale => "Jeune en mission locale",
            Public::ImeImpro => "Jeune en IME/IMPRO",
            Public::FormationSanitaireSociale => "Formation sanitaire et sociale",
        }
    }
}

/// The track (class or diploma prepared) of a lycéen or an apprenti.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Track {
    /// Seconde générale et technologique.
    Seconde,
    /// Première.
    Premiere,
    /// Terminale.
    Terminale,
    /// CAP.
    Cap,
    /// Baccalauréat professionnel.
    BacPro,
    /// Brevet professionnel.
    Bp,
    /// Any other apprenticeship diploma.
    AutreApprentissage,
}

impl Track {
    /// French label.
    pub fn label_fr(self) -> &'static str {
        match self {
            Track::Seconde => "Seconde",
            Track::Premiere => "Première",
            Track::Terminale => "Terminale",
            Track::Cap => "CAP",
            Track::BacPro => "Bac pro",
            Track::Bp => "Brevet professionnel",
            Track::AutreApprentissage => "Autre diplôme en apprentissage",
        }
    }
}

/// The kinds of partner structure; an avantage names the categories that may debit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerCategory {
    /// Bookshop.
    Librairie,
    /// Sports club.
    ClubSportif,
    /// Theatre, concert hall.
    SalleDeSpectacle,
    /// Cinema.
    Cinema,
    /// Museum.
    Musee,
    /// Approved supplier of professional equipment.
    EquipementPro,
    /// Hunting and fishing federation.
    ChassePeche,
}

impl PartnerCategory {
    /// Every category.
    pub const ALL: [PartnerCategory; 7] = [
        PartnerCategory::Librairie,
        PartnerCategory::ClubSportif,
        PartnerCategory::SalleDeSpectacle,
        PartnerCategory::Cinema,
        PartnerCategory::Musee,
        PartnerCategory::EquipementPro,
        PartnerCategory::ChassePeche,
    ];

    /// French label.
    pub fn label_fr(self) -> &'static str {
        match self {
            PartnerCategory::Librairie => "Librairie",
            PartnerCategory::ClubSportif => "Club sportif",
            PartnerCategory::SalleDeSpectacle => "Salle de spectacle",
            PartnerCategory::Cinema => "Cinéma",
            PartnerCategory::Musee => "Musée",
            PartnerCategory::EquipementPro => "Fournisseur d'équipement professionnel",
            PartnerCategory::ChassePeche => "Fédération de chasse ou de pêche",
        }
    }

    /// The snake_case code used in data files and the API.
    pub fn code(self) -> &'static str {
        match self {
            PartnerCategory::Librairie => "librairie",
            PartnerCategory::ClubSportif => "club_sportif",
            PartnerCategory::SalleDeSpectacle => "salle_de_spectacle",
            PartnerCategory::Cinema => "cinema",
            PartnerCategory::Musee => "musee",
            PartnerCategory::EquipementPro => "equipement_pro",
            PartnerCategory::ChassePeche => "chasse_peche",
        }
    }
}

impl fmt::Display for PartnerCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What the Region knows of a youth to decide eligibility and avantages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The public.
    pub public: Public,
    /// The track, for publics that have one.
    pub track: Option<Track>,
    /// Recognised disability (some amounts are doubled).
    pub disabled: bool,
}

/// Why a youth is not eligible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EligibilityError {
    /// The public needs a track and none was given.
    #[error("a track is required for this public")]
    TrackRequired,
    /// The track does not belong to the public.
    #[error("this track does not exist for this public")]
    TrackNotAllowed,
    /// Birth date after the reference date.
    #[error("birth date in the future")]
    BirthDateInFuture,
    /// Younger than the public allows.
    #[error("too young for this public")]
    TooYoung,
    /// Older than the public allows.
    #[error("too old for this public")]
    TooOld,
}

/// Age in whole years on `on`.
pub fn age_on(birth_date: NaiveDate, on: NaiveDate) -> Option<u32> {
    if birth_date > on {
        return None;
    }
    let mut age = on.year() - birth_date.year();
    if (on.month(), on.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    u32::try_from(age).ok()
}

/// Checks a youth's eligibility on a given day (order or revalidation date).
pub fn check_eligibility(
    profile: &Profile,
    birth_date: NaiveDate,
    on: NaiveDate,
) -> Result<(), EligibilityError> {
    let tracks = profile.public.tracks();
    match profile.track {
        None if !tracks.is_empty() => return Err(EligibilityError::TrackRequired),
        Some(t) if !tracks.contains(&t) => return Err(EligibilityError::TrackNotAllowed),
        _ => {}
    }
    let age = age_on(birth_date, on).ok_or(EligibilityError::BirthDateInFuture)?;
    let (min, max) = profile.public.age_bounds();
    if age < min {
        return Err(EligibilityError::TooYoung);
    }
    if age > max {
        return Err(EligibilityError::TooOld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(d(2010, 6, 15), d(2026, 6, 14)), Some(15));
        assert_eq!(age_on(d(2010, 6, 15), d(2026, 6, 15)), Some(16));
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), Some(17));
        assert_eq!(age_on(d(2030, 1, 1), d(2026, 1, 1)), None);
    }

    #[test]
    fn eligibility_rules() {
        let lyceen = |track| Profile {
            public: Public::Lyceen,
            track,
            disabled: false,
        };
        let today = d(2026, 9, 1);
        assert_eq!(
            check_eligibility(&lyceen(Some(Track::Seconde)), d(2010, 3, 1), today),
            Ok(())
        );
        assert_eq!(
            check_eligibility(&lyceen(None), d(2010, 3, 1), today),
            Err(EligibilityError::TrackRequired)
        );
        assert_eq!(
            check_eligibility(&lyceen(Some(Track::Bp)), d(2010, 3, 1), today),
            Err(EligibilityError::TrackNotAllowed)
        );
        assert_eq!(
            check_eligibility(&lyceen(Some(Track::Seconde)), d(2015, 3, 1), today),
            Err(EligibilityError::TooYoung)
        );
        assert_eq!(
            check_eligibility(&lyceen(Some(Track::Seconde)), d(1990, 3, 1), today),
            Err(EligibilityError::TooOld)
        );
        assert_eq!(
            check_eligibility(&lyceen(Some(Track::Seconde)), d(2027, 3, 1), today),
            Err(EligibilityError::BirthDateInFuture)
        );
        let ml = Profile {
            public: Public::MissionLocale,
            track: Some(Track::Cap),
            disabled: false,
        };
        assert_eq!(
            check_eligibility(&ml, d(2005, 1, 1), today),
            Err(EligibilityError::TrackNotAllowed)
        );
    }
}
