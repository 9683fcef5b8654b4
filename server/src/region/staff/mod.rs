//! The Region's staff (issue 16): its administrators invite agents with a
//! role (*Administration*, *Instruction*, *Finances*), change their role and
//! remove them ([`crate::accounts::RegionDesk::Admin`]). Invitations are
//! those of a partner's staff (ADR 0025, the helper of
//! `accounts/invitation.rs`): the account is created with a random
//! password nobody knows and its address unconfirmed, a single-use link
//! valid 7 days is mailed, and `POST /api/auth/invitation/accept` sets the
//! password. The Region always keeps an active administrator (409
//! `dernier_administrateur`). A removed agent, or one whose role changed,
//! loses its sessions at once (rows and cache). What a request does is
//! here; the decisions inside the writer are in `staff/service.rs` (ADR
//! 0037).

pub mod http;
pub mod repo;
pub mod repo_pg;
pub mod service;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use passregion_core::api::region_staff::{RegionInvitation, RegionStaffMember};
use passregion_core::status::RegionRole;

use crate::accounts::password::PasswordWork;
use crate::accounts::session_cache::SessionCache;
use crate::error::ServiceError;
use crate::platform::mail::{Mail, Mailer};
use crate::platform::run_blocking;
use crate::region::staff::repo::RegionStaffRepo;
use crate::region::staff::service::NewRegionInvitation;
use crate::web::limits::FailureWindow;

/// What an invitation needs from the server.
pub struct Staffing<'a> {
    /// Storage.
    pub store: Arc<dyn RegionStaffRepo>,
    /// Password hashing workers.
    pub passwords: &'a PasswordWork,
    /// Mail.
    pub mailer: Arc<dyn Mailer>,
    /// Mails per address and day (the account forms' limit).
    pub mails: &'a FailureWindow,
    /// Base URL of the web app, for the link.
    pub public_url: &'a str,
}

/// Invites an agent to the Region's staff (the caller is an administrator).
pub async fn invite(
    s: Staffing<'_>,
    req: RegionInvitation,
    now: DateTime<Utc>,
) -> Result<RegionStaffMember, ServiceError> {
    let (email, name) = crate::accounts::invitation::check_person(&req.email, &req.display_name)?;
    let secrets = crate::accounts::invitation::new_secrets(s.passwords, now).await?;
    let token = secrets.token;
    let inv = NewRegionInvitation {
        email: email.clone(),
        display_name: name.clone(),
        role: req.role,
        placeholder_hash: secrets.placeholder_hash,
        token_hash: secrets.token_hash,
        created_at: now,
        expires_at: secrets.expires_at,
    };
    let member = {
        let store = s.store.clone();
        run_blocking(move || store.invite_region_staff(inv)).await?
    };
    let mail = Mail {
        to: email,
        subject: "PASS'Région : invitation à rejoindre l'espace Région".into(),
        body: format!(
            "Bonjour {name},\n\nVous êtes invité(e) à rejoindre l'espace Région de PASS'Région (rôle : {}).\nPour choisir votre mot de passe et activer votre compte, ouvrez ce lien (valable 7 jours, une seule fois) :\n{}/#/invitation?jeton={token}&espace=region\n\nSi vous ne vous attendiez pas à cette invitation, ignorez ce message.",
            req.role.label(),
            s.public_url.trim_end_matches('/')
        ),
    };
    crate::accounts::registration::send_limited(s.mailer, s.mails, "invitation", mail, now).await;
    Ok(member)
}

/// The Region's agents.
pub async fn staff(
    store: Arc<dyn RegionStaffRepo>,
    now: DateTime<Utc>,
) -> Result<Vec<RegionStaffMember>, ServiceError> {
    run_blocking(move || store.region_staff(now)).await
}

/// Changes an agent's role: its sessions end at once.
pub async fn change_role(
    store: Arc<dyn RegionStaffRepo>,
    sessions: &SessionCache,
    account_id: &str,
    role: RegionRole,
    now: DateTime<Utc>,
) -> Result<RegionStaffMember, ServiceError> {
    let id = account_id.to_owned();
    let member = run_blocking(move || store.change_region_role(&id, role, now)).await?;
    sessions.remove_account(account_id);
    Ok(member)
}

/// Removes an agent: its sessions end at once.
pub async fn remove(
    store: Arc<dyn RegionStaffRepo>,
    sessions: &SessionCache,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let id = account_id.to_owned();
    run_blocking(move || store.remove_region_staff(&id, now)).await?;
    sessions.remove_account(account_id);
    Ok(())
}
