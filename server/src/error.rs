//! Errors, on two levels: `ServiceError` (internal) and the public problem body; `From<ServiceError> for ApiError` is the one place that maps them.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use passregion_core::CardError;
use passregion_core::DebitError;
use passregion_core::MoneyError;
use passregion_core::RefundError;
use passregion_core::card::CardNumberError;
use passregion_core::public::EligibilityError;

use passregion_core::partner::CodeError;

use crate::accounts::error::AccountsError;
use crate::cards::error::CardsError;
use crate::debits::error::DebitsError;
use crate::establishments::desk::error::DeskError;
use crate::establishments::error::EstablishmentsError;
use crate::partners::error::PartnersError;
use crate::platform::files::FileError;
use crate::region::error::RegionError;
use crate::reimbursements::error::ReimbursementsError;
use crate::web::problem::ApiError;

mod reimbursements;

/// Internal error of the service and storage layers: what every domain
/// shares (storage, authentication, validation, idempotency), and each
/// domain's own enum.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// PostgreSQL failed (its SQLSTATE only; ADR 0036).
    #[error("database error: {0}")]
    Pg(crate::platform::pg_error::PgError),
    /// The writer thread or the pool is gone (shutting down).
    #[error("storage unavailable")]
    Unavailable,
    /// Something that should not happen (bad stored data, broken invariant).
    #[error("internal error: {0}")]
    Internal(String),
    /// No or expired session.
    #[error("not authenticated")]
    Unauthenticated,
    /// Authenticated, but this role or owner may not do that.
    #[error("forbidden")]
    Forbidden,
    /// No such resource (or not visible to the caller).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A field failed validation.
    #[error("invalid field {field}")]
    Invalid {
        /// Field name as in the request.
        field: &'static str,
        /// French explanation.
        message: String,
    },
    /// Amount parsing.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Too many failed attempts from this address or account.
    #[error("too many attempts")]
    TooManyAttempts,
    /// Same Idempotency-Key, different request.
    #[error("idempotency key reused with another request")]
    IdempotencyMismatch,
    /// A money-moving POST without Idempotency-Key.
    #[error("missing idempotency key")]
    IdempotencyKeyMissing,
    /// Accounts and sessions.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// Orders, cards and seasons.
    #[error(transparent)]
    Cards(#[from] CardsError),
    /// Debits, refunds and card look-ups.
    #[error(transparent)]
    Debits(#[from] DebitsError),
    /// Partner onboarding.
    #[error(transparent)]
    Partners(#[from] PartnersError),
    /// Collective bookings.
    #[error(transparent)]
    Establishments(#[from] EstablishmentsError),
    /// Uploaded documents.
    #[error(transparent)]
    Files(#[from] FileError),
    /// Payment runs, bank statements, manual payments.
    #[error(transparent)]
    Reimbursements(#[from] ReimbursementsError),
    /// The Region's desk.
    #[error(transparent)]
    Region(#[from] RegionError),
    /// The établissement's desk (staff, bulk actions).
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// The core's rule errors, each into the domain that reports it (so `?`
/// works on them everywhere).
macro_rules! into_domain {
    ($($core:ty => $variant:ident($domain:ident::$inner:ident)),* $(,)?) => {$(
        impl From<$core> for ServiceError {
            fn from(e: $core) -> ServiceError {
                ServiceError::$variant($domain::$inner(e))
            }
        }
    )*};
}

into_domain! {
    CardError => Cards(CardsError::Card),
    EligibilityError => Cards(CardsError::Eligibility),
    DebitError => Debits(DebitsError::Debit),
    RefundError => Debits(DebitsError::Refund),
    CardNumberError => Debits(DebitsError::CardNumber),
    CodeError => Partners(PartnersError::Code),
}

mod partners;

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        use ServiceError as S;
        use StatusCode as H;
        match e {
            S::Partners(p) => partners::problem(p),
            S::Db(_) | S::Pg(_) | S::Internal(_) => {
                tracing::error!(error = %e, "internal error");
                ApiError::new(
                    H::INTERNAL_SERVER_ERROR,
                    "erreur_interne",
                    "Une erreur interne est survenue. Réessayez plus tard.",
                )
            }
            S::Unavailable => ApiError::new(
                H::SERVICE_UNAVAILABLE,
                "service_indisponible",
                "Le service est momentanément indisponible.",
            ),
            S::Unauthenticated => ApiError::new(
                H::UNAUTHORIZED,
                "non_authentifie",
                "Connectez-vous pour continuer.",
            ),
            S::Accounts(AccountsError::BadLogin) => ApiError::new(
                H::UNAUTHORIZED,
                "identifiants_invalides",
                "Adresse e-mail ou mot de passe incorrect.",
            ),
            S::Forbidden => ApiError::new(
                H::FORBIDDEN,
                "acces_refuse",
                "Vous n'avez pas accès à cette ressource.",
            ),
            S::Accounts(AccountsError::RegionDeskOnly(desk)) => {
                use crate::accounts::region_roles::RegionDesk as D;
                let (code, message) = match desk {
                    D::Instruction => (
                        "reserve_a_l_instruction",
                        "Seul le service instruction de la Région peut faire cela.",
                    ),
                    D::Finance => (
                        "reserve_aux_finances",
                        "Seul le service financier de la Région peut faire cela.",
                    ),
                    D::Admin | D::Shared => (
                        "reserve_a_l_administration",
                        "Seuls les administrateurs de la Région peuvent faire cela.",
                    ),
                };
                ApiError::new(H::FORBIDDEN, code, message)
            }
            S::Region(RegionError::AlreadyHandled) => ApiError::new(
                H::CONFLICT,
                "anomalie_deja_traitee",
                "Cette anomalie a déjà été marquée traitée.",
            ),
            S::Region(RegionError::LastAdmin) => ApiError::new(
                H::CONFLICT,
                "dernier_administrateur",
                "La Région doit garder au moins un administrateur : nommez-en un autre d'abord.",
            ),
            S::NotFound(what) => ApiError::new(
                H::NOT_FOUND,
                "introuvable",
                format!("{} introuvable.", what),
            ),
            S::Invalid { field, message } => {
                ApiError::new(H::UNPROCESSABLE_ENTITY, "champ_invalide", message).field(field)
            }
            S::Money(m) => {
                let (code, msg) = match m {
                    MoneyError::Empty => ("montant_vide", "Indiquez un montant."),
                    MoneyError::Malformed => (
                        "montant_invalide",
                        "Le montant doit être un nombre comme 12,50.",
                    ),
                    MoneyError::TooManyDecimals => (
                        "montant_trop_de_decimales",
                        "Le montant a au plus deux chiffres après la virgule.",
                    ),
                    MoneyError::Negative => {
                        ("montant_negatif", "Le montant ne peut pas être négatif.")
                    }
                    MoneyError::TooLarge => ("montant_trop_grand", "Le montant est trop élevé."),
                };
                ApiError::new(H::UNPROCESSABLE_ENTITY, code, msg).field("price")
            }
            S::Debits(DebitsError::Debit(d)) => match d {
                DebitError::ZeroPrice => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "montant_nul",
                    "Le montant à débiter doit être supérieur à zéro.",
                )
                .field("price"),
                DebitError::NothingLeft => ApiError::new(
                    H::CONFLICT,
                    "credit_epuise",
                    "Il ne reste plus de crédit sur cet avantage.",
                ),
                DebitError::KindMismatch => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "type_avantage_incorrect",
                    "Cet avantage se débite en entrées, pas en euros (ou l'inverse).",
                ),
            },
            S::Debits(DebitsError::Refund(r)) => match r {
                RefundError::AlreadyRefunded => ApiError::new(
                    H::CONFLICT,
                    "deja_rembourse",
                    "Cette transaction a déjà été annulée.",
                ),
                RefundError::ExceedsDebit => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "annulation_superieure_au_debit",
                    "On ne peut pas annuler plus que le montant débité.",
                )
                .field("amount"),
                RefundError::Zero => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "montant_nul",
                    "Le montant à annuler doit être supérieur à zéro.",
                )
                .field("amount"),
                RefundError::WindowClosed => ApiError::new(
                    H::CONFLICT,
                    "delai_annulation_depasse",
                    "Le délai d'annulation de cette transaction est dépassé.",
                ),
                RefundError::KindMismatch => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "type_avantage_incorrect",
                    "L'annulation doit être du même type que le débit.",
                ),
            },
            S::Cards(CardsError::Card(c)) => match c {
                CardError::NotActivated => ApiError::new(
                    H::CONFLICT,
                    "carte_non_activee",
                    "Cette carte n'a pas encore été activée par son titulaire.",
                ),
                CardError::Suspended => ApiError::new(
                    H::CONFLICT,
                    "carte_suspendue",
                    "Cette carte est suspendue par l'établissement.",
                ),
                CardError::Expired => ApiError::new(
                    H::CONFLICT,
                    "carte_expiree",
                    "Cette carte a expiré le 31 mai : elle doit être revalidée par l'établissement.",
                ),
                CardError::NotYetValid => ApiError::new(
                    H::CONFLICT,
                    "carte_pas_encore_valide",
                    "La saison de cette carte n'a pas encore commencé.",
                ),
                CardError::InvalidTransition => ApiError::new(
                    H::CONFLICT,
                    "changement_impossible",
                    "Ce changement n'est pas possible dans l'état actuel de la carte.",
                ),
                CardError::AlreadyRevalidated => ApiError::new(
                    H::CONFLICT,
                    "deja_revalidee",
                    "Cette carte est déjà revalidée pour cette saison.",
                ),
            },
            S::Debits(DebitsError::CardNumber(n)) => match n {
                CardNumberError::Malformed => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "numero_carte_invalide",
                    "Le numéro de carte comporte 16 chiffres.",
                )
                .field("card_number"),
                CardNumberError::BadCheckDigit => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "numero_carte_errone",
                    "Ce numéro de carte contient une erreur de saisie.",
                )
                .field("card_number"),
            },
            S::Cards(CardsError::Eligibility(e)) => {
                let (code, msg, field) = match e {
                    EligibilityError::TrackRequired => (
                        "filiere_requise",
                        "Indiquez votre classe ou votre diplôme préparé.",
                        "track",
                    ),
                    EligibilityError::TrackNotAllowed => (
                        "filiere_incompatible",
                        "Cette classe ou ce diplôme ne correspond pas à votre situation.",
                        "track",
                    ),
                    EligibilityError::BirthDateInFuture => (
                        "date_naissance_invalide",
                        "La date de naissance est dans le futur.",
                        "birth_date",
                    ),
                    EligibilityError::TooYoung => (
                        "trop_jeune",
                        "Vous n'avez pas encore l'âge requis pour ce dispositif.",
                        "birth_date",
                    ),
                    EligibilityError::TooOld => (
                        "age_depasse",
                        "Vous avez dépassé l'âge limite pour ce dispositif.",
                        "birth_date",
                    ),
                };
                ApiError::new(H::UNPROCESSABLE_ENTITY, code, msg).field(field)
            }
            S::Debits(DebitsError::CardOrBirthDate) => ApiError::new(
                H::UNPROCESSABLE_ENTITY,
                "carte_ou_date_incorrecte",
                "Numéro de carte ou date de naissance incorrect.",
            ),
            S::Debits(DebitsError::CardLocked) => ApiError::new(
                H::LOCKED,
                "carte_bloquee",
                "Trop d'essais : cette carte est bloquée pendant quelques minutes.",
            ),
            S::TooManyAttempts => ApiError::new(
                H::TOO_MANY_REQUESTS,
                "trop_de_tentatives",
                "Trop de tentatives. Réessayez dans quelques minutes.",
            ),
            S::Debits(DebitsError::AvantageNotAllowed) => ApiError::new(
                H::FORBIDDEN,
                "avantage_non_autorise",
                "Votre type de partenariat ne permet pas de débiter cet avantage.",
            )
            .field("avantage"),
            S::Debits(DebitsError::UnknownAvantage) => ApiError::new(
                H::UNPROCESSABLE_ENTITY,
                "avantage_inconnu",
                "Cet avantage n'existe pas pour la saison de la carte.",
            )
            .field("avantage"),
            S::Cards(CardsError::CardSuspended) => ApiError::new(
                H::CONFLICT,
                "carte_suspendue_par_etablissement",
                "Cette carte est suspendue par votre établissement : adressez-vous à lui pour la remplacer.",
            ),
            S::Cards(CardsError::DuplicateOrder) => ApiError::new(
                H::CONFLICT,
                "commande_existante",
                "Vous avez déjà une commande ou une carte pour cette saison.",
            ),
            S::Cards(CardsError::OrderAlreadyDecided) => ApiError::new(
                H::CONFLICT,
                "commande_deja_traitee",
                "Cette commande a déjà été traitée.",
            ),
            S::IdempotencyMismatch => ApiError::new(
                H::UNPROCESSABLE_ENTITY,
                "cle_idempotence_reutilisee",
                "Cette clé d'idempotence a déjà servi pour une autre demande.",
            ),
            S::IdempotencyKeyMissing => ApiError::new(
                H::BAD_REQUEST,
                "cle_idempotence_manquante",
                "L'en-tête Idempotency-Key (1 à 128 caractères) est obligatoire.",
            ),
            S::Debits(DebitsError::Qr(reason)) => match reason.as_str() {
                "Replayed" => ApiError::new(
                    H::CONFLICT,
                    "qr_deja_utilise",
                    "Ce QR code a déjà servi : demandez au jeune d'afficher un nouveau code.",
                ),
                "StepOutOfWindow" => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "qr_expire",
                    "Ce QR code a expiré : demandez au jeune d'afficher le code à jour.",
                ),
                "static card offline" => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "carte_statique_hors_ligne",
                    "Une carte imprimée ne peut pas être débitée hors ligne.",
                ),
                "Revoked" | "revoked" => ApiError::new(
                    H::CONFLICT,
                    "qr_revoque",
                    "Cette carte ou ce téléphone a été révoqué.",
                ),
                _ => ApiError::new(
                    H::UNPROCESSABLE_ENTITY,
                    "qr_invalide",
                    "Ce QR code n'est pas une carte PASS'Région valide.",
                ),
            }
            .field("qr"),
            S::Debits(DebitsError::ScanTooOld) => ApiError::new(
                H::UNPROCESSABLE_ENTITY,
                "scan_trop_ancien",
                "Ce QR code a été lu il y a plus d'une minute : un débit en ligne se décide au moment du scan. Scannez à nouveau le QR code du jeune.",
            )
            .field("scanned_at"),
            S::Debits(DebitsError::BirthDateRequired) => ApiError::new(
                H::UNPROCESSABLE_ENTITY,
                "date_naissance_requise",
                "Ce QR code est celui de la carte imprimée : demandez aussi la date de naissance du titulaire.",
            )
            .field("birth_date"),
            S::Debits(DebitsError::CardReplaced) => ApiError::new(
                H::GONE,
                "carte_remplacee",
                "Cette carte a été déclarée perdue ou volée : elle ne fonctionne plus. Son titulaire a une nouvelle carte.",
            ),
            S::Debits(DebitsError::CardFlagged) => ApiError::new(
                H::CONFLICT,
                "carte_signalee",
                "Cette carte ne peut plus être utilisée hors ligne : les débits passent en ligne.",
            ),
            S::Accounts(AccountsError::EmailTaken) => ApiError::new(
                H::CONFLICT,
                "email_deja_utilise",
                "Un compte existe déjà avec cette adresse e-mail.",
            )
            .field("email"),
            S::Accounts(AccountsError::EmailNotVerified) => ApiError::new(
                H::FORBIDDEN,
                "email_non_verifie",
                "Confirmez d'abord votre adresse : suivez le lien reçu par e-mail.",
            ),
            S::Accounts(AccountsError::BadEmailToken) => ApiError::new(
                H::BAD_REQUEST,
                "lien_invalide",
                "Ce lien n'est plus valide (déjà utilisé ou expiré). Inscrivez-vous à nouveau ou connectez-vous.",
            ),
            S::Establishments(e) => establishments_problem(e),
            S::Files(e) => files_problem(e),
            S::Reimbursements(e) => reimbursements::problem(e),
            S::Desk(e) => desk_problem(e),
            S::Cards(CardsError::NoCatalogue) => ApiError::new(
                H::CONFLICT,
                "saison_non_ouverte",
                "Les avantages de cette saison ne sont pas encore publiés.",
            ),
        }
    }
}

