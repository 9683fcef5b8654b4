//! Partner onboarding rules: the structure's SIRET, the mobile phone that
//! receives the signature code, the code itself, and the yearly minimum of
//! bons plans of the partnership convention.

use chrono::{DateTime, Duration, Utc};

use crate::card::luhn_check_digit;

/// Bons plans a partner must publish per season (convention, FAQ §11).
pub const MIN_BONS_PLANS_PER_SEASON: u32 = 2;
/// How long a signature code sent by SMS stays valid.
pub const CODE_VALIDITY: Duration = Duration::minutes(15);
/// Wrong codes before a new one must be asked for.
pub const MAX_CODE_ATTEMPTS: u32 = 5;

/// Whether a SIRET (14 digits, spaces allowed) has a valid Luhn key.
pub fn valid_siret(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| *c != ' ').collect();
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    let (body, key) = values.split_at(13);
    (key.first() == Some(&luhn_check_digit(body))).then_some(digits)
}

/// Normalises a French mobile number (`06…`, `07…`, `+33 6…`) to `+336XXXXXXXX`.
pub fn mobile_phone(input: &str) -> Option<String> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let national = compact
        .strip_prefix("+33")
        .map(|r| format!("0{r}"))
        .unwrap_or(compact);
    let ok = national.len() == 10
        && national.bytes().all(|b| b.is_ascii_digit())
        && (national.starts_with("06") || national.starts_with("07"));
    ok.then(|| format!("+33{}", &national[1..]))
}

/// `06 •• •• •• 78`: what may be shown of a phone number.
pub fn masked_phone(normalised: &str) -> String {
    let tail = normalised
        .get(normalised.len().saturating_sub(2)..)
        .unwrap_or("");
    let head = normalised.get(3..4).unwrap_or("");
    format!("0{head} •• •• •• {tail}")
}

/// A six-digit code from caller-supplied randomness (the core does no I/O).
pub fn signature_code(random: u64) -> String {
    format!("{:06}", random % 1_000_000)
}

/// Why a signature code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not the code sent.
    #[error("wrong code")]
    Wrong,
    /// Sent too long ago.
    #[error("code expired")]
    Expired,
    /// Too many wrong codes.
    #[error("too many attempts")]
    TooManyAttempts,
    /// Too many codes sent (to this application or this number) today.
    #[error("too many codes sent")]
    TooManySends,
}

/// Most codes sent to one application in a day (the first and two resends).
pub const MAX_CODE_SENDS_PER_DAY: u32 = 3;

/// Most SMS sent to one phone number in a day, whatever the application.
pub const MAX_SMS_PER_PHONE_PER_DAY: u32 = 5;

/// Whether another code may be sent: `sends` already sent to the application
/// and `to_phone` to its number within the day.
pub fn may_send_code(sends: u32, to_phone: u32) -> Result<(), CodeError> {
    if sends >= MAX_CODE_SENDS_PER_DAY || to_phone >= MAX_SMS_PER_PHONE_PER_DAY {
        return Err(CodeError::TooManySends);
    }
    Ok(())
}

/// Checks a typed code against the stored one (both as given, compared in
/// constant time), its expiry and the attempts already made.
pub fn check_code(
    typed: &str,
    expected: &str,
    expires_at: DateTime<Utc>,
    attempts: u32,
    now: DateTime<Utc>,
) -> Result<(), CodeError> {
    if attempts >= MAX_CODE_ATTEMPTS {
        return Err(CodeError::TooManyAttempts);
    }
    if now > expires_at {
        return Err(CodeError::Expired);
    }
    let typed = typed.trim();
    let same = typed.len() == expected.len()
        && typed
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same { Ok(()) } else { Err(CodeError::Wrong) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siret() {
        // A well-known valid SIRET layout: Luhn over 14 digits.
        let body = "7320822750001";
        let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        let key = luhn_check_digit(&digits);
        let siret = format!("{body}{key}");
        assert_eq!(valid_siret(&siret), Some(siret.clone()));
        assert_eq!(
            valid_siret("732 082 275 0001 0").is_some(),
            siret.ends_with('0')
        );
        let wrong = format!("{body}{}", (key + 1) % 10);
        assert_eq!(valid_siret(&wrong), None);
        assert_eq!(valid_siret("123"), None);
    }

    #[test]
    fn phones() {
        assert_eq!(
            mobile_phone("06 12 34 56 78").as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            mobile_phone("+33 7 12 34 56 78").as_deref(),
            Some("+33712345678")
        );
        assert_eq!(mobile_phone("04 72 00 00 00"), None);
        assert_eq!(mobile_phone("0612"), None);
        assert_eq!(masked_phone("+33612345678"), "06 •• •• •• 78");
    }

    #[test]
    fn codes() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let exp = now + CODE_VALIDITY;
        assert_eq!(signature_code(1_234_567), "234567");
        assert_eq!(check_code(" 234567 ", "234567", exp, 0, now), Ok(()));
        assert_eq!(
            check_code("234568", "234567", exp, 0, now),
            Err(CodeError::Wrong)
        );
        assert_eq!(
            check_code("234567", "234567", exp, 0, exp + Duration::seconds(1)),
            Err(CodeError::Expired)
        );
        assert_eq!(
            check_code("234567", "234567", exp, 5, now),
            Err(CodeError::TooManyAttempts)
        );
    }
}
