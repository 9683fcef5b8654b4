//! Enrolment of the partner device: the pinned root key, the device row
//! (chain head, offline caps).

use rusqlite::{OptionalExtension as _, params};

use super::{Connection, PartnerClient, money};
use crate::client::error::ClientError;
use crate::client::transport::Method;
use crate::credential::PublicKey;
use crate::public::PartnerCategory;
use crate::sync::{EnrolRequest, EnrolResponse, GENESIS_HASH, PartnerCaps};

/// The enrolled device.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// Device id.
    pub device_id: String,
    /// Partner.
    pub partner_id: String,
    /// Category.
    pub category: PartnerCategory,
    /// Offline caps.
    pub caps: PartnerCaps,
    /// Records signed so far.
    pub chain_seq: u64,
}

impl PartnerClient {
    /// Pins the root key before enrolment (a build-time key). Without it the
    /// key received at the first enrolment is pinned.
    pub fn pin_root_key(&self, root: PublicKey) -> Result<(), ClientError> {
        self.api.store.write(|tx| {
            tx.execute(
                "INSERT INTO trust (id, root_public_key) VALUES (1, ?1)
                 ON CONFLICT (id) DO NOTHING",
                [root.to_base64()],
            )
        })?;
        Ok(())
    }

    /// Enrols this device (once; again after a reset), pins the root key and
    /// fetches the trust list.
    pub fn enrol(&self, label: &str) -> Result<DeviceInfo, ClientError> {
        let req = EnrolRequest {
            device_public_key: self.signer.public_key().to_base64(),
            label: label.to_owned(),
        };
        let r: EnrolResponse =
            self.api
                .call(Method::Post, "/api/partner/devices", Some(&req), None)?;
        let root = PublicKey::from_base64(&r.root_public_key)
            .map_err(|e| ClientError::Trust(e.to_string()))?;
        self.api.store.write(|tx| -> Result<(), ClientError> {
            let pinned: Option<String> = tx
                .query_row("SELECT root_public_key FROM trust WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            match pinned {
                Some(p) if p != root.to_base64() => {
                    return Err(ClientError::Trust("root key differs from the pinned one".into()));
                }
                Some(_) => {}
                None => {
                    tx.execute(
                        "INSERT INTO trust (id, root_public_key) VALUES (1, ?1)",
                        [root.to_base64()],
                    )?;
                }
            }
            let head: Option<(i64, String)> = tx
                .query_row(
                    "SELECT chain_seq, chain_hash FROM partner_device WHERE id = 1 AND device_id = ?1",
                    [&r.device_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (seq, hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
            tx.execute(
                "INSERT INTO partner_device (id, device_id, partner_id, category,
                   per_transaction_max_cents, daily_max_cents, chain_seq, chain_hash)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET device_id = ?1, partner_id = ?2, category = ?3,
                   per_transaction_max_cents = ?4, daily_max_cents = ?5, chain_seq = ?6, chain_hash = ?7",
                params![
                    r.device_id,
                    r.partner_id,
                    r.category.code(),
                    r.caps.per_transaction_max.cents(),
                    r.caps.daily_max.cents(),
                    seq,
                    hash
                ],
            )?;
            Ok(())
        })?;
        self.refresh_trust()?;
        self.device()?.ok_or(ClientError::Missing("device"))
    }

    /// The enrolled device.
    pub fn device(&self) -> Result<Option<DeviceInfo>, ClientError> {
        self.api.store.read(device_row)
    }
}

pub(super) fn device_row(c: &Connection) -> Result<Option<DeviceInfo>, ClientError> {
    let row: Option<(String, String, String, i64, i64, i64)> = c
        .query_row(
            "SELECT device_id, partner_id, category, per_transaction_max_cents, daily_max_cents, chain_seq
             FROM partner_device WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    row.map(|(device_id, partner_id, cat, per_tx, daily, seq)| {
        Ok(DeviceInfo {
            device_id,
            partner_id,
            category: serde_json::from_value(serde_json::Value::String(cat))
                .map_err(|_| ClientError::Storage("category".into()))?,
            caps: PartnerCaps {
                per_transaction_max: money(per_tx)?,
                daily_max: money(daily)?,
            },
            chain_seq: u64::try_from(seq).unwrap_or(0),
        })
    })
    .transpose()
}
