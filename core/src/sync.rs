//! The sync protocol between the apps and the server, and the offline debit
//! rule. Both sides use these types and functions: the partner app to decide
//! and sign an offline debit, the server to check and apply it at sync.
//!
//! An offline debit is decided by [`decide_offline_debit`] (the debit rule of
//! [`crate::debit`] applied to what the app credential still allows at this
//! partner), written with its outbox row in one transaction, signed by the
//! partner device key and hash-chained to the device's previous record. It is
//! pushed in batches ([`PushRequest`]); the server answers per item
//! ([`ItemResult`]), and the app marks an item synced only on that answer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::credential::{LimitError, OfflineLimits};
use crate::debit::{CreditDebit, DebitError, debit_credit};
use crate::money::Money;
use crate::public::PartnerCategory;

/// Most items in one push.
pub const MAX_PUSH_ITEMS: usize = 500;
/// Tag of the partner device signature over an offline debit.
pub const OFFLINE_DEBIT_TAG: &[u8] = b"passregion/OD1\0";
/// The `prev_hash` of a device's first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Caps a partner sets on its own offline acceptance (on top of the credential's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerCaps {
    /// Largest offline debit the partner accepts.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub per_transaction_max: Money,
    /// Most the partner accepts offline per day, all cards together.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub daily_max: Money,
}

impl Default for PartnerCaps {
    fn default() -> Self {
        PartnerCaps {
            per_transaction_max: Money::from_cents(1500).unwrap_or(Money::ZERO),
            daily_max: Money::from_cents(30_000).unwrap_or(Money::ZERO),
        }
    }
}

/// Why an offline debit is refused at the counter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfflineError {
    /// The credential's limits (per transaction, allowance, count).
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The partner's own caps.
    #[error("above the partner's offline caps")]
    PartnerCap,
    /// The debit rule (zero price, nothing left).
    #[error(transparent)]
    Debit(#[from] DebitError),
}

/// What this partner already accepted offline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OfflineSpent {
    /// On this credential (cents).
    pub credential_cents: u64,
    /// Number of debits on this credential.
    pub credential_count: u32,
    /// Today, all cards together (cents).
    pub today_cents: u64,
}

/// The offline debit rule: a purchase above the per-transaction maximum (the
/// credential's or the partner's) is refused; otherwise the card pays what the
/// credential still allows at this partner (and the partner's daily cap), the
/// youth pays the rest. Returns the same outcome as an online
/// debit of that allowance.
pub fn decide_offline_debit(
    limits: &OfflineLimits,
    caps: &PartnerCaps,
    spent: OfflineSpent,
    price: Money,
) -> Result<CreditDebit, OfflineError> {
    if spent.credential_count >= u32::from(limits.max_count) {
        return Err(LimitError::Count.into());
    }
    let left_on_credential =
        u64::from(limits.allowance_cents).saturating_sub(spent.credential_cents);
    let left_today = u64::try_from(caps.daily_max.cents())
        .unwrap_or(0)
        .saturating_sub(spent.today_cents);
    let per_tx = u64::from(limits.per_transaction_max_cents)
        .min(u64::try_from(caps.per_transaction_max.cents()).unwrap_or(0));
    // Offline, a purchase above the per-transaction maximum is refused (the
    // partner asks the youth to pay it otherwise, or waits for the network):
    // the maximum bounds what one offline debit may be, not just its share.
    if u64::try_from(price.cents()).unwrap_or(u64::MAX) > per_tx {
        return Err(if per_tx < u64::from(limits.per_transaction_max_cents) {
            OfflineError::PartnerCap
        } else {
            LimitError::PerTransaction.into()
        });
    }
    let available = left_on_credential.min(left_today).min(per_tx);
    if available == 0 {
        return Err(if left_today == 0 || per_tx == 0 {
            OfflineError::PartnerCap
        } else {
            LimitError::Allowance.into()
        });
    }
    let available = Money::from_cents(i64::try_from(available).unwrap_or(0))
        .map_err(|_| OfflineError::PartnerCap)?;
    Ok(debit_credit(available, price)?)
}

/// An offline debit as recorded by the partner app and pushed to the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfflineDebit {
    /// UUIDv7, created at confirmation: the idempotency key.
    pub id: Uuid,
    /// The enrolled partner device.
    pub device_id: String,
    /// Position in the device's hash chain (1, 2, …).
    pub seq: u64,
    /// The scanned `PD1:` text (evidence; the server verifies it again).
    pub qr: String,
    /// Avantage code.
    pub avantage: String,
    /// Price of the service.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub price: Money,
    /// What the card paid (decided offline).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub debited: Money,
    /// What the youth paid at the counter.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub reste_a_payer: Money,
    /// When the QR was scanned (device clock corrected by the server offset).
    pub scanned_at: DateTime<Utc>,
    /// Hash of the device's previous record (hex), [`GENESIS_HASH`] first.
    pub prev_hash: String,
    /// Ed25519 signature by the partner device key (base64url) over
    /// [`OfflineDebit::signing_bytes`].
    pub signature: String,
}

