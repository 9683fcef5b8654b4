// Support's card and youth look-up (card number, e-mail or name) with the
// card's balances and ledger, and the journal of look-ups: every look-up is
// recorded (who, when, the kind of query; never its text).
import { useEffect, useState } from 'preact/hooks';
import { Column, DeskTable } from './desk';
import { amount, CARD_STATUS, CHANNEL, date, dateTime, groupBy4, LEDGER_MOVEMENT, LOOKUP_KIND, words } from './format';
import { LedgerLine, LookupAuditEntry, LookupCard, LookupResult, regionDesk } from './region-api';
import { ErrorBox, OfflineBanner } from './ui';

const LEDGER_COLUMNS: Column<LedgerLine>[] = [
  { key: 'at', label: 'Date', value: (l) => l.at, render: (l) => dateTime(l.at) },
  { key: 'movement', label: 'Mouvement', value: (l) => words(LEDGER_MOVEMENT, l.movement) },
  { key: 'avantage', label: 'Avantage', value: (l) => l.avantage_label },
  { key: 'units', label: 'Montant', value: (l) => amount(l.unit_kind, l.units), sortable: false },
  { key: 'after', label: 'Solde après', value: (l) => amount(l.unit_kind, l.balance_after), sortable: false },
  { key: 'partner', label: 'Partenaire', value: (l) => l.partner_name ?? '—' },
  { key: 'channel', label: 'Canal', value: (l) => (l.channel ? words(CHANNEL, l.channel) : '—') },
];

const AUDIT_COLUMNS: Column<LookupAuditEntry>[] = [
  { key: 'at', label: 'Date', value: (e) => e.at, render: (e) => dateTime(e.at) },
  { key: 'who', label: 'Agent', value: (e) => e.account_name },
  { key: 'kind', label: 'Recherche par', value: (e) => words(LOOKUP_KIND, e.query_kind) },
  { key: 'results', label: 'Cartes affichées', value: (e) => e.results },
  { key: 'hash', label: 'Empreinte de la recherche', value: (e) => e.query_hash.slice(0, 16), sortable: false },
];

export function RegionLookup({ hash }: { hash: string }) {
  const cardId = new URLSearchParams(hash.split('?')[1] ?? '').get('carte');
  const [q, setQ] = useState('');
  const [result, setResult] = useState<LookupResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [auditTick, setAuditTick] = useState(0);

  const run = async (f: () => Promise<LookupResult>) => {
    setBusy(true);
    setError(null);
    try {
      setResult(await f());
    } catch (e) {
      setResult(null);
      setError(e);
    } finally {
      setBusy(false);
      setAuditTick((t) => t + 1);
    }
  };

  useEffect(() => {
    if (cardId) void run(() => regionDesk.lookupCard(cardId));
  }, [cardId]);

  return (
    <section>
      <OfflineBanner />
      <h2>Recherche de carte ou de jeune</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (q.trim()) void run(() => regionDesk.lookup(q.trim()));
        }}
      >
        <div class="field">
          <label for="lookup-q">Numéro de carte, adresse e-mail ou nom</label>
          <small id="lookup-q-hint" class="hint">
            Chaque recherche est enregistrée dans le journal (agent, date, type de recherche), sans son texte.
          </small>
          <input id="lookup-q" type="search" aria-describedby="lookup-q-hint" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Rechercher
        </button>
      </form>
      <ErrorBox error={error} />
      {result && (
        <div data-testid="lookup-result">
          <p role="status">
            {result.cards.length === 0
              ? 'Aucune carte trouvée.'
              : `${result.cards.length} carte${result.cards.length > 1 ? 's' : ''} trouvée${result.cards.length > 1 ? 's' : ''} (${words(LOOKUP_KIND, result.kind).toLowerCase()}).`}
            {result.truncated && ' D’autres cartes correspondent : précisez la recherche.'}
          </p>
          {result.cards.map((c) => (
            <CardRecord c={c} />
          ))}
        </div>
      )}
      <LookupJournal tick={auditTick} />
    </section>
  );
}

function CardRecord({ c }: { c: LookupCard }) {
  return (
    <article class="panel" data-testid="lookup-card" aria-labelledby={`card-${c.card_id}`}>
      <h3 id={`card-${c.card_id}`}>
        {c.first_name} {c.last_name} · carte {groupBy4(c.number)}
      </h3>
      <div class="receipt">
        <dl>
        <dt>État</dt>
        <dd>
          {words(CARD_STATUS, c.status)}
          {c.status_reason && ` (${c.status_reason})`}
          {c.flagged && ' · signalée pour dépassement hors ligne'}
        </dd>
        <dt>Saison</dt>
        <dd>{c.season}</dd>
        <dt>Date de naissance</dt>
        <dd>{date(c.birth_date)}</dd>
        <dt>Adresse e-mail</dt>
        <dd>{c.email}</dd>
        <dt>Établissement</dt>
        <dd>{c.establishment_name}</dd>
        </dl>
      </div>
      <h4>Soldes</h4>
      <ul class="list">
        {c.balances.map((b) => (
          <li class="item row">
            <span>{b.label}</span>
            <span class="value">
              {amount(b.kind, b.remaining)} sur {amount(b.kind, b.loaded)}
            </span>
          </li>
        ))}
      </ul>
      <DeskTable
        caption={`Historique du compte de ${c.first_name} ${c.last_name}${c.ledger_truncated ? ' (les plus anciens mouvements ne sont pas affichés)' : ''}`}
        rows={c.ledger}
        columns={LEDGER_COLUMNS}
        rowKey={(l) => String(l.id)}
        pageSize={20}
        searchable={false}
        csvName={`historique-${c.number.slice(-4)}.csv`}
        testId={`ledger-${c.card_id}`}
      />
    </article>
  );
}

function LookupJournal({ tick }: { tick: number }) {
  const [items, setItems] = useState<LookupAuditEntry[]>([]);
  const [older, setOlder] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    regionDesk
      .lookupAudit(null, 50)
      .then((p) => (setItems(p.items), setOlder(p.older_cursor), setError(null)))
      .catch(setError);
  }, [tick]);
  const more = async () => {
    try {
      const p = await regionDesk.lookupAudit(older, 50);
      setItems((list) => [...list, ...p.items]);
      setOlder(p.older_cursor);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="journal-title">
      <h3 id="journal-title">Journal des recherches</h3>
      <ErrorBox error={error} />
      <DeskTable caption="Recherches faites par le support, les plus récentes d’abord" rows={items} columns={AUDIT_COLUMNS} rowKey={(e) => String(e.id)} csvName="journal-recherches.csv" testId="lookup-audit" />
      {older !== null && (
        <button type="button" onClick={more}>
          Charger plus
        </button>
      )}
    </section>
  );
}