/// The public problem of a collective booking's or référent request's refusal.
fn establishments_problem(e: EstablishmentsError) -> ApiError {
    use EstablishmentsError as E;
    use StatusCode as H;
    match e {
        E::PricePerYouthTooHigh { max } => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "prix_par_jeune_trop_eleve",
            format!(
                "Le prix par jeune dépasse le plafond : {max} au plus (montant de l'avantage pour la saison et plafond de la Région)."
            ),
        )
        .field("price_per_youth"),
        E::BookingTooLarge { max } => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "reservation_trop_elevee",
            format!("Le total de la réservation dépasse le plafond de {max} : réduisez le prix ou le nombre de jeunes."),
        )
        .field("card_ids"),
        E::DailyCapReached { max, left } => ApiError::new(
            H::CONFLICT,
            "plafond_journalier_atteint",
            format!(
                "Le plafond des réservations collectives de l'établissement pour aujourd'hui ({max}) serait dépassé : il reste {left}."
            ),
        ),
        E::CardsNotOwn => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "carte_hors_etablissement",
            "Certaines cartes ne sont pas celles de jeunes de votre établissement.",
        )
        .field("card_ids"),
        E::ServiceDate => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "date_prestation_invalide",
            "La date de la prestation doit être comprise entre aujourd'hui et 90 jours.",
        )
        .field("service_date"),
        E::BookingExpired => ApiError::new(
            H::CONFLICT,
            "reservation_expiree",
            "Cette réservation a expiré : elle n'a pas été confirmée avant la fin du jour de la prestation.",
        ),
        E::BookingAlreadyDecided(status) => ApiError::new(
            H::CONFLICT,
            "reservation_deja_traitee",
            format!("Cette réservation n'est plus en attente : elle est {}.", status.label()),
        ),
        E::ReferentRequestOpen => ApiError::new(
            H::CONFLICT,
            "demande_deja_en_cours",
            "Vous avez déjà une demande en attente ou accordée pour ce référent.",
        ),
        E::ReferentRequestState(status) => ApiError::new(
            H::CONFLICT,
            "demande_deja_traitee",
            format!("Cette demande est {} : cette action n'est plus possible.", status.label()),
        ),
    }
}

