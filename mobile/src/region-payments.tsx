// The Région's payment desk (ADR 0030): closed batches waiting for payment
// (with what blocks them), a payment run (ordre de virement, SEPA pain.001)
// made from the selected ones, the runs and their transfers, the import of
// the bank's statement (camt.054 / camt.053), a payment by hand with the
// bank's reference, and the accounting journal. The server decides all of it.
import { useState } from 'preact/hooks';
import { api, PaymentRun, QueuedBatch, StatementImport, uuidv4 } from './api';
import { Column, DeskTable } from './desk';
import { dateTime, euros, STATEMENT_ENTRY_RESULT, TRANSFER_STATUS } from './format';
import { DownloadButton, StatementDownloads } from './statements';
import { ErrorBox, Field, OfflineBanner, useLoad } from './ui';

export function RegionPayments() {
  const queue = useLoad(() => api.paymentQueue());
  const runs = useLoad(() => api.paymentRuns());
  const refresh = () => {
    queue.refresh();
    runs.refresh();
  };
  return (
    <section aria-labelledby="pay-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="pay-title">Paiements des partenaires</h2>
      <Queue rows={queue.data ?? []} error={queue.error} onChange={refresh} />
      <ImportStatement onChange={refresh} />
      <Runs runs={runs.data ?? []} error={runs.error} onChange={refresh} />
      <Journal />
    </section>
  );
}

/** Marks a batch paid by hand, asking for the bank's reference. */
async function payByHand(id: string): Promise<boolean> {
  const reference = prompt('Référence du virement donnée par la banque :');
  if (!reference) return false;
  await api.payBatch(id, reference);
  return true;
}

function Queue({ rows, error, onChange }: { rows: QueuedBatch[]; error: unknown; onChange: () => void }) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [made, setMade] = useState<PaymentRun | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const act = async (f: () => Promise<unknown>) => {
    setActionError(null);
    setBusy(true);
    try {
      await f();
      onChange();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const createRun = () =>
    act(async () => {
      const run = await api.createPaymentRun([...selected], uuidv4());
      setMade(run);
      setSelected(new Set());
    });
  const columns: Column<QueuedBatch>[] = [
    { key: 'partner', label: 'Partenaire', value: (q) => q.batch.partner_name },
    { key: 'payable', label: 'À payer', value: (q) => Number(q.batch.payable), render: (q) => euros(q.batch.payable) },
    { key: 'period', label: 'Lot arrêté au', value: (q) => q.batch.period_end, render: (q) => dateTime(q.batch.period_end) },
    {
      key: 'state',
      label: 'État',
      value: (q) => q.blocked ?? (q.batch.rejection_reason ? `rejeté : ${q.batch.rejection_reason}` : 'prêt'),
    },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      value: () => '',
      render: (q) => (
        <button type="button" disabled={busy} onClick={() => act(() => payByHand(q.batch.id))}>
          Marquer payé…
        </button>
      ),
    },
  ];
  return (
    <>
      <h3>Lots clos à payer</h3>
      <ErrorBox error={error ?? actionError} />
      <DeskTable
        caption="Lots clos en attente de paiement"
        rows={rows}
        columns={columns}
        rowKey={(q) => q.batch.id}
        testId="payment-queue"
        csvName="lots-a-payer.csv"
        selected={selected}
        onSelect={setSelected}
        bulkActions={
          <button type="button" class="primary" disabled={busy} onClick={createRun}>
            Créer l’ordre de virement ({selected.size} lot(s))
          </button>
        }
      />
      {made && (
        <div class="notice" role="status" data-testid="run-made">
          <p>
            Ordre de virement {made.id} : {made.transactions} virement(s), {euros(made.total)}, exécution le {made.execution_date}.
          </p>
          {(made.blocked ?? []).length > 0 && (
            <ul>
              {(made.blocked ?? []).map((b) => (
                <li>
                  {b.partner_name} : {b.reason}
                </li>
              ))}
            </ul>
          )}
          <DownloadButton
            path={`/api/region/payment-runs/${encodeURIComponent(made.id)}/pain.001.xml`}
            name={`ordre-de-virement-${made.id}.pain.001.xml`}
            label="Télécharger le fichier de virement (pain.001)"
          />
        </div>
      )}
    </>
  );
}

