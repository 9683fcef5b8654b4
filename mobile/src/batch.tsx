// A reimbursement batch as the partner and the Région see it: its own total
// (signed: refunds may exceed debits), what it carries in from earlier
// batches (refunds after a payout are clawed back, never shown as 0,00 €),
// what is paid and what is carried to the next batch. The server decides all
// of it; this only shows its amounts.
import type { Batch } from './api';
import { BATCH_STATUS, date, dateTime, euros } from './format';

/** "en cours", "remboursé le 3 décembre 2026", "soldé par compensation". */
export function batchStatus(b: Batch): string {
  if (b.status === 'rembourse') return `remboursé le ${date(b.paid_at)}`;
  return BATCH_STATUS[b.status] ?? b.status;
}

const isZero = (amount: string | undefined) => !amount || /^-?0+(\.0+)?$/.test(amount);

/** The amounts of a batch (total, report du lot précédent, à payer, reporté). */
export function BatchAmounts({ b }: { b: Batch }) {
  return (
    <dl class="batch-amounts" data-testid="batch-amounts">
      <div>
        <dt>Total du lot</dt>
        <dd>{euros(b.total)}</dd>
      </div>
      {!isZero(b.carried_in) && (
        <div>
          <dt>Report du lot précédent</dt>
          <dd class="negative">{euros(b.carried_in)}</dd>
        </div>
      )}
      <div>
        <dt>À payer</dt>
        <dd>{euros(b.payable)}</dd>
      </div>
      {!isZero(b.carried_out) && (
        <div>
          <dt>Reporté sur le lot suivant</dt>
          <dd class="negative">{euros(b.carried_out)}</dd>
        </div>
      )}
    </dl>
  );
}

/** The line under a batch: transactions, period, status. */
export function batchSummary(b: Batch): string {
  return `${b.transactions} transaction(s) jusqu’au ${dateTime(b.period_end)} · ${batchStatus(b)}`;
}
