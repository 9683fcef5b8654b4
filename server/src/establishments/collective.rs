//! Collective bookings paid remotely by an établissement (FAQ §14): each card goes through the same debit rule as at a counter.

use crate::platform::db::Outcome;

use passregion_core::status::ConventionStatus;

use crate::partners::error::PartnersError;

use crate::platform::db::Cached;

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use rusqlite::OptionalExtension;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::debits::card::card_by;
use crate::debits::service::DebitAt;
use crate::debits::service::apply_debit;
use crate::error::ServiceError;
use crate::establishments::model::CollectiveLine;
use crate::establishments::model::CollectiveRequest;
use crate::establishments::model::CollectiveResponse;
use crate::platform::idempotency::Idempotency;
use crate::platform::idempotency::StoredResponse;
use crate::platform::idempotency::json_response;
use crate::platform::sql::enum_from;
use crate::platform::store::SqliteStore;
use crate::web::problem::ApiError;

/// Most cards in one collective booking.
pub const MAX_CARDS: usize = 100;

/// Storage of collective bookings.
pub trait CollectiveRepo: Send + Sync + 'static {
    /// Debits every card of the request (idempotent).
    fn collective_debit(
        &self,
        who: &Principal,
        req: CollectiveRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
}

impl CollectiveRepo for SqliteStore {
    fn collective_debit(
        &self,
        who: &Principal,
        req: CollectiveRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError> {
        require_role(who, Role::Establishment)?;
        let eid = who
            .establishment_id
            .clone()
            .ok_or(ServiceError::Forbidden)?;
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
        let account = who.account_id.clone();
        let cats = self.catalogues.clone();
        self.db.write_outcome(move |c| {
            crate::platform::idempotency::idempotent(c, &idem, now, |c| {
                let partner: Option<(String, String)> = c
                    .one(
                        "SELECT category, status FROM partners WHERE id = ?1",
                        [&req.partner_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let category: PartnerCategory = match partner {
                    Some((cat, status)) if status == ConventionStatus::Validated.as_str() => {
                        enum_from(&cat)?
                    }
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
                    account_id: &account,
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
                    let Some(row) =
                        card_by(c, "id", card_id)?.filter(|r| r.establishment_id == eid)
                    else {
                        lines.push(refused(ServiceError::NotFound("Carte")));
                        continue;
                    };
                    c.execute_batch("SAVEPOINT card")?;
                    match apply_debit(
                        c,
                        &cats,
                        &at,
                        &row,
                        &req.avantage,
                        req.price_per_youth,
                        req.entries_per_youth,
                        None,
                    ) {
                        Ok(Outcome::Commit((tx, balance))) => {
                            c.execute_batch("RELEASE card")?;
                            lines.push(CollectiveLine {
                                card_id: card_id.clone(),
                                status: "debite".to_owned(),
                                transaction_id: Some(tx.id),
                                debited: Some(tx.debited),
                                reste_a_payer: Some(tx.reste_a_payer),
                                balance: Some(balance),
                                code: None,
                                message: None,
                            });
                        }
                        Ok(Outcome::CommitAndRefuse(e)) => {
                            c.execute_batch("ROLLBACK TO card; RELEASE card")?;
                            lines.push(refused(e));
                        }
                        Err(e) => {
                            c.execute_batch("ROLLBACK TO card; RELEASE card")?;
                            return Err(e);
                        }
                    }
                }
                let debited_cards = lines.iter().filter(|l| l.status == "debite").count();
                Ok(Outcome::from(json_response(
                    201,
                    &CollectiveResponse {
                        partner_id: req.partner_id.clone(),
                        avantage: req.avantage.clone(),
                        lines,
                        debited_cards,
                    },
                )))
            })
        })
    }
}
