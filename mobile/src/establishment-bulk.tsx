// The établissement's bulk actions: one call for a whole selection (orders
// validated or refused, cards revalidated), with an Idempotency-Key kept
// for a retry, and the panel of results listing each refused item with its
// reason (from the server, in French).
import { useEffect, useRef, useState } from 'preact/hooks';
import { BulkItem, BulkResult, uuidv4 } from './api';
import { DeskTable } from './desk';
import { ErrorBox } from './ui';

interface Shown {
  title: string;
  /** How the done ones are counted, e.g. `revalidée(s)`. */
  doneLabel: string;
  /** How the refused ones are counted, e.g. `refusée(s)`. */
  refusedLabel: string;
  result: BulkResult;
}

/** Runs bulk calls: busy state, error, a retry with the same key, the last result. */
export function useBulk() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [retry, setRetry] = useState<(() => Promise<void>) | null>(null);
  const run = async (
    labels: { title: string; doneLabel: string; refusedLabel: string },
    call: (key: string) => Promise<BulkResult>,
    after: () => void,
  ) => {
    // One key per action: a retry after a lost answer is the same call, so
    // the server answers what it did and does nothing twice.
    const key = uuidv4();
    const attempt = async () => {
      setBusy(true);
      setError(null);
      try {
        const result = await call(key);
        setShown({ ...labels, result });
        setRetry(null);
        after();
      } catch (e) {
        setError(e);
        setRetry(() => attempt);
      } finally {
        setBusy(false);
      }
    };
    setShown(null);
    await attempt();
  };
  return { busy, error, shown, retry, run, close: () => setShown(null) };
}

export type Bulk = ReturnType<typeof useBulk>;

/** The error of a bulk call (with its retry) and the panel of its results. */
export function BulkPanel({ bulk }: { bulk: Bulk }) {
  return (
    <>
      {bulk.error ? (
        <div class="panel warn">
          <ErrorBox error={bulk.error} />
          {bulk.retry && (
            <button type="button" disabled={bulk.busy} onClick={() => void bulk.retry?.()}>
              Réessayer la même action
            </button>
          )}
        </div>
      ) : null}
      {bulk.shown && <BulkResults shown={bulk.shown} onClose={bulk.close} />}
    </>
  );
}

function BulkResults({ shown, onClose }: { shown: Shown; onClose: () => void }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), [shown]);
  const { result } = shown;
  const refused = result.items.filter((i) => i.status === 'refused');
  return (
    <section class="panel" aria-labelledby="bulk-title" data-testid="bulk-results" tabIndex={-1} ref={ref}>
      <h3 id="bulk-title">{shown.title}</h3>
      <p role="status" data-testid="bulk-summary">
        {result.done} {shown.doneLabel}, {result.refused} {shown.refusedLabel}
        {result.refused > 0 ? ' (motifs ci-dessous).' : '.'}
      </p>
      {refused.length > 0 && (
        <DeskTable<BulkItem>
          caption="Éléments refusés et leur motif"
          testId="bulk-refused"
          rows={refused}
          rowKey={(i) => i.id}
          pageSize={50}
          searchable={false}
          csvName="refus.csv"
          columns={[
            { key: 'name', label: 'Jeune', value: (i) => i.name || 'Inconnu de l’établissement' },
            { key: 'message', label: 'Motif du refus', value: (i) => i.message ?? '' },
          ]}
        />
      )}
      <button type="button" onClick={onClose}>
        Fermer le résultat
      </button>
    </section>
  );
}
