// A reimbursement batch's statement, for the partner: its lines (debits,
// refunds, offline debits, collective bookings), totals per avantage, what
// was carried in from earlier batches, and the downloads (justificatif PDF,
// CSV). The server decides everything; this shows it.
import { useState } from 'preact/hooks';
import { api, Batch, fileUrl } from './api';
import { BatchAmounts } from './batch';
import { CHANNEL, dateTime, euros } from './format';
import { ErrorBox, useLoad } from './ui';

/** Downloads a protected file (the session's token goes in a header, not the URL). */
export function DownloadButton({ path, name, label }: { path: string; name: string; label: string }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setError(null);
    setBusy(true);
    try {
      const f = await fileUrl(path);
      const a = document.createElement('a');
      a.href = f.url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(f.url), 1000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={go}>
        {label}
      </button>
      <ErrorBox error={error} />
    </>
  );
}

/** Why the bank rejected the batch's last transfer (it waits for a new one). */
export function RejectionNotice({ b }: { b: Batch }) {
  if (!b.rejection_reason) return null;
  return (
    <p class="error" role="status" data-testid="batch-rejection">
      Virement rejeté par la banque : {b.rejection_reason}. Le lot sera payé à nouveau dès que vos coordonnées bancaires seront corrigées.
    </p>
  );
}

/** The downloads of a batch's statement (`base`: `/api/partner/reimbursements` or the Region's). */
export function StatementDownloads({ batchId, base = '/api/partner/reimbursements' }: { batchId: string; base?: string }) {
  const path = `${base}/${encodeURIComponent(batchId)}`;
  return (
    <div class="actions">
      <DownloadButton path={`${path}/statement.pdf`} name={`justificatif-remboursement-${batchId}.pdf`} label="Justificatif (PDF)" />
      <DownloadButton path={`${path}/statement.csv`} name={`releve-remboursement-${batchId}.csv`} label="Relevé (CSV)" />
    </div>
  );
}

/** The statement of one batch, shown on demand. */
export function StatementView({ batchId }: { batchId: string }) {
  const { data, error, loading } = useLoad(() => api.statement(batchId), [batchId]);
  if (loading && !data) return <p class="muted">Chargement du relevé…</p>;
  if (error) return <ErrorBox error={error} />;
  if (!data) return null;
  const s = data;
  return (
    <div class="statement" data-testid="statement">
      <BatchAmounts b={s.batch} />
      {s.batch.carried_from && s.carried_from_period_end && (
        <p class="muted">
          Report : remboursements après paiement repris du lot arrêté au {dateTime(s.carried_from_period_end)}.
        </p>
      )}
      <table class="desk">
        <caption>Totaux par avantage</caption>
        <thead>
          <tr>
            <th scope="col">Avantage</th>
            <th scope="col">Opérations</th>
            <th scope="col">Débits</th>
            <th scope="col">Remboursements</th>
            <th scope="col">Net</th>
          </tr>
        </thead>
        <tbody>
          {s.avantages.map((a) => (
            <tr>
              <td>{a.avantage_label}</td>
              <td>{a.lines}</td>
              <td>{euros(a.debits)}</td>
              <td>{euros(a.refunds)}</td>
              <td>{euros(a.net)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="desk">
        <caption>Opérations du lot</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Type</th>
            <th scope="col">Canal</th>
            <th scope="col">Avantage</th>
            <th scope="col">Carte</th>
            <th scope="col">Montant</th>
          </tr>
        </thead>
        <tbody>
          {s.lines.map((l) => (
            <tr>
              <td>{dateTime(l.created_at)}</td>
              <td>{l.kind === 'refund' ? 'Remboursement' : 'Débit'}</td>
              <td>{CHANNEL[l.channel] ?? l.channel}</td>
              <td>
                {l.avantage_label}
                {l.booking_label && ` · réservation « ${l.booking_label} »`}
              </td>
              <td>{l.card}</td>
              <td>{euros(l.reimbursed_amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <StatementDownloads batchId={s.batch.id} />
    </div>
  );
}

/** A batch in the partner's list: its rejection if any, and its statement on demand. */
export function BatchStatement({ b }: { b: Batch }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <RejectionNotice b={b} />
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Masquer le relevé' : 'Voir le relevé et le justificatif'}
      </button>
      {open && <StatementView batchId={b.id} />}
    </>
  );
}
