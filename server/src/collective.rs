//! Collective bookings paid remotely by an établissement (FAQ §14): a class
//! goes to a show; the établissement debits, at that partner, the avantage of
//! each of its youths taking part. Each card goes through the same debit rule
//! as at a counter (`store::apply_debit`); one card refused does not stop the
//! others; the whole request is idempotent.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use passregion_core::{Money, PartnerCategory};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Cached;
use crate::error::{ApiError, ServiceError};
use crate::http::{AppState, Auth, Body, blocking, parse_json_body};
use crate::model::{Principal, Role};
use crate::store::{
    DebitAt, Idempotency, SqliteStore, StoredResponse, apply_debit, card_by, enum_from,
    json_response, require_role,
};

/// Most cards in one collective booking.
pub const MAX_CARDS: usize = 100;

/// `POST /api/establishment/collective-debits`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectiveRequest {
    /// The partner (validated convention).
    pub partner_id: String,
    /// Avantage code.
    pub avantage: String,
    /// Price per youth in euros, for a credit avantage.
    #[schema(value_type = Option<String>)]
    pub price_per_youth: Option<Money>,
    /// Entries per youth, for an entries avantage.
    pub entries_per_youth: Option<u32>,
    /// Cards of the établissement's youths taking part (1 to 100).
    pub card_ids: Vec<String>,
}

/// One card's outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectiveLine {
    /// Card id.
    pub card_id: String,
    /// `debite` or `refuse`.
    pub status: &'static str,
    /// Transaction (when debited).
    pub transaction_id: Option<String>,
    /// Taken from the card.
    pub debited: Option<String>,
    /// Left for the youth (or the établissement) to pay.
    pub reste_a_payer: Option<String>,
    /// Balance left on the avantage.
    pub balance: Option<String>,
    /// Machine code of a refusal.
    pub code: Option<&'static str>,
    /// French message of a refusal.
    pub message: Option<String>,
}

/// The booking's outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectiveResponse {
    /// Partner.
    pub partner_id: String,
    /// Avantage.
    pub avantage: String,
    /// Per card, in request order.
    pub lines: Vec<CollectiveLine>,
    /// Cards debited.
    pub debited_cards: usize,
}

/// Storage of collective bookings.
pub trait CollectiveStore: Send + Sync + 'static {
    /// Debits every card of the request (idempotent).
    fn collective_debit(
        &self,
        who: &Principal,
        req: CollectiveRequest,
        idem: Idempotency,
        now: DateTime<Utc>,
    ) -> Result<StoredResponse, ServiceError>;
}

impl CollectiveStore for SqliteStore {
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
            crate::store::idempotent(c, &idem, now, |c| {
                let partner: Option<(String, String)> = c
                    .one(
                        "SELECT category, status FROM partners WHERE id = ?1",
                        [&req.partner_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let category: PartnerCategory = match partner {
                    Some((cat, status)) if status == "validated" => enum_from(&cat)?,
                    Some(_) => return Ok(Err(ServiceError::PartnerNotValidated)),
                    None => return Ok(Err(ServiceError::NotFound("Partenaire"))),
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
                            status: "refuse",
                            transaction_id: None,
                            debited: None,
                            reste_a_payer: None,
                            balance: None,
                            code: Some(api.code),
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
                        Ok(Ok((tx, balance))) => {
                            c.execute_batch("RELEASE card")?;
                            lines.push(CollectiveLine {
                                card_id: card_id.clone(),
                                status: "debite",
                                transaction_id: Some(tx.id),
                                debited: Some(tx.debited),
                                reste_a_payer: Some(tx.reste_a_payer),
                                balance: Some(balance),
                                code: None,
                                message: None,
                            });
                        }
                        Ok(Err(e)) => {
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
                Ok(json_response(
                    201,
                    &CollectiveResponse {
                        partner_id: req.partner_id.clone(),
                        avantage: req.avantage.clone(),
                        lines,
                        debited_cards,
                    },
                ))
            })
        })
    }
}

/// Pay a group booking at a partner with the avantages of the établissement's
/// youths taking part. Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/establishment/collective-debits", request_body = CollectiveRequest,
    params(("Idempotency-Key" = String, Header)),
    responses((status = 201, body = CollectiveResponse), (status = 422, body = ApiError)), security(("bearer" = [])))]
pub async fn collective_debit(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    require_role(&p, Role::Establishment)?;
    let (req, hash) = parse_json_body::<CollectiveRequest>(&headers, &body)?;
    let idem = crate::http::idempotency(&headers, &p, "collective", &hash)?;
    let (store, now) = (s.collective.clone(), s.clock.now());
    blocking(move || store.collective_debit(&p, req, idem, now))
        .await
        .map(crate::http::stored)
}
