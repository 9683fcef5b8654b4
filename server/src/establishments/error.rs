//! Errors of établissements: collective bookings, requests for référents.

use passregion_core::status::CollectiveBookingStatus;
use passregion_core::status::ReferentRequestStatus;

/// Errors of collective bookings and référent requests. Wrapped by [`crate::error::ServiceError`],
/// mapped to the public problem body in one place (`crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum EstablishmentsError {
    /// The price per youth is above the avantage's season amount or the
    /// Region's per-youth cap (`max`: the highest allowed, as shown).
    #[error("price per youth above {max}")]
    PricePerYouthTooHigh {
        /// The highest price per youth, as shown (`20,00 €`, `5 entrées`).
        max: String,
    },
    /// The booking's total is above the per-booking cap.
    #[error("booking above {max}")]
    BookingTooLarge {
        /// The cap, as shown.
        max: String,
    },
    /// The établissement's bookings of the day would pass the daily cap.
    #[error("daily cap {max} reached")]
    DailyCapReached {
        /// The cap, as shown.
        max: String,
        /// What is left today, as shown.
        left: String,
    },
    /// A card of the request is not one of the établissement's youths.
    #[error("card of another establishment")]
    CardsNotOwn,
    /// The service date is in the past or too far ahead.
    #[error("service date out of range")]
    ServiceDate,
    /// The booking was not confirmed before the end of its service day.
    #[error("booking expired")]
    BookingExpired,
    /// The booking is no longer waiting for an answer.
    #[error("booking already {0}")]
    BookingAlreadyDecided(CollectiveBookingStatus),
    /// The partner already has a waiting or granted request for this référent.
    #[error("referent request already open")]
    ReferentRequestOpen,
    /// The référent request is not in the state the action needs (grant or
    /// decline: waiting; withdraw: granted).
    #[error("referent request is {0}")]
    ReferentRequestState(ReferentRequestStatus),
}
