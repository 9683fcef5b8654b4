// The établissement's validation queue: orders filtered on the server by
// status, public and class or diploma; validated or refused one by one or
// for a whole selection (one reason for all), with the result of each.
import { useState } from 'preact/hooks';
import { api, Order, OrderFilter } from './api';
import { Column, DeskTable } from './desk';
import { BulkPanel, useBulk } from './establishment-bulk';
import { date, dateTime, ORDER_STATUS_SHORT, PUBLICS, TRACKS } from './format';
import { ErrorBox, Field, OfflineBanner, useLoad } from './ui';

const publicLabel = (p: string) => PUBLICS.find((x) => x.value === p)?.label ?? p;
const fullName = (o: Order) => `${o.first_name} ${o.last_name}`;

export function OrdersDesk() {
  const [filter, setFilter] = useState<OrderFilter>({ status: 'en_attente' });
  const { data, error, refresh } = useLoad(() => api.establishmentOrders(filter), [filter.status, filter.public, filter.track]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [refusing, setRefusing] = useState<Order | null>(null);
  const [oneReason, setOneReason] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const bulk = useBulk();
  const rows = data ?? [];
  const set = (k: keyof OrderFilter, v: string) => {
    setSelected(new Set());
    setFilter({ ...filter, [k]: v || undefined, ...(k === 'public' ? { track: undefined } : {}) });
  };
  const tracks = filter.public ? (PUBLICS.find((p) => p.value === filter.public)?.tracks ?? []) : Object.keys(TRACKS);

  const decideSelected = (validate: boolean) => {
    if (!validate && !reason.trim()) {
      setReasonError('Indiquez le motif du refus : il est montré à chaque jeune.');
      return;
    }
    setReasonError(null);
    const ids = rows.filter((o) => selected.has(o.id)).map((o) => o.id);
    const n = `${ids.length} commande${ids.length > 1 ? 's' : ''}`;
    void bulk.run(
      validate
        ? { title: `Validation de ${n}`, doneLabel: 'validée(s), carte(s) émise(s)', refusedLabel: 'non traitée(s)' }
        : { title: `Refus de ${n}`, doneLabel: 'refusée(s) avec ce motif', refusedLabel: 'non traitée(s)' },
      (key) => api.decideOrders(ids, validate, validate ? null : reason.trim(), key),
      () => {
        setSelected(new Set());
        setReason('');
        refresh();
      },
    );
  };
  const decideOne = async (o: Order, validate: boolean, why?: string) => {
    setActionError(null);
    try {
      await api.decideOrder(o.id, validate, why);
      setRefusing(null);
      setOneReason('');
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };

  const columns: Column<Order>[] = [
    { key: 'name', label: 'Jeune', value: fullName },
    { key: 'birth', label: 'Né(e) le', value: (o) => o.birth_date, render: (o) => date(o.birth_date) },
    { key: 'public', label: 'Public', value: (o) => publicLabel(o.public) },
    { key: 'track', label: 'Classe ou diplôme', value: (o) => (o.track ? (TRACKS[o.track] ?? o.track) : '') },
    { key: 'disabled', label: 'Handicap reconnu', value: (o) => (o.disabled ? 'Oui' : 'Non') },
    { key: 'created', label: 'Reçue le', value: (o) => o.created_at, render: (o) => dateTime(o.created_at) },
    {
      key: 'status',
      label: 'Statut',
      value: (o) => `${ORDER_STATUS_SHORT[o.status] ?? o.status}${o.reason ? ` : ${o.reason}` : ''}`,
    },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      value: () => '',
      render: (o) =>
        o.status === 'en_attente' ? (
          <div class="actions">
            <button type="button" class="primary" aria-label={`Valider la commande de ${fullName(o)}`} onClick={() => void decideOne(o, true)}>
              Valider
            </button>
            <button type="button" aria-label={`Refuser la commande de ${fullName(o)}`} onClick={() => (setRefusing(o), setOneReason(''))}>
              Refuser
            </button>
          </div>
        ) : null,
    },
  ];

  return (
    <section aria-labelledby="orders-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="orders-title">Commandes</h2>
      <ErrorBox error={error ?? actionError} />
      {refusing && (
        <form
          class="panel"
          aria-labelledby="refuse-one-title"
          onSubmit={(e) => {
            e.preventDefault();
            if (oneReason.trim()) void decideOne(refusing, false, oneReason.trim());
          }}
        >
          <h3 id="refuse-one-title">Refuser la commande de {fullName(refusing)}</h3>
          <Field id="refuse-one-reason" label="Motif du refus (montré au jeune)">
            <input id="refuse-one-reason" value={oneReason} maxLength={500} required onInput={(e) => setOneReason((e.target as HTMLInputElement).value)} />
          </Field>
          <div class="actions">
            <button type="submit" class="danger">
              Confirmer le refus
            </button>
            <button type="button" onClick={() => setRefusing(null)}>
              Annuler
            </button>
          </div>
        </form>
      )}
      <BulkPanel bulk={bulk} />
      <DeskTable<Order>
        caption="File de validation des commandes"
        testId="orders"
        rows={rows}
        columns={columns}
        rowKey={(o) => o.id}
        csvName="commandes.csv"
        initialSort={{ key: 'created', dir: 'asc' }}
        selected={selected}
        onSelect={setSelected}
        filters={
          <>
            <Field id="o-status" label="Statut">
              <select id="o-status" value={filter.status ?? ''} onChange={(e) => set('status', (e.target as HTMLSelectElement).value)}>
                <option value="en_attente">En attente</option>
                <option value="validee">Validées</option>
                <option value="refusee">Refusées</option>
                <option value="">Toutes</option>
              </select>
            </Field>
            <Field id="o-public" label="Public">
              <select id="o-public" value={filter.public ?? ''} onChange={(e) => set('public', (e.target as HTMLSelectElement).value)}>
                <option value="">Tous les publics</option>
                {PUBLICS.map((p) => (
                  <option value={p.value}>{p.label}</option>
                ))}
              </select>
            </Field>
            <Field id="o-track" label="Classe ou diplôme">
              <select id="o-track" value={filter.track ?? ''} onChange={(e) => set('track', (e.target as HTMLSelectElement).value)}>
                <option value="">Toutes les classes</option>
                {tracks.map((t) => (
                  <option value={t}>{TRACKS[t] ?? t}</option>
                ))}
              </select>
            </Field>
          </>
        }
        bulkActions={
          <>
            <button type="button" class="primary" disabled={bulk.busy} onClick={() => decideSelected(true)}>
              {bulk.busy ? 'Patientez…' : `Valider la sélection (${selected.size})`}
            </button>
            <Field id="o-bulk-reason" label="Motif du refus (pour toute la sélection)" error={reasonError}>
              <input
                id="o-bulk-reason"
                value={reason}
                maxLength={500}
                aria-describedby={reasonError ? 'o-bulk-reason-error' : undefined}
                aria-invalid={reasonError ? 'true' : undefined}
                onInput={(e) => setReason((e.target as HTMLInputElement).value)}
              />
            </Field>
            <button type="button" class="danger" disabled={bulk.busy} onClick={() => decideSelected(false)}>
              Refuser la sélection avec ce motif
            </button>
          </>
        }
      />
      {data && rows.length === 0 && <p>Aucune commande pour ces critères.</p>}
    </section>
  );
}
