//! The Region's statistics (`GET /api/region/stats`, issue 15, ADR 0033):
//! cards by public, track, département and établissement; uptake per
//! avantage; spend per avantage and partner category, by month; the offline
//! share and the overspend flags; the top partners; bons plans per partner
//! against the yearly minimum.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::signed_money::SignedMoney;

/// `GET /api/region/stats?season=2026&departement=69`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct StatsQuery {
    /// The season: its first year (`2026`) or `2026-2027`; the current one
    /// when absent.
    pub season: Option<String>,
    /// A département (`69`, `2A`, `974`): the établissement's for cards and
    /// their transactions, the partner's for bons plans.
    pub departement: Option<String>,
}

/// Every figure of the dashboard, for one season (and a département).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionStats {
    /// `2026-2027`.
    pub season: String,
    /// The département filter, if any.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub departement: Option<String>,
    /// Every card and order of the season (and département).
    pub cards: CardCount,
    /// By public.
    pub by_public: Vec<CardCount>,
    /// By track (`key` empty: no track).
    pub by_track: Vec<CardCount>,
    /// By département.
    pub by_departement: Vec<CardCount>,
    /// By établissement.
    pub by_establishment: Vec<CardCount>,
    /// Share of the cards with at least one debit, per avantage.
    pub uptake: Vec<Uptake>,
    /// Spend per avantage.
    pub spend_by_avantage: Vec<Spend>,
    /// Spend per partner category.
    pub spend_by_category: Vec<Spend>,
    /// Spend per month (UTC) and avantage.
    pub monthly_by_avantage: Vec<MonthlySpend>,
    /// Spend per month (UTC) and partner category.
    pub monthly_by_category: Vec<MonthlySpend>,
    /// Debits by channel, and the offline share.
    pub channels: ChannelShare,
    /// Offline overspend flags on the season's cards.
    pub flags: FlagStats,
    /// The partners with the largest net spend (at most 10).
    pub top_partners: Vec<TopPartner>,
    /// Bons plans validated this season, per validated partner.
    pub bons_plans: Vec<PartnerBonsPlans>,
    /// The yearly minimum of bons plans per partner.
    pub bons_plans_minimum: u32,
}

/// Orders and cards of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardCount {
    /// Code of the group (public, track, département, établissement id).
    pub key: String,
    /// Its French label.
    pub label: String,
    /// Orders placed (any status).
    pub ordered: i64,
    /// Orders validated.
    pub validated: i64,
    /// Cards issued.
    pub cards: i64,
    /// Cards active.
    pub active: i64,
}

/// Uptake of one avantage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Uptake {
    /// Avantage code.
    pub avantage: String,
    /// Its label.
    pub label: String,
    /// Cards of the season (and département).
    pub cards: i64,
    /// Of which with at least one debit of this avantage.
    pub used: i64,
    /// `used / cards` in percent, one decimal (`12.5`).
    pub percent: String,
}

/// Transactions of one avantage or category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Spend {
    /// Code.
    pub key: String,
    /// Label.
    pub label: String,
    /// Debits.
    pub debits: i64,
    /// Refunds.
    pub refunds: i64,
    /// Euros reimbursed for the debits.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub debited: SignedMoney,
    /// Euros given back by the refunds (negative).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub refunded: SignedMoney,
    /// `debited + refunded`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub net: SignedMoney,
}

/// Net spend of one month and key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlySpend {
    /// `2026-09` (UTC).
    pub month: String,
    /// Avantage or category code.
    pub key: String,
    /// Transactions (debits and refunds).
    pub transactions: i64,
    /// Net euros.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub net: SignedMoney,
}

/// Debits by channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelShare {
    /// Per channel (`web`, `qr`, `offline`, `collective`).
    pub by_channel: Vec<Spend>,
    /// Debits in all.
    pub debits: i64,
    /// Offline debits.
    pub offline_debits: i64,
    /// `offline_debits / debits` in percent, one decimal.
    pub offline_percent: String,
}

/// Offline overspend flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlagStats {
    /// Flags raised.
    pub flags: i64,
    /// Cards flagged.
    pub cards: i64,
    /// Euros carried by the Region.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: Money,
}

/// A partner of the top list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopPartner {
    /// Partner id.
    pub partner_id: String,
    /// Name.
    pub name: String,
    /// Category code.
    pub category: String,
    /// Debits.
    pub debits: i64,
    /// Refunds.
    pub refunds: i64,
    /// Net euros.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub net: SignedMoney,
}

/// A partner's bons plans against the minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerBonsPlans {
    /// Partner id.
    pub partner_id: String,
    /// Name.
    pub name: String,
    /// Category code.
    pub category: String,
    /// Bons plans validated, created during the season.
    pub validated: i64,
    /// `validated < minimum`.
    pub below_minimum: bool,
}

/// `part / whole` in percent with one decimal, rounded half up, in integers
/// (`"0.0"` when `whole` is 0).
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0.0".to_owned();
    }
    let tenths = (part.saturating_mul(1000) + whole / 2) / whole;
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percents_are_rounded_in_integers() {
        assert_eq!(percent(0, 0), "0.0");
        assert_eq!(percent(1, 3), "33.3");
        assert_eq!(percent(2, 3), "66.7");
        assert_eq!(percent(5, 5), "100.0");
        assert_eq!(percent(1, 8), "12.5");
    }
}
