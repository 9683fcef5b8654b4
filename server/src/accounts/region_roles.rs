//! The Region's roles and their desks (issue 16): one pure rule, used by
//! the role extractors (`accounts/session.rs`) and
//! [`crate::accounts::region_desk`]; the matrix is in `docs/security.md`.

use passregion_core::status::RegionRole;

/// The Region's desks, by who may use them (issue 16; the matrix is in
/// `docs/security.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionDesk {
    /// What every agent sees: statistics, the live feed, the fraud desk's
    /// reads.
    Shared,
    /// Partners' applications and conventions, CGP, bons plans,
    /// établissements, card look-up, print queue, the fraud desk's actions.
    Instruction,
    /// Reimbursements, payment runs, bank statements, manual payments, the
    /// journal, statements, bank-detail changes, the ledger check.
    Finance,
    /// The Region's staff.
    Admin,
}

/// Whether an agent of `role` may use `desk`: an administrator uses every
/// desk; an agent without a role only the shared one (fail closed).
pub fn region_allows(role: Option<RegionRole>, desk: RegionDesk) -> bool {
    matches!(
        (role, desk),
        (_, RegionDesk::Shared)
            | (Some(RegionRole::Admin), _)
            | (Some(RegionRole::Instruction), RegionDesk::Instruction)
            | (Some(RegionRole::Finance), RegionDesk::Finance)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_administrator_opens_every_desk_and_the_others_their_own() {
        use RegionDesk as D;
        use RegionRole as R;
        let desks = [D::Shared, D::Instruction, D::Finance, D::Admin];
        let opened = |role| {
            desks
                .iter()
                .filter(|d| region_allows(role, **d))
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(opened(Some(R::Admin)), desks.to_vec());
        assert_eq!(
            opened(Some(R::Instruction)),
            vec![D::Shared, D::Instruction]
        );
        assert_eq!(opened(Some(R::Finance)), vec![D::Shared, D::Finance]);
        assert_eq!(opened(None), vec![D::Shared], "no role: fail closed");
    }
}
