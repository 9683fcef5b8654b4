//! The demo Region's agents: one per Region role (issue 16). The first
//! login, `region@demo.passregion.fr`, stays the administrator.

use passregion_core::status::RegionRole;

use crate::accounts::model::Role;
use crate::accounts::repo::NewAccount;
use crate::demo::DemoStore;
use crate::error::ServiceError;

/// (role, e-mail, name) of the demo's agents.
pub(crate) const AGENTS: [(RegionRole, &str, &str); 3] = [
    (
        RegionRole::Admin,
        "region@demo.passregion.fr",
        "Agent de la Région",
    ),
    (
        RegionRole::Instruction,
        "instruction@demo.passregion.fr",
        "Service instruction",
    ),
    (
        RegionRole::Finance,
        "finances@demo.passregion.fr",
        "Service financier",
    ),
];

/// The login shown for an agent (`Région (Finances)`…).
pub(crate) fn login_label(role: RegionRole) -> String {
    format!("Région ({})", role.label())
}

/// Creates the demo's agents; returns their logins.
pub(crate) fn seed(
    store: &dyn DemoStore,
    hash: &str,
) -> Result<Vec<(String, String)>, ServiceError> {
    let mut logins = Vec::new();
    for (role, email, name) in AGENTS {
        let id = store.create_account(NewAccount {
            email: email.to_owned(),
            password_hash: hash.to_owned(),
            role: Role::Region,
            display_name: name.to_owned(),
            partner_id: None,
            establishment_id: None,
        })?;
        store.demo_set_region_role(&id, role)?;
        logins.push((login_label(role), email.to_owned()));
    }
    Ok(logins)
}
