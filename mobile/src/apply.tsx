// Becoming a partner: the public start of an application, then the draft
// (identity, pin on the map, bank details, documents), the CGP and the
// convention signed with the SMS code, and the application's status.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, ApplicationDraft, ApplicationView, partnerApi } from './api';
import { CATEGORIES, date, dateTime } from './format';
import { tileUrl } from './config';
import { ErrorBox, Field, useLoad } from './ui';
import { ConventionSigning, FileViewer, STAGES, StageSteps } from './convention';

const fieldError = (error: unknown, f: string) => (error instanceof ApiError && error.field === f ? error.message : null);

/** The public form that starts an application (no account yet). */
export function PartnerSignup({ onBack }: { onBack: () => void }) {
  const [form, setForm] = useState({ name: '', category: 'librairie', contact_name: '', email: '', password: '' });
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  if (sent)
    return (
      <section class="card" aria-labelledby="signup-sent">
        <h2 id="signup-sent">Vérifiez votre boîte mail</h2>
        <p role="status">{sent}</p>
        <p>Le lien ouvre votre demande : vous pourrez la compléter en plusieurs fois, elle est enregistrée comme brouillon.</p>
        <button type="button" class="link" onClick={onBack}>
          Retour à la connexion
        </button>
      </section>
    );
  return (
    <form
      aria-labelledby="signup-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          setSent((await partnerApi.startApplication({ ...form, email: form.email.trim(), category: form.category })).message);
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="signup-title">Devenir partenaire du PASS'Région</h2>
      <p>Librairies, clubs sportifs, salles de spectacle, cinémas, musées, fournisseurs d’équipement : déposez votre demande en ligne.</p>
      <Field id="s-name" label="Raison sociale" error={fieldError(error, 'name')}>
        <input id="s-name" value={form.name} onInput={set('name')} required maxLength={120} autocomplete="organization" />
      </Field>
      <Field id="s-cat" label="Catégorie de partenaire">
        <select id="s-cat" value={form.category} onChange={set('category')}>
          {Object.entries(CATEGORIES).map(([v, l]) => (
            <option value={v}>{l}</option>
          ))}
        </select>
      </Field>
      <Field id="s-contact" label="Personne à contacter" error={fieldError(error, 'contact_name')}>
        <input id="s-contact" value={form.contact_name} onInput={set('contact_name')} required maxLength={80} autocomplete="name" />
      </Field>
      <Field id="s-email" label="Adresse e-mail" error={fieldError(error, 'email')}>
        <input id="s-email" type="email" value={form.email} onInput={set('email')} required autocomplete="email" />
      </Field>
      <Field id="s-password" label="Mot de passe de l’espace partenaire" hint="8 caractères minimum" error={fieldError(error, 'password')}>
        <input id="s-password" type="password" value={form.password} onInput={set('password')} required minLength={8} autocomplete="new-password" />
      </Field>
      <ErrorBox error={error && !['name', 'contact_name', 'email', 'password'].some((f) => fieldError(error, f)) ? error : null} />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Patientez…' : 'Commencer ma demande'}
      </button>
      <p>
        <button type="button" class="link" onClick={onBack}>
          J’ai déjà un compte : me connecter
        </button>
      </p>
    </form>
  );
}

/** The applicant's space until the Region validates the application. */
export function ApplicationSpace({ view, onChange }: { view: ApplicationView; onChange: (v: ApplicationView) => void }) {
  return (
    <section aria-labelledby="app-title" data-testid="application" data-stage={view.stage}>
      <h2 id="app-title">Ma demande de partenariat</h2>
      <StageSteps stage={view.stage} />
      <p role="status" data-testid="application-stage">
        État : <strong>{STAGES.find((s) => s.code === view.stage)?.label ?? view.stage}</strong>
      </p>
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
      {view.stage === 'brouillon' && <Draft view={view} onChange={onChange} />}
      {view.stage === 'envoyee' && <ConventionSigning view={view} onSigned={onChange} />}
      {(view.stage === 'signee' || view.stage === 'en_instruction') && (
        <div class="card">
          <p>Votre convention est signée. La Région examine votre demande : vous serez prévenu par SMS et par e-mail.</p>
          <FileViewer path="/api/partner/convention.pdf" label="Ma convention signée (PDF)" />
        </div>
      )}
      {view.stage === 'refusee' && (
        <div class="card">
          <p>
            Votre demande a été refusée{view.decision_reason ? ` : ${view.decision_reason}` : '.'}
          </p>
        </div>
      )}
    </section>
  );
}

