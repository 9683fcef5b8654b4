//! The ledger: every change of a balance is an appended movement; a balance is
//! derived from the movements, never stored.

use serde::{Deserialize, Serialize};

/// The kinds of movement on one avantage of one card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// The season's avantage loaded on the card.
    Load,
    /// A partner's debit.
    Debit,
    /// A partner's refund (cancellation) of a debit.
    Refund,
    /// The balance a card brought from the Region's previous system
    /// (*reprise*, issue 16): counted as its load for the season (what is
    /// left of the avantage when the card was taken over), instead of the
    /// catalogue's full amount.
    Opening,
}

impl MovementKind {
    /// Stable code, as stored in SQL.
    pub fn code(self) -> &'static str {
        match self {
            MovementKind::Load => "load",
            MovementKind::Debit => "debit",
            MovementKind::Refund => "refund",
            MovementKind::Opening => "opening",
        }
    }

    /// Inverse of [`MovementKind::code`].
    pub fn from_code(code: &str) -> Option<MovementKind> {
        match code {
            "load" => Some(MovementKind::Load),
            "debit" => Some(MovementKind::Debit),
            "refund" => Some(MovementKind::Refund),
            "opening" => Some(MovementKind::Opening),
            _ => None,
        }
    }
}

/// Sums of the movements of one avantage, in ledger units (cents or entries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Sum of loads (and opening balances).
    pub loaded: i64,
    /// Sum of debits.
    pub debited: i64,
    /// Sum of refunds.
    pub refunded: i64,
}

/// Why a set of movements is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A movement with zero or negative units.
    #[error("a movement must be positive")]
    NonPositive,
    /// More debited than loaded and refunded.
    #[error("the balance would be negative")]
    Overdrawn,
    /// More refunded than debited.
    #[error("more refunded than debited")]
    OverRefunded,
    /// Sums beyond i64.
    #[error("ledger sums overflow")]
    Overflow,
}

impl Totals {
    /// Adds one movement, checking the invariants.
    pub fn apply(mut self, kind: MovementKind, units: i64) -> Result<Totals, LedgerError> {
        if units <= 0 {
            return Err(LedgerError::NonPositive);
        }
        let slot = match kind {
            MovementKind::Load | MovementKind::Opening => &mut self.loaded,
            MovementKind::Debit => &mut self.debited,
            MovementKind::Refund => &mut self.refunded,
        };
        *slot = slot.checked_add(units).ok_or(LedgerError::Overflow)?;
        self.check()?;
        Ok(self)
    }

    /// `loaded − debited + refunded`: the balance, derived.
    pub fn balance(self) -> i64 {
        self.loaded - self.debited + self.refunded
    }

    /// `loaded = balance + debited − refunded`, balance ≥ 0, refunds ≤ debits.
    pub fn check(self) -> Result<(), LedgerError> {
        if self.refunded > self.debited {
            return Err(LedgerError::OverRefunded);
        }
        if self.balance() < 0 {
            return Err(LedgerError::Overdrawn);
        }
        Ok(())
    }
}

/// Folds movements into totals, failing on the first inconsistency.
pub fn totals(
    movements: impl IntoIterator<Item = (MovementKind, i64)>,
) -> Result<Totals, LedgerError> {
    movements
        .into_iter()
        .try_fold(Totals::default(), |t, (k, u)| t.apply(k, u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn balance_is_derived() {
        use MovementKind::*;
        let t = totals([(Load, 1500), (Debit, 1250), (Refund, 250)]).unwrap();
        assert_eq!(t.balance(), 500);
        assert_eq!(
            totals([(Load, 100), (Debit, 101)]),
            Err(LedgerError::Overdrawn)
        );
        assert_eq!(
            totals([(Load, 100), (Debit, 10), (Refund, 11)]),
            Err(LedgerError::OverRefunded)
        );
        assert_eq!(totals([(Load, 0)]), Err(LedgerError::NonPositive));
        // An opening balance is the card's load: debited from, never beyond.
        let t = totals([(Opening, 700), (Debit, 500)]).unwrap();
        assert_eq!((t.loaded, t.balance()), (700, 200));
        assert_eq!(
            totals([(Opening, 700), (Debit, 701)]),
            Err(LedgerError::Overdrawn)
        );
        assert_eq!(MovementKind::from_code("opening"), Some(Opening));
    }

    proptest! {
        #[test]
        fn accepted_ledgers_keep_the_invariant(ops in proptest::collection::vec((0u8..3, 1i64..10_000), 0..60)) {
            let mut t = Totals::default();
            for (k, u) in ops {
                let kind = [MovementKind::Load, MovementKind::Debit, MovementKind::Refund][k as usize];
                if let Ok(next) = t.apply(kind, u) { t = next; }
                prop_assert!(t.balance() >= 0);
                prop_assert_eq!(t.loaded, t.balance() + t.debited - t.refunded);
            }
        }
    }
}