/// The public problem of the établissement's desk.
fn desk_problem(e: DeskError) -> ApiError {
    use StatusCode as H;
    match e {
        DeskError::HeadOnly => ApiError::new(
            H::FORBIDDEN,
            "reserve_au_chef_etablissement",
            "Seul le chef d'établissement peut faire cela.",
        ),
        DeskError::TooManyItems { max } => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "trop_d_elements",
            format!("Une action groupée porte sur {max} éléments au plus : découpez la sélection."),
        ),
        DeskError::CannotRemoveSelf => ApiError::new(
            H::CONFLICT,
            "retrait_de_soi_impossible",
            "Vous ne pouvez pas retirer votre propre accès.",
        ),
    }
}

/// The public problem of a refused or missing document.
fn files_problem(e: FileError) -> ApiError {
    use StatusCode as H;
    match e {
        FileError::Empty => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "fichier_vide",
            "Le fichier est vide.",
        ),
        FileError::TooLarge { max_bytes } => ApiError::new(
            H::PAYLOAD_TOO_LARGE,
            "fichier_trop_volumineux",
            format!(
                "Le fichier dépasse la taille maximale de {} Mo.",
                max_bytes.div_ceil(1024 * 1024)
            ),
        ),
        FileError::UnsupportedType => ApiError::new(
            H::UNSUPPORTED_MEDIA_TYPE,
            "type_de_fichier_refuse",
            "Seuls les fichiers PDF, JPEG et PNG sont acceptés.",
        ),
        FileError::NotFound => ApiError::new(H::NOT_FOUND, "introuvable", "Document introuvable."),
        FileError::Io(_) => {
            tracing::error!(error = %e, "document storage error");
            ApiError::new(
                H::INTERNAL_SERVER_ERROR,
                "erreur_interne",
                "Une erreur interne est survenue. Réessayez plus tard.",
            )
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
