// Login / registration and the choice of space by role.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, onUnauthorized, Role, saveSession, session, Session } from './api';
import { apiBase, setApiBase } from './config';
import { clearCache } from './sync';
import { inApp, native } from './native';
import { ErrorBox, Field, go, useHash } from './ui';
import { YouthApp } from './youth';
import { PartnerApp } from './partner';
import { PartnerSignup } from './apply';
import { HelpPage } from './help';
import { EstablishmentApp } from './establishment';
import { RegionApp } from './region';

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

  const enter = (x: Session) => (saveSession(x), setS(x), go(HOME[x.account.role]));
  // Help is for everyone, logged in or not.
  if (hash.startsWith('#/aide')) return <HelpPage onBack={() => history.back()} />;
  if (!s && hash.startsWith('#/verifier-email')) return <VerifyEmail hash={hash} onLogin={enter} />;
  if (!s && hash.startsWith('#/reinitialiser')) return <ResetPassword hash={hash} />;
  if (!s && hash.startsWith('#/devenir-partenaire'))
    return (
      <main class="login" id="main">
        <Brand />
        <PartnerSignup onBack={() => go('#/connexion')} />
      </main>
    );
  if (!s && hash.startsWith('#/invitation')) return <AcceptInvitation hash={hash} onLogin={enter} />;
  if (!s) return <Login onLogin={enter} />;

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

function Brand() {
  return (
    <h1 class="brand">
      <span class="logo" aria-hidden="true">◆</span> PASS’Région
    </h1>
  );
}

// The link mailed at registration: `#/verifier-email?jeton=…`.
function VerifyEmail({ hash, onLogin }: { hash: string; onLogin: (s: Session) => void }) {
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const token = new URLSearchParams(hash.split('?')[1] ?? '').get('jeton') ?? '';
    api.verifyEmail(token).then(onLogin, setError);
  }, [hash]);
  return (
    <main class="login" id="main">
      <Brand />
      <h2>Confirmation de votre adresse</h2>
      {error ? (
        <>
          <ErrorBox error={error} />
          <p>
            <a href="#/connexion">Retour à la connexion</a>
          </p>
        </>
      ) : (
        <p role="status">Confirmation en cours…</p>
      )}
    </main>
  );
}

