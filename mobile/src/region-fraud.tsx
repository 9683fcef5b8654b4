// The Region's fraud and anomalies desk: offline overspends from sync,
// card numbers locked after wrong birth dates, locked accounts, unusual
// refund rates and debits at night. Each item links to its card or partner
// and is marked handled once, with a note (alone or a selection at once).
import { useState } from 'preact/hooks';
import { Column, DeskTable } from './desk';
import { ANOMALY_KIND, dateTime, euros, OFFLINE_DEBIT_STATUS, words } from './format';
import { Anomaly, regionDesk } from './region-api';
import { ErrorBox, OfflineBanner, useLoad } from './ui';

const cardLink = (a: Anomaly) =>
  a.card_id ? (
    <a href={`#/region/recherche?carte=${encodeURIComponent(a.card_id)}`}>Carte {a.card ?? ''}</a>
  ) : (
    a.card ?? '—'
  );

const partnerLink = (a: Anomaly) =>
  a.partner_id ? <a href={`#/region/partenaires?id=${encodeURIComponent(a.partner_id)}`}>{a.partner_name ?? 'Partenaire'}</a> : '—';

const handledText = (a: Anomaly) =>
  a.handled ? `Traité le ${dateTime(a.handled.at)} par ${a.handled.by_name}` : 'À traiter';

