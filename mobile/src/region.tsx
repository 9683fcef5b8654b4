// The Région's screens: the live transaction feed (region-feed.tsx), the
// fraud and anomalies desk (region-fraud.tsx), the support look-up
// (region-lookup.tsx), reimbursement batches, moderation, partners, the
// team (region-staff.tsx); each agent sees the tabs of its role.
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
import { RegionDesk, regionAllows, regionRole, RegionTeam } from './region-staff';

const REGION_TABS: (Tab & { desk: RegionDesk })[] = [
  { hash: '#/region', label: 'Transactions', icon: '≡', desk: 'shared' },
  { hash: '#/region/fraude', label: 'Fraude', icon: '⚠', desk: 'shared' },
  { hash: '#/region/recherche', label: 'Recherche', icon: '⌕', desk: 'instruction' },
  { hash: '#/region/lots', label: 'Remboursements', icon: '€', desk: 'finance' },
  { hash: '#/region/bons-plans', label: 'Modération', icon: '★', desk: 'instruction' },
  { hash: '#/region/partenaires', label: 'Partenaires', icon: '◎', desk: 'instruction' },
  { hash: '#/region/impression', label: 'Impression', icon: '✉', desk: 'instruction' },
  { hash: '#/region/etablissements', label: 'Établissements', icon: '⌂', desk: 'instruction' },
  { hash: '#/region/statistiques', label: 'Statistiques', icon: '▤', desk: 'shared' },
  { hash: '#/region/equipe', label: 'Équipe', icon: '☺', desk: 'admin' },
];

export function RegionApp({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  const role = regionRole();
  // Only the tabs of the agent's role (the server refuses the others).
  const tabs: Tab[] = REGION_TABS.filter((t) => regionAllows(role, t.desk)).map(({ desk: _desk, ...t }) => t);
  const route = hash.split('?')[0];
  const current = tabs.find((t) => t.hash === route)?.hash ?? '#/region';
  return (
    <Layout title="PASS'Région — Région" tabs={tabs} current={current} onLogout={onLogout} wide>
      {current === '#/region/fraude' ? (
        <RegionFraud canHandle={regionAllows(role, 'instruction')} />
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
      ) : current === '#/region/equipe' ? (
        <RegionTeam />
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
