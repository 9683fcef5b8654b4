//! Request and response types of accounts (shared with the clients, in
//! [`passregion_core::api::accounts`]), and the server-only [`Principal`].

use passregion_core::PartnerCategory;
use passregion_core::status::{EstablishmentRole, PartnerRole, RegionRole};

pub use passregion_core::api::accounts::*;

/// Who is calling (from the session). Server-only: never on the wire.
#[derive(Clone, Debug)]
pub struct Principal {
    /// Account id.
    pub account_id: String,
    /// Role.
    pub role: Role,
    /// For partner staff: the partner and its category.
    pub partner: Option<(String, PartnerCategory, bool)>,
    /// For partner staff: manager or cashier (`None` for other roles; a
    /// partner account without one may do what a cashier does).
    pub partner_role: Option<PartnerRole>,
    /// For établissement staff: the établissement.
    pub establishment_id: Option<String>,
    /// For établissement staff: head or staff (`None` for other roles; an
    /// établissement account without one may do what its staff do).
    pub establishment_role: Option<EstablishmentRole>,
    /// For Region staff: administration, instruction or finances (`None`
    /// for other roles; a Region account without one may only read what
    /// every agent reads).
    pub region_role: Option<RegionRole>,
}

/// What a registration found, inside its write job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// A new account, or one still waiting for its address to be
    /// confirmed: a link is to be sent.
    New,
    /// The address already has a confirmed account (nothing written).
    Existing,
}
