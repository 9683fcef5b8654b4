// The validated partner's structure: its profile (the manager edits it),
// its convention, its staff and its devices.
import { useState } from 'preact/hooks';
import { ApiError, ApplicationDraft, partnerApi } from './api';
import { ErrorBox, Field, useLoad } from './ui';
import { ConventionPanel } from './convention';
import { DevicesPanel, StaffPanel, isPartnerManager } from './partner-staff';
import { PartnerReferents } from './referents';

export function StructurePanel() {
  return (
    <>
      <ConventionPanel />
      {isPartnerManager() ? (
        <ProfileEditor />
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
      <summary>Modifier le profil et les coordonnées bancaires</summary>
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
        <Field id="p-iban" label="Nouvel IBAN" hint={view.iban ? `Enregistré : ${view.iban}` : undefined} error={fieldError('iban')}>
          <input id="p-iban" value={value('iban', '')} onInput={set('iban')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field id="p-bic" label="BIC" error={fieldError('bic')}>
          <input id="p-bic" value={value('bic', view.bic ?? '')} onInput={set('bic')} autocomplete="off" maxLength={11} />
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
