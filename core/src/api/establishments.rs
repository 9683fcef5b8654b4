//! Établissements: the order form's list, referents, collective debits.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// An établissement, for the order form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Establishment {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind (lycée, CFA, mission locale, IME, institut de formation…).
    pub kind: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
}

/// A thematic referent of an établissement (answered, and sent to declare one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Referent {
    /// Id (absent when declaring).
    #[serde(default)]
    pub id: String,
    /// Établissement (absent when declaring: the caller's).
    #[serde(default)]
    pub establishment_id: String,
    /// Établissement name (absent when declaring).
    #[serde(default)]
    pub establishment_name: String,
    /// `sport`, `culture`, `sante` or `administratif`.
    pub theme: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: Option<String>,
}

/// `POST /api/establishment/collective-debits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CollectiveRequest {
    /// The partner (validated convention).
    pub partner_id: String,
    /// Avantage code.
    pub avantage: String,
    /// Price per youth in euros, for a credit avantage.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub price_per_youth: Option<Money>,
    /// Entries per youth, for an entries avantage.
    pub entries_per_youth: Option<u32>,
    /// Cards of the établissement's youths taking part (1 to 100).
    pub card_ids: Vec<String>,
}

/// One card's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectiveLine {
    /// Card id.
    pub card_id: String,
    /// `debite` or `refuse`.
    pub status: String,
    /// Transaction (when debited).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub transaction_id: Option<String>,
    /// Taken from the card.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub debited: Option<String>,
    /// Left for the youth (or the établissement) to pay.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reste_a_payer: Option<String>,
    /// Balance left on the avantage.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub balance: Option<String>,
    /// Machine code of a refusal.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub code: Option<String>,
    /// French message of a refusal.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub message: Option<String>,
}

/// The booking's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectiveResponse {
    /// Partner.
    pub partner_id: String,
    /// Avantage.
    pub avantage: String,
    /// Per card, in request order.
    pub lines: Vec<CollectiveLine>,
    /// Cards debited.
    pub debited_cards: usize,
}
