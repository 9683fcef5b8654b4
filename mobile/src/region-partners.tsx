// The Region's partner desk: applications to instruct and partner records
// (documents viewed in the page, SIRET/IBAN checks, decision, suspension,
// reinstatement, termination).
import { useMemo, useState } from 'preact/hooks';
import { PartnerStatus, partnerApi } from './api';
import { CATEGORIES, date, dateTime } from './format';
import { ErrorBox, Field, OfflineBanner, go, useLoad } from './ui';
import { Column, DeskTable } from './desk';
import { FileViewer, STAGES, STANDING, StageSteps } from './convention';

const stageLabel = (s: string) => STAGES.find((x) => x.code === s)?.label ?? s;

export function RegionPartners({ hash }: { hash: string }) {
  const id = new URLSearchParams(hash.split('?')[1] ?? '').get('id');
  return id ? (
    <PartnerRecord id={id} />
  ) : (
    <>
      <BankChanges />
      <PartnerList />
    </>
  );
}

function PartnerList() {
  const { data, error, refresh } = useLoad(() => partnerApi.regionPartners());
  const [stage, setStage] = useState('');
  const order = ['signee', 'en_instruction', 'envoyee', 'brouillon', 'validee', 'refusee'];
  const rows = useMemo(() => (data ?? []).filter((p) => !stage || p.stage === stage), [data, stage]);
  const columns: Column<PartnerStatus>[] = [
    {
      key: 'name',
      label: 'Structure',
      value: (p) => p.name,
      render: (p) => (
        <>
          <a href={`#/region/partenaires?id=${encodeURIComponent(p.partner_id)}`}>{p.name}</a>
          <br />
          <small>{p.city}</small>
        </>
      ),
    },
    { key: 'city', label: 'Commune', value: (p) => p.city },
    { key: 'category', label: 'Catégorie', value: (p) => CATEGORIES[p.category] ?? p.category },
    { key: 'stage', label: 'Demande', value: (p) => stageLabel(p.stage), render: (p) => stageLabel(p.stage) },
    { key: 'order', label: 'Priorité', value: (p) => order.indexOf(p.stage), render: (p) => (order.indexOf(p.stage) < 2 ? 'À traiter' : '—') },
    {
      key: 'standing',
      label: 'Convention',
      value: (p) => `${STANDING[p.standing] ?? p.standing}${p.convention_ends_on ? ` jusqu’au ${date(p.convention_ends_on)}` : ''}`,
    },
    { key: 'bons_plans', label: 'Bons plans (saison)', value: (p) => p.bons_plans_this_season, render: (p) => `${p.bons_plans_this_season} / 2` },
    { key: 'activity', label: 'Dernière activité', value: (p) => p.last_activity_at ?? '', render: (p) => (p.last_activity_at ? dateTime(p.last_activity_at) : '—') },
  ];
  return (
    <section aria-labelledby="rp-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="rp-title">Partenaires et demandes</h2>
      <ErrorBox error={error} />
      <DeskTable
        caption="Partenaires et demandes de partenariat"
        rows={rows}
        columns={columns}
        rowKey={(p) => p.partner_id}
        testId="region-partners"
        csvName="partenaires.csv"
        initialSort={{ key: 'order', dir: 'asc' }}
        filters={
          <Field id="rp-stage" label="État de la demande">
            <select id="rp-stage" value={stage} onChange={(e) => setStage((e.target as HTMLSelectElement).value)}>
              <option value="">Tous</option>
              {STAGES.map((x) => (
                <option value={x.code}>{x.label}</option>
              ))}
            </select>
          </Field>
        }
      />
    </section>
  );
}

