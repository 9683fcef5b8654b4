//! Money: euros with exactly two decimals, never negative, never a float.
//!
//! [`Money`] wraps a [`Decimal`] whose scale is always 2 and whose value lies in
//! `0.00 ..= MAX`. It is the only money type of the project: the server, the apps
//! and the FFI all exchange it as a decimal string (`"12.50"`) in JSON and as
//! integer cents in SQL and in signed payloads.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest amount the system accepts: 100 000,00 €. No avantage comes near it;
/// anything above is a typing error or an attack.
pub const MAX_CENTS: i64 = 10_000_000;

/// Longest text accepted by [`Money::parse`] (before any work is done on it).
const MAX_INPUT_LEN: usize = 32;

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was given.
    #[error("empty amount")]
    Empty,
    /// Not a plain decimal number (letters, exponent, NaN, several separators…).
    #[error("malformed amount")]
    Malformed,
    /// More than two decimals (`12.345`).
    #[error("more than two decimals")]
    TooManyDecimals,
    /// A minus sign or a negative result.
    #[error("negative amount")]
    Negative,
    /// Above [`MAX_CENTS`].
    #[error("amount too large")]
    TooLarge,
}

/// A non-negative amount of euros with exactly two decimals.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    /// 0,00 €.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// Builds an amount from integer cents.
    pub fn from_cents(cents: i64) -> Result<Money, MoneyError> {
        if cents < 0 {
            return Err(MoneyError::Negative);
        }
        if cents > MAX_CENTS {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(Decimal::new(cents, 2)))
    }

    /// Builds an amount from a decimal, refusing more than two decimals.
    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        let normalized = value.normalize();
        if normalized.scale() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let mut v = normalized.abs();
        v.rescale(2);
        if v > Decimal::new(MAX_CENTS, 2) {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(v))
    }

    /// The amount in integer cents (exact: the scale is always 2).
    pub fn cents(self) -> i64 {
        // The invariant (scale 2, 0 ..= MAX_CENTS) makes the mantissa the cents.
        i64::try_from(self.0.mantissa()).unwrap_or(MAX_CENTS)
    }

    /// The decimal value (scale 2).
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// `true` for 0,00 €.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `self + other`, or `TooLarge`.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        Money::from_cents(self.cents() + other.cents())
    }

    /// `self - other`, or `Negative` when `other > self`.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        Money::from_cents(self.cents() - other.cents())
    }

    /// `self × factor`, or `TooLarge`.
    pub fn checked_mul(self, factor: u32) -> Result<Money, MoneyError> {
        let cents = self
            .cents()
            .checked_mul(i64::from(factor))
            .ok_or(MoneyError::TooLarge)?;
        Money::from_cents(cents)
    }

    /// Parses an amount typed by a person or sent by a client.
    ///
    /// Accepted: `12`, `12.5`, `12.50`, `12,50`, `1 234,50`, `12,50 €`.
    /// Refused: empty, `-1`, `+1`, `12.345`, `1e3`, `NaN`, `Infinity`, `0x10`,
    /// `12.`, `.5`, several separators, more than 32 characters, above the maximum.
    pub fn parse(input: &str) -> Result<Money, MoneyError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(MoneyError::TooLarge);
        }
        let s = input.trim();
        let s = s.strip_suffix('€').map(str::trim_end).unwrap_or(s);
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if s.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (int_part, frac_part) = match s.find(['.', ',']) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let int_digits = parse_integer_part(int_part)?;
        let frac_digits = match frac_part {
            None => String::new(),
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(MoneyError::Malformed);
            }
            Some(f) if f.len() > 2 => return Err(MoneyError::TooManyDecimals),
            Some(f) => f.to_owned(),
        };
        // At most 9 integer digits are meaningful below MAX; more is too large.
        let int_trimmed = int_digits.trim_start_matches('0');
        if int_trimmed.len() > 9 {
            return Err(MoneyError::TooLarge);
        }
        let euros: i64 = if int_trimmed.is_empty() {
            0
        } else {
            int_trimmed.parse().map_err(|_| MoneyError::Malformed)?
        };
        let cents_part: i64 = match frac_digits.len() {
            0 => 0,
            1 => {
                frac_digits
                    .parse::<i64>()
                    .map_err(|_| MoneyError::Malformed)?
                    * 10
            }
            _ => frac_digits.parse().map_err(|_| MoneyError::Malformed)?,
        };
        Money::from_cents(euros * 100 + cents_part)
    }

    /// French display: `12,50 €`, `1 234,00 €` (narrow no-break space between
    /// thousands, no-break space before the sign).
    pub fn format_fr(self) -> String {
        let cents = self.cents();
        let euros = (cents / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + 4);
        for (i, ch) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('\u{202F}');
            }
            grouped.push(ch);
        }
        format!("{grouped},{:02}\u{00A0}€", cents % 100)
    }
}

