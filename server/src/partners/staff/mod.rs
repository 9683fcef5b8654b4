//! A partner's staff and devices (issue 13). A partner account is a manager
//! (*responsable*) or a cashier (*caissier*); only managers invite and
//! remove staff and revoke devices ([`crate::accounts::partner_manager`]).
//!
//! An invitation creates the account (its address not confirmed, a random
//! password nobody knows) and mails a link carrying a single-use token,
//! valid 7 days, stored as its SHA-256 in `email_tokens`; following it sets
//! the password, confirms the address and opens a session. Inviting again an
//! address of the same structure that has not accepted yet (or was removed)
//! voids its earlier links and sends a new one; an address with any other
//! account is refused (409). Removing a member ends its sessions at once
//! (database and session cache) and voids its links; the row stays, since
//! its transactions and devices name it. A revoked device's offline debits
//! are refused at push (`appareil_revoque`, `sync/check.rs`).
//!
//! Here: what a request does (hash, token, one write job, the mail, the
//! session cache); the decisions inside the writer are in `staff/service.rs`
//! (over the SQL-only `StaffTx`, in `staff/repo.rs`); the handlers in
//! `staff/http.rs`.

pub mod http;
pub mod repo;
pub mod repo_pg;
pub mod service;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use passregion_core::api::staff::{DeviceView, InvitationAccept, StaffInvitation, StaffMember};

use crate::accounts::model::Principal;
use crate::accounts::password::{PasswordWork, hash_password};
use crate::accounts::session_cache::SessionCache;
use crate::accounts::{own_partner, partner_manager};
use crate::error::ServiceError;
use crate::partners::error::PartnersError;
use crate::partners::staff::repo::StaffRepo;
use crate::partners::staff::service::{NewInvitation, check_invitation};
use crate::platform::mail::{Mail, Mailer};
use crate::platform::run_blocking;
use crate::platform::sql::sha256_hex;
use crate::web::limits::FailureWindow;

/// What an invitation needs from the server.
pub struct Staffing<'a> {
    /// Storage.
    pub store: Arc<dyn StaffRepo>,
    /// Password hashing workers.
    pub passwords: &'a PasswordWork,
    /// Mail.
    pub mailer: Arc<dyn Mailer>,
    /// Mails per address and day (the account forms' limit).
    pub mails: &'a FailureWindow,
    /// Base URL of the web app, for the link.
    pub public_url: &'a str,
}

/// Invites someone to the caller's structure (a manager): the account and
/// its link in one write job, then the e-mail.
pub async fn invite(
    s: Staffing<'_>,
    who: &Principal,
    req: StaffInvitation,
    now: DateTime<Utc>,
) -> Result<StaffMember, ServiceError> {
    let partner_id = partner_manager(who)?;
    invite_to(s, partner_id, req, now).await
}

/// Invites someone to a structure: a colleague by its manager, or the
/// manager of a partner just imported (`import-partners`).
pub async fn invite_to(
    s: Staffing<'_>,
    partner_id: String,
    req: StaffInvitation,
    now: DateTime<Utc>,
) -> Result<StaffMember, ServiceError> {
    let (email, name) = check_invitation(&req)?;
    let secrets = crate::accounts::invitation::new_secrets(s.passwords, now).await?;
    let token = secrets.token;
    let inv = NewInvitation {
        partner_id,
        email: email.clone(),
        display_name: name.clone(),
        role: req.role,
        placeholder_hash: secrets.placeholder_hash,
        token_hash: secrets.token_hash,
        created_at: now,
        expires_at: secrets.expires_at,
    };
    let (member, partner_name) = {
        let store = s.store.clone();
        run_blocking(move || store.invite_staff(inv)).await?
    };
    let mail = Mail {
        to: email,
        subject: format!("PASS'Région : invitation à rejoindre {partner_name}"),
        body: format!(
            "Bonjour {name},\n\nVous êtes invité(e) à rejoindre l'espace partenaire PASS'Région de {partner_name} en tant que {}.\nPour choisir votre mot de passe et activer votre compte, ouvrez ce lien (valable 7 jours, une seule fois) :\n{}/#/invitation?jeton={token}\n\nSi vous ne vous attendiez pas à cette invitation, ignorez ce message.",
            req.role.label(),
            s.public_url.trim_end_matches('/')
        ),
    };
    crate::accounts::registration::send_limited(s.mailer, s.mails, "invitation", mail, now).await;
    Ok(member)
}

/// Accepts an invitation with its link's token: sets the password and
/// confirms the address. Returns the account's e-mail (to open a session).
pub async fn accept(
    store: Arc<dyn StaffRepo>,
    passwords: &PasswordWork,
    req: InvitationAccept,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let token = req.token.trim().to_owned();
    if token.is_empty() || token.len() > 128 {
        return Err(ServiceError::Partners(PartnersError::InvitationInvalid));
    }
    let n = req.password.chars().count();
    if !(8..=200).contains(&n) {
        return Err(ServiceError::Invalid {
            field: "password",
            message: "Le mot de passe doit comporter de 8 à 200 caractères.".into(),
        });
    }
    let password = req.password;
    let hash = passwords
        .run(move || hash_password(&password))
        .await?
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let token_hash = sha256_hex(token.as_bytes());
    run_blocking(move || store.accept_invitation(&token_hash, &hash, now))
        .await?
        .ok_or(ServiceError::Partners(PartnersError::InvitationInvalid))
}

/// The caller's staff (a manager).
pub async fn staff(
    store: Arc<dyn StaffRepo>,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<Vec<StaffMember>, ServiceError> {
    let partner_id = partner_manager(who)?;
    run_blocking(move || store.staff(&partner_id, now)).await
}

/// Removes a member of the caller's staff (a manager; not oneself): its
/// sessions end at once.
pub async fn remove(
    store: Arc<dyn StaffRepo>,
    sessions: &SessionCache,
    who: &Principal,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let partner_id = partner_manager(who)?;
    if account_id == who.account_id {
        return Err(ServiceError::Partners(PartnersError::CannotRemoveSelf));
    }
    let id = account_id.to_owned();
    run_blocking(move || store.remove_staff(&partner_id, &id, now)).await?;
    sessions.remove_account(account_id);
    Ok(())
}

/// The devices of the caller's structure (any member of its staff).
pub async fn devices(
    store: Arc<dyn StaffRepo>,
    who: &Principal,
) -> Result<Vec<DeviceView>, ServiceError> {
    let partner_id = own_partner(who)?;
    run_blocking(move || store.devices(&partner_id)).await
}

/// Revokes a device of the caller's structure (a manager).
pub async fn revoke(
    store: Arc<dyn StaffRepo>,
    who: &Principal,
    device_id: &str,
    now: DateTime<Utc>,
) -> Result<DeviceView, ServiceError> {
    let partner_id = partner_manager(who)?;
    let id = device_id.to_owned();
    run_blocking(move || store.revoke_device(&partner_id, &id, now)).await
}
