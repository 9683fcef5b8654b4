//! Functions that forward to the core domain (no client, no I/O).

use chrono::NaiveDate;
use passregion_core::Season;

use crate::error::{PassRegionError, invalid, money};
use crate::records::PartnerCategory;

/// The version of the core library.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// An amount typed by a person (`"12,50 €"`, `"1 234,5"`, `"12"`) in its
/// machine form (`"12.50"`), or `InvalidAmount`.
#[uniffi::export]
pub fn parse_money(input: String) -> Result<String, PassRegionError> {
    Ok(money(&input)?.to_string())
}

/// An amount (decimal string) in French display form (`"12,50 €"`).
#[uniffi::export]
pub fn format_money(amount: String) -> Result<String, PassRegionError> {
    Ok(money(&amount)?.format_fr())
}

/// The season (`"2026-2027"`) of a date (`YYYY-MM-DD`).
#[uniffi::export]
pub fn season_of(date: String) -> Result<String, PassRegionError> {
    let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| invalid("date"))?;
    Ok(Season::of_date(d).to_string())
}

/// The French label of a partner category.
#[uniffi::export]
pub fn partner_category_label(category: PartnerCategory) -> String {
    passregion_core::PartnerCategory::from(category)
        .label_fr()
        .to_owned()
}
