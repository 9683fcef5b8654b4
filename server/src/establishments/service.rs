//! The rules of établissements: who declares référents and who reads them,
//! what a référent must hold, and collective bookings (a validated partner,
//! 1 to `MAX_CARDS` distinct cards of the établissement, each debited by
//! `debits::service::apply_debit` or refused on its own line). Writes go
//! through the storage-only `ReferentsTx` and `CollectiveTx` traits,
//! implemented for SQLite in `establishments/repo.rs` and
//! `establishments/collective.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::status::ConventionStatus;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::debits::card::CardRow;
use crate::debits::service::DebitAt;
use crate::debits::service::DebitTx;
use crate::debits::service::apply_debit;
use crate::error::ServiceError;
use crate::establishments::model::CollectiveLine;
use crate::establishments::model::CollectiveRequest;
use crate::establishments::model::CollectiveResponse;
use crate::establishments::model::Referent;
use crate::partners::error::PartnersError;
use crate::platform::catalogues::Catalogues;
use crate::platform::db::Outcome;
use crate::platform::sql::enum_from;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;
use crate::web::problem::ApiError;

/// The themes of référents.
pub(crate) const THEMES: [&str; 4] = ["sport", "culture", "sante", "administratif"];

/// Most cards in one collective booking.
pub const MAX_CARDS: usize = 100;

/// The storage of référents inside the writer's transaction. SQL only, no rule.
pub(crate) trait ReferentsTx {
    /// Inserts a référent.
    fn insert_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// An établissement's name.
    fn establishment_name(&self, id: &str) -> Result<String, ServiceError>;
}

/// The storage of a collective booking inside the writer's transaction, on
/// top of a debit's. SQL only, no rule.
pub(crate) trait CollectiveTx: DebitTx {
    /// A partner's category and convention status.
    fn partner_category_status(
        &self,
        partner_id: &str,
    ) -> Result<Option<(String, String)>, ServiceError>;
    /// A card by id.
    fn card(&self, id: &str) -> Result<Option<CardRow>, ServiceError>;
    /// Opens a savepoint around one card's debit.
    fn savepoint(&self) -> Result<(), ServiceError>;
    /// Keeps what the card's debit wrote.
    fn release(&self) -> Result<(), ServiceError>;
    /// Undoes what the card's debit wrote.
    fn rollback(&self) -> Result<(), ServiceError>;
}

/// The caller's établissement.
pub(crate) fn own_establishment(who: &Principal) -> Result<String, ServiceError> {
    require_role(who, Role::Establishment)?;
    who.establishment_id.clone().ok_or(ServiceError::Forbidden)
}

/// Checks a référent declared by the caller's établissement: a known theme,
/// a name, an e-mail, an optional phone. The id is new, the name of the
/// établissement left to fill.
pub(crate) fn check_referent(who: &Principal, r: &Referent) -> Result<Referent, ServiceError> {
    let establishment_id = own_establishment(who)?;
    if !THEMES.contains(&r.theme.as_str()) {
        return Err(ServiceError::Invalid {
            field: "theme",
            message: "Thème : sport, culture, sante ou administratif.".into(),
        });
    }
    let name = require_text("name", &r.name, 80)?;
    let email = crate::accounts::check_email("email", &r.email)?;
    let phone = r
        .phone
        .as_deref()
        .map(|p| require_text("phone", p, 30))
        .transpose()?;
    Ok(Referent {
        id: new_id(),
        establishment_id,
        establishment_name: String::new(),
        theme: r.theme.clone(),
        name,
        email,
        phone,
    })
}

/// Stores a checked référent; returns it with its établissement's name.
pub(crate) fn add_referent(
    tx: &dyn ReferentsTx,
    mut r: Referent,
    now: DateTime<Utc>,
) -> Result<Referent, ServiceError> {
    tx.insert_referent(&r, now)?;
    r.establishment_name = tx.establishment_name(&r.establishment_id)?;
    Ok(r)
}

/// Which référents a caller may read.
#[derive(Debug, Clone)]
pub(crate) enum ReferentScope {
    /// Its établissement's (an établissement).
    Establishment(String),
    /// Every établissement's, of one theme or all (`""`): a partner whose
    /// convention is in force, the Region.
    Theme(String),
}

