//! What a scanned code is: the verifier's reading, or why it was refused.

use std::time::SystemTime;

use passregion_core::client as core;
use passregion_core::credential::{Reason, Verified};

use super::cents_text;
use crate::error::PassRegionError;

/// Why a scanned code was refused (mirrors the core verifier's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CodeRejection {
    /// Not a PASS'Région QR.
    BadPrefix,
    /// A PASS'Région prefix of an unknown version.
    UnsupportedVersion,
    /// Longer than any known format.
    TooLong,
    /// Not base45, or wrong payload length.
    BadEncoding,
    /// The trust list is out of date: decide online only.
    StaleTrustList,
    /// Unknown issuer key.
    UnknownKey,
    /// Bad issuer signature.
    BadSignature,
    /// Bad device signature (dynamic QR).
    BadDeviceSignature,
    /// Card or credential revoked.
    Revoked,
    /// Expired.
    Expired,
    /// Not yet valid.
    NotYetValid,
    /// Credential valid for too long (issuer fault).
    ValidityTooLong,
    /// Time step out of the ±30 s window.
    StepOutOfWindow,
    /// Code already used.
    Replayed,
}

impl From<Reason> for CodeRejection {
    fn from(r: Reason) -> Self {
        match r {
            Reason::BadPrefix => CodeRejection::BadPrefix,
            Reason::UnsupportedVersion => CodeRejection::UnsupportedVersion,
            Reason::TooLong => CodeRejection::TooLong,
            Reason::BadEncoding => CodeRejection::BadEncoding,
            Reason::StaleTrustList => CodeRejection::StaleTrustList,
            Reason::UnknownKey => CodeRejection::UnknownKey,
            Reason::BadSignature => CodeRejection::BadSignature,
            Reason::BadDeviceSignature => CodeRejection::BadDeviceSignature,
            Reason::Revoked => CodeRejection::Revoked,
            Reason::Expired => CodeRejection::Expired,
            Reason::NotYetValid => CodeRejection::NotYetValid,
            Reason::ValidityTooLong => CodeRejection::ValidityTooLong,
            Reason::StepOutOfWindow => CodeRejection::StepOutOfWindow,
            Reason::Replayed => CodeRejection::Replayed,
        }
    }
}

/// What a scan read (before the debit; does not consume the code).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ScanResult {
    /// A printed card QR (`PR1:`): authentic, but decide online.
    Card {
        /// Card id.
        card_id: String,
        /// Card version.
        card_version: u32,
        /// Printed season (`2026-2027`).
        season: String,
        /// Issuer key id.
        kid: String,
    },
    /// A dynamic app QR (`PD1:`).
    App {
        /// Credential id.
        credential_id: String,
        /// Card id.
        card_id: String,
        /// Total offline allowance (decimal string).
        allowance: String,
        /// Largest offline debit (decimal string).
        per_transaction_max: String,
        /// Largest number of offline debits.
        max_count: u16,
        /// Credential issued at.
        issued_at: SystemTime,
        /// Credential expires at.
        expires_at: SystemTime,
        /// QR counter.
        counter: u32,
        /// Issuer key id.
        kid: String,
    },
}

impl TryFrom<core::ScanResult> for ScanResult {
    type Error = PassRegionError;

    fn try_from(s: core::ScanResult) -> Result<Self, PassRegionError> {
        Ok(match s.verified {
            Verified::Card(c) => ScanResult::Card {
                card_id: c.card_id.to_string(),
                card_version: c.card_version,
                season: c.season.to_string(),
                kid: c.kid.to_string(),
            },
            Verified::App(a) => ScanResult::App {
                credential_id: a.credential_id.to_string(),
                card_id: a.card_id.to_string(),
                allowance: cents_text(a.limits.allowance_cents)?,
                per_transaction_max: cents_text(a.limits.per_transaction_max_cents)?,
                max_count: a.limits.max_count,
                issued_at: a.issued_at.into(),
                expires_at: a.expires_at.into(),
                counter: a.counter,
                kid: a.kid.to_string(),
            },
        })
    }
}
