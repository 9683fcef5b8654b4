//! Registration with e-mail verification (issue 11, item 9): the answer is
//! the same whether the address is free or taken, and so is the work (one
//! password hash, one write job, one e-mail). A free address gets a
//! confirmation link; a taken one gets a notice to its owner. The account
//! logs in once the link is followed.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::check_new_account;
use crate::accounts::error::AccountsError;
use crate::accounts::model::{RegisterRequest, RegisterResponse, Registered};
use crate::accounts::password::{PasswordWork, hash_password, new_token};
use crate::accounts::repo::AccountsRepo;
use crate::error::ServiceError;
use crate::platform::mail::{Mail, Mailer};
use crate::platform::run_blocking;
use crate::platform::sql::sha256_hex;
use crate::web::limits::FailureWindow;

/// How long a confirmation link works.
pub const VERIFICATION_VALIDITY: Duration = Duration::hours(48);

/// The uniform answer to a registration.
pub const REGISTER_MESSAGE: &str = "Si cette adresse peut être utilisée, un e-mail vient d'y être envoyé : suivez le lien qu'il contient pour activer votre compte.";

/// What registration needs from the server.
pub struct Registration<'a> {
    /// Storage.
    pub store: Arc<dyn AccountsRepo>,
    /// Password hashing workers.
    pub passwords: &'a PasswordWork,
    /// Mail.
    pub mailer: Arc<dyn Mailer>,
    /// Mails per address (a registration form must not mail-bomb anyone).
    pub mails: &'a FailureWindow,
    /// Base URL of the web app, for the link.
    pub public_url: &'a str,
}

/// Registers a youth account (see the module documentation).
pub async fn register(
    r: Registration<'_>,
    req: RegisterRequest,
    now: DateTime<Utc>,
) -> Result<RegisterResponse, ServiceError> {
    register_account(r, req.email, req.password, &req.display_name, None, now).await
}

/// Starts a partner's application: the same uniform registration, for an
/// account of a new draft structure (`name`, `category`); the link opens
/// the draft.
pub async fn register_partner(
    r: Registration<'_>,
    req: crate::partners::model::ApplicationStart,
    now: DateTime<Utc>,
) -> Result<RegisterResponse, ServiceError> {
    let structure = crate::platform::sql::require_text("name", &req.name, 120)?;
    register_account(
        r,
        req.email,
        req.password,
        &req.contact_name,
        Some((structure, req.category)),
        now,
    )
    .await
}

async fn register_account(
    r: Registration<'_>,
    email: String,
    password: String,
    display_name: &str,
    partner: Option<(String, passregion_core::PartnerCategory)>,
    now: DateTime<Utc>,
) -> Result<RegisterResponse, ServiceError> {
    let email = email.trim().to_lowercase();
    check_new_account(&email, &password)?;
    let field = if partner.is_some() {
        "contact_name"
    } else {
        "display_name"
    };
    let name = display_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field,
            message: "Indiquez votre nom (80 caractères au plus).".into(),
        });
    }
    let applying = partner.is_some();
    let hash = r
        .passwords
        .run(move || hash_password(&password))
        .await?
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let token = new_token();
    let token_hash = sha256_hex(token.as_bytes());
    let outcome = {
        let (store, email, name) = (r.store.clone(), email.clone(), name.clone());
        run_blocking(move || {
            store.register_account(
                &email,
                &hash,
                &name,
                &token_hash,
                now + VERIFICATION_VALIDITY,
                now,
                partner,
            )
        })
        .await?
    };
    let base = r.public_url.trim_end_matches('/');
    let mail = match outcome {
        Registered::New if applying => Mail {
            to: email,
            subject: "PASS'Région : confirmez votre adresse pour continuer votre demande".into(),
            body: format!(
                "Bonjour {name},\n\nPour continuer votre demande de partenariat PASS'Région, ouvrez ce lien (valable 48 heures) :\n{base}/#/verifier-email?jeton={token}\n\nVotre brouillon est enregistré : vous pourrez y revenir en vous connectant.\n\nSi vous n'avez rien demandé, ignorez ce message."
            ),
        },
        Registered::New => Mail {
            to: email,
            subject: "PASS'Région : confirmez votre adresse e-mail".into(),
            body: format!(
                "Bonjour {name},\n\nPour activer votre compte PASS'Région, ouvrez ce lien (valable 48 heures) :\n{base}/#/verifier-email?jeton={token}\n\nSi vous n'avez pas demandé ce compte, ignorez ce message."
            ),
        },
        Registered::Existing => Mail {
            to: email,
            subject: "PASS'Région : une inscription avec votre adresse".into(),
            body: format!(
                "Bonjour,\n\nQuelqu'un a voulu créer un compte PASS'Région avec cette adresse, qui en a déjà un. Si c'était vous, connectez-vous : {base}/#/connexion\n\nSinon, ignorez ce message : votre compte n'a pas changé."
            ),
        },
    };
    send_limited(r.mailer.clone(), r.mails, "register", mail, now).await;
    Ok(RegisterResponse {
        message: REGISTER_MESSAGE.into(),
    })
}

/// Sends a mail of the account forms, at most 3 a day per address and
/// `purpose` (the forms must not mail-bomb anyone); beyond, nothing is sent
/// and the caller's answer is the same. A failed send is logged, not shown
/// (the answer must not depend on it).
pub(crate) async fn send_limited(
    mailer: Arc<dyn Mailer>,
    mails: &FailureWindow,
    purpose: &str,
    mail: Mail,
    now: DateTime<Utc>,
) {
    let key = format!("{purpose}-mail:{}", sha256_hex(mail.to.as_bytes()));
    if !mails.reserve(&[&key], now) {
        return;
    }
    if let Err(e) = run_blocking(move || mailer.send(&mail)).await {
        tracing::error!(error = %e, purpose, "e-mail not sent");
    }
}

/// Confirms an address with the token of its link; returns the account's
/// e-mail (to open a session).
pub async fn verify_email(
    store: Arc<dyn AccountsRepo>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(ServiceError::Accounts(AccountsError::BadEmailToken));
    }
    let hash = sha256_hex(token.as_bytes());
    run_blocking(move || store.consume_verification(&hash, now))
        .await?
        .ok_or(ServiceError::Accounts(AccountsError::BadEmailToken))
}
