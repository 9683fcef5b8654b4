//! The order of the PASS: the *bon de commande*, its publics and tracks, and
//! the order status.

use std::time::SystemTime;

use passregion_core::client as core;

use crate::error::PassRegionError;

/// A youth's order of the PASS.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderStatus {
    /// Id.
    pub id: String,
    /// Season.
    pub season: String,
    /// Status code.
    pub status: String,
    /// Refusal reason.
    pub reason: Option<String>,
    /// Created at.
    pub created_at: SystemTime,
    /// Decided at.
    pub decided_at: Option<SystemTime>,
}

impl From<core::OrderStatus> for OrderStatus {
    fn from(o: core::OrderStatus) -> Self {
        OrderStatus {
            id: o.id,
            season: o.season,
            status: o.status.as_str().to_owned(),
            reason: o.reason,
            created_at: o.created_at.into(),
            decided_at: o.decided_at.map(Into::into),
        }
    }
}

/// The publics of the PASS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Public {
    /// Lycéen.
    Lyceen,
    /// Apprenti.
    Apprenti,
    /// BTS student.
    Bts,
    /// Young person followed by a mission locale.
    MissionLocale,
    /// IME / IMPro.
    ImeImpro,
    /// Health and social training.
    FormationSanitaireSociale,
}

impl From<Public> for passregion_core::Public {
    fn from(p: Public) -> Self {
        use passregion_core::Public as P;
        match p {
            Public::Lyceen => P::Lyceen,
            Public::Apprenti => P::Apprenti,
            Public::Bts => P::Bts,
            Public::MissionLocale => P::MissionLocale,
            Public::ImeImpro => P::ImeImpro,
            Public::FormationSanitaireSociale => P::FormationSanitaireSociale,
        }
    }
}

/// The tracks (lycéens, apprentis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Track {
    /// Seconde.
    Seconde,
    /// Première.
    Premiere,
    /// Terminale.
    Terminale,
    /// CAP.
    Cap,
    /// Bac pro.
    BacPro,
    /// BP.
    Bp,
    /// Other apprenticeship.
    AutreApprentissage,
}

impl From<Track> for passregion_core::Track {
    fn from(t: Track) -> Self {
        use passregion_core::Track as T;
        match t {
            Track::Seconde => T::Seconde,
            Track::Premiere => T::Premiere,
            Track::Terminale => T::Terminale,
            Track::Cap => T::Cap,
            Track::BacPro => T::BacPro,
            Track::Bp => T::Bp,
            Track::AutreApprentissage => T::AutreApprentissage,
        }
    }
}

/// The *bon de commande* of the PASS.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderForm {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Birth date (`YYYY-MM-DD`).
    pub birth_date: String,
    /// Public.
    pub public: Public,
    /// Track (lycéens, apprentis).
    pub track: Option<Track>,
    /// Recognised disability.
    pub disabled: bool,
    /// Établissement that validates.
    pub establishment_id: String,
    /// Street address.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
}

impl TryFrom<OrderForm> for core::OrderForm {
    type Error = PassRegionError;

    fn try_from(f: OrderForm) -> Result<Self, PassRegionError> {
        let birth_date = chrono::NaiveDate::parse_from_str(f.birth_date.trim(), "%Y-%m-%d")
            .map_err(|_| crate::error::invalid("birth date"))?;
        Ok(core::OrderForm {
            first_name: f.first_name,
            last_name: f.last_name,
            birth_date,
            public: f.public.into(),
            track: f.track.map(Into::into),
            disabled: f.disabled,
            establishment_id: f.establishment_id,
            address: f.address,
            postal_code: f.postal_code,
            city: f.city,
        })
    }
}
