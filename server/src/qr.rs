//! Reading a card QR code into a card id: the one function the QR debit calls.

use chrono::{DateTime, Utc};

use crate::error::ServiceError;

/// Turns the text read from a QR code into a card id.
pub trait QrResolver: Send + Sync + 'static {
    /// The card id carried by `text`, or why it is refused.
    fn card_id(&self, text: &str, now: DateTime<Utc>) -> Result<String, ServiceError>;
}

/// Accepts a bare card id (a UUID). The signed credential formats of the card
/// and the app plug in here (see ADR 0010).
#[derive(Debug, Default)]
pub struct PlainCardId;

impl QrResolver for PlainCardId {
    fn card_id(&self, text: &str, _now: DateTime<Utc>) -> Result<String, ServiceError> {
        if text.len() > 512 {
            return Err(ServiceError::Qr("too long".into()));
        }
        uuid::Uuid::parse_str(text.trim())
            .map(|u| u.to_string())
            .map_err(|_| ServiceError::Qr("not a card id".into()))
    }
}