function Draft({ view, onChange }: { view: ApplicationView; onChange: (v: ApplicationView) => void }) {
  const [form, setForm] = useState({
    name: view.name,
    category: view.category,
    siret: view.siret ?? '',
    address: view.address,
    postal_code: view.postal_code,
    city: view.city,
    contact_name: view.contact_name,
    phone: '',
    iban: '',
    bic: view.bic ?? '',
  });
  const [pin, setPin] = useState({ lat: view.latitude, lng: view.longitude });
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    // Only what was typed is sent: the masked phone and IBAN stay as stored.
    const d: ApplicationDraft = { name: form.name, category: form.category, contact_name: form.contact_name, latitude: pin.lat, longitude: pin.lng };
    for (const k of ['siret', 'address', 'postal_code', 'city', 'phone', 'iban', 'bic'] as const) if (form[k].trim()) d[k] = form[k];
    try {
      const v = await partnerApi.saveDraft(d);
      setForm({ ...form, phone: '', iban: '' });
      setSaved('Brouillon enregistré.');
      onChange(v);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <form onSubmit={save} aria-labelledby="draft-title" class="card">
        <h3 id="draft-title">1. Votre structure</h3>
        <Field id="d-name" label="Raison sociale" error={fieldError(error, 'name')}>
          <input id="d-name" value={form.name} onInput={set('name')} maxLength={120} />
        </Field>
        <Field id="d-cat" label="Catégorie de partenaire">
          <select id="d-cat" value={form.category} onChange={set('category')}>
            {Object.entries(CATEGORIES).map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </Field>
        <Field id="d-siret" label="SIRET (14 chiffres)" error={fieldError(error, 'siret')}>
          <input id="d-siret" inputMode="numeric" value={form.siret} onInput={set('siret')} maxLength={17} />
        </Field>
        <Field id="d-address" label="Adresse" error={fieldError(error, 'address')}>
          <input id="d-address" value={form.address} onInput={set('address')} autocomplete="street-address" />
        </Field>
        <Field id="d-cp" label="Code postal" error={fieldError(error, 'postal_code')}>
          <input id="d-cp" inputMode="numeric" value={form.postal_code} onInput={set('postal_code')} maxLength={5} autocomplete="postal-code" />
        </Field>
        <Field id="d-city" label="Commune" error={fieldError(error, 'city')}>
          <input id="d-city" value={form.city} onInput={set('city')} autocomplete="address-level2" />
        </Field>
        <PinPicker pin={pin} onPin={setPin} error={fieldError(error, 'latitude') ?? fieldError(error, 'longitude')} />
        <h3>2. Contact</h3>
        <Field id="d-contact" label="Personne à contacter" error={fieldError(error, 'contact_name')}>
          <input id="d-contact" value={form.contact_name} onInput={set('contact_name')} autocomplete="name" />
        </Field>
        <Field id="d-phone" label="Téléphone mobile (reçoit le code de signature)" hint={view.phone ? `Enregistré : ${view.phone}` : '06 ou 07'} error={fieldError(error, 'phone')}>
          <input id="d-phone" type="tel" value={form.phone} onInput={set('phone')} autocomplete="tel" />
        </Field>
        <h3>3. Coordonnées bancaires (remboursements)</h3>
        <Field id="d-iban" label="IBAN" hint={view.iban ? `Enregistré : ${view.iban}` : undefined} error={fieldError(error, 'iban')}>
          <input id="d-iban" value={form.iban} onInput={set('iban')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field id="d-bic" label="BIC" error={fieldError(error, 'bic')}>
          <input id="d-bic" value={form.bic} onInput={set('bic')} autocomplete="off" spellcheck={false} maxLength={11} />
        </Field>
        <ErrorBox error={error && !(error instanceof ApiError && error.field) ? error : null} />
        {saved && <p role="status">{saved}</p>}
        <button type="submit" class="primary">
          Enregistrer le brouillon
        </button>
      </form>
      <Documents view={view} onChange={onChange} />
      <Missing view={view} />
      <SubmitWithCgp view={view} onChange={onChange} />
    </>
  );
}

function PinPicker({ pin, onPin, error }: { pin: { lat: number; lng: number }; onPin: (p: { lat: number; lng: number }) => void; error: string | null }) {
  const el = useRef<HTMLDivElement>(null);
  const marker = useRef<L.Marker | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const m = L.map(el.current).setView([pin.lat, pin.lng], 14);
    L.tileLayer(tileUrl(), { maxZoom: 19, attribution: '© OpenStreetMap' }).addTo(m);
    marker.current = L.marker([pin.lat, pin.lng], {
      draggable: true,
      keyboard: true,
      title: 'Position de la structure',
      alt: 'Position de la structure',
      icon: L.divIcon({ className: 'pin', html: '<span></span>', iconSize: [22, 22], iconAnchor: [11, 22] }),
    }).addTo(m);
    marker.current.on('dragend', () => {
      const p = marker.current?.getLatLng();
      if (p) onPin({ lat: p.lat, lng: p.lng });
    });
    m.on('click', (e: L.LeafletMouseEvent) => {
      marker.current?.setLatLng(e.latlng);
      onPin({ lat: e.latlng.lat, lng: e.latlng.lng });
    });
    return () => m.remove();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    marker.current?.setLatLng([pin.lat, pin.lng]);
  }, [pin.lat, pin.lng]);
  const num = (k: 'lat' | 'lng') => (e: Event) => {
    const v = Number((e.target as HTMLInputElement).value);
    if (Number.isFinite(v)) onPin({ ...pin, [k]: v });
  };
  return (
    <fieldset>
      <legend>Position sur la carte des partenaires</legend>
      <div ref={el} class="map small" role="application" aria-label="Carte : touchez l’emplacement de la structure" />
      <div class="row">
        <Field id="d-lat" label="Latitude" error={error}>
          <input id="d-lat" type="number" step="0.0001" value={pin.lat.toFixed(5)} onChange={num('lat')} />
        </Field>
        <Field id="d-lng" label="Longitude">
          <input id="d-lng" type="number" step="0.0001" value={pin.lng.toFixed(5)} onChange={num('lng')} />
        </Field>
      </div>
    </fieldset>
  );
}

