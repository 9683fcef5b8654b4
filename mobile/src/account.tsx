// The account's security, for every role: change the password, end the other
// sessions; for a youth, declare a lost phone (its QR codes stop working).
import { useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { ErrorBox, Field } from './ui';

export function AccountSecurity({ youth }: { youth?: boolean }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const act = async (f: () => Promise<{ message: string }>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice((await f()).message);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  return (
    <details class="panel" data-testid="account-security">
      <summary>Sécurité du compte</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const r = await api.changePassword(current, next);
            setCurrent('');
            setNext('');
            return r;
          });
        }}
      >
        <Field id="a-current" label="Mot de passe actuel">
          <input id="a-current" type="password" autocomplete="current-password" value={current} onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field id="a-new" label="Nouveau mot de passe" error={fieldError('new_password')} hint="8 caractères minimum">
          <input id="a-new" type="password" autocomplete="new-password" value={next} onInput={(e) => setNext((e.target as HTMLInputElement).value)} required />
        </Field>
        <button type="submit" disabled={busy}>
          Changer mon mot de passe
        </button>
      </form>
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void act(api.endOtherSessions)}>
          Fermer mes autres sessions
        </button>
        {youth && (
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() => {
              if (confirm('Déclarer votre ancien téléphone perdu ? Ses QR codes ne fonctionneront plus, même hors ligne.')) void act(api.lostPhone);
            }}
          >
            J’ai perdu mon téléphone
          </button>
        )}
      </div>
      {notice && <p role="status">{notice}</p>}
      <ErrorBox error={fieldError('new_password') ? null : error} />
    </details>
  );
}
