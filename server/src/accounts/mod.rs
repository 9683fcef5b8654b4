//! Accounts, roles and sessions: login, registration, the caller's identity and the role checks every domain uses.

use crate::establishments::desk::error::DeskError;
use crate::partners::error::PartnersError;

use passregion_core::PartnerCategory;
use passregion_core::status::{EstablishmentRole, PartnerRole};

use crate::accounts::error::AccountsError;
use crate::accounts::model::Principal;
use crate::accounts::model::Role;
pub use crate::accounts::region_roles::{RegionDesk, region_allows};
use crate::error::ServiceError;

pub mod error;
pub mod http;
pub mod invitation;
pub(crate) mod invitation_pg;
pub mod login;
pub mod model;
pub mod my_sessions;
pub mod my_sessions_pg;
pub mod notify;
pub mod notify_pg;
pub mod password;
pub mod region_roles;
pub mod registration;
pub mod repo;
pub mod repo_pg;
pub mod reset;
pub mod rows;
pub mod security;
pub mod session;
pub mod session_cache;

/// Checks the e-mail and password of a new account.
pub fn check_new_account(email: &str, password: &str) -> Result<(), ServiceError> {
    crate::accounts::check_email("email", email)?;
    let n = password.chars().count();
    if !(8..=200).contains(&n) {
        return Err(ServiceError::Invalid {
            field: "password",
            message: "Le mot de passe doit comporter de 8 à 200 caractères.".into(),
        });
    }
    Ok(())
}

pub(crate) fn require_role(who: &Principal, role: Role) -> Result<(), ServiceError> {
    if who.role == role {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

pub(crate) fn partner_of(who: &Principal) -> Result<(&str, PartnerCategory), ServiceError> {
    require_role(who, Role::Partner)?;
    match &who.partner {
        Some((id, cat, true)) => Ok((id.as_str(), *cat)),
        Some((_, _, false)) => Err(ServiceError::Partners(PartnersError::PartnerNotValidated)),
        None => Err(ServiceError::Forbidden),
    }
}

/// The caller's partner, whatever its convention status (its own
/// application, bons plans, reimbursements).
pub(crate) fn own_partner(who: &Principal) -> Result<String, ServiceError> {
    require_role(who, Role::Partner)?;
    who.partner
        .as_ref()
        .map(|p| p.0.clone())
        .ok_or(ServiceError::Forbidden)
}

/// The caller's partner, if the caller is one of its managers
/// (*responsables*): inviting and removing staff, revoking devices, bons
/// plans, the profile and bank details. A cashier gets 403
/// `reserve_au_responsable`.
pub(crate) fn partner_manager(who: &Principal) -> Result<String, ServiceError> {
    let partner = own_partner(who)?;
    if who.partner_role == Some(PartnerRole::Manager) {
        Ok(partner)
    } else {
        Err(ServiceError::Partners(PartnersError::ManagerOnly))
    }
}

pub(crate) fn establishment_of(who: &Principal) -> Result<&str, ServiceError> {
    require_role(who, Role::Establishment)?;
    who.establishment_id
        .as_deref()
        .ok_or(ServiceError::Forbidden)
}

/// The caller's établissement, if the caller is its head (*chef
/// d'établissement*): inviting and removing its staff. A member of its
/// staff gets 403 `reserve_au_chef_etablissement`.
pub(crate) fn establishment_head(who: &Principal) -> Result<String, ServiceError> {
    let establishment = establishment_of(who)?.to_owned();
    if who.establishment_role == Some(EstablishmentRole::Head) {
        Ok(establishment)
    } else {
        Err(ServiceError::Desk(DeskError::HeadOnly))
    }
}

/// The one check of a Region desk: the caller is an agent of the Region
/// (403 `acces_refuse` otherwise) whose role allows `desk` (403
/// `reserve_a_l_instruction`, `reserve_aux_finances` or
/// `reserve_a_l_administration`).
pub(crate) fn region_desk(who: &Principal, desk: RegionDesk) -> Result<(), ServiceError> {
    require_role(who, Role::Region)?;
    if region_allows(who.region_role, desk) {
        Ok(())
    } else {
        Err(AccountsError::RegionDeskOnly(desk).into())
    }
}

/// Checks an e-mail address (accounts, referents): one rule for the server.
pub(crate) fn check_email(field: &'static str, email: &str) -> Result<String, ServiceError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(a, b)| {
            !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(ServiceError::Invalid {
            field,
            message: "Adresse e-mail invalide.".into(),
        })
    }
}
