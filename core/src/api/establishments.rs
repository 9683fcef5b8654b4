//! Établissements: the order form's list, referents (and partners' requests
//! for their contact), collective bookings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::status::ReferentRequestStatus;

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

/// A thematic referent of an établissement, with its contact: what the
/// établissement sends to declare or edit one, and sees of its own
/// (`/api/establishment/referents`). Nobody else gets this type: partners
/// get a [`PartnerReferent`], the directory a [`ReferentSummary`].
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

/// `POST /api/establishment/collective-bookings`: an établissement asks a
/// partner for a service to a group of its youths. Nothing is debited until
/// the partner confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CollectiveBookingRequest {
    /// The partner (convention in force, allowed to debit the avantage).
    pub partner_id: String,
    /// Avantage code.
    pub avantage: String,
    /// Day of the service (Region time): today up to 90 days ahead.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub service_date: NaiveDate,
    /// Price per youth in euros, for a credit avantage: more than zero, at
    /// most the avantage's season amount and the Region's per-youth cap.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[serde(default)]
    pub price_per_youth: Option<Money>,
    /// Entries per youth, for an entries avantage (at most the avantage's season amount).
    #[serde(default)]
    pub entries_per_youth: Option<u32>,
    /// Cards of the établissement's own youths taking part (1 to 100, each once).
    pub card_ids: Vec<String>,
    /// What the booking is (shown to the partner and in each youth's history).
    pub label: String,
}

/// One youth's line of a collective booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectiveLine {
    /// Card id.
    pub card_id: String,
    /// Holder's first name and initial.
    pub holder: String,
    /// `en_attente` (booking not confirmed), `debite` or `refuse`.
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
    /// Machine code of a refusal.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub code: Option<String>,
    /// French message of a refusal.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub message: Option<String>,
}

/// A collective booking, as the établissement, the partner and the Region see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectiveBooking {
    /// Id.
    pub id: String,
    /// Établissement.
    pub establishment_id: String,
    /// Établissement name.
    pub establishment_name: String,
    /// Partner.
    pub partner_id: String,
    /// Partner name.
    pub partner_name: String,
    /// Avantage code.
    pub avantage: String,
    /// `credit` or `entries`.
    pub unit_kind: String,
    /// Price per youth (euros, or entries).
    pub price_per_youth: String,
    /// Euro value asked for the whole booking (price × youths).
    pub total: String,
    /// What the booking is.
    pub label: String,
    /// Day of the service.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub service_date: NaiveDate,
    /// `demandee`, `confirmee`, `refusee`, `expiree` or `annulee`.
    pub status: crate::status::CollectiveBookingStatus,
    /// The status in French words.
    pub status_label: String,
    /// Until when the partner may confirm (end of the service day, Region time).
    pub confirm_before: DateTime<Utc>,
    /// Who requested it (display name of the établissement's account).
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// Who confirmed, declined or cancelled it.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decided_by: Option<String>,
    /// When it was confirmed, declined, cancelled or found expired.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decided_at: Option<DateTime<Utc>>,
    /// The partner's reason for declining.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
    /// Youths debited (once confirmed).
    pub debited_cards: usize,
    /// One line per youth, in request order.
    pub lines: Vec<CollectiveLine>,
}

/// `POST /api/partner/collective-bookings/{id}/decline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CollectiveDecision {
    /// Why (optional, shown to the établissement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A référent in the directory (`GET /api/referents`): who and where, never
/// the contact. The e-mail and phone go only to a partner whose request the
/// établissement granted (ADR 0027).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferentSummary {
    /// Id.
    pub id: String,
    /// Établissement.
    pub establishment_id: String,
    /// Établissement name.
    pub establishment_name: String,
    /// `sport`, `culture`, `sante` or `administratif`.
    pub theme: String,
    /// Name.
    pub name: String,
}

/// `POST /api/partner/referent-requests`: a partner whose convention is in
/// force asks for a référent's contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferentRequestInput {
    /// The référent.
    pub referent_id: String,
    /// Why (shown to the établissement): 1 to 500 characters.
    pub message: String,
}

/// `POST /api/establishment/referent-requests/{id}/decline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferentDecision {
    /// Why (optional, shown to the partner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A partner's request for a référent's contact, as the établissement and
/// the partner see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferentRequest {
    /// Id.
    pub id: String,
    /// The référent.
    pub referent_id: String,
    /// The référent's name.
    pub referent_name: String,
    /// The référent's theme.
    pub theme: String,
    /// The référent's établissement.
    pub establishment_id: String,
    /// Its name.
    pub establishment_name: String,
    /// The partner asking.
    pub partner_id: String,
    /// Its name.
    pub partner_name: String,
    /// Its category.
    pub partner_category: String,
    /// The partner's message.
    pub message: String,
    /// `demandee`, `accordee`, `refusee` or `retiree`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "demandee"))]
    pub status: ReferentRequestStatus,
    /// The status in French words.
    pub status_label: String,
    /// Who sent it (name of the partner's account).
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// Who granted, declined or withdrew it (the établissement sees it; the
    /// partner does not: `null`).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decided_by: Option<String>,
    /// When it was last granted, declined or withdrawn.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub decided_at: Option<DateTime<Utc>>,
    /// The établissement's reason for declining.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub reason: Option<String>,
}

/// A référent as a partner in force sees it (`GET /api/partner/referents`):
/// the contact only while the partner's request is granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerReferent {
    /// Id.
    pub id: String,
    /// Établissement.
    pub establishment_id: String,
    /// Établissement name.
    pub establishment_name: String,
    /// `sport`, `culture`, `sante` or `administratif`.
    pub theme: String,
    /// Name.
    pub name: String,
    /// The partner's latest request for this référent (`null`: never asked).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub request: Option<ReferentRequest>,
    /// E-mail: only while the request is granted (`null` otherwise).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub email: Option<String>,
    /// Phone: only while the request is granted (`null` otherwise, or none given).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub phone: Option<String>,
}
