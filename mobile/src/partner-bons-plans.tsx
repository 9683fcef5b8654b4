// A partner's bons plans: submit one, follow its moderation, and the
// convention's two-per-season minimum.
import { useState } from 'preact/hooks';
import { ApiError, partnerApi } from './api';
import { date } from './format';
import { ErrorBox, Field, useLoad } from './ui';
import { isPartnerManager } from './partner-staff';

const BON_PLAN_STATUS: Record<string, string> = { soumis: 'En modération', valide: 'Publié', refuse: 'Refusé' };

export function PartnerBonsPlans() {
  const plans = useLoad(() => partnerApi.myBonsPlans());
  const status = useLoad(() => partnerApi.status());
  const [form, setForm] = useState({ title: '', description: '', valid_until: '' });
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const published = status.data?.bons_plans_this_season ?? 0;
  const field = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  return (
    <section aria-labelledby="bp-title">
      <h2 id="bp-title">Mes bons plans</h2>
      {status.data && (
        <div class={`card ${status.data.meets_bons_plans_minimum ? '' : 'notice'}`} role="status" data-testid="bons-plans-progress">
          <p>
            <strong>{published} / 2</strong> bons plans publiés cette saison.
          </p>
          <progress max={2} value={Math.min(published, 2)} aria-label="Bons plans publiés sur le minimum de la saison" />
          {!status.data.meets_bons_plans_minimum && (
            <p>Votre convention prévoit au moins deux bons plans par saison (1er juin – 31 mai) : proposez-en un.</p>
          )}
        </div>
      )}
      {!isPartnerManager() && <p class="hint">Seul le responsable de la structure propose des bons plans.</p>}
      {isPartnerManager() && (
      <form
        class="card"
        aria-labelledby="bp-new"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setDone(null);
          try {
            const body = { title: form.title, description: form.description, valid_until: form.valid_until || null };
            if (editing) await partnerApi.updateBonPlan(editing, body);
            else await partnerApi.submitBonPlan(body);
            setForm({ title: '', description: '', valid_until: '' });
            setEditing(null);
            setDone(editing ? 'Bon plan modifié : il repasse en modération.' : 'Bon plan envoyé à la modération de la Région.');
            plans.refresh();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h3 id="bp-new">{editing ? 'Modifier le bon plan' : 'Proposer un bon plan'}</h3>
        <Field id="bp-t" label="Titre" error={field('title')}>
          <input id="bp-t" value={form.title} maxLength={120} onInput={(e) => setForm({ ...form, title: (e.target as HTMLInputElement).value })} required />
        </Field>
        <Field id="bp-d" label="Description" error={field('description')}>
          <textarea id="bp-d" value={form.description} maxLength={2000} rows={4} onInput={(e) => setForm({ ...form, description: (e.target as HTMLTextAreaElement).value })} required />
        </Field>
        <Field id="bp-u" label="Valable jusqu’au (facultatif)">
          <input id="bp-u" type="date" value={form.valid_until} onInput={(e) => setForm({ ...form, valid_until: (e.target as HTMLInputElement).value })} />
        </Field>
        <ErrorBox error={error && !field('title') && !field('description') ? error : null} />
        {done && <p role="status">{done}</p>}
        <button type="submit" class="primary">
          Envoyer à la modération
        </button>
      </form>
      )}
      <ErrorBox error={plans.error} />
      <ul class="list" data-testid="my-bons-plans">
        {(plans.data ?? []).map((b) => (
          <li class="item" data-status={b.status}>
            <div class="row">
              <strong>{b.title}</strong>
              <span class={`badge status-${b.status}`}>{BON_PLAN_STATUS[b.status] ?? b.status}</span>
            </div>
            <p>{b.description}</p>
            <small>
              Proposé le {date(b.created_at)}
              {b.valid_until && ` · valable jusqu’au ${date(b.valid_until)}`}
            </small>
            {b.status === 'refuse' && b.reason && <p class="error">Motif du refus : {b.reason}</p>}
            {isPartnerManager() && (
              <button
                type="button"
                class="link"
                aria-label={`Modifier ${b.title}`}
                onClick={() => {
                  setEditing(b.id);
                  setForm({ title: b.title, description: b.description, valid_until: b.valid_until ?? '' });
                  document.getElementById('bp-t')?.focus();
                }}
              >
                Modifier
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
