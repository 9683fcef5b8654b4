//! The money rules of partner reimbursements, sans I/O.
//!
//! - [`settle`]: what a closed batch pays. A batch's own total is signed
//!   (debits − refunds of its period). What the partner still owes from
//!   earlier batches (refunds after a payout) is deducted first (*clawback*);
//!   a batch never pays below zero, and what it cannot absorb is carried to
//!   the partner's next batch. Over any sequence of batches,
//!   `Σ payable − owed now = Σ totals`: the partner is paid exactly the net of
//!   its debits and refunds, plus what it owes and will have deducted.
//! - [`refund_split`]: who gets what back when a partner cancels a debit the
//!   card did not fully pay (an offline debit beyond the balance, whose
//!   shortfall the Region covered): the partner returns what it was paid; the
//!   Region recovers its shortfall first; the card gets back at most what it paid.

use crate::money::{Money, MoneyError};
use crate::signed_money::SignedMoney;
use crate::status::BatchStatus;

/// What a closed batch pays and carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// The batch's own lines: debits − refunds of its period (signed).
    pub total: SignedMoney,
    /// Deficit carried in from earlier batches (zero or negative).
    pub carried_in: SignedMoney,
    /// What the Region pays for this batch (zero or positive).
    pub payable: SignedMoney,
    /// Deficit carried to the partner's next batch (zero or negative).
    pub carried_out: SignedMoney,
}

impl Settlement {
    /// `en_cours` (to be paid) when something is payable, else
    /// `compense` (settled by offsetting: nothing to pay).
    pub fn status(&self) -> BatchStatus {
        if self.payable.is_positive() {
            BatchStatus::InProgress
        } else {
            BatchStatus::Offset
        }
    }
}

/// Settles a batch whose own lines sum to `total` for a partner that owes
/// `owed` from earlier batches (a negative `owed` is treated as zero: a
/// credit is paid, never carried). `total + carried_in = payable + carried_out`.
pub fn settle(total: SignedMoney, owed: SignedMoney) -> Result<Settlement, MoneyError> {
    let owed = owed.max_zero();
    let net = total.checked_sub(owed)?;
    Ok(Settlement {
        total,
        carried_in: -owed,
        payable: net.max_zero(),
        carried_out: net.min_zero(),
    })
}

/// Who gets what back from a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundSplit {
    /// What the partner gives back (deducted from its reimbursements).
    pub partner_returns: Money,
    /// What goes back to the card (its ledger).
    pub card_credit: Money,
    /// What goes back to the Region (the shortfall it had covered).
    pub region_recovers: Money,
}

