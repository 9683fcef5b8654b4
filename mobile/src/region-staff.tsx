// The Region's roles and its team. An agent is in the administration
// (every desk, and the team), the instruction or the finances; the tabs
// shown follow `regionAllows`, the same matrix as the server's
// (`accounts::region_allows`, docs/security.md), which alone decides. The
// team (administrators) is the screen of team.tsx with a change of role.
import { session } from './api';
import { RegionRole, regionStaff } from './region-api';
import { TeamManager } from './team';

/** The desks of the Region, by who may use them. */
export type RegionDesk = 'shared' | 'instruction' | 'finance' | 'admin';

export const REGION_ROLE: Record<RegionRole, string> = {
  admin: 'Administration',
  instruction: 'Instruction',
  finance: 'Finances',
};

/** The logged-in agent's role (none: only the shared desks). */
export function regionRole(): RegionRole | null {
  return (session()?.account.region_role as RegionRole | null | undefined) ?? null;
}

/** Whether `role` opens `desk`: an administrator every desk. */
export function regionAllows(role: RegionRole | null, desk: RegionDesk): boolean {
  return desk === 'shared' || role === 'admin' || role === desk;
}

export function RegionTeam() {
  return (
    <TeamManager<RegionRole>
      title="Équipe de la Région"
      caption="Agents ayant accès à l’espace Région"
      inviteTitle="Inviter un agent"
      idPrefix="rt"
      space="l’espace Région"
      roles={[
        { value: 'instruction', label: REGION_ROLE.instruction },
        { value: 'finance', label: REGION_ROLE.finance },
        { value: 'admin', label: REGION_ROLE.admin },
      ]}
      roleHint="Instruction : partenaires, bons plans, établissements, cartes, impression, fraude. Finances : remboursements, paiements, journal, coordonnées bancaires. Administration : tout, et l’équipe."
      testId="region-team"
      tableTestId="region-team-table"
      csvName="equipe-region.csv"
      load={() => regionStaff.list()}
      invite={(email, name, role) => regionStaff.invite(email, name, role)}
      remove={(id) => regionStaff.remove(id)}
      changeRole={(id, role) => regionStaff.changeRole(id, role)}
    />
  );
}
