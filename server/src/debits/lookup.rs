//! How a counter finds a card, and how failed look-ups are limited: a QR text
//! (verified at the scan instant) or a typed number + birth date, with a
//! failure budget per source address and per partner account.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use passregion_core::card::CardNumber;

use crate::accounts::model::Principal;
use crate::debits::card::{CardRef, Channel};
use crate::debits::error::DebitsError;
use crate::debits::model::CardSelector;
use crate::debits::qr::QrResolver;
use crate::error::ServiceError;
use crate::platform::run_blocking;
use crate::web::limits::FailureWindow;

/// How far in the past a queued scan may be (a debit queued offline by the
/// web app carries the time its QR was read).
pub const SCAN_PAST_WINDOW: Duration = Duration::hours(72);
/// How far ahead of the server clock a scan time may be (clock skew).
pub const SCAN_FUTURE_SKEW: Duration = Duration::minutes(5);

/// The instant at which a QR is verified: now, or the given scan time when it
/// is within [`SCAN_PAST_WINDOW`] before and [`SCAN_FUTURE_SKEW`] after now.
pub fn scan_instant(
    scanned_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ServiceError> {
    match scanned_at {
        None => Ok(now),
        Some(t) if t <= now + SCAN_FUTURE_SKEW && t >= now - SCAN_PAST_WINDOW => Ok(t),
        Some(_) => Err(ServiceError::Invalid {
            field: "scanned_at",
            message: "L'heure du scan doit dater de moins de 72 heures.".into(),
        }),
    }
}

/// Turns the card selector of a request into a card reference: a QR text is
/// verified (signature, trust list, time step) at its scan instant; a typed
/// number is checked by its Luhn digit (the birth date is checked in the
/// debit's transaction, with the card's lockout).
pub async fn resolve(
    qr: Arc<dyn QrResolver>,
    sel: &CardSelector,
    scanned_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(CardRef, Channel), ServiceError> {
    match (&sel.qr, &sel.card_number, sel.birth_date) {
        (Some(text), None, None) => {
            let at = scan_instant(scanned_at, now)?;
            let text = text.clone();
            let scanned = run_blocking(move || qr.resolve(&text, at)).await?;
            Ok((CardRef::Scanned(scanned), Channel::Qr))
        }
        (None, Some(number), Some(birth)) => {
            let number = CardNumber::parse(number)?;
            Ok((CardRef::Number(number, birth), Channel::Web))
        }
        _ => Err(ServiceError::Invalid {
            field: "card_number",
            message:
                "Indiquez soit le QR code lu, soit le numéro de carte et la date de naissance."
                    .into(),
        }),
    }
}

/// The failure budgets a card look-up draws on: the caller's address and its
/// account.
pub struct LookupAttempt {
    keys: [String; 2],
}

impl LookupAttempt {
    /// The budgets of `who` calling from `source`.
    pub fn new(who: &Principal, source: &str) -> LookupAttempt {
        LookupAttempt {
            keys: [
                format!("card-ip:{source}"),
                format!("card-account:{}", who.account_id),
            ],
        }
    }

    /// Refuses the attempt when either budget is spent.
    pub fn check(&self, failures: &FailureWindow, now: DateTime<Utc>) -> Result<(), ServiceError> {
        if self.keys.iter().any(|k| failures.blocked(k, now)) {
            return Err(ServiceError::TooManyAttempts);
        }
        Ok(())
    }

    /// Counts the outcome: a wrong number/birth date or a locked card spends
    /// one failure of each budget.
    pub fn record<T>(
        &self,
        failures: &FailureWindow,
        now: DateTime<Utc>,
        outcome: &Result<T, ServiceError>,
    ) {
        if matches!(
            outcome,
            Err(ServiceError::Debits(
                DebitsError::CardOrBirthDate | DebitsError::CardLocked
            ))
        ) {
            for k in &self.keys {
                failures.record(k, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_time_is_bounded_on_both_sides() {
        let now: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        assert_eq!(scan_instant(None, now).unwrap(), now);
        let ok_past = now - SCAN_PAST_WINDOW;
        assert_eq!(scan_instant(Some(ok_past), now).unwrap(), ok_past);
        assert!(scan_instant(Some(ok_past - Duration::seconds(1)), now).is_err());
        let ok_future = now + SCAN_FUTURE_SKEW;
        assert_eq!(scan_instant(Some(ok_future), now).unwrap(), ok_future);
        assert!(scan_instant(Some(ok_future + Duration::seconds(1)), now).is_err());
    }
}
