//! Errors: internal ones (`thiserror`, with `#[from]`), mapped to the one
//! public [`ClientError`] that the app layers (Tauri, uniffi) see. No error
//! carries personal data: no e-mail, name, card number or QR text.

use crate::credential::Reason;
use crate::sync::OfflineError;

use super::transport::TransportError;

/// Internal storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A JSON column.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A value that does not parse (corrupt row).
    #[error("stored value is invalid: {0}")]
    Invalid(&'static str),
    /// The database was written by a newer app version.
    #[error("database schema {found} is newer than this app ({supported})")]
    TooNew {
        /// `user_version` found.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// Filesystem (quarantine).
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
}

/// The public error of the clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server cannot be reached (no network, server down, timeout).
    #[error("hors ligne")]
    Offline,
    /// No session: log in first.
    #[error("not logged in")]
    NotLoggedIn,
    /// The session was refused (expired or revoked): log in again.
    #[error("session expired")]
    Unauthorized,
    /// The server refused the request (business rule, validation…).
    #[error("refused by the server ({status} {code})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Stable machine code (`solde_insuffisant`, …).
        code: String,
        /// French message for the user.
        message: String,
        /// The field at fault, if any.
        field: Option<String>,
    },
    /// The server failed (5xx).
    #[error("server error {status}")]
    Server {
        /// HTTP status.
        status: u16,
    },
    /// The server answered something this client does not understand.
    #[error("unexpected server response: {0}")]
    Protocol(String),
    /// The local store failed.
    #[error("local storage: {0}")]
    Storage(String),
    /// The scanned code is not valid (fails closed).
    #[error("invalid code: {0}")]
    InvalidCode(Reason),
    /// The offline rule refused the debit.
    #[error("offline debit refused: {0}")]
    OfflineRefused(OfflineError),
    /// This needs the server (e.g. a printed card QR cannot be debited offline).
    #[error("online only")]
    OnlineOnly,
    /// Nothing to show or do yet (no card, no credential, device not enrolled…).
    #[error("missing: {0}")]
    Missing(&'static str),
    /// A key or signature operation failed.
    #[error("key: {0}")]
    Key(String),
    /// The trust list is missing, does not verify, or rolls back.
    #[error("trust list: {0}")]
    Trust(String),
    /// An argument given by the app is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> Self {
        ClientError::Storage(e.to_string())
    }
}

impl From<rusqlite::Error> for ClientError {
    fn from(e: rusqlite::Error) -> Self {
        ClientError::Storage(e.to_string())
    }
}

impl From<TransportError> for ClientError {
    fn from(_: TransportError) -> Self {
        ClientError::Offline
    }
}

impl From<crate::credential::KeyError> for ClientError {
    fn from(e: crate::credential::KeyError) -> Self {
        ClientError::Key(e.to_string())
    }
}

impl From<crate::credential::CredentialError> for ClientError {
    fn from(e: crate::credential::CredentialError) -> Self {
        ClientError::Key(e.to_string())
    }
}

impl ClientError {
    /// A stable code for the app layers (the server's own code when it
    /// refused).
    pub fn code(&self) -> &str {
        match self {
            ClientError::Offline => "hors_ligne",
            ClientError::NotLoggedIn => "non_connecte",
            ClientError::Unauthorized => "session_expiree",
            ClientError::Refused { code, .. } => code,
            ClientError::Server { .. } => "erreur_serveur",
            ClientError::Protocol(_) => "reponse_inattendue",
            ClientError::Storage(_) => "stockage_local",
            ClientError::InvalidCode(_) => "code_invalide",
            ClientError::OfflineRefused(OfflineError::Limit(_)) => "hors_limites",
            ClientError::OfflineRefused(OfflineError::PartnerCap) => "plafond_partenaire",
            ClientError::OfflineRefused(OfflineError::Debit(_)) => "debit_impossible",
            ClientError::OnlineOnly => "en_ligne_seulement",
            ClientError::Missing(_) => "manquant",
            ClientError::Key(_) => "cle_appareil",
            ClientError::Trust(_) => "liste_de_confiance",
            ClientError::InvalidArgument(_) => "argument_invalide",
        }
    }

    /// The French message to show (no personal data).
    pub fn user_message(&self) -> String {
        use crate::credential::LimitError;
        match self {
            ClientError::Offline => "Serveur injoignable : vérifiez la connexion.".into(),
            ClientError::NotLoggedIn | ClientError::Unauthorized => {
                "Connectez-vous pour continuer.".into()
            }
            ClientError::Refused { message, .. } => message.clone(),
            ClientError::Server { .. } => {
                "Le serveur a rencontré une erreur : réessayez dans un instant.".into()
            }
            ClientError::Protocol(_) => "Réponse inattendue du serveur.".into(),
            ClientError::Storage(_) => "Le stockage de l'appareil a échoué.".into(),
            ClientError::InvalidCode(r) => match r {
                Reason::Expired | Reason::StepOutOfWindow => {
                    "Ce QR code a expiré : demandez au jeune d'afficher un nouveau code.".into()
                }
                Reason::Revoked => "Cette carte ou ce code a été révoqué.".into(),
                Reason::Replayed => "Ce QR code a déjà servi : demandez un nouveau code.".into(),
                Reason::StaleTrustList => {
                    "La liste des clés de l'appareil est trop ancienne : synchronisez.".into()
                }
                _ => "Ce QR code n'est pas un code PASS'Région valide.".into(),
            },
            ClientError::OfflineRefused(OfflineError::Limit(l)) => match l {
                LimitError::PerTransaction => {
                    "Hors ligne, ce montant dépasse le maximum par achat autorisé pour ce jeune."
                        .into()
                }
                LimitError::Allowance => {
                    "Hors ligne, l'allocation de ce jeune chez vous est épuisée.".into()
                }
                LimitError::Count => {
                    "Hors ligne, ce jeune a atteint le nombre d'achats autorisés chez vous.".into()
                }
            },
            ClientError::OfflineRefused(OfflineError::PartnerCap) => {
                "Hors ligne, ce débit dépasse vos plafonds (par achat ou par jour).".into()
            }
            ClientError::OfflineRefused(OfflineError::Debit(_)) => {
                "Ce débit est impossible (montant nul ou crédit épuisé).".into()
            }
            ClientError::OnlineOnly => {
                "Cette opération demande le réseau (une carte imprimée ne se débite pas hors ligne)."
                    .into()
            }
            ClientError::Missing(what) => format!("Élément manquant : {what}."),
            ClientError::Key(_) => "La clé de l'appareil est indisponible.".into(),
            ClientError::Trust(_) => {
                "La liste des clés n'a pas pu être vérifiée : synchronisez l'appareil.".into()
            }
            ClientError::InvalidArgument(what) => format!("Valeur invalide : {what}."),
        }
    }

    /// Whether retrying later may succeed (network, server failure).
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Offline | ClientError::Server { .. })
    }
}
