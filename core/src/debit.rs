//! The debit rule and the refund rule: the one place that decides how much a
//! card pays and how much the youth pays. The server (online debits) and the
//! partner app (offline debits) both call these functions.
//!
//! FAQ §7: when the price is below the available credit, the partner debits the
//! price and the rest stays on the card; when the price is above it, the credit
//! is debited, the balance becomes zero and the youth pays the *reste à payer*.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// Whether an avantage is counted in euros or in entries (places, licences…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvantageKind {
    /// A euro credit; partial debits allowed.
    Credit,
    /// A number of entries; each debit uses whole entries.
    Entries,
}

impl AvantageKind {
    /// The snake_case code used in data files and the API.
    pub fn code(self) -> &'static str {
        match self {
            AvantageKind::Credit => "credit",
            AvantageKind::Entries => "entries",
        }
    }
}

/// A quantity of an avantage: euros for a credit, a count for entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Quantity {
    /// Euros.
    Credit {
        /// The amount.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        amount: Money,
    },
    /// Entries.
    Entries {
        /// The count.
        count: u32,
    },
}

impl Quantity {
    /// The kind of avantage this quantity measures.
    pub fn kind(self) -> AvantageKind {
        match self {
            Quantity::Credit { .. } => AvantageKind::Credit,
            Quantity::Entries { .. } => AvantageKind::Entries,
        }
    }

    /// The integer units stored in the ledger: cents for a credit, a count for entries.
    pub fn units(self) -> i64 {
        match self {
            Quantity::Credit { amount } => amount.cents(),
            Quantity::Entries { count } => i64::from(count),
        }
    }

    /// Rebuilds a quantity from ledger units.
    pub fn from_units(kind: AvantageKind, units: i64) -> Result<Quantity, MoneyError> {
        match kind {
            AvantageKind::Credit => Ok(Quantity::Credit {
                amount: Money::from_cents(units)?,
            }),
            AvantageKind::Entries => Ok(Quantity::Entries {
                count: u32::try_from(units).map_err(|_| {
                    if units < 0 {
                        MoneyError::Negative
                    } else {
                        MoneyError::TooLarge
                    }
                })?,
            }),
        }
    }

    /// `true` when nothing is left.
    pub fn is_zero(self) -> bool {
        self.units() == 0
    }
}

/// Why a debit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DebitError {
    /// A price of zero (nothing to debit).
    #[error("the price must be greater than zero")]
    ZeroPrice,
    /// The avantage has nothing left.
    #[error("no credit left on this avantage")]
    NothingLeft,
    /// A euro price for an entries avantage, or the reverse.
    #[error("the price is not of the avantage's kind")]
    KindMismatch,
}

/// The outcome of a euro debit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditDebit {
    /// What the card pays (and the Region reimburses).
    pub debited: Money,
    /// What is left on the avantage afterwards.
    pub new_balance: Money,
    /// What the youth pays at the counter.
    pub reste_a_payer: Money,
}

/// Applies the debit rule to a euro credit.
pub fn debit_credit(available: Money, price: Money) -> Result<CreditDebit, DebitError> {
    if price.is_zero() {
        return Err(DebitError::ZeroPrice);
    }
    if available.is_zero() {
        return Err(DebitError::NothingLeft);
    }
    let debited = available.min(price);
    // Both subtractions are of a smaller amount from a larger one: they cannot fail.
    let new_balance = available.checked_sub(debited).unwrap_or(Money::ZERO);
    let reste_a_payer = price.checked_sub(debited).unwrap_or(Money::ZERO);
    Ok(CreditDebit {
        debited,
        new_balance,
        reste_a_payer,
    })
}

/// The outcome of an entries debit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntriesDebit {
    /// Entries taken from the card.
    pub used: u32,
    /// Entries left afterwards.
    pub remaining: u32,
    /// Entries asked for that the card no longer covers (the youth pays them).
    pub not_covered: u32,
}

