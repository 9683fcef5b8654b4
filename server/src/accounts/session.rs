//! The authenticated caller: the `Auth` extractor and its short-lived session cache.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::accounts::model::{Principal, Role};
use crate::accounts::region_roles::RegionDesk;
use crate::error::ServiceError;
use crate::platform::sql::sha256_hex;
use crate::state::AppState;
use crate::web::extract::blocking;
use crate::web::problem::ApiError;

/// The authenticated caller.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(ServiceError::Unauthenticated)?;
        let hash = sha256_hex(token.as_bytes());
        let now = state.clock.now();
        if let Some(p) = state.sessions.get(&hash, now) {
            return Ok(Auth(p));
        }
        let store = state.store.clone();
        let key = hash.clone();
        let p = blocking(move || store.principal(&key, now)).await?;
        match p {
            Some(p) => {
                state.sessions.put(hash, p.clone(), now);
                Ok(Auth(p))
            }
            None => Err(ServiceError::Unauthenticated.into()),
        }
    }
}

/// Typed role extractors: a handler that takes one is only reached by an
/// authenticated caller of that role (403 `acces_refuse` otherwise), so a
/// handler cannot forget the check.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        pub struct $name(pub Principal);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, ApiError> {
                let Auth(p) = Auth::from_request_parts(parts, state).await?;
                let check: fn(&Principal) -> Result<(), ServiceError> = $check;
                check(&p)?;
                Ok($name(p))
            }
        }
    };
}

role_extractor!(
    /// A youth.
    Youth,
    |p| crate::accounts::require_role(p, Role::Youth)
);
role_extractor!(
    /// Staff of a partner, whatever the state of its convention (onboarding,
    /// status, bons plans).
    PartnerAccount,
    |p| crate::accounts::require_role(p, Role::Partner)
);
role_extractor!(
    /// Staff of a partner whose convention is in force: the only callers
    /// that may inspect, debit, refund or sync (`partenaire_non_valide`
    /// otherwise).
    PartnerStaff,
    |p| crate::accounts::partner_of(p).map(|_| ())
);
role_extractor!(
    /// Staff of an établissement.
    EstablishmentStaff,
    |p| crate::accounts::require_role(p, Role::Establishment)
);
role_extractor!(
    /// Any agent of the Region: the desks every agent uses (statistics, live
    /// feed, the fraud desk's reads).
    RegionStaff,
    |p| crate::accounts::region_desk(p, RegionDesk::Shared)
);
role_extractor!(
    /// An agent of the Region's instruction (or an administrator): partners,
    /// CGP, bons plans, établissements, cards, print queue, fraud actions.
    RegionInstruction,
    |p| crate::accounts::region_desk(p, RegionDesk::Instruction)
);
role_extractor!(
    /// An agent of the Region's finances (or an administrator):
    /// reimbursements, payments, journal, statements, bank details.
    RegionFinance,
    |p| crate::accounts::region_desk(p, RegionDesk::Finance)
);
role_extractor!(
    /// An administrator of the Region: its staff.
    RegionAdmin,
    |p| crate::accounts::region_desk(p, RegionDesk::Admin)
);
role_extractor!(
    /// A youth or a partner: the apps that keep an offline copy (partner
    /// directory, revoked cards and credentials, trust list).
    AppUser,
    |p| match p.role {
        Role::Youth | Role::Partner => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
);

/// The SHA-256 of the caller's bearer token (its session's key).
pub fn session_hash(headers: &axum::http::HeaderMap) -> String {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim();
    crate::platform::sql::sha256_hex(token.as_bytes())
}