function Runs({ runs, error, onChange }: { runs: PaymentRun[]; error: unknown; onChange: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const columns: Column<PaymentRun>[] = [
    { key: 'created', label: 'Créé le', value: (r) => r.created_at, render: (r) => dateTime(r.created_at) },
    { key: 'by', label: 'Par', value: (r) => r.created_by },
    { key: 'count', label: 'Virements', value: (r) => r.transactions },
    { key: 'total', label: 'Total', value: (r) => Number(r.total), render: (r) => euros(r.total) },
    {
      key: 'state',
      label: 'Suivi',
      value: (r) => r.transfers.map((t) => TRANSFER_STATUS[t.status] ?? t.status).join(', '),
      render: (r) => {
        const paid = r.transfers.filter((t) => t.status === 'paye').length;
        const rejected = r.transfers.filter((t) => t.status === 'rejete').length;
        return `${paid} payé(s), ${rejected} rejeté(s), ${r.transfers.length - paid - rejected} en attente`;
      },
    },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      value: () => '',
      render: (r) => (
        <>
          <DownloadButton
            path={`/api/region/payment-runs/${encodeURIComponent(r.id)}/pain.001.xml`}
            name={`ordre-de-virement-${r.id}.pain.001.xml`}
            label="pain.001"
          />
          <button type="button" class="link" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
            {open === r.id ? 'Masquer' : 'Virements'}
          </button>
        </>
      ),
    },
  ];
  const shown = runs.find((r) => r.id === open);
  return (
    <>
      <h3>Ordres de virement</h3>
      <ErrorBox error={error ?? actionError} />
      <DeskTable caption="Ordres de virement" rows={runs} columns={columns} rowKey={(r) => r.id} testId="payment-runs" searchable={false} />
      {shown && (
        <ul class="list" data-testid="run-transfers">
          {shown.transfers.map((t) => (
            <li class="item">
              <div class="row">
                <strong>{t.partner_name}</strong>
                <span class="value">{euros(t.amount)}</span>
              </div>
              <small>
                {t.iban} · {TRANSFER_STATUS[t.status] ?? t.status}
                {t.bank_reference && ` · référence ${t.bank_reference}`}
                {t.booked_on && ` · le ${t.booked_on}`}
                {t.reason && ` · motif : ${t.reason}`}
              </small>
              {t.status === 'envoye' && (
                <div class="actions">
                  <button
                    type="button"
                    onClick={async () => {
                      setActionError(null);
                      try {
                        if (await payByHand(t.batch_id)) onChange();
                      } catch (e) {
                        setActionError(e);
                      }
                    }}
                  >
                    Marquer payé…
                  </button>
                </div>
              )}
              <StatementDownloads batchId={t.batch_id} base="/api/region/reimbursements" />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ImportStatement({ onChange }: { onChange: () => void }) {
  const [result, setResult] = useState<StatementImport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onFile = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      setResult(await api.importBankStatement(await file.text(), uuidv4()));
      onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      input.value = '';
    }
  };
  return (
    <>
      <h3>Relevé de la banque</h3>
      <Field id="camt-file" label="Importer un relevé camt.054 ou camt.053 (XML)">
        <input id="camt-file" type="file" accept=".xml,application/xml,text/xml" disabled={busy} onChange={onFile} />
      </Field>
      <ErrorBox error={error} />
      {result && (
        <div role="status" data-testid="camt-result">
          <p>
            {result.message} : {result.paid} lot(s) payé(s), {result.rejected} rejeté(s), {result.unchanged} sans changement.
          </p>
          <ul class="list">
            {result.entries.map((e) => (
              <li class="item">
                {e.partner_name ?? e.end_to_end_id} · {euros(e.amount)} · {STATEMENT_ENTRY_RESULT[e.result] ?? e.result}
                {e.reason && ` · ${e.reason}`}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

function Journal() {
  const today = new Date().toISOString().slice(0, 10);
  const [from, setFrom] = useState(`${today.slice(0, 7)}-01`);
  const [to, setTo] = useState(today);
  return (
    <>
      <h3>Journal comptable</h3>
      <div class="row">
        <Field id="journal-from" label="Du">
          <input id="journal-from" type="date" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="journal-to" label="Au">
          <input id="journal-to" type="date" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </Field>
      </div>
      <DownloadButton
        path={`/api/region/accounting-journal?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`}
        name={`journal-pass-region-${from}-${to}.csv`}
        label="Télécharger le journal (CSV)"
      />
    </>
  );
}