/// Applies the debit rule to a count of entries.
pub fn debit_entries(available: u32, requested: u32) -> Result<EntriesDebit, DebitError> {
    if requested == 0 {
        return Err(DebitError::ZeroPrice);
    }
    if available == 0 {
        return Err(DebitError::NothingLeft);
    }
    let used = available.min(requested);
    Ok(EntriesDebit {
        used,
        remaining: available - used,
        not_covered: requested - used,
    })
}

/// The outcome of a debit of either kind, in quantities of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitOutcome {
    /// What the card pays.
    pub debited: Quantity,
    /// What is left on the avantage.
    pub new_balance: Quantity,
    /// What the youth pays (euros or entries not covered).
    pub reste_a_payer: Quantity,
}

/// Applies the debit rule to a balance and a price of the same kind.
pub fn debit(available: Quantity, price: Quantity) -> Result<DebitOutcome, DebitError> {
    match (available, price) {
        (Quantity::Credit { amount: a }, Quantity::Credit { amount: p }) => {
            let d = debit_credit(a, p)?;
            Ok(DebitOutcome {
                debited: Quantity::Credit { amount: d.debited },
                new_balance: Quantity::Credit {
                    amount: d.new_balance,
                },
                reste_a_payer: Quantity::Credit {
                    amount: d.reste_a_payer,
                },
            })
        }
        (Quantity::Entries { count: a }, Quantity::Entries { count: p }) => {
            let d = debit_entries(a, p)?;
            Ok(DebitOutcome {
                debited: Quantity::Entries { count: d.used },
                new_balance: Quantity::Entries { count: d.remaining },
                reste_a_payer: Quantity::Entries {
                    count: d.not_covered,
                },
            })
        }
        _ => Err(DebitError::KindMismatch),
    }
}

/// Why a refund is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// This debit was already refunded.
    #[error("this debit was already refunded")]
    AlreadyRefunded,
    /// More than was debited.
    #[error("a refund cannot exceed the debit")]
    ExceedsDebit,
    /// Zero.
    #[error("the refund must be greater than zero")]
    Zero,
    /// Past the refund window.
    #[error("the refund window has closed")]
    WindowClosed,
    /// A euro refund of an entries debit, or the reverse.
    #[error("the refund is not of the debit's kind")]
    KindMismatch,
}

/// How long after a debit the partner may cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundPolicy {
    /// The window, counted from the debit.
    pub window: Duration,
}

impl Default for RefundPolicy {
    fn default() -> Self {
        RefundPolicy {
            window: Duration::days(7),
        }
    }
}

