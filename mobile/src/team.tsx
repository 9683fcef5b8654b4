// One team screen for the three staffs (a partner's, an établissement's, the
// Region's): the people with access in a DeskTable, an invitation by
// e-mail with a role (a link valid 7 days, once), a new link for a pending
// invitation, the removal of an access, and, where the space allows it, a
// change of role. The server decides who may do what; this screen only
// shows it to those who may.
import { useState } from 'preact/hooks';
import { ApiError, session } from './api';
import { Column, DeskTable } from './desk';
import { date, dateTime } from './format';
import { ErrorBox, Field, useLoad } from './ui';

/** What the three staffs' members share. */
export interface TeamMember {
  account_id: string;
  display_name: string;
  email: string;
  role: string;
  status: string;
  invitation_expires_at?: string | null;
  created_at: string;
}

export interface TeamProps<R extends string> {
  /** The section's heading. */
  title: string;
  /** The table's caption. */
  caption: string;
  /** The invitation form's heading. */
  inviteTitle: string;
  /** Prefix of the form fields' ids (`t` → `t-email`, `t-name`, `t-role`). */
  idPrefix: string;
  /** The space named in the notices (`l’espace établissement`). */
  space: string;
  /** The roles, in the order offered; the first is the invitation's default. */
  roles: { value: R; label: string }[];
  /** What the roles allow (the role field's hint). */
  roleHint: string;
  /** The section's class (`panel` inside a page of panels). */
  sectionClass?: string;
  /** The section's test id. */
  testId: string;
  /** The table's test id. */
  tableTestId: string;
  /** The CSV export's file name. */
  csvName: string;
  load: () => Promise<TeamMember[]>;
  invite: (email: string, displayName: string, role: R) => Promise<TeamMember>;
  remove: (accountId: string) => Promise<unknown>;
  /** A change of role (the agent's sessions end); no role column control without it. */
  changeRole?: (accountId: string, role: R) => Promise<unknown>;
}

function memberStatus(m: TeamMember): string {
  if (m.status === 'active') return 'Actif';
  if (m.invitation_expires_at) return `Invitation envoyée, valable jusqu’au ${dateTime(m.invitation_expires_at)}`;
  return 'Invitation expirée : renvoyez-la';
}

export function TeamManager<R extends string>(p: TeamProps<R>) {
  const { data, error, refresh } = useLoad(() => p.load());
  const first = p.roles[0].value;
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<R>(first);
  const [formError, setFormError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const me = session()?.account.id;
  const label = (r: string) => p.roles.find((x) => x.value === r)?.label ?? r;
  const fieldError = (f: string) => (formError instanceof ApiError && formError.field === f ? formError.message : null);
  const headingId = `${p.idPrefix}-team-title`;
  const inviteId = `${p.idPrefix}-invite-title`;

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
  const remove = (m: TeamMember) => {
    if (!confirm(`Retirer l’accès de ${m.display_name} ? Ses sessions en cours seront fermées immédiatement.`)) return;
    void act(async () => {
      await p.remove(m.account_id);
      return `${m.display_name} n’a plus accès à ${p.space}.`;
    });
  };
  const resend = (m: TeamMember) =>
    act(async () => {
      await p.invite(m.email, m.display_name, m.role as R);
      return `Nouvelle invitation envoyée à ${m.email} (lien valable 7 jours).`;
    });
  const change = (m: TeamMember, to: R) => {
    const changeRole = p.changeRole;
    if (!changeRole || to === m.role) return;
    if (!confirm(`Donner à ${m.display_name} le rôle « ${label(to)} » ? Ses sessions en cours seront fermées : le nouveau rôle s’applique à sa prochaine connexion.`)) {
      refresh();
      return;
    }
    void act(async () => {
      await changeRole(m.account_id, to);
      return `${m.display_name} a maintenant le rôle « ${label(to)} ».`;
    });
  };

  const columns: Column<TeamMember>[] = [
    { key: 'name', label: 'Nom', value: (m) => `${m.display_name}${m.account_id === me ? ' (vous)' : ''}` },
    { key: 'email', label: 'Adresse e-mail', value: (m) => m.email },
    {
      key: 'role',
      label: 'Rôle',
      value: (m) => label(m.role),
      render: (m) =>
        p.changeRole && m.account_id !== me ? (
          <select
            aria-label={`Rôle de ${m.display_name}`}
            value={m.role}
            disabled={busy}
            onChange={(e) => change(m, (e.target as HTMLSelectElement).value as R)}
          >
            {p.roles.map((r) => (
              <option value={r.value}>{r.label}</option>
            ))}
          </select>
        ) : (
          label(m.role)
        ),
    },
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
    <section class={p.sectionClass} aria-labelledby={headingId} data-testid={p.testId}>
      <h2 id={headingId}>{p.title}</h2>
      <ErrorBox error={error ?? actionError} />
      {notice && <p role="status">{notice}</p>}
      <DeskTable<TeamMember>
        caption={p.caption}
        testId={p.tableTestId}
        rows={data ?? []}
        columns={columns}
        rowKey={(m) => m.account_id}
        searchable={false}
        csvName={p.csvName}
      />
      <form
        class="panel"
        aria-labelledby={inviteId}
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setFormError(null);
          setNotice(null);
          try {
            const m = await p.invite(email.trim(), name.trim(), role);
            setNotice(`Invitation envoyée à ${m.email} : le lien est valable 7 jours, une seule fois.`);
            setEmail('');
            setName('');
            setRole(first);
            refresh();
          } catch (err) {
            setFormError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h3 id={inviteId}>{p.inviteTitle}</h3>
        <Field id={`${p.idPrefix}-email`} label="Adresse e-mail" error={fieldError('email')}>
          <input id={`${p.idPrefix}-email`} type="email" autocomplete="off" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field id={`${p.idPrefix}-name`} label="Prénom et nom" error={fieldError('display_name')}>
          <input id={`${p.idPrefix}-name`} autocomplete="off" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required maxLength={80} />
        </Field>
        <Field id={`${p.idPrefix}-role`} label="Rôle" hint={p.roleHint}>
          <select
            id={`${p.idPrefix}-role`}
            aria-describedby={`${p.idPrefix}-role-hint`}
            value={role}
            onChange={(e) => setRole((e.target as HTMLSelectElement).value as R)}
          >
            {p.roles.map((r) => (
              <option value={r.value}>{r.label}</option>
            ))}
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
