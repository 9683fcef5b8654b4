//! The établissement's desk (issue 14): its staff, the bulk actions on its
//! orders and cards, and the card's history.
//!
//! **Staff.** An établissement account is its head (*chef d'établissement*)
//! or one of its staff (*personnel*); only a head invites and removes
//! colleagues ([`crate::accounts::establishment_head`]); everyone sees only
//! its own établissement. Invitations are those of a partner's staff (ADR
//! 0025): the account is created with a random password nobody knows and
//! its address unconfirmed, a single-use link valid 7 days is mailed
//! (`email_tokens`, purpose `invitation`), and `POST
//! /api/auth/invitation/accept` sets the password. Removing a member ends
//! its sessions at once. What a request does is here; the decisions inside
//! the writer are in `desk/staff.rs`.
//!
//! **Bulk actions** (ADR 0026). Validating or refusing orders and
//! revalidating cards for the new season take a list of at most
//! [`BULK_MAX_ITEMS`] ids and an `Idempotency-Key`. The list is cut in
//! chunks of [`service::BULK_CHUNK`]: one writer job (one transaction) per chunk, so
//! debits and logins are committed between two chunks; inside, each item
//! has its own savepoint (`desk/service.rs`): an item refused by the rules
//! (another établissement's id, an order already decided, a youth no longer
//! eligible by the core rule) is undone alone and answered with its French
//! reason. Each chunk stores its answer under the key (`platform::idempotency`,
//! key `"<key> <chunk>"`, which no header can spell), in its own transaction:
//! a retry replays the chunks already applied and runs the others, so the
//! answer is the same and nothing is done twice.

pub mod error;
pub mod http;
pub mod pg;
pub mod repo;
pub mod service;
pub mod staff;

pub use passregion_core::api::desk::BULK_MAX_ITEMS;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use passregion_core::api::desk::{EstablishmentInvitation, EstablishmentStaffMember};

use crate::accounts::establishment_head;
use crate::accounts::model::Principal;
use crate::accounts::password::PasswordWork;
use crate::accounts::session_cache::SessionCache;
use crate::error::ServiceError;
use crate::establishments::desk::error::DeskError;
use crate::establishments::desk::repo::DeskRepo;
use crate::establishments::desk::staff::NewStaffInvitation;
use crate::platform::mail::{Mail, Mailer};
use crate::platform::run_blocking;
use crate::web::limits::FailureWindow;

/// What an invitation needs from the server.
pub struct Staffing<'a> {
    /// Storage.
    pub store: Arc<dyn DeskRepo>,
    /// Password hashing workers.
    pub passwords: &'a PasswordWork,
    /// Mail.
    pub mailer: Arc<dyn Mailer>,
    /// Mails per address and day (the account forms' limit).
    pub mails: &'a FailureWindow,
    /// Base URL of the web app, for the link.
    pub public_url: &'a str,
}

/// Invites a colleague to the caller's établissement (its head).
pub async fn invite(
    s: Staffing<'_>,
    who: &Principal,
    req: EstablishmentInvitation,
    now: DateTime<Utc>,
) -> Result<EstablishmentStaffMember, ServiceError> {
    let establishment_id = establishment_head(who)?;
    invite_to(s, establishment_id, req, now).await
}

/// Invites someone to an établissement: its head (or staff) by the Region
/// for an établissement just imported, or a colleague by the head.
pub async fn invite_to(
    s: Staffing<'_>,
    establishment_id: String,
    req: EstablishmentInvitation,
    now: DateTime<Utc>,
) -> Result<EstablishmentStaffMember, ServiceError> {
    let (email, name) = crate::accounts::invitation::check_person(&req.email, &req.display_name)?;
    let secrets = crate::accounts::invitation::new_secrets(s.passwords, now).await?;
    let token = secrets.token;
    let inv = NewStaffInvitation {
        establishment_id,
        email: email.clone(),
        display_name: name.clone(),
        role: req.role,
        placeholder_hash: secrets.placeholder_hash,
        token_hash: secrets.token_hash,
        created_at: now,
        expires_at: secrets.expires_at,
    };
    let (member, establishment) = {
        let store = s.store.clone();
        run_blocking(move || store.invite_establishment_staff(inv)).await?
    };
    let mail = Mail {
        to: email,
        subject: format!("PASS'Région : invitation à rejoindre {establishment}"),
        body: format!(
            "Bonjour {name},\n\nVous êtes invité(e) à rejoindre l'espace établissement PASS'Région de {establishment} ({}).\nPour choisir votre mot de passe et activer votre compte, ouvrez ce lien (valable 7 jours, une seule fois) :\n{}/#/invitation?jeton={token}&espace=etablissement\n\nSi vous ne vous attendiez pas à cette invitation, ignorez ce message.",
            req.role.label(),
            s.public_url.trim_end_matches('/')
        ),
    };
    crate::accounts::registration::send_limited(s.mailer, s.mails, "invitation", mail, now).await;
    Ok(member)
}

/// The caller's établissement's staff (its head).
pub async fn staff(
    store: Arc<dyn DeskRepo>,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<Vec<EstablishmentStaffMember>, ServiceError> {
    let establishment_id = establishment_head(who)?;
    run_blocking(move || store.establishment_staff(&establishment_id, now)).await
}

/// Removes a member of the caller's établissement (its head; not oneself):
/// its sessions end at once.
pub async fn remove(
    store: Arc<dyn DeskRepo>,
    sessions: &SessionCache,
    who: &Principal,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let establishment_id = establishment_head(who)?;
    if account_id == who.account_id {
        return Err(DeskError::CannotRemoveSelf.into());
    }
    let id = account_id.to_owned();
    run_blocking(move || store.remove_establishment_staff(&establishment_id, &id, now)).await?;
    sessions.remove_account(account_id);
    Ok(())
}
