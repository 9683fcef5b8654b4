//! Seasons: a card is usable from 1 June of year N to 31 May of year N+1,
//! in the Region's local time (Europe/Paris).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The Region's time zone: a season changes at midnight in Paris, not in UTC.
pub const REGION_TZ: chrono_tz::Tz = chrono_tz::Europe::Paris;

/// First and last supported season start years (keeps date arithmetic total).
const MIN_YEAR: i32 = 2000;
const MAX_YEAR: i32 = 2200;

/// The local calendar date in the Region of an instant.
pub fn region_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&REGION_TZ).date_naive()
}

/// The Region's calendar day of an instant, as `[start, end)` in UTC
/// (midnight to midnight in Paris: 23 or 25 hours on the days the clocks
/// change).
pub fn region_day_bounds(instant: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::TimeZone;
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|dt| REGION_TZ.from_local_datetime(&dt).earliest())
            .map(|dt| dt.with_timezone(&Utc))
    };
    let day = region_date(instant);
    let start = midnight(day).unwrap_or(instant);
    let end = day
        .succ_opt()
        .and_then(midnight)
        .unwrap_or(instant + chrono::Duration::days(1));
    (start, end)
}

/// A season, named by the year it starts in: `Season(2026)` is 1 June 2026 → 31 May 2027.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Season(i32);

/// Why a season could not be built or named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeasonError {
    /// Not of the form `2026-2027`.
    #[error("a season is written YYYY-YYYY, e.g. 2026-2027")]
    Malformed,
    /// The second year is not the first plus one.
    #[error("the second year of a season must follow the first")]
    NotConsecutive,
    /// Outside the years the system supports.
    #[error("season year out of range")]
    OutOfRange,
}

impl Season {
    /// The season that starts on 1 June of `year`.
    pub fn starting(year: i32) -> Result<Season, SeasonError> {
        if (MIN_YEAR..=MAX_YEAR).contains(&year) {
            Ok(Season(year))
        } else {
            Err(SeasonError::OutOfRange)
        }
    }

    /// The season a calendar date belongs to.
    pub fn of_date(date: NaiveDate) -> Season {
        let year = if date.month() >= 6 {
            date.year()
        } else {
            date.year() - 1
        };
        Season(year.clamp(MIN_YEAR, MAX_YEAR))
    }

    /// The season an instant belongs to, in the Region's local time.
    pub fn of_instant(instant: DateTime<Utc>) -> Season {
        Season::of_date(region_date(instant))
    }

    /// The year the season starts in.
    pub fn start_year(self) -> i32 {
        self.0
    }

    /// 1 June of the start year.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 6, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 31 May of the following year (the last day a card of this season is usable).
    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 5, 31).unwrap_or(NaiveDate::MAX)
    }

    /// Whether the date lies within the season.
    pub fn contains(self, date: NaiveDate) -> bool {
        Season::of_date(date) == self
    }

    /// The following season (what a revalidation moves a card to).
    pub fn next(self) -> Season {
        Season((self.0 + 1).min(MAX_YEAR))
    }

    /// The previous season.
    pub fn previous(self) -> Season {
        Season((self.0 - 1).max(MIN_YEAR))
    }

    /// `2026-2027`.
    pub fn label(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Season {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 1)
    }
}

impl FromStr for Season {
    type Err = SeasonError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s.trim().split_once('-').ok_or(SeasonError::Malformed)?;
        if a.len() != 4 || b.len() != 4 {
            return Err(SeasonError::Malformed);
        }
        let a: i32 = a.parse().map_err(|_| SeasonError::Malformed)?;
        let b: i32 = b.parse().map_err(|_| SeasonError::Malformed)?;
        if b != a + 1 {
            return Err(SeasonError::NotConsecutive);
        }
        Season::starting(a)
    }
}

impl Serialize for Season {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Season {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn region_days_run_midnight_to_midnight_in_paris() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap(); // 00:30 on 2 Dec in Paris
        let (start, end) = region_day_bounds(t);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 23, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 2, 23, 0, 0).unwrap());
        // The clocks go back on 25 Oct 2026: that day lasts 25 hours.
        let (start, end) = region_day_bounds(Utc.with_ymd_and_hms(2026, 10, 25, 12, 0, 0).unwrap());
        assert_eq!(end - start, chrono::Duration::hours(25));
    }

    proptest! {
        #[test]
        fn an_instant_lies_in_its_region_day(secs in 946_684_800i64..7_258_118_400) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let (start, end) = region_day_bounds(t);
            prop_assert!(start <= t && t < end);
            prop_assert_eq!(region_date(start), region_date(t));
            prop_assert!(region_date(end) != region_date(t));
        }
    }

    #[test]
    fn boundaries() {
        assert_eq!(Season::of_date(d(2026, 5, 31)), Season(2025));
        assert_eq!(Season::of_date(d(2026, 6, 1)), Season(2026));
        assert_eq!(Season::of_date(d(2027, 5, 31)), Season(2026));
        assert_eq!(Season(2026).first_day(), d(2026, 6, 1));
        assert_eq!(Season(2026).last_day(), d(2027, 5, 31));
        assert_eq!(Season(2026).next(), Season(2027));
        assert_eq!(Season(2026).to_string(), "2026-2027");
    }

    #[test]
    fn season_changes_at_paris_midnight() {
        // 31 May 2027 22:30 UTC is 1 June 00:30 in Paris (summer time, UTC+2).
        let late = Utc.with_ymd_and_hms(2027, 5, 31, 22, 30, 0).unwrap();
        assert_eq!(Season::of_instant(late), Season(2027));
        let before = Utc.with_ymd_and_hms(2027, 5, 31, 21, 59, 59).unwrap();
        assert_eq!(Season::of_instant(before), Season(2026));
    }

    #[test]
    fn parse_labels() {
        assert_eq!("2026-2027".parse(), Ok(Season(2026)));
        assert_eq!(
            "2026-2028".parse::<Season>(),
            Err(SeasonError::NotConsecutive)
        );
        assert_eq!("2026".parse::<Season>(), Err(SeasonError::Malformed));
        assert_eq!("abcd-efgh".parse::<Season>(), Err(SeasonError::Malformed));
        assert_eq!("1200-1201".parse::<Season>(), Err(SeasonError::OutOfRange));
    }

    proptest! {
        #[test]
        fn every_date_is_in_exactly_its_season(days in 0i64..(150 * 366)) {
            let date = d(2001, 6, 1) + chrono::Duration::days(days);
            let s = Season::of_date(date);
            prop_assert!(s.contains(date));
            prop_assert!(s.first_day() <= date && date <= s.last_day());
            prop_assert!(!s.next().contains(date));
            prop_assert!(!s.previous().contains(date));
            prop_assert_eq!(s.next().first_day(), s.last_day().succ_opt().unwrap());
        }
    }
}
