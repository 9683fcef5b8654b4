// The Region's live transaction feed: the newest page first, older pages
// on demand ("Charger plus", with a cursor: no limit on how far back), and
// new transactions polled every 10 s and put at the top, announced to
// screen readers. Nothing is ever reloaded in full.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Transaction } from './api';
import { Column, DeskTable } from './desk';
import { amount, CHANNEL, dateTime, euros, REIMBURSEMENT_STATUS, TRANSACTION_KIND, words } from './format';
import { regionDesk } from './region-api';
import { ErrorBox, OfflineBanner } from './ui';

/** How often new transactions are asked for. */
export const FEED_POLL_MS = 10_000;
/** Pages of new rows read in one poll at most (100 each); the rest at the next. */
const POLL_PAGES = 20;

const COLUMNS: Column<Transaction>[] = [
  { key: 'created_at', label: 'Date', value: (t) => t.created_at, render: (t) => dateTime(t.created_at) },
  { key: 'partner', label: 'Partenaire', value: (t) => t.partner_name },
  { key: 'card', label: 'Carte', value: (t) => t.card },
  { key: 'avantage', label: 'Avantage', value: (t) => t.avantage_label || t.avantage },
  { key: 'kind', label: 'Type', value: (t) => words(TRANSACTION_KIND, t.kind) },
  {
    key: 'amount',
    label: 'Sur la carte',
    value: (t) => `${t.kind === 'refund' ? '+' : '−'}${amount(t.unit_kind, t.debited)}`,
    sortable: false,
  },
  { key: 'paid', label: 'Dû au partenaire', value: (t) => euros(t.reimbursed_amount), sortable: false },
  { key: 'channel', label: 'Canal', value: (t) => words(CHANNEL, t.channel) },
  { key: 'reimbursement', label: 'Remboursement', value: (t) => words(REIMBURSEMENT_STATUS, t.reimbursement_status) },
];

export function RegionFeed() {
  const [rows, setRows] = useState<Transaction[]>([]);
  const [older, setOlder] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [announce, setAnnounce] = useState('');
  const [channel, setChannel] = useState('');
  const [status, setStatus] = useState('');
  const newest = useRef<number | null>(null);
  const polling = useRef(false);

  const loadFirst = useCallback(async () => {
    try {
      const page = await regionDesk.feed(null, 100);
      newest.current = page.newest_cursor;
      setRows(page.items);
      setOlder(page.older_cursor);
      setError(null);
      setLoaded(true);
    } catch (e) {
      setError(e);
    }
  }, []);

  const poll = useCallback(async () => {
    if (polling.current || newest.current === null || document.hidden) return;
    polling.current = true;
    try {
      const fresh: Transaction[] = [];
      for (let i = 0; i < POLL_PAGES; i++) {
        const page = await regionDesk.feedNewer(newest.current, 100);
        newest.current = page.newest_cursor;
        fresh.unshift(...page.items);
        if (!page.more_newer) break;
      }
      if (fresh.length > 0) {
        setRows((list) => {
          const known = new Set(list.map((t) => t.id));
          return [...fresh.filter((t) => !known.has(t.id)), ...list];
        });
        setAnnounce(`${fresh.length} nouvelle${fresh.length > 1 ? 's' : ''} transaction${fresh.length > 1 ? 's' : ''} en tête de liste.`);
      }
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      polling.current = false;
    }
  }, []);

  useEffect(() => {
    void loadFirst();
    const timer = setInterval(() => void poll(), FEED_POLL_MS);
    return () => clearInterval(timer);
  }, [loadFirst, poll]);

  const loadMore = async () => {
    if (older === null) return;
    setLoadingMore(true);
    try {
      const page = await regionDesk.feed(older, 100);
      setRows((list) => {
        const known = new Set(list.map((t) => t.id));
        return [...list, ...page.items.filter((t) => !known.has(t.id))];
      });
      setOlder(page.older_cursor);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  const shown = rows.filter((t) => (!channel || t.channel === channel) && (!status || t.reimbursement_status === status));
  return (
    <section>
      <OfflineBanner onRefresh={() => void poll()} />
      <h2>Transactions en direct</h2>
      <p class="hint">
        Les nouvelles transactions s’ajoutent en tête de liste toutes les {FEED_POLL_MS / 1000} secondes, sans recharger la page.
      </p>
      <p class="hint" role="status" aria-live="polite" data-testid="feed-announce">
        {announce}
      </p>
      <ErrorBox error={error} />
      {!loaded && !error && <p>Chargement…</p>}
      {loaded && (
        <DeskTable
          caption={`Transactions chargées : ${rows.length}${older !== null ? ' (des plus anciennes restent à charger)' : ''}`}
          rows={shown}
          columns={COLUMNS}
          rowKey={(t) => t.id}
          pageSize={50}
          csvName="transactions.csv"
          testId="region-feed"
          filters={
            <>
              <div class="field">
                <label for="feed-channel">Canal</label>
                <select id="feed-channel" value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}>
                  <option value="">Tous les canaux</option>
                  {Object.entries(CHANNEL).map(([code, label]) => (
                    <option value={code}>{label}</option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="feed-status">Remboursement</label>
                <select id="feed-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
                  <option value="">Tous</option>
                  {['en_attente', 'en_cours_de_remboursement', 'rembourse', 'compense'].map((code) => (
                    <option value={code}>{words(REIMBURSEMENT_STATUS, code)}</option>
                  ))}
                </select>
              </div>
            </>
          }
        />
      )}
      {older !== null && (
        <button type="button" onClick={loadMore} disabled={loadingMore} data-testid="feed-more">
          {loadingMore ? 'Chargement…' : 'Charger plus'}
        </button>
      )}
      {loaded && older === null && rows.length > 0 && <p class="hint">Toutes les transactions sont chargées.</p>}
    </section>
  );
}
