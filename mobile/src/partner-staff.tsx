// A partner's staff and devices: the manager (responsable) invites cashiers
// and other managers, removes them, and revokes the structure's devices.
// The team is the screen of team.tsx. The server decides who may do what
// (a cashier gets 403
// `reserve_au_responsable`); the controls are only hidden for cashiers.
import { useState } from 'preact/hooks';
import { api, PartnerDevice, PartnerRole, session } from './api';
import { dateTime } from './format';
import { ErrorBox, useLoad } from './ui';
import { TeamManager } from './team';

export const PARTNER_ROLE: Record<string, string> = {
  manager: 'Responsable',
  cashier: 'Caissier',
};

/** Whether the logged-in account is a manager of its structure. */
export function isPartnerManager(): boolean {
  return session()?.account.partner_role === 'manager';
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
  return (
    <TeamManager<PartnerRole>
      title="Équipe"
      caption="Personnes ayant accès à l’espace partenaire"
      inviteTitle="Inviter une personne"
      idPrefix="s"
      space="l’espace partenaire"
      roles={[
        { value: 'cashier', label: PARTNER_ROLE.cashier },
        { value: 'manager', label: PARTNER_ROLE.manager },
      ]}
      roleHint="Un caissier encaisse et consulte les transactions ; un responsable gère aussi l’équipe, les appareils et les bons plans."
      sectionClass="panel"
      testId="staff-panel"
      tableTestId="staff-table"
      csvName="equipe.csv"
      load={() => api.partnerStaff()}
      invite={(email, name, role) => api.inviteStaff(email, name, role)}
      remove={(id) => api.removeStaff(id)}
    />
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
