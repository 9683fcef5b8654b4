// The Region's établissements: the directory (imported from the national
// file), and inviting an établissement's head by e-mail.
import { useState } from 'preact/hooks';
import { api, ApiError, Establishment } from './api';
import { ErrorBox, Field, OfflineBanner, useLoad } from './ui';
import { Column, DeskTable } from './desk';

export function RegionEstablishments() {
  const { data, error, refresh } = useLoad(() => api.establishments());
  const [target, setTarget] = useState<Establishment | null>(null);
  const columns: Column<Establishment>[] = [
    { key: 'name', label: 'Établissement', value: (e) => e.name },
    { key: 'id', label: 'Identifiant (UAI)', value: (e) => e.id },
    { key: 'kind', label: 'Type', value: (e) => e.kind },
    { key: 'city', label: 'Commune', value: (e) => `${e.postal_code} ${e.city}` },
    {
      key: 'invite',
      label: 'Équipe',
      value: () => '',
      sortable: false,
      render: (e) => (
        <button type="button" class="link" onClick={() => setTarget(e)} aria-label={`Inviter le chef d’établissement de ${e.name}`}>
          Inviter…
        </button>
      ),
    },
  ];
  return (
    <section aria-labelledby="etab-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="etab-title">Établissements</h2>
      <p class="hint">Les établissements viennent du fichier national (passregion-server import-establishments). Invitez ensuite leur chef d’établissement : il invitera son équipe.</p>
      <ErrorBox error={error} />
      {target && <Invite etab={target} onClose={() => setTarget(null)} />}
      <DeskTable caption="Établissements" rows={data ?? []} columns={columns} rowKey={(e) => e.id} testId="region-establishments" csvName="etablissements.csv" />
    </section>
  );
}

function Invite({ etab, onClose }: { etab: Establishment; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<'head' | 'staff'>('head');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  return (
    <form
      class="card"
      aria-labelledby="inv-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await api.regionInviteEstablishmentStaff(etab.id, email.trim(), name.trim(), role);
          setDone(`Invitation envoyée à ${email.trim()} : le lien est valable 7 jours.`);
          setEmail('');
          setName('');
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h3 id="inv-title">Inviter à {etab.name}</h3>
      <Field id="inv-email" label="Adresse e-mail" error={fieldError('email')}>
        <input id="inv-email" type="email" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} required />
      </Field>
      <Field id="inv-name" label="Prénom et nom" error={fieldError('display_name')}>
        <input id="inv-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
      </Field>
      <Field id="inv-role" label="Rôle">
        <select id="inv-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as 'head' | 'staff')}>
          <option value="head">Chef d’établissement</option>
          <option value="staff">Personnel</option>
        </select>
      </Field>
      <ErrorBox error={fieldError('email') || fieldError('display_name') ? null : error} />
      {done && <p role="status">{done}</p>}
      <div class="actions">
        <button type="submit" class="primary">
          Envoyer l’invitation
        </button>
        <button type="button" onClick={onClose}>
          Fermer
        </button>
      </div>
    </form>
  );
}
