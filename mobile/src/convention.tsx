// The convention: the stages of an application, signing with the SMS code,
// viewing protected files (documents, PDFs) in the page, and the validated
// partner's convention (term, renewal, termination).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, ApplicationView, fileUrl, partnerApi } from './api';
import { date, dateTime } from './format';
import { ErrorBox, Field, useLoad } from './ui';

export const STAGES: { code: ApplicationView['stage']; label: string }[] = [
  { code: 'brouillon', label: 'Brouillon' },
  { code: 'envoyee', label: 'Envoyée' },
  { code: 'signee', label: 'Signée' },
  { code: 'en_instruction', label: 'En instruction' },
  { code: 'validee', label: 'Validée' },
  { code: 'refusee', label: 'Refusée' },
];

export const STANDING: Record<string, string> = {
  candidat: 'Candidat',
  en_vigueur: 'Convention en vigueur',
  suspendu: 'Suspendu',
  echue: 'Convention échue',
  resiliee: 'Convention résiliée',
};

export function StageSteps({ stage }: { stage: ApplicationView['stage'] }) {
  const shown = STAGES.filter((s) => (stage === 'refusee' ? s.code !== 'validee' : s.code !== 'refusee'));
  const at = shown.findIndex((s) => s.code === stage);
  return (
    <ol class="steps" aria-label="Étapes de la demande">
      {shown.map((s, i) => (
        <li class={i < at ? 'done' : i === at ? 'current' : ''} aria-current={i === at ? 'step' : undefined}>
          {s.label}
        </li>
      ))}
    </ol>
  );
}

/** A protected file shown in the page on demand (PDF in a frame, image inline). */
export function FileViewer({ path, label }: { path: string; label: string }) {
  const [file, setFile] = useState<{ url: string; type: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => () => file && URL.revokeObjectURL(file.url), [file]);
  return (
    <div class="viewer">
      {!file ? (
        <button
          type="button"
          class="link"
          onClick={async () => {
            setError(null);
            try {
              setFile(await fileUrl(path));
            } catch (e) {
              setError(e);
            }
          }}
        >
          {label}
        </button>
      ) : (
        <>
          {file.type.startsWith('image/') ? (
            <img src={file.url} alt={label} class="doc-image" />
          ) : (
            <iframe src={file.url} title={label} class="doc-frame" />
          )}
          <p>
            <a href={file.url} download>
              Télécharger
            </a>{' '}
            ·{' '}
            <button type="button" class="link" onClick={() => setFile(null)}>
              Fermer
            </button>
          </p>
        </>
      )}
      <ErrorBox error={error} />
    </div>
  );
}

/** Read the convention, type the code received by SMS, sign. */
export function ConventionSigning({ view, onSigned }: { view: ApplicationView; onSigned: (v: ApplicationView) => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [info, setInfo] = useState<string | null>(view.phone ? `Un code a été envoyé au ${view.phone}.` : null);
  const [busy, setBusy] = useState(false);
  const c = view.convention;
  return (
    <section class="card" aria-labelledby="sign-title">
      <h3 id="sign-title">Signer la convention</h3>
      {c && (
        <p>
          Convention {c.cgp_version}, du {date(c.starts_on)} au {date(c.ends_on)}.
        </p>
      )}
      <FileViewer path="/api/partner/convention.pdf" label="Lire la convention (PDF)" />
      {info && <p role="status">{info}</p>}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            onSigned(await partnerApi.sign(code.trim()));
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field id="sign-code" label="Code reçu par SMS (6 chiffres)" error={error instanceof ApiError ? error.message : null}>
          <input
            id="sign-code"
            inputMode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            value={code}
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
            required
          />
        </Field>
        {!(error instanceof ApiError) && <ErrorBox error={error} />}
        <button type="submit" class="primary" disabled={busy}>
          Signer la convention
        </button>
        <button
          type="button"
          class="link"
          onClick={async () => {
            setError(null);
            try {
              setInfo(`Un nouveau code a été envoyé au ${(await partnerApi.resendCode()).code_sent_to}.`);
            } catch (err) {
              setError(err);
            }
          }}
        >
          Renvoyer un code
        </button>
      </form>
    </section>
  );
}

/** A validated partner's convention: its term, renewal, termination, the Region's messages. */
export function ConventionPanel() {
  const { data: view, error, refresh } = useLoad(() => partnerApi.application());
  const [signing, setSigning] = useState<ApplicationView | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [reason, setReason] = useState('');
  const [on, setOn] = useState(new Date().toISOString().slice(0, 10));
  if (!view) return <ErrorBox error={error} />;
  const c = view.convention;
  return (
    <section aria-labelledby="conv-title" data-testid="convention-panel">
      <h2 id="conv-title">Ma structure et ma convention</h2>
      <ErrorBox error={error ?? actionError} />
      <div class="card">
        <p>
          <strong>{view.name}</strong>
          <br />
          {view.address}, {view.postal_code} {view.city}
          <br />
          SIRET {view.siret ?? '—'} · IBAN {view.iban ?? '—'} · BIC {view.bic ?? '—'}
        </p>
        <p role="status" data-testid="standing">
          {STANDING[view.standing] ?? view.standing}
          {view.terminates_on && ` — fin le ${date(view.terminates_on)}${view.termination_reason ? ` (${view.termination_reason})` : ''}`}
          {view.suspension_reason && ` — ${view.suspension_reason}`}
        </p>
        {c && (
          <p>
            Convention {c.cgp_version} du {date(c.starts_on)} au {date(c.ends_on)}
            {c.migrated
              ? ', signée hors plateforme (reprise de l’ancien système)'
              : c.signed_at && `, signée le ${dateTime(c.signed_at)} (code envoyé au ${c.signed_phone})`}.
          </p>
        )}
        {c && <FileViewer path="/api/partner/convention.pdf" label="Ma convention (PDF)" />}
      </div>
      {view.renewal_due && !signing && (
        <div class="card notice" role="alert">
          <p>Votre convention arrive à son terme ou un nouveau modèle est publié : signez la nouvelle convention pour continuer.</p>
          <button
            type="button"
            class="primary"
            onClick={async () => {
              setActionError(null);
              try {
                const cgp = await partnerApi.cgp();
                setSigning((await partnerApi.renew(cgp.version)).application);
              } catch (e) {
                setActionError(e);
              }
            }}
          >
            Accepter les CGP en vigueur et recevoir le code
          </button>
        </div>
      )}
      {signing && <ConventionSigning view={signing} onSigned={() => (setSigning(null), refresh())} />}
      {view.notices.length > 0 && (
        <ul class="list" aria-label="Messages de la Région">
          {view.notices.map((n) => (
            <li class="item">
              <small>{dateTime(n.created_at)}</small>
              <p>{n.message}</p>
            </li>
          ))}
        </ul>
      )}
      {view.standing === 'en_vigueur' && !view.terminates_on && (
        <details class="card">
          <summary>Résilier la convention</summary>
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              setActionError(null);
              try {
                await partnerApi.terminate(reason, on);
                refresh();
              } catch (err) {
                setActionError(err);
              }
            }}
          >
            <Field id="t-reason" label="Motif">
              <input id="t-reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} required />
            </Field>
            <Field id="t-on" label="Date d’effet">
              <input id="t-on" type="date" value={on} onInput={(e) => setOn((e.target as HTMLInputElement).value)} required />
            </Field>
            <button type="submit">Résilier</button>
          </form>
        </details>
      )}
    </section>
  );
}
