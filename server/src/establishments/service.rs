//! The rules of établissements: who declares, edits and removes référents
//! and who reads them, and what a référent must hold. Writes go through the
//! storage-only `ReferentsTx` trait, implemented for SQLite in
//! `establishments/repo.rs`. Partners' requests for a référent's contact have
//! their rules in `establishments::grants`, collective bookings in
//! `establishments::booking`.

use chrono::DateTime;
use chrono::Utc;

use crate::accounts::model::Principal;
use crate::accounts::model::Role;
use crate::accounts::require_role;
use crate::error::ServiceError;
use crate::establishments::model::Referent;
use crate::establishments::model::ReferentSummary;
use crate::platform::sql::new_id;
use crate::platform::sql::require_text;

/// The themes of référents.
pub(crate) const THEMES: [&str; 4] = ["sport", "culture", "sante", "administratif"];

/// The storage of référents inside the writer's transaction. SQL only, no rule.
pub(crate) trait ReferentsTx {
    /// Inserts a référent.
    fn insert_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<(), ServiceError>;
    /// Updates the référent `r.id` of the établissement `r.establishment_id`
    /// (theme, name, e-mail, phone); whether there was one.
    fn update_referent(&self, r: &Referent, now: DateTime<Utc>) -> Result<bool, ServiceError>;
    /// Deletes a référent of an établissement, and the partners' requests
    /// for it; whether there was one.
    fn delete_referent(&self, id: &str, establishment_id: &str) -> Result<bool, ServiceError>;
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

/// Stores the new theme and contact of the référent `id` of the caller's
/// établissement (`r` checked by [`check_referent`]). The partners it was
/// granted to see the new contact (ADR 0027). Another établissement's
/// référent is not found.
pub(crate) fn edit_referent(
    tx: &dyn ReferentsTx,
    id: &str,
    mut r: Referent,
    now: DateTime<Utc>,
) -> Result<Referent, ServiceError> {
    r.id = id.to_owned();
    if !tx.update_referent(&r, now)? {
        return Err(ServiceError::NotFound("Référent"));
    }
    r.establishment_name = tx.establishment_name(&r.establishment_id)?;
    Ok(r)
}

/// Removes the référent `id` of the caller's établissement, with every
/// request for it: no partner sees its contact any more. Another
/// établissement's référent is not found.
pub(crate) fn remove_referent(
    tx: &dyn ReferentsTx,
    establishment_id: &str,
    id: &str,
) -> Result<(), ServiceError> {
    if tx.delete_referent(id, establishment_id)? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("Référent"))
    }
}

/// Which référents a caller may read in the directory (never their contact:
/// see `establishments::grants`).
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

/// What the directory shows of a référent: no contact.
pub(crate) fn summary(r: Referent) -> ReferentSummary {
    ReferentSummary {
        id: r.id,
        establishment_id: r.establishment_id,
        establishment_name: r.establishment_name,
        theme: r.theme,
        name: r.name,
    }
}
