//! The rules of partners' requests for a référent's contact (issue 14,
//! ADR 0027). A partner whose convention is in force sees every référent's
//! theme, établissement and name; it asks for one's contact with a message;
//! the référent's établissement grants or declines, and may withdraw a grant.
//! The e-mail and phone reach the partner only while its latest request is
//! granted (and its convention in force): [`partner_referent`] is the one
//! place that decides it. One waiting or granted request per partner and
//! référent. Writes go through the storage-only [`GrantsTx`], implemented
//! for SQLite in `establishments/grants_repo.rs`.

use chrono::DateTime;
use chrono::Utc;
use passregion_core::status::ReferentRequestStatus;

use crate::accounts::model::Principal;
use crate::accounts::partner_of;
use crate::error::ServiceError;
use crate::establishments::error::EstablishmentsError;
use crate::establishments::model::PartnerReferent;
use crate::establishments::model::Referent;
use crate::establishments::model::ReferentRequest;
use crate::establishments::model::ReferentRequestInput;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;

/// Longest message of a request.
pub const MAX_MESSAGE: usize = 500;

/// Longest reason of a decline.
const MAX_REASON: usize = 300;

/// A checked request, ready to be stored.
#[derive(Debug, Clone)]
pub(crate) struct NewReferentRequest {
    pub(crate) id: String,
    pub(crate) referent_id: String,
    pub(crate) partner_id: String,
    pub(crate) message: String,
    pub(crate) requested_by: String,
    pub(crate) requested_at: DateTime<Utc>,
}

/// A stored request, as the rules need it.
#[derive(Debug, Clone)]
pub(crate) struct RequestRow {
    /// The référent's établissement.
    pub(crate) establishment_id: String,
    pub(crate) status: ReferentRequestStatus,
}

/// What the référent's établissement does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferentAction {
    /// Shares the contact with the partner (a waiting request).
    Grant,
    /// Refuses to (a waiting request).
    Decline,
    /// Stops sharing it (a granted request).
    Withdraw,
}

impl ReferentAction {
    /// The status the request must have, and the one it gets.
    fn transition(self) -> (ReferentRequestStatus, ReferentRequestStatus) {
        use ReferentRequestStatus as S;
        match self {
            ReferentAction::Grant => (S::Requested, S::Granted),
            ReferentAction::Decline => (S::Requested, S::Declined),
            ReferentAction::Withdraw => (S::Granted, S::Withdrawn),
        }
    }
}

/// The storage of référent requests inside the writer's transaction. SQL
/// only, no rule.
pub(crate) trait GrantsTx {
    /// Whether the référent exists.
    fn referent_exists(&self, referent_id: &str) -> Result<bool, ServiceError>;
    /// Whether the partner has a waiting or granted request for the référent.
    fn has_open_request(&self, referent_id: &str, partner_id: &str) -> Result<bool, ServiceError>;
    /// Stores a request (waiting).
    fn insert_request(&self, r: &NewReferentRequest) -> Result<(), ServiceError>;
    /// A request with its référent's établissement.
    fn request_row(&self, id: &str) -> Result<Option<RequestRow>, ServiceError>;
    /// Moves a request to `status`, by whom, when, why.
    fn set_request_status(
        &self,
        id: &str,
        status: ReferentRequestStatus,
        by: &str,
        at: DateTime<Utc>,
        reason: Option<&str>,
    ) -> Result<(), ServiceError>;
    /// A request as the API shows it to the établissement.
    fn request_view(&self, id: &str) -> Result<ReferentRequest, ServiceError>;
}

/// Checks a partner's request without storage: staff of a partner whose
/// convention is in force, a référent id, a message of 1 to
/// [`MAX_MESSAGE`] characters.
pub(crate) fn check_request(
    who: &Principal,
    input: &ReferentRequestInput,
    now: DateTime<Utc>,
) -> Result<NewReferentRequest, ServiceError> {
    let (partner_id, _) = partner_of(who)?;
    let message = require_text("message", &input.message, MAX_MESSAGE)?;
    Ok(NewReferentRequest {
        id: new_id(),
        referent_id: input.referent_id.trim().to_owned(),
        partner_id: partner_id.to_owned(),
        message,
        requested_by: who.account_id.clone(),
        requested_at: now,
    })
}

