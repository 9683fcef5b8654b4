//! Checks of a pushed offline debit that need no database: signatures, chain fields, the QR at its scan time.

use crate::debits::error::DebitsError;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use passregion_core::credential::PublicKey;
use passregion_core::credential::Verified;
use passregion_core::sync::ItemStatus;
use passregion_core::sync::OfflineDebit;
use std::collections::HashMap;

use crate::error::ServiceError;
use crate::platform::keys::ServerKeys;
use crate::platform::sql::sha256_hex;
use crate::sync::apply::CheckedItem;
use crate::sync::apply::PushItem;
use crate::sync::apply::refused;
use crate::sync::service::DEVICE_REVOKED;

/// How far in the future a scan time may be (phone clock drift).
pub(crate) const MAX_FUTURE: Duration = Duration::minutes(5);

pub(crate) fn reject(item: &OfflineDebit, code: &'static str, message: &str) -> PushItem {
    PushItem::Refused(passregion_core::sync::ItemResult {
        id: item.id,
        status: ItemStatus::Rejected,
        http_status: 422,
        code: Some(code.to_owned()),
        message: Some(message.to_owned()),
        transaction_id: None,
        overspend: false,
    })
}

/// Checks one item against the partner's device keys (`None`: a revoked
/// device, whose signatures are no longer accepted).
pub fn check(
    item: OfflineDebit,
    devices: &HashMap<String, Option<PublicKey>>,
    keys: &ServerKeys,
    now: DateTime<Utc>,
) -> PushItem {
    let device_key = match devices.get(&item.device_id) {
        Some(Some(key)) => key,
        Some(None) => return reject(&item, DEVICE_REVOKED.0, DEVICE_REVOKED.1),
        None => {
            return reject(
                &item,
                "appareil_inconnu",
                "Cet appareil n'est pas enrôlé pour ce partenaire.",
            );
        }
    };
    let sig = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        item.signature.as_bytes(),
    );
    if !sig.is_ok_and(|s| device_key.verify(&item.signing_bytes(), &s)) {
        return reject(
            &item,
            "signature_invalide",
            "La signature de l'appareil est invalide.",
        );
    }
    if !item.is_consistent() {
        return reject(
            &item,
            "montant_incoherent",
            "Le montant débité et le reste à payer ne correspondent pas au prix.",
        );
    }
    if item.scanned_at > now + MAX_FUTURE {
        return reject(
            &item,
            "horodatage_invalide",
            "L'heure du débit est dans le futur.",
        );
    }
    let verified = match crate::debits::qr::verify_at(keys, &item.qr, item.scanned_at) {
        Ok(v) => v,
        Err(e) => return PushItem::Refused(refused(item.id, ItemStatus::Rejected, e)),
    };
    let Verified::App(app) = verified else {
        return PushItem::Refused(refused(
            item.id,
            ItemStatus::Rejected,
            ServiceError::Debits(DebitsError::Qr("static card offline".into())),
        ));
    };
    let body_hash = sha256_hex(serde_json::to_string(&item).unwrap_or_default().as_bytes());
    let hash = item.hash();
    PushItem::Checked(Box::new(CheckedItem {
        body_hash,
        hash,
        card_id: app.card_id.to_string(),
        credential_id: app.credential_id.to_string(),
        counter: app.counter,
        limits: app.limits,
        item,
    }))
}