/** Changes of bank details confirmed by the partners, to approve or refuse (payouts wait). */
function BankChanges() {
  const { data, error, refresh } = useLoad(() => partnerApi.bankChangesToDecide());
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [actionError, setActionError] = useState<unknown>(null);
  if (!data?.length) return <ErrorBox error={error} />;
  const decide = async (id: string, approve: boolean) => {
    setActionError(null);
    try {
      await partnerApi.decideBankChange(id, approve, approve ? undefined : reasons[id]);
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <section class="card notice" aria-labelledby="bank-title">
      <h2 id="bank-title">Changements de coordonnées bancaires à valider</h2>
      <p class="hint">Les remboursements de ces partenaires sont suspendus jusqu’à la décision.</p>
      <ErrorBox error={error ?? actionError} />
      <ul class="list">
        {data.map((c) => (
          <li class="item" data-testid="bank-change">
            <p>
              <strong>{c.partner_name}</strong> : {c.current_iban ?? '—'} → <strong>{c.iban}</strong> (BIC {c.bic}), demandé le {dateTime(c.created_at)}
              {c.confirmed_at && `, confirmé par SMS le ${dateTime(c.confirmed_at)}`}
            </p>
            <Field id={`bc-${c.id}`} label="Motif en cas de refus">
              <input id={`bc-${c.id}`} value={reasons[c.id] ?? ''} onInput={(e) => setReasons({ ...reasons, [c.id]: (e.target as HTMLInputElement).value })} />
            </Field>
            <div class="actions">
              <button type="button" class="primary" onClick={() => decide(c.id, true)}>
                Valider le nouveau compte
              </button>
              <button type="button" onClick={() => decide(c.id, false)}>
                Refuser
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Check({ ok, label }: { ok: boolean; label: string }) {
  return (
    <li class={ok ? 'ok' : 'missing'}>
      {ok ? '✓' : '✗'} {label} {ok ? 'valide' : 'invalide ou absent'}
    </li>
  );
}

function PartnerRecord({ id }: { id: string }) {
  const { data: rec, error, refresh } = useLoad(async () => {
    const r = await partnerApi.regionRecord(id);
    // Opening a signed application takes it up.
    return r.application.stage === 'signee' ? partnerApi.startInstruction(id) : r;
  }, [id]);
  const [actionError, setActionError] = useState<unknown>(null);
  const [reason, setReason] = useState('');
  const [on, setOn] = useState(new Date().toISOString().slice(0, 10));
  const act = async (f: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await f();
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  const needReason = (f: (r: string) => Promise<unknown>) => () => {
    if (!reason.trim()) {
      setActionError(new Error('Indiquez le motif.'));
      return;
    }
    void act(() => f(reason.trim()));
  };
  if (!rec) return <ErrorBox error={error} />;
  const a = rec.application;
  const pending = a.stage === 'signee' || a.stage === 'en_instruction';
  return (
    <section aria-labelledby="rec-title" data-testid="partner-record">
      <p>
        <button type="button" class="link" onClick={() => go('#/region/partenaires')}>
          ← Tous les partenaires
        </button>
      </p>
      <h2 id="rec-title">{a.name}</h2>
      <StageSteps stage={a.stage} />
      <p role="status" data-testid="record-standing">
        {stageLabel(a.stage)} · {STANDING[a.standing] ?? a.standing}
        {a.terminates_on && ` · fin le ${date(a.terminates_on)}`}
      </p>
      <ErrorBox error={error ?? actionError} />
      <div class="columns">
        <div class="card">
          <h3>Identité</h3>
          <p>
            {CATEGORIES[a.category] ?? a.category}
            <br />
            {a.address}, {a.postal_code} {a.city}
            <br />
            Contact : {a.contact_name} · {rec.email} · {a.phone ?? '—'}
          </p>
          <h3>Contrôles</h3>
          <ul class="checks" data-testid="checks">
            <Check ok={rec.siret_valid} label={`SIRET ${a.siret ?? ''}`} />
            <Check ok={rec.iban_valid} label={`IBAN ${rec.iban ?? ''}`} />
            <Check ok={rec.bic_valid} label={`BIC ${a.bic ?? ''}`} />
          </ul>
          <p>
            Bons plans cette saison : {rec.bons_plans_this_season} / {rec.bons_plans_minimum} · Dernière activité :{' '}
            {rec.last_activity_at ? dateTime(rec.last_activity_at) : 'aucune'}
          </p>
        </div>
        <div class="card">
          <h3>Documents</h3>
          {a.documents.length === 0 && <p>Aucun document.</p>}
          <ul class="list">
            {a.documents.map((d) => (
              <li class="item">
                <strong>{d.label}</strong> — {d.filename} ({d.content_type})
                <FileViewer path={`/api/documents/${encodeURIComponent(d.id)}`} label={`Afficher ${d.filename}`} />
              </li>
            ))}
          </ul>
          {a.convention && (
            <>
              <h3>Convention</h3>
              <p>
                {a.convention.cgp_version} · du {date(a.convention.starts_on)} au {date(a.convention.ends_on)}
                {a.convention.migrated
                  ? ' · signée hors plateforme (reprise de l’ancien système)'
                  : a.convention.signed_at &&
                    ` · signée le ${dateTime(a.convention.signed_at)} par code au ${a.convention.signed_phone} (${a.convention.signature_attempts} erreur(s))`}
              </p>
              <FileViewer path={`/api/region/partners/${encodeURIComponent(id)}/convention.pdf`} label="Afficher la convention (PDF)" />
            </>
          )}
        </div>
      </div>
      <div class="card" aria-labelledby="decide-title">
        <h3 id="decide-title">Décision</h3>
        <Field id="rec-reason" label="Motif (refus, suspension, résiliation) — communiqué au partenaire">
          <textarea id="rec-reason" rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <div class="actions">
          {pending && (
            <>
              <button type="button" class="primary" onClick={() => act(() => partnerApi.decide(id, true))}>
                Valider le partenariat
              </button>
              <button type="button" onClick={needReason((r) => partnerApi.decide(id, false, r))}>
                Refuser la demande
              </button>
            </>
          )}
          {a.standing === 'en_vigueur' && (
            <button type="button" onClick={needReason((r) => partnerApi.suspend(id, r))}>
              Suspendre
            </button>
          )}
          {a.standing === 'suspendu' && (
            <button type="button" onClick={() => act(() => partnerApi.reinstate(id))}>
              Lever la suspension
            </button>
          )}
        </div>
        {a.stage === 'validee' && !a.terminates_on && (
          <div class="row">
            <Field id="rec-on" label="Date d’effet de la résiliation">
              <input id="rec-on" type="date" value={on} onInput={(e) => setOn((e.target as HTMLInputElement).value)} />
            </Field>
            <button type="button" class="danger" onClick={needReason((r) => partnerApi.regionTerminate(id, r, on))}>
              Résilier la convention
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