impl OfflineDebit {
    /// The bytes the device signs: a tag and every field but the signature,
    /// length-prefixed so that no two records share them.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(256 + self.qr.len());
        v.extend_from_slice(OFFLINE_DEBIT_TAG);
        let mut field = |b: &[u8]| {
            v.extend_from_slice(&(b.len() as u32).to_be_bytes());
            v.extend_from_slice(b);
        };
        field(self.id.as_bytes());
        field(self.device_id.as_bytes());
        field(&self.seq.to_be_bytes());
        field(self.qr.as_bytes());
        field(self.avantage.as_bytes());
        field(&self.price.cents().to_be_bytes());
        field(&self.debited.cents().to_be_bytes());
        field(&self.reste_a_payer.cents().to_be_bytes());
        field(&self.scanned_at.timestamp_micros().to_be_bytes());
        field(self.prev_hash.as_bytes());
        v
    }

    /// This record's hash (hex SHA-256 of the signed bytes and the signature):
    /// the next record's `prev_hash`.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.signing_bytes());
        h.update(self.signature.as_bytes());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether the recorded outcome is the debit rule's for this price
    /// (`debited + reste = price`).
    pub fn is_consistent(&self) -> bool {
        !self.debited.is_zero()
            && self.debited.checked_add(self.reste_a_payer).ok() == Some(self.price)
    }
}

/// `POST /api/sync/push`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// Items, in the device's order (the server accepts any order).
    pub items: Vec<OfflineDebit>,
}

/// The server's decision on one pushed item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Applied now.
    Applied,
    /// Applied earlier: the stored result is returned.
    Duplicate,
    /// Same id with another body (HTTP 422 semantics): not applied.
    Conflict,
    /// The QR authorisation (credential + counter) was already used by another
    /// debit (HTTP 409 semantics): recorded as evidence, not applied.
    Reused,
    /// Refused (bad signature, broken chain, over the credential's limits at
    /// this partner, unknown avantage…): not applied, not paid.
    Rejected,
}

/// One item's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    /// The item id.
    pub id: Uuid,
    /// What happened.
    pub status: ItemStatus,
    /// The HTTP status a single request would have had (201, 200, 422, 409…).
    pub http_status: u16,
    /// Stable machine code of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// French message of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Server transaction id of an applied item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Whether applying it revealed an offline overspend (card flagged).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required))]
    pub overspend: bool,
}

/// `POST /api/sync/push` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// One result per item, in request order.
    pub results: Vec<ItemResult>,
    /// Server time.
    pub server_time: DateTime<Utc>,
}

/// `POST /api/partner/devices`: enrol a partner phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The device's Ed25519 public key (base64url).
    pub device_public_key: String,
    /// A label for the partner's staff ("Caisse 1").
    pub label: String,
}

/// Answer to an enrolment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolResponse {
    /// Device id (put in every offline debit).
    pub device_id: String,
    /// The partner.
    pub partner_id: String,
    /// Its category (what it may debit).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// Offline caps.
    pub caps: PartnerCaps,
    /// The root key that signs the trust list (base64url): pinned by the app.
    pub root_public_key: String,
    /// Server time.
    pub server_time: DateTime<Utc>,
}

/// A partner in the directory (synced to the apps).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryEntry {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub category: PartnerCategory,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Latitude (WGS84).
    pub latitude: f64,
    /// Longitude (WGS84).
    pub longitude: f64,
    /// `false` when the partner left the network (remove it from the cache).
    pub active: bool,
}

/// A replaced card's current version (a new number and version after a loss).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardVersion {
    /// The card.
    pub card_id: Uuid,
    /// Its current version.
    pub version: u32,
}

