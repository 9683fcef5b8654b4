//! The rules of établissements: who declares référents and who reads them,
//! and what a référent must hold. Writes go through the storage-only
//! `ReferentsTx` trait, implemented for SQLite in `establishments/repo.rs`.
//! Collective bookings have their rules in `establishments::booking`.

use chrono::DateTime;
use chrono::Utc;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::error::ServiceError;
use crate::establishments::model::Referent;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;

/// The themes of référents.
pub(crate) const THEMES: [&str; 4] = ["sport", "culture", "sante", "administratif"];

/// The storage of référents inside the writer's transaction. SQL only, no rule.
pub(crate) trait ReferentsTx {
    /// Inserts a référent.
    fn insert_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// An établissement's name.
    fn establishment_name(&self, id: &str) -> Result<String, ServiceError>;
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