function Documents({ view, onChange }: { view: ApplicationView; onChange: (v: ApplicationView) => void }) {
  const [kind, setKind] = useState(view.required_documents.find((d) => !d.provided)?.kind ?? 'autre');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const refresh = async () => onChange(await partnerApi.application());
  return (
    <section class="card" aria-labelledby="docs-title">
      <h3 id="docs-title">4. Documents</h3>
      <ul class="list" aria-label="Documents demandés">
        {view.required_documents.map((d) => (
          <li class="item row">
            <span>{d.label}</span>
            <span class={d.provided ? 'ok' : 'missing'}>{d.provided ? '✓ fourni' : 'à fournir'}</span>
          </li>
        ))}
      </ul>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const file = input.current?.files?.[0];
          if (!file) return;
          setBusy(true);
          setError(null);
          try {
            await partnerApi.uploadDocument(kind, file);
            if (input.current) input.current.value = '';
            await refresh();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field id="doc-kind" label="Type de document">
          <select id="doc-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as typeof kind)}>
            {view.required_documents.map((d) => (
              <option value={d.kind}>{d.label}</option>
            ))}
            <option value="autre">Autre document</option>
          </select>
        </Field>
        <Field id="doc-file" label="Fichier (PDF, JPEG ou PNG, 10 Mo au plus)">
          <input id="doc-file" ref={input} type="file" accept="application/pdf,image/jpeg,image/png" required />
        </Field>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Envoi…' : 'Ajouter le document'}
        </button>
      </form>
      {view.documents.length > 0 && (
        <ul class="list" aria-label="Documents fournis" data-testid="documents">
          {view.documents.map((d) => (
            <li class="item">
              <div class="row">
                <span>
                  <strong>{d.label}</strong> — {d.filename}
                  <br />
                  <small>
                    {Math.max(1, Math.round(d.size_bytes / 1024))} Ko · {date(d.uploaded_at)}
                  </small>
                </span>
                <button
                  type="button"
                  class="link"
                  aria-label={`Retirer ${d.filename}`}
                  onClick={async () => {
                    try {
                      await partnerApi.removeDocument(d.id);
                      await refresh();
                    } catch (err) {
                      setError(err);
                    }
                  }}
                >
                  Retirer
                </button>
              </div>
              <FileViewer path={`/api/documents/${encodeURIComponent(d.id)}`} label={`Voir ${d.filename}`} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Missing({ view }: { view: ApplicationView }) {
  if (!view.missing.length) return <p role="status">Votre demande est complète : vous pouvez l’envoyer.</p>;
  return (
    <section class="card" aria-labelledby="missing-title">
      <h3 id="missing-title">Il manque encore</h3>
      <ul data-testid="missing">
        {view.missing.map((m) => (
          <li>{m}</li>
        ))}
      </ul>
    </section>
  );
}

function SubmitWithCgp({ view, onChange }: { view: ApplicationView; onChange: (v: ApplicationView) => void }) {
  const { data: cgp, error: loadError } = useLoad(() => partnerApi.cgp());
  const [accepted, setAccepted] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section class="card" aria-labelledby="cgp-title">
      <h3 id="cgp-title">5. Conditions Générales de Partenariat</h3>
      <ErrorBox error={loadError} />
      {cgp && (
        <>
          <p>
            <strong>{cgp.title}</strong> — version {cgp.version}, conventions jusqu’au {date(cgp.convention_ends_on)}
          </p>
          <div class="cgp-text" tabIndex={0} role="document" aria-label="Texte des CGP" data-testid="cgp-text">
            {cgp.body.split(/\n\s*\n/).map((p) => (
              <p>{p}</p>
            ))}
          </div>
          <label class="check">
            <input type="checkbox" checked={accepted} onChange={(e) => setAccepted((e.target as HTMLInputElement).checked)} /> J’ai lu et
            j’accepte les Conditions Générales de Partenariat (version {cgp.version})
          </label>
          <ErrorBox error={error} />
          <button
            type="button"
            class="primary"
            disabled={!accepted || busy || view.missing.length > 0}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                onChange((await partnerApi.submit(cgp.version)).application);
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}
          >
            Envoyer ma demande et recevoir le code de signature
          </button>
        </>
      )}
    </section>
  );
}

