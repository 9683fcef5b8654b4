// The établissement's team: its head (chef d'établissement) invites
// colleagues by e-mail (a link valid 7 days, once), lists and removes them
// (the team screen of team.tsx).
// The server decides (a member of staff gets 403
// `reserve_au_chef_etablissement`); the tab is only hidden for them.
import { api, EstablishmentRole, session } from './api';
import { ESTABLISHMENT_ROLE } from './format';
import { TeamManager } from './team';

/** Whether the logged-in account is the head of its établissement. */
export function isEstablishmentHead(): boolean {
  return session()?.account.establishment_role === 'head';
}

export function StaffDesk() {
  if (!isEstablishmentHead()) {
    return (
      <section aria-labelledby="team-title">
        <h2 id="team-title">Équipe</h2>
        <p>Seul le chef d’établissement gère l’équipe.</p>
      </section>
    );
  }
  return (
    <TeamManager<EstablishmentRole>
      title="Équipe de l’établissement"
      caption="Personnes ayant accès à l’espace établissement"
      inviteTitle="Inviter un collègue"
      idPrefix="t"
      space="l’espace établissement"
      roles={[
        { value: 'staff', label: ESTABLISHMENT_ROLE.staff },
        { value: 'head', label: ESTABLISHMENT_ROLE.head },
      ]}
      roleHint="Le personnel valide les commandes et gère les cartes ; le chef d’établissement gère aussi l’équipe."
      testId="team"
      tableTestId="team-table"
      csvName="equipe.csv"
      load={() => api.establishmentStaff()}
      invite={(email, name, role) => api.inviteEstablishmentStaff(email, name, role)}
      remove={(id) => api.removeEstablishmentStaff(id)}
    />
  );
}
