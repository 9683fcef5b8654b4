// The help screen of both apps: the FAQ (the Region's file), the support
// phone number and hours, the accessibility statement, the versions.
import { useState } from 'preact/hooks';
import { api, HelpInfo } from './api';
import { inApp } from './native';
import { ErrorBox, useLoad } from './ui';

export function HelpPage({ onBack }: { onBack: () => void }) {
  const { data, error } = useLoad(() => api.help());
  const [q, setQ] = useState('');
  const faq = (data?.faq ?? []).filter(
    (e) => !q.trim() || `${e.question} ${e.answer.join(' ')}`.toLowerCase().includes(q.trim().toLowerCase()),
  );
  return (
    <main class="login help" id="main">
      <p>
        <button type="button" class="link" onClick={onBack}>
          ← Retour
        </button>
      </p>
      <h1>Aide</h1>
      <ErrorBox error={error} />
      {data && <Support info={data} />}
      <section aria-labelledby="faq-title">
        <h2 id="faq-title">Questions fréquentes</h2>
        <div class="field">
          <label for="faq-q">Rechercher dans les questions</label>
          <input id="faq-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </div>
        {faq.map((e) => (
          <details class="card faq" data-testid="faq-entry">
            <summary>{e.question}</summary>
            {e.answer.map((p) => (
              <p>{p}</p>
            ))}
          </details>
        ))}
      </section>
      {data && (
        <section aria-labelledby="a11y-title" class="card">
          <h2 id="a11y-title">Accessibilité</h2>
          <p>{data.accessibility}</p>
        </section>
      )}
      <p class="hint" data-testid="versions">
        Application {__APP_VERSION__} ({inApp() ? 'appli installée' : 'navigateur'}){data ? ` · serveur ${data.server_version}` : ''}
      </p>
    </main>
  );
}

function Support({ info }: { info: HelpInfo }) {
  const tel = info.support_phone.replace(/[^\d+]/g, '');
  return (
    <section class="card" aria-labelledby="support-title">
      <h2 id="support-title">Assistance</h2>
      <p>
        Téléphone : <a href={`tel:${tel}`}>{info.support_phone}</a>, {info.support_hours}.
      </p>
    </section>
  );
}
