// The account's security, for every role: change the password, end the other
// sessions; for a youth, declare a lost phone (its QR codes stop working)
// and download her data (right of access).
import { useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { ErrorBox, Field, useLoad } from './ui';
import { dateTime } from './format';
import { download } from './desk';

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
        {youth && (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void act(async () => {
                const data = await api.myData();
                download(`mes-donnees-pass-region-${data.exported_at.slice(0, 10)}.json`, JSON.stringify(data, null, 2), 'application/json');
                return { message: 'Vos données ont été téléchargées (fichier JSON).' };
              })
            }
          >
            Télécharger mes données
          </button>
        )}
      </div>
      {notice && <p role="status">{notice}</p>}
      <ErrorBox error={fieldError('new_password') ? null : error} />
      <Sessions />
    </details>
  );
}

/** The account's open sessions, each closable (a lost phone's, a shared computer's). */
function Sessions() {
  const { data, error, refresh } = useLoad(() => api.mySessions());
  const [actionError, setActionError] = useState<unknown>(null);
  return (
    <section aria-labelledby="sessions-title">
      <h3 id="sessions-title">Mes sessions ouvertes</h3>
      <ErrorBox error={error ?? actionError} />
      <ul class="list">
        {(data ?? []).map((s) => (
          <li class="item row" data-testid="session">
            <span>
              Ouverte le {dateTime(s.opened_at)}, expire le {dateTime(s.expires_at)}
              {s.current && <strong> — cet appareil</strong>}
            </span>
            {!s.current && (
              <button
                type="button"
                class="link"
                aria-label={`Fermer la session ouverte le ${dateTime(s.opened_at)}`}
                onClick={async () => {
                  setActionError(null);
                  try {
                    await api.endSession(s.id);
                    refresh();
                  } catch (e) {
                    setActionError(e);
                  }
                }}
              >
                Fermer
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The messages sent to the account (also by e-mail). */
export function Notices() {
  const { data } = useLoad(() => api.myNotices().catch(() => []));
  if (!data?.length) return null;
  return (
    <details class="panel" data-testid="notices">
      <summary>Mes messages ({data.length})</summary>
      <ul class="list">
        {data.map((n) => (
          <li class="item">
            <strong>{n.subject}</strong> <small>{dateTime(n.created_at)}</small>
            <p class="pre">{n.body}</p>
          </li>
        ))}
      </ul>
    </details>
  );
}