// The link mailed for a password reset: `#/reinitialiser?jeton=…`.
function ResetPassword({ hash }: { hash: string }) {
  const token = new URLSearchParams(hash.split('?')[1] ?? '').get('jeton') ?? '';
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = error instanceof ApiError && error.field === 'password' ? error.message : null;
  return (
    <main class="login" id="main">
      <Brand />
      <h2>Nouveau mot de passe</h2>
      {done ? (
        <>
          <p role="status">{done}</p>
          <p>
            <a href="#/connexion">Se connecter</a>
          </p>
        </>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(null);
            try {
              setDone((await api.passwordResetConfirm(token, password)).message);
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Field id="r-password" label="Nouveau mot de passe" error={fieldError} hint="8 caractères minimum">
            <input id="r-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
          </Field>
          <ErrorBox error={fieldError ? null : error} />
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Patientez…' : 'Changer mon mot de passe'}
          </button>
          <p>
            <a href="#/connexion">Retour à la connexion</a>
          </p>
        </form>
      )}
    </main>
  );
}

// The link mailed to a new member of a partner, an établissement or the
// Region, or to a youth whose card was imported: `#/invitation?jeton=…`
// (`&espace=etablissement`, `&espace=region` or `&espace=jeune`; valid 7
// days, once). Choosing a password activates the account and logs in.
const INVITED_SPACE: Record<string, [string, string]> = {
  etablissement: ['établissement', 'de votre établissement'],
  region: ['Région', 'de la Région'],
  jeune: ['jeune', ''],
};

function AcceptInvitation({ hash, onLogin }: { hash: string; onLogin: (s: Session) => void }) {
  const params = new URLSearchParams(hash.split('?')[1] ?? '');
  const token = params.get('jeton') ?? '';
  const [space, of] = INVITED_SPACE[params.get('espace') ?? ''] ?? ['partenaire', 'd’une structure'];
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = error instanceof ApiError && error.field === 'password' ? error.message : null;
  return (
    <main class="login" id="main">
      <Brand />
      <h2>Rejoindre l’espace {space}</h2>
      <p>
        {space === 'jeune'
          ? 'Votre carte PASS’Région a été reprise sur la nouvelle plateforme.'
          : `Vous avez été invité(e) à rejoindre l’espace ${space} ${of}.`}{' '}
        Choisissez votre mot de passe pour activer votre compte.
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const session = await api.acceptInvitation(token, password);
            // In the app, the partner's core client logs in too (device
            // enrolment, offline lists), as at a login.
            if (inApp() && session.account.role === 'partner') {
              const base = apiBase() || location.origin;
              await native.partnerLogin(base, session.account.email, password).catch((err: unknown) => console.warn('core login', err));
            }
            onLogin(session);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field id="i-password" label="Mot de passe" error={fieldError} hint="8 caractères minimum">
          <input id="i-password" type="password" autocomplete="new-password" aria-describedby="i-password-hint" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
        </Field>
        <ErrorBox error={fieldError ? null : error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Patientez…' : 'Activer mon compte'}
        </button>
        <p>
          <a href="#/connexion">J’ai déjà un compte : me connecter</a>
        </p>
      </form>
    </main>
  );
}

function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [mode, setMode] = useState<'login' | 'register' | 'forgot'>('login');
  const [sent, setSent] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [server, setServer] = useState(apiBase());
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);

  return (
    <main class="login" id="main">
      <Brand />
      <p class="tagline">La carte des jeunes d’Auvergne-Rhône-Alpes : culture, sport, manuels scolaires.</p>
      {sent ? (
        <section class="card" aria-labelledby="sent-title">
          <h2 id="sent-title">Vérifiez votre boîte mail</h2>
          <p role="status">{sent}</p>
          <p>
            {mode === 'forgot' ? 'Le lien est valable une heure.' : 'Le lien est valable 48 heures.'} Pensez à regarder dans les courriers indésirables.
          </p>
          <button type="button" class="link" onClick={() => (setSent(null), setMode('login'), setPassword(''))}>
            {mode === 'forgot' ? 'Retour à la connexion' : 'J’ai confirmé mon adresse : me connecter'}
          </button>
        </section>
      ) : (
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            if (mode === 'forgot') {
              setSent((await api.passwordReset(email.trim())).message);
            } else if (mode === 'login') {
              const session = await api.login(email.trim(), password);
              // In the app, the core clients log in too: the partner's device is
              // enrolled and gets the trust lists, the youth's phone its
              // credential, so both keep working without network.
              if (inApp()) {
                const base = apiBase() || location.origin;
                const role = session.account.role;
                const core =
                  role === 'partner' ? native.partnerLogin(base, email.trim(), password) : role === 'youth' ? native.youthLogin(base, email.trim(), password) : null;
                await core?.catch((e: unknown) => console.warn('core login', e));
              }
              onLogin(session);
            }
            else setSent((await api.register(email.trim(), password, name.trim())).message);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h2>{mode === 'login' ? 'Se connecter' : mode === 'forgot' ? 'Mot de passe oublié' : 'Créer un compte'}</h2>
        {mode === 'register' && (
          <Field id="l-name" label="Prénom et nom" error={fieldError('display_name')}>
            <input id="l-name" autocomplete="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
          </Field>
        )}
        <Field id="l-email" label="Adresse e-mail" error={fieldError('email')}>
          <input id="l-email" type="email" autocomplete="username" value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} required />
        </Field>
        {mode !== 'forgot' && (
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
        )}
        <ErrorBox error={error && !fieldError('email') && !fieldError('password') && !fieldError('display_name') ? error : null} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Patientez…' : mode === 'login' ? 'Se connecter' : mode === 'forgot' ? 'Recevoir un lien' : 'Créer mon compte'}
        </button>
      </form>
      )}
      <p>
        <button type="button" class="link" onClick={() => (setMode(mode === 'login' ? 'register' : 'login'), setError(null))}>
          {mode === 'login' ? 'Pas encore de compte ? Créer un compte' : 'J’ai déjà un compte : me connecter'}
        </button>
      </p>
      {mode === 'login' && !sent && (
        <p>
          <button type="button" class="link" onClick={() => (setMode('forgot'), setError(null))}>
            Mot de passe oublié ?
          </button>
        </p>
      )}
      <p>
        <a href="#/aide">Aide et questions fréquentes</a>
      </p>
      {mode === 'login' && !sent && (
        <p>
          <a href="#/devenir-partenaire">Vous êtes une librairie, un club, une salle ? Devenir partenaire</a>
        </p>
      )}
      <details class="server">
        <summary>Serveur</summary>
        <Field id="l-server" label="Adresse du serveur (vide : ce site)">
          <input id="l-server" type="url" value={server} onInput={(e) => setServer((e.target as HTMLInputElement).value)} onBlur={() => setApiBase(server)} />
        </Field>
      </details>
    </main>
  );
}