/** The desk; `canHandle` (the instruction, the administrators) shows the controls that mark items handled. */
export function RegionFraud({ canHandle = true }: { canHandle?: boolean }) {
  const { data, error, refresh } = useLoad(() => regionDesk.anomalies());
  const [kind, setKind] = useState('');
  const [state, setState] = useState('a_traiter');
  const [openId, setOpenId] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkNote, setBulkNote] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const [done, setDone] = useState('');

  const all = data ?? [];
  const rows = all.filter(
    (a) => (!kind || a.kind === kind) && (state === 'tous' || (state === 'traites' ? !!a.handled : !a.handled)),
  );
  const open = all.find((a) => a.id === openId) ?? null;

  const columns: Column<Anomaly>[] = [
    { key: 'at', label: 'Date', value: (a) => a.at, render: (a) => dateTime(a.at) },
    { key: 'kind', label: 'Type', value: (a) => words(ANOMALY_KIND, a.kind) },
    { key: 'summary', label: 'Détail', value: (a) => a.summary },
    { key: 'card', label: 'Carte', value: (a) => a.card ?? '', render: cardLink },
    { key: 'partner', label: 'Partenaire', value: (a) => a.partner_name ?? '', render: partnerLink },
    { key: 'amount', label: 'Montant', value: (a) => (a.amount ? euros(a.amount) : ''), sortable: false },
    { key: 'state', label: 'État', value: handledText },
    {
      key: 'action',
      label: 'Action',
      value: () => '',
      sortable: false,
      render: (a) => (
        <button type="button" onClick={() => (setOpenId(a.id), setDone(''))} aria-expanded={openId === a.id}>
          {a.handled || !canHandle ? 'Voir' : 'Traiter'}
        </button>
      ),
    },
  ];

  const markSelected = async () => {
    setActionError(null);
    const ids = [...selected].filter((id) => all.some((a) => a.id === id && !a.handled));
    if (!bulkNote.trim()) {
      setActionError(new Error('Indiquez une note pour la sélection.'));
      return;
    }
    let n = 0;
    try {
      for (const id of ids) {
        await regionDesk.markHandled(id, bulkNote.trim());
        n++;
      }
      setSelected(new Set());
      setBulkNote('');
      setDone(`${n} anomalie${n > 1 ? 's' : ''} marquée${n > 1 ? 's' : ''} traitée${n > 1 ? 's' : ''}.`);
    } catch (e) {
      setActionError(e);
    }
    refresh();
  };

  return (
    <section>
      <OfflineBanner onRefresh={refresh} />
      <h2>Fraude et anomalies</h2>
      <ErrorBox error={error ?? actionError} />
      <p role="status" class="ok" data-testid="fraud-done">
        {done}
      </p>
      {data && (
        <DeskTable
          caption="Anomalies, les plus récentes d’abord"
          rows={rows}
          columns={columns}
          rowKey={(a) => a.id}
          csvName="anomalies.csv"
          testId="anomalies"
          selected={canHandle ? selected : undefined}
          onSelect={canHandle ? setSelected : undefined}
          filters={
            <>
              <div class="field">
                <label for="fraud-kind">Type</label>
                <select id="fraud-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
                  <option value="">Tous les types</option>
                  {Object.entries(ANOMALY_KIND).map(([code, label]) => (
                    <option value={code}>{label}</option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="fraud-state">État</label>
                <select id="fraud-state" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
                  <option value="a_traiter">À traiter</option>
                  <option value="traites">Traités</option>
                  <option value="tous">Tous</option>
                </select>
              </div>
            </>
          }
          bulkActions={
            <>
              <div class="field">
                <label for="fraud-bulk-note">Note pour la sélection</label>
                <textarea id="fraud-bulk-note" rows={2} maxLength={1000} value={bulkNote} onInput={(e) => setBulkNote((e.target as HTMLTextAreaElement).value)} />
              </div>
              <button type="button" onClick={markSelected}>
                Marquer traités ({selected.size})
              </button>
            </>
          }
        />
      )}
      {data && all.length === 0 && <p>Aucune anomalie.</p>}
      {open && <AnomalyPanel a={open} canHandle={canHandle} onClose={() => setOpenId(null)} onHandled={(msg) => (setDone(msg), refresh())} />}
    </section>
  );
}

function AnomalyPanel({ a, canHandle, onClose, onHandled }: { a: Anomaly; canHandle: boolean; onClose: () => void; onHandled: (msg: string) => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!note.trim()) {
      setFieldError('Indiquez ce qui a été fait.');
      return;
    }
    setFieldError(null);
    setBusy(true);
    try {
      await regionDesk.markHandled(a.id, note.trim());
      setNote('');
      onHandled('Anomalie marquée traitée.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="anomaly-title" data-testid="anomaly-panel">
      <div class="row">
        <h3 id="anomaly-title">{words(ANOMALY_KIND, a.kind)}</h3>
        <button type="button" class="link" onClick={onClose}>
          Fermer
        </button>
      </div>
      <p>{a.summary}</p>
      {a.outcome && (
        <p>
          <strong>Suite donnée : </strong>
          {a.outcome}
        </p>
      )}
      <p>
        {a.card_id && <>{cardLink(a)} · </>}
        {a.partner_id && <>Partenaire : {partnerLink(a)} · </>}
        {a.amount && <>Montant : {euros(a.amount)} · </>}
        {dateTime(a.at)}
      </p>
      {a.offline_debits.length > 0 && (
        <div class="table-scroll">
          <table class="desk" data-testid="offline-debits">
            <caption>Débits hors ligne de la carte jusqu’au signalement</caption>
            <thead>
              <tr>
                <th scope="col">Reçu le</th>
                <th scope="col">Partenaire</th>
                <th scope="col">Appareil</th>
                <th scope="col">Débité hors ligne</th>
                <th scope="col">Remboursé au partenaire</th>
                <th scope="col">Résultat</th>
              </tr>
            </thead>
            <tbody>
              {a.offline_debits.map((d) => (
                <tr>
                  <td>{dateTime(d.received_at)}</td>
                  <td>
                    <a href={`#/region/partenaires?id=${encodeURIComponent(d.partner_id)}`}>{d.partner_name}</a>
                  </td>
                  <td>{d.device_label}</td>
                  <td>{euros(d.debited)}</td>
                  <td>{d.paid ? euros(d.paid) : '—'}</td>
                  <td>
                    {words(OFFLINE_DEBIT_STATUS, d.status)}
                    {d.triggered && ' · a déclenché le signalement'}
                    {d.message && ` · ${d.message}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {a.handled ? (
        <p data-testid="handled" class="ok">
          {handledText(a)} : {a.handled.note}
        </p>
      ) : !canHandle ? (
        <p>Le traitement des anomalies est réservé au service instruction de la Région.</p>
      ) : (
        <form onSubmit={submit} noValidate>
          <div class={`field${fieldError ? ' has-error' : ''}`}>
            <label for="anomaly-note">Note de traitement</label>
            <textarea
              id="anomaly-note"
              rows={3}
              maxLength={1000}
              value={note}
              aria-describedby={fieldError ? 'anomaly-note-error' : undefined}
              onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
            />
            {fieldError && (
              <small id="anomaly-note-error" class="field-error" role="alert">
                {fieldError}
              </small>
            )}
          </div>
          <ErrorBox error={error} />
          <button type="submit" class="primary" disabled={busy}>
            Marquer traité
          </button>
        </form>
      )}
    </section>
  );
}
