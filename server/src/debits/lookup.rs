//! How a counter finds a card, and how failed look-ups are limited: a QR text
//! (verified at the server's clock) or a typed number + birth date, with a
//! failure budget per source address and per partner account.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use passregion_core::card::CardNumber;
use passregion_core::credential::STEP_SECONDS;

use crate::accounts::model::Principal;
use crate::config::Policy;
use crate::debits::card::CardRow;
use crate::debits::card::{CardRef, Channel};
use crate::debits::error::DebitsError;
use crate::debits::model::CardSelector;
use crate::debits::qr::QrResolver;
use crate::error::ServiceError;
use crate::platform::db::Outcome;
use crate::platform::run_blocking;
use crate::web::limits::Budgets;

/// How old a `scanned_at` may be on an online debit: a dynamic code is valid
/// for its time step ±1 (`core::credential::STEP_SECONDS`), so a code read
/// more than two steps ago can no longer be valid now. A past scan time is
/// accepted only through offline sync (`/api/sync/push`), where it is signed by
/// an enrolled partner device.
pub const ONLINE_SCAN_SKEW: Duration = Duration::seconds(2 * STEP_SECONDS);
/// How far ahead of the server clock a scan time may be (clock skew).
pub const SCAN_FUTURE_SKEW: Duration = Duration::minutes(5);

/// Checks the scan time a client gave for an online debit. It is information
/// only: online, every code is verified at the server's clock, never at a
/// time the client chose. A scan time older than [`ONLINE_SCAN_SKEW`] (a debit
/// queued and replayed later) is refused, so that the client learns the debit
/// was decided late rather than seeing a generic expired code.
pub fn check_online_scan_time(
    scanned_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    match scanned_at {
        Some(t) if t < now - ONLINE_SCAN_SKEW => Err(ServiceError::Debits(DebitsError::ScanTooOld)),
        Some(t) if t > now + SCAN_FUTURE_SKEW => Err(ServiceError::Invalid {
            field: "scanned_at",
            message: "L'heure du scan est dans le futur : vérifiez l'horloge de l'appareil.".into(),
        }),
        _ => Ok(()),
    }
}

