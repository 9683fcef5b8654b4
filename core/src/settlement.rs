//! The server's settlement of an offline debit at push time (sans I/O).
//!
//! A partner device accepts an offline debit with what it knows: the
//! credential's limits and what *it* accepted (`sync::decide_offline_debit`).
//! It cannot see other devices, other credentials of the card, a revocation
//! or a suspension it has not pulled yet. When the debit reaches the server,
//! this rule decides, with everything the server knows, what moves:
//!
//! - refused (nothing moves, the partner is not paid) when the credential
//!   was revoked or the card suspended at or before the scan time, or when
//!   the partner's caps (per transaction, per day across all its devices)
//!   would be exceeded;
//! - otherwise the card pays what its avantage still holds, the Region
//!   covers the shortfall **within the card's offline guarantee** `G`
//!   (per card and season), and whatever is beyond both is not paid to the
//!   partner (`unpaid`). An item the card and the guarantee cannot pay at
//!   all is refused.
//!
//! Hence, for any number of credentials, devices, partners and pushes, the
//! Region's loss on a card in a season (what it pays partners beyond what
//! the card paid) is at most `G`: see ADR 0020.

use crate::sync::PartnerCaps;

/// What the server knows about a pushed offline debit, in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushFacts {
    /// What the partner accepted offline (the card's share at the counter).
    pub debited_cents: i64,
    /// The credential was revoked at or before the scan time.
    pub credential_revoked: bool,
    /// The card was suspended at the scan time.
    pub card_suspended: bool,
    /// Offline debits already paid to this partner on the scan's day.
    pub partner_day_cents: i64,
    /// What the card's avantage holds now.
    pub card_balance_cents: i64,
    /// What the Region already covered for this card this season.
    pub guarantee_used_cents: i64,
}

/// Why a pushed offline debit is refused at settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettlementRefusal {
    /// The credential was revoked before the scan.
    #[error("credential revoked before the scan")]
    CredentialRevoked,
    /// The card was suspended at the scan.
    #[error("card suspended at the scan")]
    CardSuspended,
    /// Above the partner's per-transaction or daily offline cap.
    #[error("above the partner's offline caps")]
    PartnerCap,
    /// Neither the card nor the offline guarantee can pay anything.
    #[error("card empty and offline guarantee spent")]
    GuaranteeSpent,
    /// A negative or zero amount.
    #[error("invalid amount")]
    InvalidAmount,
}

/// How a settled offline debit is paid, in cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Taken from the card's avantage.
    pub on_card_cents: i64,
    /// Covered by the Region (the card's offline guarantee).
    pub region_cents: i64,
    /// Accepted by the partner but paid by nobody.
    pub unpaid_cents: i64,
}

impl Settlement {
    /// What the partner is reimbursed.
    pub fn paid_cents(&self) -> i64 {
        self.on_card_cents + self.region_cents
    }
}

