//! The avantage catalogues loaded at start, by season.

use passregion_core::Catalogue;
use passregion_core::Season;
use std::collections::HashMap;

/// Catalogues by season.
#[derive(Debug, Default)]
pub struct Catalogues(HashMap<Season, Catalogue>);

impl Catalogues {
    /// From a list of validated catalogues.
    pub fn new(list: Vec<Catalogue>) -> Catalogues {
        Catalogues(list.into_iter().map(|c| (c.season, c)).collect())
    }

    /// The catalogue of a season.
    pub fn get(&self, season: Season) -> Option<&Catalogue> {
        self.0.get(&season)
    }
}
