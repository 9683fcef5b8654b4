// The validated partner's structure: its profile (the manager edits it),
// its convention, its staff and its devices.
import { useState } from 'preact/hooks';
import { ApiError, ApplicationDraft, partnerApi } from './api';
import { ErrorBox, Field, useLoad } from './ui';
import { dateTime } from './format';
import { ConventionPanel } from './convention';
import { DevicesPanel, StaffPanel, isPartnerManager } from './partner-staff';
import { PartnerReferents } from './referents';

export function StructurePanel() {
  return (
    <>
      <ConventionPanel />
      {isPartnerManager() ? (
        <>
          <ProfileEditor />
          <BankDetails />
        </>
      ) : (
        <p class="hint" role="note">
          Seul le responsable de la structure modifie le profil et les coordonnées bancaires.
        </p>
      )}
      <StaffPanel />
      <DevicesPanel />
      <PartnerReferents />
    </>
  );
}

function ProfileEditor() {
  const { data: view } = useLoad(() => partnerApi.application());
  const [form, setForm] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  if (!view) return null;
  const value = (k: string, fallback: string) => form[k] ?? fallback;
  const set = (k: string) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  return (
    <details class="card">
      <summary>Modifier le profil</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setDone(null);
          const d: ApplicationDraft = {};
          for (const [k, v] of Object.entries(form)) if (v.trim()) (d as Record<string, string>)[k] = v;
          try {
            await partnerApi.updateProfile(d);
            setForm({});
            setDone('Profil enregistré.');
          } catch (err) {
            setError(err);
          }
        }}
      >
        <Field id="p-address" label="Adresse" error={fieldError('address')}>
          <input id="p-address" value={value('address', view.address)} onInput={set('address')} />
        </Field>
        <Field id="p-cp" label="Code postal" error={fieldError('postal_code')}>
          <input id="p-cp" inputMode="numeric" value={value('postal_code', view.postal_code)} onInput={set('postal_code')} maxLength={5} />
        </Field>
        <Field id="p-city" label="Commune" error={fieldError('city')}>
          <input id="p-city" value={value('city', view.city)} onInput={set('city')} />
        </Field>
        <Field id="p-contact" label="Personne à contacter" error={fieldError('contact_name')}>
          <input id="p-contact" value={value('contact_name', view.contact_name)} onInput={set('contact_name')} />
        </Field>
        <Field id="p-phone" label="Téléphone mobile" hint={view.phone ? `Enregistré : ${view.phone}` : undefined} error={fieldError('phone')}>
          <input id="p-phone" type="tel" value={value('phone', '')} onInput={set('phone')} />
        </Field>
        <ErrorBox error={error && !(error instanceof ApiError && error.field) ? error : null} />
        {done && <p role="status">{done}</p>}
        <button type="submit" class="primary">
          Enregistrer
        </button>
      </form>
    </details>
  );
}

const DECISION: Record<string, string> = { approuvee: 'Validé par la Région', refusee: 'Refusé', remplacee: 'Remplacé par une demande plus récente' };

/** A change of bank details: asked, confirmed by the SMS code, then approved by the Region. */
function BankDetails() {
  const changes = useLoad(() => partnerApi.myBankChanges());
  const [iban, setIban] = useState('');
  const [bic, setBic] = useState('');
  const [code, setCode] = useState('');
  const [waiting, setWaiting] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  const open = (changes.data ?? []).find((c) => !c.decision);
  return (
    <details class="card">
      <summary>Changer de coordonnées bancaires</summary>
      <p class="hint">
        Un code est envoyé par SMS au téléphone de la structure ; la Région valide ensuite le nouveau compte. D’ici là, vos remboursements sont suspendus.
      </p>
      {open?.confirmed_at ? (
        <p role="status">Nouveau compte {open.iban} en attente de validation par la Région (confirmé le {dateTime(open.confirmed_at)}).</p>
      ) : waiting ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              await partnerApi.confirmBankChange(code.trim());
              setWaiting(null);
              setCode('');
              changes.refresh();
            } catch (err) {
              setError(err);
            }
          }}
        >
          <p role="status">{waiting}</p>
          <Field id="b-code" label="Code reçu par SMS (6 chiffres)" error={error instanceof ApiError ? error.message : null}>
            <input id="b-code" inputMode="numeric" autocomplete="one-time-code" maxLength={6} value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value)} required />
          </Field>
          <button type="submit" class="primary">
            Confirmer le changement
          </button>
        </form>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              const c = await partnerApi.requestBankChange(iban, bic);
              setWaiting(`Un code a été envoyé au ${c.code_sent_to}.`);
              setIban('');
            } catch (err) {
              setError(err);
            }
          }}
        >
          <Field id="b-iban" label="Nouvel IBAN" error={fieldError('iban')}>
            <input id="b-iban" value={iban} onInput={(e) => setIban((e.target as HTMLInputElement).value)} autocomplete="off" spellcheck={false} required />
          </Field>
          <Field id="b-bic" label="BIC du nouveau compte" error={fieldError('bic')}>
            <input id="b-bic" value={bic} onInput={(e) => setBic((e.target as HTMLInputElement).value)} autocomplete="off" maxLength={11} required />
          </Field>
          <ErrorBox error={error && !fieldError('iban') && !fieldError('bic') ? error : null} />
          <button type="submit">Recevoir le code</button>
        </form>
      )}
      {(changes.data ?? []).filter((c) => c.decision).length > 0 && (
        <ul class="list" aria-label="Changements précédents">
          {(changes.data ?? [])
            .filter((c) => c.decision)
            .map((c) => (
              <li class="item">
                {c.iban} — {DECISION[c.decision ?? ''] ?? c.decision}
                {c.reason && ` : ${c.reason}`} <small>({dateTime(c.created_at)})</small>
              </li>
            ))}
        </ul>
      )}
    </details>
  );
}
