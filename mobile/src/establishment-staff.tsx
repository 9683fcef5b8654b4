// The établissement's team: its head (chef d'établissement) invites
// colleagues by e-mail (a link valid 7 days, once), lists and removes them.
// The server decides (a member of staff gets 403
// `reserve_au_chef_etablissement`); the tab is only hidden for them.
import { useState } from 'preact/hooks';
import { api, ApiError, EstablishmentRole, EstablishmentStaffMember, session } from './api';
import { Column, DeskTable } from './desk';
import { date, dateTime, ESTABLISHMENT_ROLE } from './format';
import { ErrorBox, Field, useLoad } from './ui';

/** Whether the logged-in account is the head of its établissement. */
export function isEstablishmentHead(): boolean {
  return session()?.account.establishment_role === 'head';
}

function memberStatus(m: EstablishmentStaffMember): string {
  if (m.status === 'active') return 'Actif';
  if (m.invitation_expires_at) return `Invitation envoyée, valable jusqu’au ${dateTime(m.invitation_expires_at)}`;
  return 'Invitation expirée : renvoyez-la';
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
  return <StaffManager />;
}

function StaffManager() {
  const { data, error, refresh } = useLoad(() => api.establishmentStaff());
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<EstablishmentRole>('staff');
  const [formError, setFormError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const me = session()?.account.id;
  const fieldError = (f: string) => (formError instanceof ApiError && formError.field === f ? formError.message : null);

  const act = async (f: () => Promise<string>) => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      setNotice(await f());
      refresh();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const remove = (m: EstablishmentStaffMember) => {
    if (!confirm(`Retirer l’accès de ${m.display_name} ? Ses sessions en cours seront fermées immédiatement.`)) return;
    void act(async () => {
      await api.removeEstablishmentStaff(m.account_id);
      return `${m.display_name} n’a plus accès à l’espace établissement.`;
    });
  };
  const resend = (m: EstablishmentStaffMember) =>
    act(async () => {
      await api.inviteEstablishmentStaff(m.email, m.display_name, m.role as EstablishmentRole);
      return `Nouvelle invitation envoyée à ${m.email} (lien valable 7 jours).`;
    });

  const columns: Column<EstablishmentStaffMember>[] = [
    { key: 'name', label: 'Nom', value: (m) => `${m.display_name}${m.account_id === me ? ' (vous)' : ''}` },
    { key: 'email', label: 'Adresse e-mail', value: (m) => m.email },
    { key: 'role', label: 'Rôle', value: (m) => ESTABLISHMENT_ROLE[m.role] ?? m.role },
    { key: 'status', label: 'État', value: memberStatus },
    { key: 'created', label: 'Ajouté le', value: (m) => m.created_at, render: (m) => date(m.created_at) },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      value: () => '',
      render: (m) =>
        m.account_id === me ? null : (
          <div class="actions">
            {m.status === 'invited' && (
              <button type="button" disabled={busy} onClick={() => void resend(m)} aria-label={`Renvoyer l’invitation de ${m.display_name}`}>
                Renvoyer l’invitation
              </button>
            )}
            <button type="button" class="danger" disabled={busy} onClick={() => remove(m)} aria-label={`Retirer l’accès de ${m.display_name}`}>
              Retirer l’accès
            </button>
          </div>
        ),
    },
  ];

  return (
    <section aria-labelledby="team-title" data-testid="team">
      <h2 id="team-title">Équipe de l’établissement</h2>
      <ErrorBox error={error ?? actionError} />
      {notice && <p role="status">{notice}</p>}
      <DeskTable<EstablishmentStaffMember>
        caption="Personnes ayant accès à l’espace établissement"
        testId="team-table"
        rows={data ?? []}
        columns={columns}
        rowKey={(m) => m.account_id}
        searchable={false}
        csvName="equipe.csv"
      />
      <form
        class="panel"
        aria-labelledby="invite-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setFormError(null);
          setNotice(null);
          try {
            const m = await api.inviteEstablishmentStaff(email.trim(), name.trim(), role);
            setNotice(`Invitation envoyée à ${m.email} : le lien est valable 7 jours, une seule fois.`);
            setEmail('');
            setName('');
            setRole('staff');
            refresh();
          } catch (err) {
            setFormError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h3 id="invite-title">Inviter un collègue</h3>
        <Field id="t-email" label="Adresse e-mail" error={fieldError('email')}>
          <input id="t-email" type="email" autocomplete="off" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field id="t-name" label="Prénom et nom" error={fieldError('display_name')}>
          <input id="t-name" autocomplete="off" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required maxLength={80} />
        </Field>
        <Field id="t-role" label="Rôle" hint="Le personnel valide les commandes et gère les cartes ; le chef d’établissement gère aussi l’équipe.">
          <select id="t-role" aria-describedby="t-role-hint" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as EstablishmentRole)}>
            <option value="staff">Personnel de l’établissement</option>
            <option value="head">Chef d’établissement</option>
          </select>
        </Field>
        <ErrorBox error={fieldError('email') || fieldError('display_name') ? null : formError} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Patientez…' : 'Envoyer l’invitation'}
        </button>
      </form>
    </section>
  );
}