/// The settlement rule (see the module documentation).
pub fn settle_offline_debit(
    caps: &PartnerCaps,
    guarantee_cents: i64,
    facts: &PushFacts,
) -> Result<Settlement, SettlementRefusal> {
    let debited = facts.debited_cents;
    if debited <= 0 {
        return Err(SettlementRefusal::InvalidAmount);
    }
    if facts.credential_revoked {
        return Err(SettlementRefusal::CredentialRevoked);
    }
    if facts.card_suspended {
        return Err(SettlementRefusal::CardSuspended);
    }
    let day_after = facts.partner_day_cents.max(0).saturating_add(debited);
    if debited > caps.per_transaction_max.cents() || day_after > caps.daily_max.cents() {
        return Err(SettlementRefusal::PartnerCap);
    }
    let on_card = facts.card_balance_cents.clamp(0, debited);
    let guarantee_left = guarantee_cents
        .max(0)
        .saturating_sub(facts.guarantee_used_cents.max(0))
        .max(0);
    let region = (debited - on_card).min(guarantee_left);
    if on_card + region == 0 {
        return Err(SettlementRefusal::GuaranteeSpent);
    }
    Ok(Settlement {
        on_card_cents: on_card,
        region_cents: region,
        unpaid_cents: debited - on_card - region,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Money;
    use proptest::prelude::*;

    fn caps(tx: i64, day: i64) -> PartnerCaps {
        PartnerCaps {
            per_transaction_max: Money::from_cents(tx).unwrap(),
            daily_max: Money::from_cents(day).unwrap(),
        }
    }

    fn facts(debited: i64, balance: i64, used: i64) -> PushFacts {
        PushFacts {
            debited_cents: debited,
            card_balance_cents: balance,
            guarantee_used_cents: used,
            ..PushFacts::default()
        }
    }

    #[test]
    fn card_pays_first_then_the_guarantee_then_nobody() {
        let c = caps(1500, 30000);
        let s = settle_offline_debit(&c, 3000, &facts(1200, 2000, 0)).unwrap();
        assert_eq!(
            (s.on_card_cents, s.region_cents, s.unpaid_cents),
            (1200, 0, 0)
        );
        let s = settle_offline_debit(&c, 3000, &facts(1200, 300, 0)).unwrap();
        assert_eq!(
            (s.on_card_cents, s.region_cents, s.unpaid_cents),
            (300, 900, 0)
        );
        let s = settle_offline_debit(&c, 3000, &facts(1200, 0, 2500)).unwrap();
        assert_eq!(
            (s.on_card_cents, s.region_cents, s.unpaid_cents),
            (0, 500, 700)
        );
        assert_eq!(
            settle_offline_debit(&c, 3000, &facts(1200, 0, 3000)),
            Err(SettlementRefusal::GuaranteeSpent)
        );
    }

    #[test]
    fn revocation_suspension_and_caps_refuse() {
        let c = caps(1500, 2000);
        let mut f = facts(1000, 5000, 0);
        f.credential_revoked = true;
        assert_eq!(
            settle_offline_debit(&c, 3000, &f),
            Err(SettlementRefusal::CredentialRevoked)
        );
        let mut f = facts(1000, 5000, 0);
        f.card_suspended = true;
        assert_eq!(
            settle_offline_debit(&c, 3000, &f),
            Err(SettlementRefusal::CardSuspended)
        );
        assert_eq!(
            settle_offline_debit(&c, 3000, &facts(1501, 5000, 0)),
            Err(SettlementRefusal::PartnerCap)
        );
        let mut f = facts(1000, 5000, 0);
        f.partner_day_cents = 1001;
        assert_eq!(
            settle_offline_debit(&c, 3000, &f),
            Err(SettlementRefusal::PartnerCap)
        );
        f.partner_day_cents = 1000;
        assert!(settle_offline_debit(&c, 3000, &f).is_ok());
        assert_eq!(
            settle_offline_debit(&c, 3000, &facts(0, 5000, 0)),
            Err(SettlementRefusal::InvalidAmount)
        );
    }

    proptest! {
        #[test]
        fn parts_add_up_and_stay_in_bounds(
            debited in -100i64..5000,
            balance in -1000i64..10000,
            used in -100i64..5000,
            guarantee in -100i64..5000,
            day in 0i64..40000,
        ) {
            let c = caps(1500, 30000);
            let mut f = facts(debited, balance, used);
            f.partner_day_cents = day;
            if let Ok(s) = settle_offline_debit(&c, guarantee, &f) {
                prop_assert!(s.on_card_cents >= 0 && s.region_cents >= 0 && s.unpaid_cents >= 0);
                prop_assert_eq!(s.on_card_cents + s.region_cents + s.unpaid_cents, debited);
                prop_assert!(s.on_card_cents <= balance.max(0));
                prop_assert!(s.region_cents <= (guarantee.max(0) - used.max(0)).max(0));
                prop_assert!(s.paid_cents() > 0);
                prop_assert!(debited <= 1500 && day + debited <= 30000);
            }
        }

        /// Random interleavings of credentials (one live at a time, the
        /// older revoked), devices of several partners accepting offline
        /// with the device rule, suspensions and pushes in any order: the
        /// Region never covers more than the guarantee per card, the card
        /// never goes below zero, no partner is paid more than it accepted.
        #[test]
        fn the_region_loss_per_card_is_bounded_by_the_guarantee(
            ops in proptest::collection::vec((0u8..5, 0usize..4, 1i64..2000), 1..80),
            balance in 0i64..6000,
            guarantee in 0i64..4000,
        ) {
            use crate::credential::OfflineLimits;
            use crate::sync::{OfflineSpent, decide_offline_debit};
            let caps = caps(1500, 30000);
            let limits = OfflineLimits {
                allowance_cents: 3000,
                per_transaction_max_cents: 1500,
                max_count: 3,
            };
            // (credential, revoked at op index), devices' local counters,
            // pending items (credential, device, scan op, debited).
            let mut credentials: Vec<Option<usize>> = vec![None];
            let mut local: std::collections::HashMap<(usize, usize), OfflineSpent> =
                std::collections::HashMap::new();
            let mut pending: Vec<(usize, usize, usize, i64)> = Vec::new();
            let mut suspended_from: Option<usize> = None;
            let (mut card, mut used, mut paid, mut accepted) = (balance, 0i64, 0i64, 0i64);
            for (t, (op, who, amount)) in ops.into_iter().enumerate() {
                match op {
                    // A new credential: the live one is revoked now.
                    0 => {
                        if let Some(live) = credentials.last_mut() {
                            live.get_or_insert(t);
                        }
                        credentials.push(None);
                    }
                    // Device `who` accepts offline with any credential it
                    // was shown (old screenshots included).
                    1 | 2 => {
                        let cred = amount as usize % credentials.len();
                        let spent = local.entry((cred, who)).or_default();
                        let price = crate::Money::from_cents(amount).unwrap();
                        if let Ok(d) = decide_offline_debit(&limits, &caps, *spent, price) {
                            let cents = d.debited.cents();
                            spent.credential_cents += cents as u64;
                            spent.credential_count += 1;
                            spent.today_cents += cents as u64;
                            pending.push((cred, who, t, cents));
                            accepted += cents;
                        }
                    }
                    3 => suspended_from = if suspended_from.is_some() { None } else { Some(t) },
                    // A push of device `who`'s pending items.
                    _ => {
                        let (mine, rest): (Vec<_>, Vec<_>) =
                            pending.into_iter().partition(|p| p.1 == who);
                        pending = rest;
                        for (cred, _, at, cents) in mine {
                            let f = PushFacts {
                                debited_cents: cents,
                                credential_revoked: credentials[cred].is_some_and(|r| r <= at),
                                card_suspended: suspended_from.is_some_and(|s| s <= at),
                                partner_day_cents: 0,
                                card_balance_cents: card,
                                guarantee_used_cents: used,
                            };
                            if let Ok(s) = settle_offline_debit(&caps, guarantee, &f) {
                                card -= s.on_card_cents;
                                used += s.region_cents;
                                paid += s.paid_cents();
                            }
                        }
                    }
                }
                prop_assert!(card >= 0);
                prop_assert!(used <= guarantee);
                prop_assert!(paid <= accepted);
                prop_assert!(paid - (balance - card) <= guarantee);
            }
        }
    }
}
