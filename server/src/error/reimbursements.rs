//! The public problems of reimbursements (payment runs, bank statements).

use axum::http::StatusCode;

use crate::reimbursements::error::ReimbursementsError;
use crate::reimbursements::error::StatementError;
use crate::web::problem::ApiError;

/// The public problem of a refused payment run, statement or payment.
pub(super) fn problem(e: ReimbursementsError) -> ApiError {
    use ReimbursementsError as E;
    use StatusCode as H;
    match e {
        // 409, not 503: the web app takes a 503 for "server away".
        E::NoDebtorAccount => ApiError::new(
            H::CONFLICT,
            "compte_debiteur_non_configure",
            "Le compte bancaire de la Région n'est pas configuré (--debtor-iban, --debtor-bic, --debtor-name) : aucun ordre de virement ne peut être produit.",
        ),
        E::AlreadyInRun { batch_id } => ApiError::new(
            H::CONFLICT,
            "lot_deja_en_paiement",
            format!("Le lot {batch_id} est déjà dans un ordre de virement envoyé à la banque."),
        )
        .field("batch_ids"),
        E::AlreadyPaid { batch_id } => ApiError::new(
            H::CONFLICT,
            "lot_deja_rembourse",
            format!("Le lot {batch_id} est déjà remboursé."),
        )
        .field("batch_ids"),
        E::NothingToPay { batch_id } => ApiError::new(
            H::CONFLICT,
            "lot_sans_montant",
            format!("Le lot {batch_id} est soldé par compensation : il n'y a rien à payer."),
        )
        .field("batch_ids"),
        E::NoPayableBatch(reasons) => ApiError::new(
            H::CONFLICT,
            "aucun_lot_payable",
            format!(
                "Aucun des lots choisis ne peut être payé : {}.",
                reasons.join(" ; ")
            ),
        )
        .field("batch_ids"),
        E::Statement(s) => statement_problem(s),
    }
}

fn statement_problem(e: StatementError) -> ApiError {
    use StatementError as E;
    use StatusCode as H;
    let (status, code, message) = match e {
        E::TooLarge { max_bytes } => (
            H::PAYLOAD_TOO_LARGE,
            "releve_trop_volumineux",
            format!(
                "Le relevé dépasse la taille maximale de {} Mo.",
                max_bytes.div_ceil(1024 * 1024)
            ),
        ),
        E::NotUtf8 => (
            H::UNPROCESSABLE_ENTITY,
            "releve_illisible",
            "Le relevé doit être un fichier XML encodé en UTF-8.".to_owned(),
        ),
        E::Dtd | E::Entity => (
            H::UNPROCESSABLE_ENTITY,
            "releve_refuse",
            "Le relevé contient une déclaration de type (DTD) ou des entités : elles sont refusées par sécurité. Utilisez le fichier camt tel que fourni par la banque.".to_owned(),
        ),
        E::TooDeep | E::TooManyEntries => (
            H::UNPROCESSABLE_ENTITY,
            "releve_trop_complexe",
            "Le relevé est trop imbriqué ou compte trop d'opérations (5 000 au plus).".to_owned(),
        ),
        E::Malformed(at) => (
            H::UNPROCESSABLE_ENTITY,
            "releve_illisible",
            format!("Le relevé n'est pas un XML bien formé (octet {at})."),
        ),
        E::NotCamt => (
            H::UNPROCESSABLE_ENTITY,
            "releve_non_camt",
            "Ce fichier n'est pas un relevé camt.054 ou camt.053.".to_owned(),
        ),
        E::BadAmount => (
            H::UNPROCESSABLE_ENTITY,
            "releve_montant_invalide",
            "Le relevé contient un montant illisible ou dans une autre devise que l'euro.".to_owned(),
        ),
    };
    ApiError::new(status, code, message)
}