/// Turns the card selector of a request into a card reference: a QR text is
/// verified (signature, trust list, time step) at the server's clock `now`;
/// a typed number is checked by its Luhn digit (the birth date is checked in
/// the debit's transaction, with the card's lockout). `scanned_at` does not
/// move the verification instant: see [`check_online_scan_time`].
pub async fn resolve(
    qr: Arc<dyn QrResolver>,
    sel: &CardSelector,
    scanned_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(CardRef, Channel), ServiceError> {
    match (&sel.qr, &sel.card_number, sel.birth_date) {
        (Some(text), None, birth) => {
            check_online_scan_time(scanned_at, now)?;
            let text = text.clone();
            let scanned = run_blocking(move || qr.resolve(&text, now)).await?;
            match (scanned.used.is_some(), scanned.card_version, birth) {
                // A dynamic app code proves the holder's phone.
                (true, _, _) => Ok((CardRef::Scanned(scanned), Channel::Qr)),
                // A printed code can be photocopied: the birth date too.
                (false, Some(version), Some(birth)) => Ok((
                    CardRef::Printed(scanned.card_id, version, birth),
                    Channel::Qr,
                )),
                (false, _, _) => Err(ServiceError::Debits(DebitsError::BirthDateRequired)),
            }
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
    /// A typed number + birth date (what can be guessed); a QR text cannot
    /// fail a birth date, so it only checks the budgets.
    typed: bool,
    /// A printed code + birth date: the birth date can be wrong, but the
    /// card is known (its guard locks it after 5 wrong dates in the writer's
    /// transaction, whatever the parallelism), so the attempt only checks
    /// the budgets, and a wrong date is counted afterwards. A busy counter's
    /// bursts of printed cards are not limited.
    printed: bool,
    /// The channel of a debit (`scan`, `number`) whose outcome is counted in
    /// the metrics; `None` for an inspection.
    debit: Option<&'static str>,
}

impl LookupAttempt {
    /// The budgets of `who` calling from `source` to look up `sel`.
    pub fn new(who: &Principal, source: &str, sel: &CardSelector) -> LookupAttempt {
        LookupAttempt {
            keys: [
                format!("card-ip:{source}"),
                format!("card-account:{}", who.account_id),
            ],
            typed: sel.card_number.is_some(),
            printed: sel.card_number.is_none() && sel.qr.is_some() && sel.birth_date.is_some(),
            debit: None,
        }
    }

    /// Like [`LookupAttempt::new`], for a debit: its outcome (accepted, or
    /// the refusal's code) is counted by channel in the metrics.
    pub fn debit(who: &Principal, source: &str, sel: &CardSelector) -> LookupAttempt {
        LookupAttempt {
            debit: Some(if sel.qr.is_some() { "scan" } else { "number" }),
            ..LookupAttempt::new(who, source, sel)
        }
    }

    /// Refuses the attempt when either budget is spent. A typed number
    /// reserves one attempt of each budget before the look-up, so parallel
    /// guesses cannot all pass the check (at most the budget are in flight or
    /// failed); a QR text, which cannot fail a birth date, reserves nothing,
    /// so a busy counter's bursts are not limited.
    pub fn check(&self, budgets: &Budgets, now: DateTime<Utc>) -> Result<(), ServiceError> {
        let [source, account] = [&self.keys[0], &self.keys[1]];
        let open = if self.typed {
            budgets.reserve(account, source, now)
        } else {
            !budgets.blocked(account, source, now)
        };
        if !open {
            if let Some(channel) = self.debit {
                let code = crate::web::problem::ApiError::from(ServiceError::TooManyAttempts).code;
                crate::platform::metrics::debit(channel, Some(code));
            }
            return Err(ServiceError::TooManyAttempts);
        }
        Ok(())
    }

    /// Settles the attempt ([`LookupAttempt::record`]) and counts a debit's
    /// outcome; the refusal as the API answers it.
    pub fn settle<T>(
        &self,
        budgets: &Budgets,
        now: DateTime<Utc>,
        outcome: Result<T, ServiceError>,
    ) -> Result<T, crate::web::problem::ApiError> {
        self.record(budgets, now, &outcome);
        let outcome = outcome.map_err(crate::web::problem::ApiError::from);
        if let Some(channel) = self.debit {
            crate::platform::metrics::debit(channel, outcome.as_ref().err().map(|e| e.code));
        }
        outcome
    }

    /// Settles the reserved attempt: a wrong number/birth date or a locked
    /// card keeps it as a failure of each budget; any other outcome gives it
    /// back.
    pub fn record<T>(
        &self,
        budgets: &Budgets,
        now: DateTime<Utc>,
        outcome: &Result<T, ServiceError>,
    ) {
        let failed = matches!(
            outcome,
            Err(ServiceError::Debits(
                DebitsError::CardOrBirthDate | DebitsError::CardLocked
            ))
        );
        if self.typed && !failed {
            budgets.release(&self.keys[1], &self.keys[0], now);
        }
        if self.printed && failed {
            budgets.record(&self.keys[1], &self.keys[0], now);
        }
    }
}

/// The birth-date guard of a typed number (real or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NumberGuard {
    /// Wrong birth dates since the last lock or success.
    pub(crate) failed_attempts: i64,
    /// Locked until then.
    pub(crate) locked_until: Option<DateTime<Utc>>,
    /// Locks so far (each one longer); reset by a right birth date.
    pub(crate) lockouts: u32,
}

/// The longest lock: the first lock's duration times 2^5.
pub const MAX_LOCK_DOUBLINGS: u32 = 5;

/// What a card look-up reads and writes inside the writer's transaction
/// (SQL only; the SQLite implementation is in `debits/repo.rs`).
pub(crate) trait CardLookupTx {
    /// The card of a verified QR.
    fn card_by_id(&self, id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// The card of a typed number.
    fn card_by_number(&self, number: &str) -> Result<Option<CardRow>, ServiceError>;
    /// The card a retired number (declared lost or stolen) belonged to.
    fn card_of_retired_number(&self, number: &str) -> Result<Option<CardRow>, ServiceError>;
    /// The guard of a (hashed) number; the default when it has none.
    /// `card_locked`: the transaction already holds the lock of the card
    /// this number belongs to (a printed code's card, read with
    /// [`Self::card_by_id`]), which every other look-up of a current number
    /// takes first: an engine with several writers needs no other lock.
    fn guard(&self, number_hash: &str, card_locked: bool) -> Result<NumberGuard, ServiceError>;
    /// Stores the guard of a (hashed) number.
    fn set_guard(
        &self,
        number_hash: &str,
        guard: &NumberGuard,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
    /// Keeps a lock of a (hashed) number, with its card when it has one
    /// (append-only, for the Region's desk).
    fn record_lockout(
        &self,
        number_hash: &str,
        card_id: Option<&str>,
        guard: &NumberGuard,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

/// Finds the card of a debit or an inspection, applying the birth-date check
/// and the lockout: after `policy.max_birth_date_failures` wrong dates the
/// number is locked for `policy.lockout`, twice as long at each new lock (up
/// to 2^[`MAX_LOCK_DOUBLINGS`] times). The guard is kept per number whether a
/// card has it or not, so an unknown number answers, locks and writes exactly
/// like a real one. A failure is `Outcome::CommitAndRefuse`: its count is
/// committed, and the caller still refuses.
pub(crate) fn identify(
    tx: &dyn CardLookupTx,
    card: &CardRef,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Outcome<CardRow>, ServiceError> {
    let refuse = |e: DebitsError| Ok(Outcome::CommitAndRefuse(ServiceError::Debits(e)));
    match card {
        CardRef::Scanned(scan) => match tx.card_by_id(&scan.card_id)? {
            Some(row) => Ok(Outcome::Commit(row)),
            None => refuse(DebitsError::Qr("unknown card".into())),
        },
        CardRef::Number(number, birth) => {
            let row = tx.card_by_number(number.as_str())?;
            // A replaced card's old number, with its holder's birth date, is
            // told as such; with another date it fails like any number.
            if row.is_none()
                && tx
                    .card_of_retired_number(number.as_str())?
                    .is_some_and(|r| r.birth_date == *birth)
            {
                return refuse(DebitsError::CardReplaced);
            }
            // Not `card_locked`, even when the number is a card's: a typed
            // number goes the same way whether it is real or not.
            check_birth_date(tx, number.as_str(), row, *birth, false, policy, now)
        }
        CardRef::Printed(card_id, version, birth) => match tx.card_by_id(card_id)? {
            // An earlier print of a replaced card.
            Some(row) if row.version != *version => refuse(DebitsError::CardReplaced),
            Some(row) => {
                let number = row.number.clone();
                check_birth_date(tx, &number, Some(row), *birth, true, policy, now)
            }
            None => refuse(DebitsError::Qr("unknown card".into())),
        },
    }
}

/// The birth-date check of a card number (typed, or read from a printed
/// code), with the number's guard: counted failures, escalating locks.
fn check_birth_date(
    tx: &dyn CardLookupTx,
    number: &str,
    row: Option<CardRow>,
    birth: chrono::NaiveDate,
    card_locked: bool,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Outcome<CardRow>, ServiceError> {
    let refuse = |e: DebitsError| Ok(Outcome::CommitAndRefuse(ServiceError::Debits(e)));
    let hash = crate::platform::sql::sha256_hex(number.as_bytes());
    let guard = tx.guard(&hash, card_locked)?;
    if guard.locked_until.is_some_and(|t| t > now) {
        return refuse(DebitsError::CardLocked);
    }
    let card_id = row.as_ref().map(|r| r.id.clone());
    let Some(row) = row.filter(|r| r.birth_date == birth) else {
        let failed_attempts = guard.failed_attempts + 1;
        if failed_attempts >= policy.max_birth_date_failures {
            let doublings = guard.lockouts.min(MAX_LOCK_DOUBLINGS);
            let lock = policy.lockout * 2_i32.pow(doublings);
            let locked = NumberGuard {
                failed_attempts: 0,
                locked_until: Some(now + lock),
                lockouts: guard.lockouts.saturating_add(1),
            };
            tx.set_guard(&hash, &locked, now)?;
            tx.record_lockout(&hash, card_id.as_deref(), &locked, now)?;
            return refuse(DebitsError::CardLocked);
        }
        let counted = NumberGuard {
            failed_attempts,
            ..guard
        };
        tx.set_guard(&hash, &counted, now)?;
        return refuse(DebitsError::CardOrBirthDate);
    };
    if guard != NumberGuard::default() {
        tx.set_guard(&hash, &NumberGuard::default(), now)?;
    }
    Ok(Outcome::Commit(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_online_scan_time_is_bounded_on_both_sides() {
        let now: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        assert!(check_online_scan_time(None, now).is_ok());
        let oldest = now - ONLINE_SCAN_SKEW;
        assert!(check_online_scan_time(Some(oldest), now).is_ok());
        for past in [
            Duration::seconds(1),
            Duration::minutes(10),
            Duration::hours(71),
        ] {
            assert!(matches!(
                check_online_scan_time(Some(oldest - past), now),
                Err(ServiceError::Debits(DebitsError::ScanTooOld))
            ));
        }
        let ok_future = now + SCAN_FUTURE_SKEW;
        assert!(check_online_scan_time(Some(ok_future), now).is_ok());
        assert!(check_online_scan_time(Some(ok_future + Duration::seconds(1)), now).is_err());
    }
}
