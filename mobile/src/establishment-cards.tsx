// The établissement's cards: filtered by status on the server, revalidated
// for the new season in one action for a whole selection (each card checked
// by the server with the core rules, the refused ones listed with their
// reason), and each card's page: suspension and reactivation with a reason,
// and its history (what, when, who).
import { useState } from 'preact/hooks';
import { api, Card, CardEvent } from './api';
import { Column, DeskTable } from './desk';
import { BulkPanel, useBulk } from './establishment-bulk';
import { CARD_EVENT, CARD_STATUS, date, dateTime, groupBy4 } from './format';
import { ErrorBox, Field, OfflineBanner, useLoad } from './ui';

const holder = (c: Card) => `${c.first_name} ${c.last_name}`;

export function CardsDesk() {
  const [status, setStatus] = useState('');
  const { data, error, refresh } = useLoad(() => api.establishmentCards(status || undefined), [status]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const bulk = useBulk();
  const rows = data ?? [];
  const revalidate = () => {
    const ids = rows.filter((c) => selected.has(c.id)).map((c) => c.id);
    void bulk.run(
      { title: `Revalidation de ${ids.length} carte${ids.length > 1 ? 's' : ''} pour la saison`, doneLabel: 'revalidée(s)', refusedLabel: 'refusée(s)' },
      (key) => api.revalidateCards(ids, key),
      () => {
        setSelected(new Set());
        refresh();
      },
    );
  };
  const columns: Column<Card>[] = [
    { key: 'holder', label: 'Titulaire', value: holder },
    { key: 'number', label: 'Numéro', value: (c) => groupBy4(c.number) },
    { key: 'status', label: 'Statut', value: (c) => CARD_STATUS[c.status] ?? c.status },
    { key: 'season', label: 'Saison', value: (c) => c.season },
    { key: 'until', label: 'Valable jusqu’au', value: (c) => c.valid_until, render: (c) => date(c.valid_until) },
    { key: 'reason', label: 'Motif de suspension', value: (c) => c.status_reason ?? '' },
    {
      key: 'detail',
      label: 'Fiche',
      sortable: false,
      value: () => '',
      render: (c) => (
        <a href={`#/etablissement/carte?id=${encodeURIComponent(c.id)}`} aria-label={`Ouvrir la fiche de la carte de ${holder(c)}`}>
          Ouvrir
        </a>
      ),
    },
  ];
  return (
    <section aria-labelledby="cards-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="cards-title">Cartes de l’établissement</h2>
      <ErrorBox error={error} />
      <BulkPanel bulk={bulk} />
      <DeskTable<Card>
        caption="Cartes des jeunes de l’établissement"
        testId="cards"
        rows={rows}
        columns={columns}
        rowKey={(c) => c.id}
        csvName="cartes.csv"
        initialSort={{ key: 'holder', dir: 'asc' }}
        selected={selected}
        onSelect={setSelected}
        filters={
          <Field id="c-status" label="Statut">
            <select id="c-status" value={status} onChange={(e) => (setSelected(new Set()), setStatus((e.target as HTMLSelectElement).value))}>
              <option value="">Tous les statuts</option>
              {Object.entries(CARD_STATUS).map(([v, l]) => (
                <option value={v}>{l}</option>
              ))}
            </select>
          </Field>
        }
        bulkActions={
          <button type="button" class="primary" disabled={bulk.busy} onClick={revalidate}>
            {bulk.busy ? 'Revalidation en cours…' : `Revalider pour la saison (${selected.size})`}
          </button>
        }
      />
      {data && rows.length === 0 && <p>Aucune carte pour ces critères.</p>}
    </section>
  );
}

/** One card: what it is, suspension, reactivation, revalidation, history. */
export function CardDetail({ id }: { id: string }) {
  const cards = useLoad(() => api.establishmentCards());
  const history = useLoad(() => api.cardHistory(id), [id]);
  const [reason, setReason] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const bulk = useBulk();
  const card = cards.data?.find((c) => c.id === id);
  const reload = () => (cards.refresh(), history.refresh());
  const act = async (f: () => Promise<Card>, done: string) => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      await f();
      setNotice(done);
      setReason('');
      reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const columns: Column<CardEvent>[] = [
    { key: 'at', label: 'Date', value: (e) => e.at, render: (e) => dateTime(e.at) },
    { key: 'kind', label: 'Changement', value: (e) => (e.kind ? (CARD_EVENT[e.kind] ?? e.kind) : `Statut : ${CARD_STATUS[e.status] ?? e.status}`) },
    { key: 'status', label: 'Statut ensuite', value: (e) => CARD_STATUS[e.status] ?? e.status },
    { key: 'season', label: 'Saison', value: (e) => e.season ?? '' },
    { key: 'reason', label: 'Motif', value: (e) => e.reason ?? '' },
    { key: 'by', label: 'Par', value: (e) => e.by ?? '' },
  ];
  return (
    <section aria-labelledby="card-title">
      <p>
        <a href="#/etablissement/cartes">← Toutes les cartes</a>
      </p>
      <ErrorBox error={cards.error ?? history.error ?? actionError} />
      {cards.data && !card && <p>Carte introuvable.</p>}
      {card && (
        <>
          <h2 id="card-title">Carte de {holder(card)}</h2>
          <dl class="receipt panel" data-testid="card-facts">
            <dt>Numéro</dt>
            <dd>{groupBy4(card.number)}</dd>
            <dt>Statut</dt>
            <dd>{CARD_STATUS[card.status] ?? card.status}</dd>
            <dt>Saison</dt>
            <dd>{card.season}</dd>
            <dt>Valable jusqu’au</dt>
            <dd>{date(card.valid_until)}</dd>
            {card.status_reason && (
              <>
                <dt>Motif de suspension</dt>
                <dd>{card.status_reason}</dd>
              </>
            )}
          </dl>
          {notice && <p role="status">{notice}</p>}
          {card.status === 'suspendue' ? (
            <button type="button" disabled={busy} onClick={() => void act(() => api.reactivateCard(card.id), 'La carte est réactivée.')}>
              Réactiver la carte
            </button>
          ) : (
            <form
              aria-labelledby="suspend-title"
              onSubmit={(e) => {
                e.preventDefault();
                if (reason.trim()) void act(() => api.suspendCard(card.id, reason.trim()), 'La carte est suspendue.');
              }}
            >
              <h3 id="suspend-title">Suspendre la carte</h3>
              <Field id="suspend-reason" label="Motif de la suspension (gardé dans l’historique, montré au jeune)">
                <input id="suspend-reason" value={reason} maxLength={500} required onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
              </Field>
              <button type="submit" class="danger" disabled={busy}>
                Suspendre
              </button>
            </form>
          )}
          <div class="actions">
            <button
              type="button"
              disabled={bulk.busy}
              onClick={() =>
                void bulk.run(
                  { title: 'Revalidation de la carte', doneLabel: 'revalidée', refusedLabel: 'refusée' },
                  (key) => api.revalidateCards([card.id], key),
                  reload,
                )
              }
            >
              Revalider pour la saison
            </button>
            {card.status !== 'suspendue' && (
              <button
                type="button"
                class="danger"
                disabled={busy}
                onClick={() => {
                  if (confirm('Déclarer cette carte perdue ? Elle est bloquée tout de suite ; une nouvelle carte (nouveau numéro, même solde) part à l’impression.'))
                    void act(() => api.establishmentLostCard(card.id, false), 'Carte bloquée : une nouvelle carte part à l’impression.');
                }}
              >
                Carte perdue ou volée
              </button>
            )}
          </div>
          <BulkPanel bulk={bulk} />
        </>
      )}
      <h3 id="history-title">Historique de la carte</h3>
      {history.data && history.data.length === 0 && <p>Aucun changement enregistré.</p>}
      {history.data && history.data.length > 0 && (
        <DeskTable<CardEvent>
          caption="Suspensions, réactivations et revalidations, les plus récentes d’abord"
          testId="card-history"
          rows={history.data}
          columns={columns}
          rowKey={(e) => `${e.at}-${e.kind ?? e.status}`}
          searchable={false}
          initialSort={{ key: 'at', dir: 'desc' }}
        />
      )}
    </section>
  );
}
