// The Region's print queue: cards to print and post, the CSV for the card
// maker, marking them posted, the late ones first.
import { useState } from 'preact/hooks';
import { fileUrl, partnerApi } from './api';
import type { components } from './api-schema';
import { dateTime } from './format';
import { ErrorBox, OfflineBanner, useLoad } from './ui';
import { Column, DeskTable } from './desk';

type PrintItem = components['schemas']['PrintItem'];

export function PrintQueue() {
  const { data, error, refresh } = useLoad(() => partnerApi.printQueue());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const rows = data ?? [];
  const late = rows.filter((r) => r.late).length;
  const columns: Column<PrintItem>[] = [
    { key: 'name', label: 'Titulaire', value: (r) => `${r.last_name} ${r.first_name}` },
    { key: 'number', label: 'Numéro', value: (r) => r.number },
    { key: 'etab', label: 'Établissement', value: (r) => r.establishment },
    { key: 'city', label: 'Adresse', value: (r) => `${r.address}, ${r.postal_code} ${r.city}` },
    { key: 'since', label: 'En attente depuis', value: (r) => r.waiting_since, render: (r) => dateTime(r.waiting_since) },
    { key: 'late', label: 'Retard', value: (r) => (r.late ? 'En retard (plus d’une semaine)' : '—') },
  ];
  return (
    <section aria-labelledby="print-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="print-title">Cartes à imprimer et à expédier</h2>
      {late > 0 && (
        <p class="notice card" role="status">
          {late} carte{late > 1 ? 's' : ''} en attente depuis plus d’une semaine.
        </p>
      )}
      <p class="actions">
        {(
          [
            ['csv', 'Fichier pour l’imprimeur (CSV avec le texte des QR codes)'],
            ['zip', 'Archive pour l’imprimeur (CSV et une image SVG de chaque QR code)'],
          ] as const
        ).map(([ext, label]) => (
          <button
            key={ext}
            type="button"
            onClick={async () => {
              try {
                const f = await fileUrl(`/api/region/print-queue.${ext}`);
                const a = document.createElement('a');
                a.href = f.url;
                a.download = `cartes-a-imprimer.${ext}`;
                a.click();
              } catch (e) {
                setActionError(e);
              }
            }}
          >
            {label}
          </button>
        ))}
      </p>
      <ErrorBox error={error ?? actionError} />
      {notice && <p role="status">{notice}</p>}
      <DeskTable
        caption="Cartes à imprimer"
        rows={rows}
        columns={columns}
        rowKey={(r) => r.card_id}
        testId="print-queue"
        selected={selected}
        onSelect={setSelected}
        initialSort={{ key: 'since', dir: 'asc' }}
        bulkActions={
          <button
            type="button"
            class="primary"
            onClick={async () => {
              setActionError(null);
              try {
                const r = await partnerApi.markPosted([...selected]);
                setNotice(`${r.posted} carte(s) marquée(s) expédiée(s) aujourd’hui.`);
                setSelected(new Set());
                refresh();
              } catch (e) {
                setActionError(e);
              }
            }}
          >
            Marquer expédiées aujourd’hui
          </button>
        }
      />
    </section>
  );
}
