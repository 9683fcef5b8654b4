//! Signed sums of money: totals that may go below zero, never a float.
//!
//! [`Money`] is an amount that is paid or debited: never negative, at most
//! 100 000,00 €. A *sum* of debits and refunds is not: a reimbursement batch
//! whose refunds exceed its debits is negative, and what a partner owes the
//! Region after refunds is a negative amount carried to its next batches
//! (clawback). [`SignedMoney`] is that sum: integer cents in an `i64`, bounded
//! by ±[`MAX_TOTAL_CENTS`], carried in JSON as a decimal string (`"-12.50"`)
//! and in SQL as integer cents.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::{Money, MoneyError};

/// Largest total in absolute value: 10 000 000 000,00 € (far above any
/// region's budget; what is above is a broken sum).
pub const MAX_TOTAL_CENTS: i64 = 1_000_000_000_000;

/// Longest text accepted by [`SignedMoney::parse`].
const MAX_INPUT_LEN: usize = 24;

/// A signed amount of euros in integer cents.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SignedMoney(i64);

impl SignedMoney {
    /// 0,00 €.
    pub const ZERO: SignedMoney = SignedMoney(0);

    /// Builds a total from integer cents.
    pub fn from_cents(cents: i64) -> Result<SignedMoney, MoneyError> {
        if cents.checked_abs().is_none_or(|a| a > MAX_TOTAL_CENTS) {
            return Err(MoneyError::TooLarge);
        }
        Ok(SignedMoney(cents))
    }

    /// The total in integer cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// `true` below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `true` above zero.
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `true` for 0,00 €.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `TooLarge`.
    pub fn checked_add(self, other: SignedMoney) -> Result<SignedMoney, MoneyError> {
        SignedMoney::from_cents(self.0 + other.0)
    }

    /// `self - other`, or `TooLarge`.
    pub fn checked_sub(self, other: SignedMoney) -> Result<SignedMoney, MoneyError> {
        SignedMoney::from_cents(self.0 - other.0)
    }

    /// The larger of `self` and zero.
    pub fn max_zero(self) -> SignedMoney {
        SignedMoney(self.0.max(0))
    }

    /// The smaller of `self` and zero.
    pub fn min_zero(self) -> SignedMoney {
        SignedMoney(self.0.min(0))
    }

    /// The amount as [`Money`], when it is one (not negative, within its maximum).
    pub fn to_money(self) -> Result<Money, MoneyError> {
        Money::from_cents(self.0)
    }

    /// Parses the machine form: an optional `-`, digits, and optionally `.`
    /// with one or two decimals (`-12.50`, `0.5`, `1234`). Nothing else: no
    /// `+`, no exponent, no spaces, no comma (that is what [`Money::parse`] is for).
    pub fn parse(input: &str) -> Result<SignedMoney, MoneyError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(MoneyError::TooLarge);
        }
        if input.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, rest) = match input.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, input),
        };
        let (int_part, frac_part) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int_part) {
            return Err(MoneyError::Malformed);
        }
        let frac_cents = match frac_part {
            None => 0,
            Some(f) if !digits(f) => return Err(MoneyError::Malformed),
            Some(f) if f.len() > 2 => return Err(MoneyError::TooManyDecimals),
            Some(f) => {
                let v: i64 = f.parse().map_err(|_| MoneyError::Malformed)?;
                if f.len() == 1 { v * 10 } else { v }
            }
        };
        let trimmed = int_part.trim_start_matches('0');
        // MAX_TOTAL_CENTS has 10 integer digits in euros.
        if trimmed.len() > 10 {
            return Err(MoneyError::TooLarge);
        }
        let euros: i64 = if trimmed.is_empty() {
            0
        } else {
            trimmed.parse().map_err(|_| MoneyError::Malformed)?
        };
        let cents = euros * 100 + frac_cents;
        SignedMoney::from_cents(if negative { -cents } else { cents })
    }

    /// French display: `−12,50 €` (minus sign U+2212), `1 234,00 €` (narrow
    /// no-break space between thousands, no-break space before the euro sign).
    pub fn format_fr(self) -> String {
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + 8);
        if self.0 < 0 {
            grouped.push('\u{2212}');
        }
        for (i, ch) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('\u{202F}');
            }
            grouped.push(ch);
        }
        format!("{grouped},{:02}\u{00A0}€", abs % 100)
    }
}

impl std::ops::Neg for SignedMoney {
    type Output = SignedMoney;
    /// `-self` (always within the bounds: they are symmetric).
    fn neg(self) -> SignedMoney {
        SignedMoney(-self.0)
    }
}