/// Which référents the caller may read.
pub(crate) fn referent_scope(
    who: &Principal,
    theme: Option<&str>,
) -> Result<ReferentScope, ServiceError> {
    match who.role {
        Role::Establishment => Ok(ReferentScope::Establishment(
            who.establishment_id
                .clone()
                .ok_or(ServiceError::Forbidden)?,
        )),
        Role::Partner if who.partner.as_ref().is_some_and(|p| p.2) => {
            Ok(ReferentScope::Theme(theme.unwrap_or("").to_owned()))
        }
        Role::Region => Ok(ReferentScope::Theme(theme.unwrap_or("").to_owned())),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Checks a collective booking: the caller's établissement, 1 to
/// `MAX_CARDS` cards, each once. Returns the établissement.
pub(crate) fn check_collective(
    who: &Principal,
    req: &CollectiveRequest,
) -> Result<String, ServiceError> {
    let establishment_id = own_establishment(who)?;
    let mut seen = std::collections::HashSet::new();
    if req.card_ids.is_empty()
        || req.card_ids.len() > MAX_CARDS
        || !req.card_ids.iter().all(|c| seen.insert(c.clone()))
    {
        return Err(ServiceError::Invalid {
            field: "card_ids",
            message: format!("De 1 à {MAX_CARDS} cartes, chacune une seule fois."),
        });
    }
    Ok(establishment_id)
}

/// Debits every card of a checked collective booking for a validated
/// partner: a card of another établissement, or one the debit rule refuses,
/// is a refused line and its writes are undone; the others are debited.
pub(crate) fn collective_debit(
    tx: &dyn CollectiveTx,
    cats: &Catalogues,
    establishment_id: &str,
    account_id: &str,
    req: &CollectiveRequest,
    now: DateTime<Utc>,
) -> Result<Outcome<CollectiveResponse>, ServiceError> {
    let category: PartnerCategory = match tx.partner_category_status(&req.partner_id)? {
        Some((cat, status)) if status == ConventionStatus::Validated.as_str() => enum_from(&cat)?,
        Some(_) => {
            return Ok(Outcome::CommitAndRefuse(ServiceError::Partners(
                PartnersError::PartnerNotValidated,
            )));
        }
        None => {
            return Ok(Outcome::CommitAndRefuse(ServiceError::NotFound(
                "Partenaire",
            )));
        }
    };
    let at = DebitAt {
        partner_id: &req.partner_id,
        category,
        account_id,
        channel: "collective",
        now,
    };
    let mut lines = Vec::with_capacity(req.card_ids.len());
    for card_id in &req.card_ids {
        let refused = |e: ServiceError| {
            let api = ApiError::from(e);
            CollectiveLine {
                card_id: card_id.clone(),
                status: "refuse".to_owned(),
                transaction_id: None,
                debited: None,
                reste_a_payer: None,
                balance: None,
                code: Some(api.code.to_owned()),
                message: Some(api.message),
            }
        };
        let Some(row) = tx
            .card(card_id)?
            .filter(|r| r.establishment_id == establishment_id)
        else {
            lines.push(refused(ServiceError::NotFound("Carte")));
            continue;
        };
        tx.savepoint()?;
        match apply_debit(
            tx,
            cats,
            &at,
            &row,
            &req.avantage,
            req.price_per_youth,
            req.entries_per_youth,
            None,
        ) {
            Ok(Outcome::Commit((t, balance))) => {
                tx.release()?;
                lines.push(CollectiveLine {
                    card_id: card_id.clone(),
                    status: "debite".to_owned(),
                    transaction_id: Some(t.id),
                    debited: Some(t.debited),
                    reste_a_payer: Some(t.reste_a_payer),
                    balance: Some(balance),
                    code: None,
                    message: None,
                });
            }
            Ok(Outcome::CommitAndRefuse(e)) => {
                tx.rollback()?;
                lines.push(refused(e));
            }
            Err(e) => {
                tx.rollback()?;
                return Err(e);
            }
        }
    }
    let debited_cards = lines.iter().filter(|l| l.status == "debite").count();
    Ok(Outcome::Commit(CollectiveResponse {
        partner_id: req.partner_id.clone(),
        avantage: req.avantage.clone(),
        lines,
        debited_cards,
    }))
}