/// `GET /api/sync/pull?cursor=N`: what changed after the cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    /// Pass it back as `cursor` next time.
    pub cursor: i64,
    /// Whether more changes wait (pull again at once).
    pub more: bool,
    /// Partners added, changed or removed.
    pub partners: Vec<DirectoryEntry>,
    /// Revoked card ids (suspended or flagged cards).
    pub revoked_cards: Vec<Uuid>,
    /// Revoked app credential ids.
    pub revoked_credentials: Vec<Uuid>,
    /// Card ids whose revocation was lifted.
    pub restored_cards: Vec<Uuid>,
    /// Replaced cards (lost or stolen) and their current version: printed
    /// codes of an earlier version are refused.
    #[serde(default)]
    pub card_versions: Vec<CardVersion>,
    /// The signed trust list (JSON), when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_list: Option<String>,
    /// Server time.
    pub server_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(c: i64) -> Money {
        Money::from_cents(c).unwrap()
    }

    fn limits(allowance: u32, per_tx: u32, count: u16) -> OfflineLimits {
        OfflineLimits {
            allowance_cents: allowance,
            per_transaction_max_cents: per_tx,
            max_count: count,
        }
    }

    #[test]
    fn offline_rule_examples() {
        let caps = PartnerCaps::default();
        let l = limits(3000, 1500, 3);
        // Within the per-transaction maximum: all on the card.
        let d = decide_offline_debit(&l, &caps, OfflineSpent::default(), m(1250)).unwrap();
        assert_eq!((d.debited, d.reste_a_payer), (m(1250), m(0)));
        // Above it: refused offline (the per-transaction maximum bounds the
        // purchase), whether the credential's or the partner's is lower.
        assert_eq!(
            decide_offline_debit(&l, &caps, OfflineSpent::default(), m(2000)),
            Err(OfflineError::Limit(LimitError::PerTransaction))
        );
        let low_caps = PartnerCaps {
            per_transaction_max: m(1000),
            ..PartnerCaps::default()
        };
        assert_eq!(
            decide_offline_debit(&l, &low_caps, OfflineSpent::default(), m(1200)),
            Err(OfflineError::PartnerCap)
        );
        // The allowance left at this partner caps what the card pays.
        let spent = OfflineSpent {
            credential_cents: 2500,
            credential_count: 2,
            today_cents: 2500,
        };
        let d = decide_offline_debit(&l, &caps, spent, m(1500)).unwrap();
        assert_eq!((d.debited, d.reste_a_payer), (m(500), m(1000)));
        let spent = OfflineSpent {
            credential_cents: 3000,
            credential_count: 2,
            today_cents: 3000,
        };
        assert_eq!(
            decide_offline_debit(&l, &caps, spent, m(100)),
            Err(OfflineError::Limit(LimitError::Allowance))
        );
        let spent = OfflineSpent {
            credential_count: 3,
            ..OfflineSpent::default()
        };
        assert_eq!(
            decide_offline_debit(&l, &caps, spent, m(100)),
            Err(OfflineError::Limit(LimitError::Count))
        );
        let tight = PartnerCaps {
            per_transaction_max: m(1000),
            daily_max: m(1000),
        };
        let d = decide_offline_debit(&l, &tight, OfflineSpent::default(), m(1000)).unwrap();
        assert_eq!(d.debited, m(1000));
        let spent = OfflineSpent {
            today_cents: 1000,
            ..OfflineSpent::default()
        };
        assert_eq!(
            decide_offline_debit(&l, &tight, spent, m(100)),
            Err(OfflineError::PartnerCap)
        );
    }

    #[test]
    fn signing_bytes_cover_every_field() {
        let d = OfflineDebit {
            id: Uuid::from_u128(1),
            device_id: "dev".into(),
            seq: 1,
            qr: "PD1:XX".into(),
            avantage: "lecture_loisir".into(),
            price: m(1250),
            debited: m(1250),
            reste_a_payer: m(0),
            scanned_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            prev_hash: GENESIS_HASH.into(),
            signature: String::new(),
        };
        let base = d.signing_bytes();
        let variants = [
            OfflineDebit {
                id: Uuid::from_u128(2),
                ..d.clone()
            },
            OfflineDebit {
                device_id: "dew".into(),
                ..d.clone()
            },
            OfflineDebit {
                seq: 2,
                ..d.clone()
            },
            OfflineDebit {
                qr: "PD1:XY".into(),
                ..d.clone()
            },
            OfflineDebit {
                avantage: "lecture_loisis".into(),
                ..d.clone()
            },
            OfflineDebit {
                price: m(1251),
                ..d.clone()
            },
            OfflineDebit {
                debited: m(1249),
                ..d.clone()
            },
            OfflineDebit {
                reste_a_payer: m(1),
                ..d.clone()
            },
            OfflineDebit {
                scanned_at: d.scanned_at + chrono::Duration::microseconds(1),
                ..d.clone()
            },
            OfflineDebit {
                prev_hash: "1".repeat(64),
                ..d.clone()
            },
        ];
        for v in variants {
            assert_ne!(v.signing_bytes(), base);
        }
        assert!(d.is_consistent());
        assert!(
            !OfflineDebit {
                reste_a_payer: m(1),
                ..d.clone()
            }
            .is_consistent()
        );
        assert_ne!(
            d.hash(),
            OfflineDebit {
                signature: "x".into(),
                ..d
            }
            .hash()
        );
    }

    proptest! {
        #[test]
        fn offline_rule_never_exceeds_any_limit(
            allowance in 0u32..10_000, per_tx in 0u32..10_000, count in 0u16..5,
            spent_c in 0u64..12_000, spent_n in 0u32..6, today in 0u64..40_000, price in 0i64..20_000,
        ) {
            let l = limits(allowance, per_tx, count);
            let caps = PartnerCaps::default();
            let spent = OfflineSpent { credential_cents: spent_c, credential_count: spent_n, today_cents: today };
            if let Ok(d) = decide_offline_debit(&l, &caps, spent, m(price)) {
                let debited = u64::try_from(d.debited.cents()).unwrap();
                prop_assert!(debited <= u64::from(per_tx));
                prop_assert!(spent_c + debited <= u64::from(allowance));
                prop_assert!(spent_n < u32::from(count));
                prop_assert!(today + debited <= 30_000);
                prop_assert_eq!(d.debited.cents() + d.reste_a_payer.cents(), price);
                // The credential's own check agrees.
                prop_assert!(l.check_debit(u32::try_from(debited).unwrap(), spent_c, spent_n).is_ok());
            }
        }
    }
}