/// Decides a refund of (part of) a debit. A debit is refunded at most once,
/// never for more than was debited, and only within the policy's window.
/// `requested = None` refunds the whole debit.
pub fn refund(
    debited: Quantity,
    already_refunded: bool,
    requested: Option<Quantity>,
    debited_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: RefundPolicy,
) -> Result<Quantity, RefundError> {
    if already_refunded {
        return Err(RefundError::AlreadyRefunded);
    }
    if now > debited_at + policy.window {
        return Err(RefundError::WindowClosed);
    }
    let amount = requested.unwrap_or(debited);
    if amount.kind() != debited.kind() {
        return Err(RefundError::KindMismatch);
    }
    if amount.is_zero() {
        return Err(RefundError::Zero);
    }
    if amount.units() > debited.units() {
        return Err(RefundError::ExceedsDebit);
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::MAX_CENTS;
    use proptest::prelude::*;

    fn m(c: i64) -> Money {
        Money::from_cents(c).unwrap()
    }

    #[test]
    fn faq_examples() {
        // 12,50 € from 15 €: 2,50 € stay on the card, nothing to pay.
        assert_eq!(
            debit_credit(m(1500), m(1250)),
            Ok(CreditDebit {
                debited: m(1250),
                new_balance: m(250),
                reste_a_payer: m(0)
            })
        );
        // 20 € with 15 € left: the card goes to zero, the youth pays 5 €.
        assert_eq!(
            debit_credit(m(1500), m(2000)),
            Ok(CreditDebit {
                debited: m(1500),
                new_balance: m(0),
                reste_a_payer: m(500)
            })
        );
        assert_eq!(debit_credit(m(0), m(100)), Err(DebitError::NothingLeft));
        assert_eq!(debit_credit(m(100), m(0)), Err(DebitError::ZeroPrice));
        assert_eq!(
            debit_entries(2, 3),
            Ok(EntriesDebit {
                used: 2,
                remaining: 0,
                not_covered: 1
            })
        );
        assert_eq!(
            debit(
                Quantity::Entries { count: 1 },
                Quantity::Credit { amount: m(1) }
            ),
            Err(DebitError::KindMismatch)
        );
    }

    #[test]
    fn refund_rules() {
        let t0 = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap();
        let p = RefundPolicy::default();
        let d = Quantity::Credit { amount: m(1250) };
        assert_eq!(refund(d, false, None, t0, t0, p), Ok(d));
        assert_eq!(
            refund(d, true, None, t0, t0, p),
            Err(RefundError::AlreadyRefunded)
        );
        assert_eq!(
            refund(
                d,
                false,
                Some(Quantity::Credit { amount: m(1251) }),
                t0,
                t0,
                p
            ),
            Err(RefundError::ExceedsDebit)
        );
        assert_eq!(
            refund(d, false, Some(Quantity::Credit { amount: m(0) }), t0, t0, p),
            Err(RefundError::Zero)
        );
        assert_eq!(
            refund(d, false, None, t0, t0 + Duration::days(8), p),
            Err(RefundError::WindowClosed)
        );
        assert_eq!(
            refund(d, false, Some(Quantity::Entries { count: 1 }), t0, t0, p),
            Err(RefundError::KindMismatch)
        );
    }

    proptest! {
        #[test]
        fn credit_debit_creates_and_loses_nothing(avail in 0..=MAX_CENTS, price in 0..=MAX_CENTS) {
            match debit_credit(m(avail), m(price)) {
                Ok(d) => {
                    // debited + reste = price; old = new + debited
                    prop_assert_eq!(d.debited.cents() + d.reste_a_payer.cents(), price);
                    prop_assert_eq!(d.new_balance.cents() + d.debited.cents(), avail);
                    prop_assert!(d.debited.cents() > 0);
                    prop_assert!(d.debited <= m(avail) && d.debited <= m(price));
                    // Either the card covered everything or it went to zero.
                    prop_assert!(d.reste_a_payer.is_zero() || d.new_balance.is_zero());
                }
                Err(DebitError::ZeroPrice) => prop_assert_eq!(price, 0),
                Err(DebitError::NothingLeft) => prop_assert_eq!(avail, 0),
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
            }
        }

        #[test]
        fn entries_debit_creates_and_loses_nothing(avail in 0u32..1000, req in 0u32..1000) {
            if let Ok(d) = debit_entries(avail, req) {
                prop_assert_eq!(d.used + d.not_covered, req);
                prop_assert_eq!(d.remaining + d.used, avail);
                prop_assert!(d.not_covered == 0 || d.remaining == 0);
            } else {
                prop_assert!(avail == 0 || req == 0);
            }
        }

        #[test]
        fn refund_after_debit_is_identity(avail in 1..=MAX_CENTS, price in 1..=MAX_CENTS) {
            let t0 = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap();
            let before = Quantity::Credit { amount: m(avail) };
            let out = debit(before, Quantity::Credit { amount: m(price) }).unwrap();
            let back = refund(out.debited, false, None, t0, t0, RefundPolicy::default()).unwrap();
            prop_assert_eq!(out.new_balance.units() + back.units(), before.units());
            // A second refund of the same debit is always refused.
            prop_assert_eq!(
                refund(out.debited, true, None, t0, t0, RefundPolicy::default()),
                Err(RefundError::AlreadyRefunded)
            );
        }

        #[test]
        fn refund_never_exceeds_debit(debited in 1..=MAX_CENTS, asked in 0..=MAX_CENTS) {
            let t0 = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap();
            let r = refund(
                Quantity::Credit { amount: m(debited) },
                false,
                Some(Quantity::Credit { amount: m(asked) }),
                t0, t0, RefundPolicy::default(),
            );
            match r {
                Ok(q) => prop_assert!(q.units() <= debited && q.units() > 0),
                Err(_) => prop_assert!(asked == 0 || asked > debited),
            }
        }
    }
}