/// Digits of the integer part, with optional thousands separators (space,
/// no-break space, narrow no-break space) between groups of three.
fn parse_integer_part(s: &str) -> Result<String, MoneyError> {
    if s.is_empty() {
        return Err(MoneyError::Malformed);
    }
    let groups: Vec<&str> = s.split([' ', '\u{00A0}', '\u{202F}']).collect();
    for (i, g) in groups.iter().enumerate() {
        if g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Malformed);
        }
        if groups.len() > 1 && ((i == 0 && g.len() > 3) || (i > 0 && g.len() != 3)) {
            return Err(MoneyError::Malformed);
        }
    }
    Ok(groups.concat())
}

impl fmt::Display for Money {
    /// Machine form: `12.50` (what JSON carries).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({})", self.0)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// Only strings are accepted: a JSON number would have gone through a float
    /// in many clients.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount as a decimal string such as \"12.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_accepted_forms() {
        for (input, cents) in [
            ("12", 1200),
            ("12.5", 1250),
            ("12.50", 1250),
            ("12,50", 1250),
            ("0,01", 1),
            ("0", 0),
            ("007.10", 710),
            ("1 234,50", 123_450),
            ("1\u{202F}234,50\u{00A0}€", 123_450),
            ("  15 € ", 1500),
            ("100000", MAX_CENTS),
        ] {
            assert_eq!(
                Money::parse(input).map(Money::cents),
                Ok(cents),
                "{input:?}"
            );
        }
    }

    #[test]
    fn refuses_malformed_forms() {
        use MoneyError::*;
        for (input, err) in [
            ("", Empty),
            ("   ", Empty),
            ("€", Empty),
            ("-1", Negative),
            ("-0.01", Negative),
            ("+1", Malformed),
            ("12.345", TooManyDecimals),
            ("1e3", Malformed),
            ("NaN", Malformed),
            ("nan", Malformed),
            ("Infinity", Malformed),
            ("inf", Malformed),
            ("0x10", Malformed),
            ("12.", Malformed),
            (".5", Malformed),
            ("1.2.3", Malformed),
            ("1,2,3", Malformed),
            ("12 34", Malformed),
            ("1234 567", Malformed),
            ("12a", Malformed),
            ("١٢", Malformed),
            ("100000.01", TooLarge),
            ("99999999999999999999", TooLarge),
            ("1111111111111111111111111111111111111", TooLarge),
        ] {
            assert_eq!(Money::parse(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn formats_in_french() {
        assert_eq!(Money::from_cents(1250).unwrap().format_fr(), "12,50\u{a0}€");
        assert_eq!(Money::ZERO.format_fr(), "0,00\u{a0}€");
        assert_eq!(
            Money::from_cents(1_234_578).unwrap().format_fr(),
            "12\u{202f}345,78\u{a0}€"
        );
        assert_eq!(Money::from_cents(5).unwrap().to_string(), "0.05");
    }

    #[test]
    fn json_is_a_string_never_a_number() {
        let m = Money::from_cents(1250).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"12.50\"");
        assert_eq!(serde_json::from_str::<Money>("\"12.5\"").unwrap(), m);
        assert!(serde_json::from_str::<Money>("12.5").is_err());
        assert!(serde_json::from_str::<Money>("\"12.555\"").is_err());
    }

    #[test]
    fn decimal_conversion_keeps_two_decimals() {
        let m = Money::from_decimal(Decimal::new(125, 1)).unwrap();
        assert_eq!(m.cents(), 1250);
        assert_eq!(m.as_decimal().scale(), 2);
        assert_eq!(
            Money::from_decimal(Decimal::new(12345, 3)),
            Err(MoneyError::TooManyDecimals)
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(-1, 0)),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(12_000, 4)).map(Money::cents),
            Ok(120)
        );
    }

    proptest! {
        #[test]
        fn display_parse_roundtrip(cents in 0..=MAX_CENTS) {
            let m = Money::from_cents(cents).unwrap();
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
            prop_assert_eq!(Money::parse(&m.format_fr()), Ok(m));
            prop_assert_eq!(m.cents(), cents);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Money::parse(&s);
        }

        #[test]
        fn add_sub_inverse(a in 0..=MAX_CENTS / 2, b in 0..=MAX_CENTS / 2) {
            let (ma, mb) = (Money::from_cents(a).unwrap(), Money::from_cents(b).unwrap());
            let sum = ma.checked_add(mb).unwrap();
            prop_assert_eq!(sum.checked_sub(mb), Ok(ma));
            if b > a {
                prop_assert_eq!(ma.checked_sub(mb), Err(MoneyError::Negative));
            }
        }
    }
}
