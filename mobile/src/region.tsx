// The Région's screens: the live transaction feed (region-feed.tsx), the
// fraud and anomalies desk (region-fraud.tsx), the support look-up
// (region-lookup.tsx), reimbursement batches, moderation, partners.
import { useState } from 'preact/hooks';
import { api, Batch, BonPlan } from './api';
import { AccountSecurity } from './account';
import { euros } from './format';
import { ErrorBox, Layout, OfflineBanner, Tab, useLoad } from './ui';
import { BatchAmounts, batchSummary } from './batch';
import { RegionPartners } from './region-partners';
import { PrintQueue } from './region-print';
import { RegionEstablishments } from './region-establishments';
import { RegionPayments } from './region-payments';
import { RegionFeed } from './region-feed';
import { RegionFraud } from './region-fraud';
import { RegionLookup } from './region-lookup';
import { RegionStats } from './region-stats';

const REGION_TABS: Tab[] = [
  { hash: '#/region', label: 'Transactions', icon: '≡' },
  { hash: '#/region/fraude', label: 'Fraude', icon: '⚠' },
  { hash: '#/region/recherche', label: 'Recherche', icon: '⌕' },
  { hash: '#/region/lots', label: 'Remboursements', icon: '€' },
  { hash: '#/region/bons-plans', label: 'Modération', icon: '★' },
  { hash: '#/region/partenaires', label: 'Partenaires', icon: '◎' },
  { hash: '#/region/impression', label: 'Impression', icon: '✉' },
  { hash: '#/region/etablissements', label: 'Établissements', icon: '⌂' },
  { hash: '#/region/statistiques', label: 'Statistiques', icon: '▤' },
];

export function RegionApp({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  const route = hash.split('?')[0];
  const current = REGION_TABS.find((t) => t.hash === route)?.hash ?? '#/region';
  return (
    <Layout title="PASS'Région — Région" tabs={REGION_TABS} current={current} onLogout={onLogout} wide>
      {current === '#/region/fraude' ? (
        <RegionFraud />
      ) : current === '#/region/recherche' ? (
        <RegionLookup hash={hash} />
      ) : current === '#/region/lots' ? (
        <Batches />
      ) : current === '#/region/bons-plans' ? (
        <Moderation />
      ) : current === '#/region/partenaires' ? (
        <RegionPartners hash={hash} />
      ) : current === '#/region/statistiques' ? (
        <RegionStats />
      ) : current === '#/region/impression' ? (
        <PrintQueue />
      ) : current === '#/region/etablissements' ? (
        <RegionEstablishments />
      ) : (
        <RegionFeed />
      )}
      <AccountSecurity />
    </Layout>
  );
}

function Batches() {
  const { data, error, refresh } = useLoad(() => api.regionBatches());
  const [actionError, setActionError] = useState<unknown>(null);
  const act = async (f: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await f();
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <section>
      <OfflineBanner onRefresh={refresh} />
      <h2>Lots de remboursement</h2>
      <button type="button" class="primary" onClick={() => act(() => api.closeBatches())}>
        Clore les lots (jusqu’à maintenant)
      </button>
      <ErrorBox error={error ?? actionError} />
      <p class="hint">{(data ?? []).filter((b: Batch) => b.status === 'en_cours').length} lot(s) clos à payer.</p>
      <RegionPayments />
    </section>
  );
}

function Moderation() {
  const { data, error, refresh } = useLoad(() => api.pendingBonsPlans());
  const [actionError, setActionError] = useState<unknown>(null);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [missing, setMissing] = useState<string | null>(null);
  const decide = async (b: BonPlan, validate: boolean) => {
    setActionError(null);
    const reason = (reasons[b.id] ?? '').trim();
    if (!validate && !reason) {
      setMissing(b.id);
      return;
    }
    setMissing(null);
    try {
      await api.moderateBonPlan(b.id, validate, validate ? undefined : reason);
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <section>
      <OfflineBanner onRefresh={refresh} />
      <h2>Bons plans à modérer</h2>
      <ErrorBox error={error ?? actionError} />
      {data && data.length === 0 && <p>Rien à modérer.</p>}
      <ul class="list">
        {(data ?? []).map((b) => (
          <li class="item">
            <strong>{b.title}</strong>
            <p>{b.description}</p>
            <small>
              {b.partner_name} · {b.city}
            </small>
            <div class={`field${missing === b.id ? ' has-error' : ''}`}>
              <label for={`reason-${b.id}`}>Motif du refus</label>
              <textarea
                id={`reason-${b.id}`}
                rows={2}
                maxLength={500}
                value={reasons[b.id] ?? ''}
                aria-describedby={missing === b.id ? `reason-${b.id}-error` : undefined}
                onInput={(e) => setReasons({ ...reasons, [b.id]: (e.target as HTMLTextAreaElement).value })}
              />
              {missing === b.id && (
                <small id={`reason-${b.id}-error`} class="field-error" role="alert">
                  Indiquez le motif du refus (montré au partenaire).
                </small>
              )}
            </div>
            <div class="actions">
              <button type="button" class="primary" onClick={() => decide(b, true)}>
                Publier
              </button>
              <button type="button" onClick={() => decide(b, false)}>
                Refuser
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