impl From<Money> for SignedMoney {
    fn from(m: Money) -> SignedMoney {
        // Money is at most MAX_CENTS, far within MAX_TOTAL_CENTS.
        SignedMoney(m.cents())
    }
}

impl fmt::Display for SignedMoney {
    /// Machine form: `-12.50`, `0.00`, `12.50` (what JSON carries).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for SignedMoney {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedMoney({self})")
    }
}

impl FromStr for SignedMoney {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignedMoney::parse(s)
    }
}

impl Serialize for SignedMoney {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SignedMoney {
    /// Only strings: a JSON number would have gone through a float in many clients.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SignedMoney;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a signed amount as a decimal string such as \"-12.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SignedMoney, E> {
                SignedMoney::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(c: i64) -> SignedMoney {
        SignedMoney::from_cents(c).unwrap()
    }

    #[test]
    fn machine_and_french_forms() {
        assert_eq!(s(-1250).to_string(), "-12.50");
        assert_eq!(s(-5).to_string(), "-0.05");
        assert_eq!(s(0).to_string(), "0.00");
        assert_eq!(s(123_456).to_string(), "1234.56");
        assert_eq!(s(-1250).format_fr(), "\u{2212}12,50\u{a0}€");
        assert_eq!(s(0).format_fr(), "0,00\u{a0}€");
        assert_eq!(
            s(123_456_789).format_fr(),
            "1\u{202f}234\u{202f}567,89\u{a0}€"
        );
        assert_eq!(
            serde_json::to_string(&s(-1250)).unwrap(),
            "\"-12.50\"",
            "a string, never a number"
        );
        assert!(serde_json::from_str::<SignedMoney>("-12.5").is_err());
        assert_eq!(
            serde_json::from_str::<SignedMoney>("\"-12.5\"").unwrap(),
            s(-1250)
        );
    }

    #[test]
    fn refuses_what_is_not_the_machine_form() {
        use MoneyError::*;
        for (input, err) in [
            ("", Empty),
            ("-", Malformed),
            ("+1", Malformed),
            ("--1", Malformed),
            ("1,50", Malformed),
            ("1 000", Malformed),
            ("1e3", Malformed),
            ("NaN", Malformed),
            ("12.", Malformed),
            (".5", Malformed),
            ("-.5", Malformed),
            ("1.2.3", Malformed),
            ("12.345", TooManyDecimals),
            ("10000000000.01", TooLarge),
            ("-10000000000.01", TooLarge),
            ("99999999999999999999", TooLarge),
            ("1111111111111111111111111111", TooLarge),
        ] {
            assert_eq!(SignedMoney::parse(input), Err(err), "{input:?}");
        }
        assert_eq!(SignedMoney::parse("-0"), Ok(SignedMoney::ZERO));
        assert_eq!(SignedMoney::parse("0010.5"), Ok(s(1050)));
        assert_eq!(SignedMoney::from_cents(i64::MIN), Err(MoneyError::TooLarge));
        assert_eq!(
            SignedMoney::from_cents(MAX_TOTAL_CENTS + 1),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn money_converts_both_ways_when_it_is_money() {
        let m = Money::from_cents(1250).unwrap();
        assert_eq!(SignedMoney::from(m), s(1250));
        assert_eq!(s(1250).to_money(), Ok(m));
        assert_eq!(s(-1).to_money(), Err(MoneyError::Negative));
    }

    proptest! {
        #[test]
        fn display_parse_roundtrip(c in -MAX_TOTAL_CENTS..=MAX_TOTAL_CENTS) {
            let v = s(c);
            prop_assert_eq!(SignedMoney::parse(&v.to_string()), Ok(v));
            let json = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(serde_json::from_str::<SignedMoney>(&json).unwrap(), v);
            prop_assert_eq!(v.format_fr().starts_with('\u{2212}'), c < 0);
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,30}") {
            let _ = SignedMoney::parse(&input);
        }

        #[test]
        fn add_sub_are_exact(a in -MAX_TOTAL_CENTS / 2..=MAX_TOTAL_CENTS / 2,
                             b in -MAX_TOTAL_CENTS / 2..=MAX_TOTAL_CENTS / 2) {
            let (x, y) = (s(a), s(b));
            prop_assert_eq!(x.checked_add(y).unwrap().cents(), a + b);
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y), Ok(x));
            prop_assert_eq!(x.max_zero().checked_add(x.min_zero()), Ok(x));
            prop_assert_eq!(-(-x), x);
        }

        #[test]
        fn money_parses_alike(c in 0..=crate::money::MAX_CENTS) {
            let m = Money::from_cents(c).unwrap();
            prop_assert_eq!(SignedMoney::parse(&m.to_string()), Ok(SignedMoney::from(m)));
        }
    }
}
