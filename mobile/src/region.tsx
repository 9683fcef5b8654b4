// The Région's screens: transactions, reimbursement batches, moderation, partners.
import { useState } from 'preact/hooks';
import { allPages, api, Batch, BonPlan } from './api';
import { AccountSecurity } from './account';
import { CHANNEL, dateTime, euros, amount, REIMBURSEMENT_STATUS } from './format';
import { ErrorBox, Layout, OfflineBanner, Tab, useLoad } from './ui';
import { BatchAmounts, batchSummary } from './batch';
import { RegionPartners } from './region-partners';
import { PrintQueue } from './region-print';

const REGION_TABS: Tab[] = [
  { hash: '#/region', label: 'Transactions', icon: '≡' },
  { hash: '#/region/lots', label: 'Remboursements', icon: '€' },
  { hash: '#/region/bons-plans', label: 'Modération', icon: '★' },
  { hash: '#/region/partenaires', label: 'Partenaires', icon: '◎' },
  { hash: '#/region/impression', label: 'Impression', icon: '✉' },
];

export function RegionApp({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  const route = hash.split('?')[0];
  const current = REGION_TABS.find((t) => t.hash === route)?.hash ?? '#/region';
  return (
    <Layout title="PASS'Région — Région" tabs={REGION_TABS} current={current} onLogout={onLogout} wide>
      {current === '#/region/lots' ? (
        <Batches />
      ) : current === '#/region/bons-plans' ? (
        <Moderation />
      ) : current === '#/region/partenaires' ? (
        <RegionPartners hash={hash} />
      ) : current === '#/region/impression' ? (
        <PrintQueue />
      ) : (
        <RegionTransactions />
      )}
      <AccountSecurity />
    </Layout>
  );
}

function RegionTransactions() {
  const { data, error, refresh } = useLoad(() => allPages((after) => api.regionTransactions(after, 500)));
  const list = [...(data ?? [])].reverse();
  return (
    <section>
      <OfflineBanner onRefresh={refresh} />
      <h2>Transactions ({list.length})</h2>
      <ErrorBox error={error} />
      <ul class="list">
        {list.slice(0, 300).map((t) => (
          <li class="item">
            <div class="row">
              <span>
                {t.partner_name} · carte {t.card}
              </span>
              <span class="value">
                {t.kind === 'refund' ? '+' : '−'}
                {amount(t.unit_kind, t.debited)}
              </span>
            </div>
            <small>
              {dateTime(t.created_at)} · {t.avantage_label ?? t.avantage} · {CHANNEL[t.channel] ?? t.channel} ·{' '}
              {REIMBURSEMENT_STATUS[t.reimbursement_status] ?? t.reimbursement_status}
            </small>
          </li>
        ))}
      </ul>
    </section>
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
      <ul class="list">
        {(data ?? []).map((b: Batch) => (
          <li class="item">
            <div class="row">
              <strong>{b.partner_name}</strong>
              <span class="value">{euros(b.payable)}</span>
            </div>
            <BatchAmounts b={b} />
            <small>{batchSummary(b)}</small>
            {b.status === 'en_cours' && (
              <div class="actions">
                <button type="button" onClick={() => act(() => api.payBatch(b.id))}>
                  Marquer payé
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Moderation() {
  const { data, error, refresh } = useLoad(() => api.pendingBonsPlans());
  const [actionError, setActionError] = useState<unknown>(null);
  const decide = async (b: BonPlan, validate: boolean) => {
    let reason: string | undefined;
    if (!validate) {
      reason = prompt('Motif du refus :') ?? undefined;
      if (!reason) return;
    }
    try {
      await api.moderateBonPlan(b.id, validate, reason);
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