/// Stores a checked request: the référent exists, the partner has no
/// waiting or granted request for it yet. Returns it as the partner sees it.
pub(crate) fn request_referent(
    tx: &dyn GrantsTx,
    r: &NewReferentRequest,
) -> Result<ReferentRequest, ServiceError> {
    if !tx.referent_exists(&r.referent_id)? {
        return Err(ServiceError::NotFound("Référent"));
    }
    if tx.has_open_request(&r.referent_id, &r.partner_id)? {
        return Err(EstablishmentsError::ReferentRequestOpen.into());
    }
    tx.insert_request(r)?;
    Ok(for_partner(tx.request_view(&r.id)?))
}

/// The établissement `establishment_id` grants, declines (with an optional
/// reason) or withdraws a request for one of its référents. A request for
/// another établissement's référent is not found; one in the wrong state is
/// refused (409).
pub(crate) fn decide(
    tx: &dyn GrantsTx,
    establishment_id: &str,
    account_id: &str,
    id: &str,
    action: ReferentAction,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReferentRequest, ServiceError> {
    let row = tx
        .request_row(id)?
        .filter(|r| r.establishment_id == establishment_id)
        .ok_or(ServiceError::NotFound("Demande"))?;
    let (from, to) = action.transition();
    if row.status != from {
        return Err(EstablishmentsError::ReferentRequestState(row.status).into());
    }
    let reason = match action {
        ReferentAction::Decline => reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| require_text("reason", r, MAX_REASON))
            .transpose()?,
        ReferentAction::Grant | ReferentAction::Withdraw => None,
    };
    tx.set_request_status(id, to, account_id, now, reason.as_deref())?;
    tx.request_view(id)
}

/// The directory as a partner sees it: each référent with the partner's
/// latest request for it (`requests` newest first).
pub(crate) fn partner_referents(
    rows: Vec<Referent>,
    requests: Vec<ReferentRequest>,
) -> Vec<PartnerReferent> {
    let mut latest = std::collections::HashMap::new();
    for q in requests {
        latest.entry(q.referent_id.clone()).or_insert(q);
    }
    rows.into_iter()
        .map(|r| {
            let request = latest.remove(&r.id);
            partner_referent(r, request)
        })
        .collect()
}

/// What a partner sees of a request: not who at the établissement decided.
pub(crate) fn for_partner(mut view: ReferentRequest) -> ReferentRequest {
    view.decided_by = None;
    view
}

/// What a partner sees of a référent, given its latest request for it: the
/// e-mail and phone only while that request is granted.
pub(crate) fn partner_referent(r: Referent, request: Option<ReferentRequest>) -> PartnerReferent {
    let granted = request
        .as_ref()
        .is_some_and(|q| q.status == ReferentRequestStatus::Granted);
    let (email, phone) = if granted {
        (Some(r.email), r.phone)
    } else {
        (None, None)
    };
    PartnerReferent {
        id: r.id,
        establishment_id: r.establishment_id,
        establishment_name: r.establishment_name,
        theme: r.theme,
        name: r.name,
        request: request.map(for_partner),
        email,
        phone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referent() -> Referent {
        Referent {
            id: "r1".into(),
            establishment_id: "e1".into(),
            establishment_name: "Lycée".into(),
            theme: "sport".into(),
            name: "M. Lambert".into(),
            email: "lambert@example.org".into(),
            phone: Some("0612345678".into()),
        }
    }

    fn request(status: ReferentRequestStatus) -> ReferentRequest {
        ReferentRequest {
            id: "q1".into(),
            referent_id: "r1".into(),
            referent_name: "M. Lambert".into(),
            theme: "sport".into(),
            establishment_id: "e1".into(),
            establishment_name: "Lycée".into(),
            partner_id: "p1".into(),
            partner_name: "Club".into(),
            partner_category: "club_sportif".into(),
            message: "Bonjour".into(),
            status,
            status_label: status.label().into(),
            requested_by: "Accueil".into(),
            requested_at: DateTime::<Utc>::UNIX_EPOCH,
            decided_by: Some("Secrétariat".into()),
            decided_at: None,
            reason: None,
        }
    }

    #[test]
    fn the_contact_goes_only_with_a_granted_request() {
        for status in ReferentRequestStatus::ALL {
            let seen = partner_referent(referent(), Some(request(*status)));
            let granted = *status == ReferentRequestStatus::Granted;
            assert_eq!(seen.email.is_some(), granted, "{status}");
            assert_eq!(seen.phone.is_some(), granted, "{status}");
            assert_eq!(seen.request.unwrap().decided_by, None);
        }
        let never = partner_referent(referent(), None);
        assert_eq!((never.email, never.phone), (None, None));
    }
}
