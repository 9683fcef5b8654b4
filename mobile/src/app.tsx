// Login / registration and the choice of space by role.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, onUnauthorized, Role, saveSession, session, Session } from './api';
import { apiBase, setApiBase } from './config';
import { clearCache } from './sync';
import { ErrorBox, Field, go, useHash } from './ui';
import { YouthApp } from './youth';
import { PartnerApp } from './partner';
import { EstablishmentApp, RegionApp } from './admin';

const HOME: Record<Role, string> = {
  youth: '#/jeune',
  partner: '#/partenaire',
  establishment: '#/etablissement',
  region: '#/region',
};

export function App() {
  const hash = useHash();
  const [s, setS] = useState<Session | null>(session());

  useEffect(
    () =>
      onUnauthorized(() => {
        saveSession(null);
        setS(null);
      }),
    [],
  );

  const logout = () => {
    void api.logout().catch(() => undefined);
    saveSession(null);
    clearCache();
    setS(null);
    go('#/connexion');
  };

  if (!s) return <Login onLogin={(x) => (saveSession(x), setS(x), go(HOME[x.account.role]))} />;

  const home = HOME[s.account.role];
  // Each role only sees its own space.
  if (!hash.startsWith(home)) {
    go(home);
    return null;
  }
  switch (s.account.role) {
    case 'youth':
      return <YouthApp hash={hash} onLogout={logout} />;
    case 'partner':
      return <PartnerApp hash={hash} onLogout={logout} />;
    case 'establishment':
      return <EstablishmentApp hash={hash} onLogout={logout} />;
    default:
      return <RegionApp hash={hash} onLogout={logout} />;
  }
}

function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [server, setServer] = useState(apiBase());
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);

  return (
    <main class="login" id="main">
      <h1 class="brand">
        <span class="logo" aria-hidden="true">◆</span> PASS’Région
      </h1>
      <p class="tagline">La carte des jeunes d’Auvergne-Rhône-Alpes : culture, sport, manuels scolaires.</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            onLogin(mode === 'login' ? await api.login(email.trim(), password) : await api.register(email.trim(), password, name.trim()));
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2>{mode === 'login' ? 'Se connecter' : 'Créer un compte'}</h2>
        {mode === 'register' && (
          <Field id="l-name" label="Prénom et nom" error={fieldError('display_name')}>
            <input id="l-name" autocomplete="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
          </Field>
        )}
        <Field id="l-email" label="Adresse e-mail" error={fieldError('email')}>
          <input id="l-email" type="email" autocomplete="username" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field id="l-password" label="Mot de passe" error={fieldError('password')} hint={mode === 'register' ? '8 caractères minimum' : undefined}>
          <input
            id="l-password"
            type="password"
            autocomplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
            required
          />
        </Field>
        <ErrorBox error={error && !fieldError('email') && !fieldError('password') && !fieldError('display_name') ? error : null} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Patientez…' : mode === 'login' ? 'Se connecter' : 'Créer mon compte'}
        </button>
      </form>
      <p>
        <button type="button" class="link" onClick={() => (setMode(mode === 'login' ? 'register' : 'login'), setError(null))}>
          {mode === 'login' ? 'Pas encore de compte ? Créer un compte' : 'J’ai déjà un compte : me connecter'}
        </button>
      </p>
      <details class="server">
        <summary>Serveur</summary>
        <Field id="l-server" label="Adresse du serveur (vide : ce site)">
          <input id="l-server" type="url" value={server} onInput={(e) => setServer((e.target as HTMLInputElement).value)} onBlur={() => setApiBase(server)} />
        </Field>
      </details>
    </main>
  );
}
