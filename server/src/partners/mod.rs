//! Partners: the online application, the convention signed with an SMS code, the Region's decision, the directory, the structure's staff and devices.

pub mod error;
pub mod http;
pub mod model;
pub mod repo;
pub mod service;
pub mod sms;
pub mod staff;

use passregion_core::partner::{mobile_phone, valid_siret};

use crate::error::ServiceError;
use crate::partners::model::ApplicationRequest;

/// Checks an application before anything is stored: the CGP accepted, the
/// SIRET (its Luhn key, through the core rule), a mobile phone for the code,
/// and the new account's e-mail and password. Returns the normalised SIRET
/// and phone.
pub fn check_application(req: &ApplicationRequest) -> Result<(String, String), ServiceError> {
    if !req.accept_conditions {
        return Err(ServiceError::Invalid {
            field: "accept_conditions",
            message: "Vous devez accepter les Conditions Générales de Partenariat.".into(),
        });
    }
    let siret = valid_siret(&req.siret).ok_or(ServiceError::Invalid {
        field: "siret",
        message: "Le SIRET comporte 14 chiffres (clé de contrôle invalide).".into(),
    })?;
    let phone = mobile_phone(&req.phone).ok_or(ServiceError::Invalid {
        field: "phone",
        message: "Indiquez un numéro de mobile (06 ou 07) pour recevoir le code.".into(),
    })?;
    crate::accounts::check_new_account(&req.email, &req.password)?;
    Ok((siret, phone))
}
