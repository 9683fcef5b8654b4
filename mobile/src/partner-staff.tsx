// A partner's staff and devices: the manager (responsable) invites cashiers
// and other managers, removes them, and revokes the structure's devices.
// The server decides who may do what (a cashier gets 403
// `reserve_au_responsable`); the controls are only hidden for cashiers.
import { useState } from 'preact/hooks';
import { api, ApiError, PartnerDevice, PartnerRole, session, StaffMember } from './api';
import { date, dateTime } from './format';
import { ErrorBox, Field, useLoad } from './ui';

export const PARTNER_ROLE: Record<string, string> = {
  manager: 'Responsable',
  cashier: 'Caissier',
};

/** Whether the logged-in account is a manager of its structure. */
export function isPartnerManager(): boolean {
  return session()?.account.partner_role === 'manager';
}

function memberStatus(m: StaffMember): string {
  if (m.status === 'active') return 'Actif';
  if (m.invitation_expires_at) return `Invitation envoyée, valable jusqu’au ${dateTime(m.invitation_expires_at)}`;
  return 'Invitation expirée : renvoyez-la';
}

/** The structure's staff and the invitation form (managers). */
export function StaffPanel() {
  if (!isPartnerManager()) {
    return (
      <section class="panel" aria-labelledby="staff-title" data-testid="staff-panel">
        <h2 id="staff-title">Équipe</h2>
        <p>Seul le responsable de la structure gère l’équipe.</p>
      </section>
    );
  }
  return <StaffManager />;
}

function StaffManager() {
  const { data, error, refresh } = useLoad(() => api.partnerStaff());
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<PartnerRole>('cashier');
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
  const resend = (m: StaffMember) =>
    act(async () => {
      await api.inviteStaff(m.email, m.display_name, m.role as PartnerRole);
      return `Nouvelle invitation envoyée à ${m.email} (lien valable 7 jours).`;
    });
  const remove = (m: StaffMember) => {
    if (!confirm(`Retirer l’accès de ${m.display_name} ? Ses sessions en cours seront fermées immédiatement.`)) return;
    void act(async () => {
      await api.removeStaff(m.account_id);
      return `${m.display_name} n’a plus accès à l’espace partenaire.`;
    });
  };

  return (
    <section class="panel" aria-labelledby="staff-title" data-testid="staff-panel">
      <h2 id="staff-title">Équipe</h2>
      <ErrorBox error={error ?? actionError} />
      {notice && <p role="status">{notice}</p>}
      <ul class="list">
        {(data ?? []).map((m) => (
          <li class="item" data-testid="staff-member">
            <strong>{m.display_name}</strong> · {PARTNER_ROLE[m.role] ?? m.role}
            {m.account_id === me && ' (vous)'}
            <br />
            <small>
              {m.email} · {memberStatus(m)} · ajouté le {date(m.created_at)}
            </small>
            {m.account_id !== me && (
              <div class="actions">
                {m.status === 'invited' && (
                  <button type="button" disabled={busy} onClick={() => void resend(m)}>
                    Renvoyer l’invitation
                  </button>
                )}
                <button type="button" class="danger" disabled={busy} onClick={() => remove(m)} aria-label={`Retirer l’accès de ${m.display_name}`}>
                  Retirer l’accès
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      <form
        aria-labelledby="invite-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setFormError(null);
          setNotice(null);
          try {
            const m = await api.inviteStaff(email.trim(), name.trim(), role);
            setNotice(`Invitation envoyée à ${m.email} : le lien est valable 7 jours, une seule fois.`);
            setEmail('');
            setName('');
            setRole('cashier');
            refresh();
          } catch (err) {
            setFormError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h3 id="invite-title">Inviter une personne</h3>
        <Field id="s-email" label="Adresse e-mail" error={fieldError('email')}>
          <input id="s-email" type="email" autocomplete="off" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field id="s-name" label="Prénom et nom" error={fieldError('display_name')}>
          <input id="s-name" autocomplete="off" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required maxLength={80} />
        </Field>
        <Field id="s-role" label="Rôle" hint="Un caissier encaisse et consulte les transactions ; un responsable gère aussi l’équipe, les appareils et les bons plans.">
          <select id="s-role" aria-describedby="s-role-hint" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as PartnerRole)}>
            <option value="cashier">Caissier</option>
            <option value="manager">Responsable</option>
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

/** The structure's enrolled devices; managers may revoke one. */
export function DevicesPanel() {
  const manager = isPartnerManager();
  const { data, error, refresh } = useLoad(() => api.partnerDevices());
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const revoke = async (d: PartnerDevice) => {
    if (!confirm(`Révoquer l’appareil « ${d.label} » ? Ses débits hors ligne pas encore synchronisés seront refusés, et il ne pourra plus en envoyer.`)) return;
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      await api.revokeDevice(d.id);
      setNotice(`L’appareil « ${d.label} » est révoqué.`);
      refresh();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="devices-title" data-testid="devices-panel">
      <h2 id="devices-title">Appareils</h2>
      <ErrorBox error={error ?? actionError} />
      {notice && <p role="status">{notice}</p>}
      {data && data.length === 0 && <p>Aucun appareil enrôlé : l’application mobile s’enrôle à la première connexion.</p>}
      <ul class="list">
        {(data ?? []).map((d) => (
          <li class="item" data-testid="device">
            <strong>{d.label}</strong>
            {d.revoked_at && ` · révoqué le ${dateTime(d.revoked_at)}`}
            <br />
            <small>
              Enrôlé le {dateTime(d.enrolled_at)} par {d.enrolled_by} ·{' '}
              {d.last_push_at ? `dernier envoi hors ligne le ${dateTime(d.last_push_at)}` : 'aucun envoi hors ligne'}
            </small>
            {manager && !d.revoked_at && (
              <div class="actions">
                <button type="button" class="danger" disabled={busy} onClick={() => void revoke(d)} aria-label={`Révoquer l’appareil ${d.label}`}>
                  Révoquer
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
