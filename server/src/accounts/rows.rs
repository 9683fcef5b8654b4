//! What the stored rows of an account and of a session mean: pure mapping shared by every storage engine (the SQL of each is in its repository).

use chrono::DateTime;
use chrono::Utc;
use passregion_core::PartnerCategory;
use passregion_core::status::ConventionStatus;

use crate::accounts::model::AccountView;
use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::error::ServiceError;
use crate::platform::sql::enum_from;
use crate::platform::sql::parse_date;

/// A stored account, for login.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// The account as shown.
    pub view: AccountView,
    /// PHC string.
    pub password_hash: String,
    /// The address is confirmed (staff accounts, or the link followed).
    pub email_verified: bool,
}

/// The columns of an account read for login, in this order:
/// `a.id, a.email, a.role, a.display_name, a.partner_id, p.category,
/// a.establishment_id, a.password_hash, a.email_verified_at IS NOT NULL,
/// a.partner_role, a.establishment_role, a.region_role`.
pub(crate) type AccountRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The account of an [`AccountRow`].
pub(crate) fn account_record(row: AccountRow) -> Result<AccountRecord, ServiceError> {
    let (id, email, role, name, pid, pcat, eid, hash, verified, prole, erole, rrole) = row;
    Ok(AccountRecord {
        view: AccountView {
            id,
            email,
            role: Role::from_code(&role)
                .ok_or_else(|| ServiceError::Internal("bad role".into()))?,
            display_name: name,
            partner_id: pid,
            partner_category: pcat.as_deref().map(enum_from).transpose()?,
            establishment_id: eid,
            partner_role: prole.as_deref().map(enum_from).transpose()?,
            establishment_role: erole.as_deref().map(enum_from).transpose()?,
            region_role: rrole.as_deref().map(enum_from).transpose()?,
        },
        password_hash: hash,
        email_verified: verified,
    })
}

/// The columns of a session's principal, in this order: `a.id, a.role,
/// a.partner_id, p.category, p.status, a.establishment_id`, then
/// `p.suspended_at IS NOT NULL, p.convention_ends_on, p.terminates_on,
/// a.partner_role, a.establishment_role, a.region_role`.
pub(crate) type PrincipalRow = (
    (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
    (
        Option<bool>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
);

/// The principal of a [`PrincipalRow`] at `now`: a partner's staff may
/// debit while its convention is in force today.
pub(crate) fn principal(row: PrincipalRow, now: DateTime<Utc>) -> Result<Principal, ServiceError> {
    let ((id, role, pid, pcat, pstatus, eid), (suspended, ends, terminates, prole, erole, rrole)) =
        row;
    let partner = match (pid, pcat) {
        (Some(p), Some(cat)) => {
            // One rule for "may debit": the core's standing today.
            let facts = passregion_core::application::ConventionFacts {
                status: pstatus
                    .as_deref()
                    .and_then(ConventionStatus::parse)
                    .unwrap_or(ConventionStatus::Pending),
                suspended: suspended.unwrap_or(false),
                ends_on: ends.as_deref().map(parse_date).transpose()?,
                terminates_on: terminates.as_deref().map(parse_date).transpose()?,
            };
            let today = passregion_core::season::region_date(now);
            Some((
                p,
                enum_from::<PartnerCategory>(&cat)?,
                passregion_core::application::standing(facts, today)
                    == passregion_core::application::Standing::InForce,
            ))
        }
        _ => None,
    };
    Ok(Principal {
        account_id: id,
        role: Role::from_code(&role).ok_or_else(|| ServiceError::Internal("bad role".into()))?,
        partner,
        partner_role: prole.as_deref().map(enum_from).transpose()?,
        establishment_id: eid,
        establishment_role: erole.as_deref().map(enum_from).transpose()?,
        region_role: rrole.as_deref().map(enum_from).transpose()?,
    })
}