/// Splits a refund of `returned` euros of a debit for which the partner was
/// paid `paid` and the card paid `on_card` (`on_card < paid` when the Region
/// covered a shortfall). The shortfall is recovered first, then the card's
/// part: a full refund (`returned = paid`) gives the card back exactly
/// `on_card`. `returned` above `paid` is refused (`TooLarge`).
pub fn refund_split(
    paid: Money,
    on_card: Money,
    returned: Money,
) -> Result<RefundSplit, MoneyError> {
    if returned > paid {
        return Err(MoneyError::TooLarge);
    }
    let on_card = on_card.min(paid);
    let shortfall = paid.checked_sub(on_card)?;
    let card_credit = returned.checked_sub(shortfall).unwrap_or(Money::ZERO);
    Ok(RefundSplit {
        partner_returns: returned,
        card_credit,
        region_recovers: returned.checked_sub(card_credit)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(c: i64) -> SignedMoney {
        SignedMoney::from_cents(c).unwrap()
    }

    fn m(c: i64) -> Money {
        Money::from_cents(c).unwrap()
    }

    #[test]
    fn a_refund_after_payout_is_carried_then_deducted() {
        // 12,50 € refunded after its batch was paid: the next batch is −12,50 €.
        let b2 = settle(s(-1250), SignedMoney::ZERO).unwrap();
        assert_eq!((b2.payable, b2.carried_out), (s(0), s(-1250)));
        assert_eq!(b2.status(), BatchStatus::Offset);
        // 5 € of new debits: not enough, 7,50 € carried again.
        let b3 = settle(s(500), -b2.carried_out).unwrap();
        assert_eq!(b3.carried_in, s(-1250));
        assert_eq!((b3.payable, b3.carried_out), (s(0), s(-750)));
        // 20 €: 12,50 € paid, nothing carried.
        let b4 = settle(s(2000), -b3.carried_out).unwrap();
        assert_eq!((b4.payable, b4.carried_out), (s(1250), s(0)));
        assert_eq!(b4.status(), BatchStatus::InProgress);
        // A batch that nets to zero pays nothing and carries nothing.
        let b5 = settle(s(0), s(0)).unwrap();
        assert_eq!(
            (b5.payable, b5.carried_out, b5.status()),
            (s(0), s(0), BatchStatus::Offset)
        );
        // A negative `owed` is no credit.
        assert_eq!(settle(s(100), s(-500)).unwrap().payable, s(100));
    }

    #[test]
    fn an_offline_shortfall_goes_back_to_the_region_first() {
        // Paid 12 € to the partner, the card held 5 €: the Region covered 7 €.
        let full = refund_split(m(1200), m(500), m(1200)).unwrap();
        assert_eq!((full.card_credit, full.region_recovers), (m(500), m(700)));
        let part = refund_split(m(1200), m(500), m(800)).unwrap();
        assert_eq!((part.card_credit, part.region_recovers), (m(100), m(700)));
        let small = refund_split(m(1200), m(500), m(300)).unwrap();
        assert_eq!((small.card_credit, small.region_recovers), (m(0), m(300)));
        // The card paid nothing: everything back to the Region.
        let empty = refund_split(m(1200), m(0), m(1200)).unwrap();
        assert_eq!((empty.card_credit, empty.region_recovers), (m(0), m(1200)));
        // An ordinary debit: all back to the card.
        let plain = refund_split(m(1200), m(1200), m(400)).unwrap();
        assert_eq!((plain.card_credit, plain.region_recovers), (m(400), m(0)));
        assert_eq!(
            refund_split(m(1200), m(500), m(1201)),
            Err(MoneyError::TooLarge)
        );
    }

    proptest! {
        /// Any sequence of batch totals, each settled with what the previous
        /// one carried: nothing is paid while a deficit is owed, and the sum
        /// paid minus what is still owed is exactly the sum of the totals.
        #[test]
        fn clawback_pays_exactly_the_net(totals in proptest::collection::vec(-50_000i64..50_000, 1..40)) {
            let mut owed = SignedMoney::ZERO;
            let (mut paid, mut net) = (0i64, 0i64);
            for t in totals {
                let b = settle(s(t), owed).unwrap();
                prop_assert!(!b.payable.is_negative() && !b.carried_out.is_positive());
                prop_assert!(!b.carried_in.is_positive());
                prop_assert_eq!(b.total.cents() + b.carried_in.cents(),
                                b.payable.cents() + b.carried_out.cents());
                prop_assert!(b.payable.is_zero() || b.carried_out.is_zero());
                prop_assert_eq!(b.status() == BatchStatus::Offset, b.payable.is_zero());
                paid += b.payable.cents();
                net += t;
                owed = -b.carried_out;
                prop_assert_eq!(paid - owed.cents(), net);
            }
        }

        #[test]
        fn refunds_never_give_the_card_more_than_it_paid(
            paid in 1i64..100_000, on_card_pct in 0i64..=100, returned_pct in 0i64..=100,
        ) {
            let on_card = paid * on_card_pct / 100;
            let returned = paid * returned_pct / 100;
            let r = refund_split(m(paid), m(on_card), m(returned)).unwrap();
            prop_assert!(r.card_credit <= m(on_card));
            prop_assert!(r.card_credit <= r.partner_returns);
            prop_assert_eq!(r.card_credit.cents() + r.region_recovers.cents(), returned);
            prop_assert!(r.region_recovers.cents() <= paid - on_card);
            if returned == paid {
                prop_assert_eq!(r.card_credit, m(on_card));
            }
        }
    }
}
