//! What a youth is told about the end of her card's season (issue 16): in
//! the last weeks before 31 May, that the card stops and that her
//! établissement must revalidate it for the next season; once the season is
//! over, that it must be revalidated before it works again. One rule for the
//! server's e-mail reminder and the apps' banner.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Season;

/// Days before a season's last day from which the youth is told.
pub const END_NOTICE_DAYS: i64 = 31;

/// A notice about the card's season.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RenewalNotice {
    /// The card's season ends within [`END_NOTICE_DAYS`]: the établissement
    /// must revalidate it for the next season.
    EndsSoon {
        /// The last day the card can be used.
        last_day: NaiveDate,
        /// The season to revalidate it for (`2027-2028`).
        next_season: String,
    },
    /// The card's season is over: it works again once revalidated.
    Expired {
        /// The last day it could be used.
        last_day: NaiveDate,
        /// The season it must be revalidated for (the current one).
        season: String,
    },
}

/// Whether `season` ends within [`END_NOTICE_DAYS`] of `today` (and has not
/// ended).
pub fn ends_soon(season: Season, today: NaiveDate) -> bool {
    let left = (season.last_day() - today).num_days();
    (0..=END_NOTICE_DAYS).contains(&left)
}

/// The notice to show on `today` for a card of `card_season`; `None` while
/// the season is far from its end, or when the card is already revalidated
/// for a later season.
pub fn renewal_notice(card_season: Season, today: NaiveDate) -> Option<RenewalNotice> {
    let current = Season::of_date(today);
    if card_season < current {
        return Some(RenewalNotice::Expired {
            last_day: card_season.last_day(),
            season: current.label(),
        });
    }
    if card_season == current && ends_soon(card_season, today) {
        return Some(RenewalNotice::EndsSoon {
            last_day: card_season.last_day(),
            next_season: card_season.next().label(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_notice_starts_31_days_before_the_end_and_turns_to_expired_on_1_june() {
        let s = Season::starting(2026).unwrap();
        assert_eq!(renewal_notice(s, d(2027, 4, 29)), None);
        assert_eq!(
            renewal_notice(s, d(2027, 4, 30)),
            Some(RenewalNotice::EndsSoon {
                last_day: d(2027, 5, 31),
                next_season: "2027-2028".into()
            })
        );
        assert!(matches!(
            renewal_notice(s, d(2027, 5, 31)),
            Some(RenewalNotice::EndsSoon { .. })
        ));
        assert_eq!(
            renewal_notice(s, d(2027, 6, 1)),
            Some(RenewalNotice::Expired {
                last_day: d(2027, 5, 31),
                season: "2027-2028".into()
            })
        );
        // Revalidated ahead of time: nothing to tell.
        assert_eq!(renewal_notice(s.next(), d(2027, 5, 20)), None);
    }

    proptest! {
        #[test]
        fn a_card_is_told_exactly_when_its_season_is_near_its_end_or_over(
            year in 2003i32..2190, card_offset in -2i32..=2, day in 0i64..365
        ) {
            let today = Season::starting(year).unwrap().first_day() + chrono::Duration::days(day);
            let current = Season::of_date(today);
            let card = Season::starting(current.start_year() + card_offset).unwrap();
            let left = (card.last_day() - today).num_days();
            match renewal_notice(card, today) {
                None => prop_assert!(card > current || (card == current && left > END_NOTICE_DAYS)),
                Some(RenewalNotice::EndsSoon { last_day, .. }) => {
                    prop_assert_eq!(card, current);
                    prop_assert!((0..=END_NOTICE_DAYS).contains(&left));
                    prop_assert_eq!(last_day, card.last_day());
                }
                Some(RenewalNotice::Expired { last_day, .. }) => {
                    prop_assert!(card < current);
                    prop_assert!(last_day < today);
                }
            }
        }
    }
}
