//! The public problems of partner onboarding, conventions, staff and bank
//! details: part of the one mapping of `crate::error`.

use axum::http::StatusCode as H;

use crate::partners::error::PartnersError;
use crate::web::problem::ApiError;

/// The problem body of a partners error.
pub(super) fn problem(e: PartnersError) -> ApiError {
    match e {
        PartnersError::PartnerNotValidated => ApiError::new(
            H::FORBIDDEN,
            "partenariat_inactif",
            "Votre convention de partenariat n'est pas en vigueur.",
        ),
        PartnersError::ApplicationAlreadySent => ApiError::new(
            H::CONFLICT,
            "demande_deja_envoyee",
            "Votre demande est envoyée : elle ne peut plus être modifiée.",
        ),
        PartnersError::ApplicationIncomplete(missing) => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "demande_incomplete",
            format!("Votre demande est incomplète : {}.", missing.join(", ")),
        ),
        PartnersError::CgpOutdated => ApiError::new(
            H::CONFLICT,
            "cgp_perimees",
            "Les Conditions Générales de Partenariat ont changé : relisez la version en vigueur.",
        )
        .field("cgp_version"),
        PartnersError::NothingToSign => ApiError::new(
            H::CONFLICT,
            "aucune_convention_a_signer",
            "Aucune convention n'attend votre signature.",
        ),
        PartnersError::SignatureRace => ApiError::new(
            H::CONFLICT,
            "convention_modifiee",
            "La convention a changé pendant la signature : réessayez.",
        ),
        PartnersError::BadTermination => ApiError::new(
            H::UNPROCESSABLE_ENTITY,
            "resiliation_invalide",
            "La date d'effet doit être aujourd'hui ou plus tard, pour une convention en cours.",
        )
        .field("effective_on"),
        PartnersError::WrongState => ApiError::new(
            H::CONFLICT,
            "etat_partenaire_incompatible",
            "Cette action n'est pas possible dans l'état actuel du partenariat.",
        ),
        PartnersError::BankChangePending => ApiError::new(
            H::CONFLICT,
            "changement_bancaire_en_attente",
            "Un changement de coordonnées bancaires attend déjà la validation de la Région.",
        ),
        PartnersError::SmsUnavailable => ApiError::new(
            H::SERVICE_UNAVAILABLE,
            "sms_indisponible",
            "L'envoi du SMS a échoué : réessayez dans quelques minutes.",
        ),
        PartnersError::ConventionAlreadySigned => ApiError::new(
            H::CONFLICT,
            "convention_deja_signee",
            "La convention de partenariat est déjà signée.",
        ),
        PartnersError::ConventionNotSigned => ApiError::new(
            H::CONFLICT,
            "convention_non_signee",
            "Le partenaire n'a pas encore signé sa convention.",
        ),
        PartnersError::Code(c) => match c {
            passregion_core::partner::CodeError::Wrong => ApiError::new(
                H::UNPROCESSABLE_ENTITY,
                "code_incorrect",
                "Code incorrect. Vérifiez le SMS reçu.",
            ),
            passregion_core::partner::CodeError::Expired => ApiError::new(
                H::UNPROCESSABLE_ENTITY,
                "code_expire",
                "Ce code a expiré : demandez-en un nouveau.",
            ),
            passregion_core::partner::CodeError::TooManyAttempts => ApiError::new(
                H::TOO_MANY_REQUESTS,
                "trop_de_tentatives",
                "Trop d'essais : demandez un nouveau code demain.",
            ),
            passregion_core::partner::CodeError::TooManySends => ApiError::new(
                H::TOO_MANY_REQUESTS,
                "trop_de_codes",
                "Trop de codes envoyés aujourd'hui : réessayez demain.",
            ),
        }
        .field("code"),
        PartnersError::ManagerOnly => ApiError::new(
            H::FORBIDDEN,
            "reserve_au_responsable",
            "Seul le responsable de la structure peut faire cela.",
        ),
        PartnersError::InvitationInvalid => ApiError::new(
            H::GONE,
            "invitation_invalide",
            "Cette invitation n'est plus valable (déjà utilisée, expirée ou retirée). Demandez au responsable de la structure de vous inviter à nouveau.",
        ),
        PartnersError::CannotRemoveSelf => ApiError::new(
            H::CONFLICT,
            "retrait_de_soi_impossible",
            "Vous ne pouvez pas retirer votre propre accès.",
        ),
    }
}
