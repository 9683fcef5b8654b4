// Partner screens that exist only in the installed app (Tauri): the device's
// offline state, and the offline debit decided by the core's rule (signed,
// hash-chained, kept in the outbox until the server applies it).
import { useEffect, useState } from 'preact/hooks';
import { dateTime, euros, parseEurosInput } from './format';
import { native, NativeReceipt, OfflineAvantage, PartnerStatus, ScannedCode, syncLabel } from './native';
import { ErrorBox, Field } from './ui';

/** The device's sync state, what waits in its outbox and what the server refused. */
export function DevicePanel() {
  const [status, setStatus] = useState<PartnerStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const refresh = () => native.partnerStatus().then(setStatus, setError);
  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), 5000);
    return () => clearInterval(t);
  }, []);
  const sync = async () => {
    setBusy(true);
    setError(null);
    try {
      setStatus(await native.partnerSync());
    } catch (e) {
      setError(e);
      void refresh();
    } finally {
      setBusy(false);
    }
  };
  if (!status) return <ErrorBox error={error} />;
  const refused = status.outbox.filter((i) => i.state === 'refused');
  const partial = status.outbox.filter((i) => i.state === 'synced' && i.result_code === 'garantie_partielle');
  return (
    <section class="panel" aria-label="Appareil hors ligne" data-testid="device-panel">
      {status.store.quarantined && (
        <p class="error" role="alert">
          Les données de l’appareil étaient illisibles : elles ont été mises de côté pour le support, et l’application repart d’un stockage neuf.
        </p>
      )}
      <p>
        Appareil : <strong data-testid="device-sync">{syncLabel(status.sync)}</strong>
        {' · '}
        <span data-testid="device-pending">
          {status.pending === 0 ? 'aucun débit en attente' : `${status.pending} débit(s) hors ligne à envoyer`}
        </span>
        {' · '}
        <span data-testid="device-last-sync">{status.last_sync ? `dernière synchronisation ${dateTime(status.last_sync)}` : 'pas encore synchronisé'}</span>
      </p>
      {!status.device && <p class="error">Cet appareil n’est pas enrôlé : reconnectez-vous avec le réseau pour encaisser hors ligne.</p>}
      {refused.length > 0 && (
        <ul class="refused" data-testid="device-refused">
          {refused.map((i) => (
            <li>
              Débit hors ligne de {euros(i.debited)} refusé par la Région : {i.result_message ?? i.result_code}
            </li>
          ))}
        </ul>
      )}
      {partial.length > 0 && (
        <ul data-testid="device-partial">
          {partial.map((i) => (
            <li>{i.result_message}</li>
          ))}
        </ul>
      )}
      <button type="button" onClick={() => void sync()} disabled={busy}>
        {busy ? 'Synchronisation…' : 'Synchroniser maintenant'}
      </button>
      <ErrorBox error={error} />
    </section>
  );
}

/** The server cannot be reached: the core checked the code; debit within the youth's offline limits. */
export function OfflineDebitStep(props: { qr: string; scanned: ScannedCode; onDone: (r: NativeReceipt) => void; onCancel: () => void }) {
  const [avantages, setAvantages] = useState<OfflineAvantage[]>([]);
  const [avantage, setAvantage] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    native.partnerAvantages().then((a) => (setAvantages(a), setAvantage(a[0]?.code ?? '')), setError);
  }, []);
  const max = props.scanned.per_transaction_max_cents;
  const confirm = async (e: Event) => {
    e.preventDefault();
    const price = parseEurosInput(value);
    if (!price) return setError(new Error('Indiquez un montant en euros, par exemple 12,50.'));
    setBusy(true);
    setError(null);
    try {
      props.onDone(await native.partnerDebit(props.qr, avantage, price));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="panel warn" data-testid="offline-debit">
      <h3>Encaissement hors ligne</h3>
      <p>
        Le serveur est injoignable. Le QR code du jeune a été vérifié par l’appareil : le débit sera accepté dans les limites hors ligne du jeune
        {max !== null ? ` (au plus ${euros((max / 100).toFixed(2))} par achat)` : ''}, puis envoyé à la Région dès le retour du réseau.
      </p>
      <form onSubmit={confirm}>
        <fieldset>
          <legend>Avantage à débiter</legend>
          {avantages.map((a) => (
            <label class="radio">
              <input type="radio" name="offline-avantage" value={a.code} checked={avantage === a.code} onChange={() => setAvantage(a.code)} />
              <span>{a.label}</span>
            </label>
          ))}
        </fieldset>
        <Field id="o-value" label="Prix de la prestation (€)">
          <input id="o-value" inputMode="decimal" autocomplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} placeholder="12,50" required />
        </Field>
        <ErrorBox error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !avantage}>
            Débiter hors ligne
          </button>
          <button type="button" onClick={props.onCancel}>
            Annuler
          </button>
        </div>
      </form>
    </div>
  );
}

/** The receipt of a debit decided by the core (offline) or by the server (back online). */
export function NativeReceiptPanel({ receipt, onNext }: { receipt: NativeReceipt; onNext: () => void }) {
  const offline = receipt.status === 'pending_sync';
  return (
    <div class={offline ? 'panel receipt warn' : 'panel receipt'} role="status" data-testid="native-receipt">
      <h3>{offline ? 'Débit accepté hors ligne' : 'Débit accepté'}</h3>
      {offline && <p data-testid="offline-note">Accepté hors ligne dans les limites du jeune. Il sera transmis à la Région à la prochaine synchronisation.</p>}
      <dl>
        <dt>Montant débité</dt>
        <dd data-testid="native-debited">{euros(receipt.debited)}</dd>
        <dt>Reste à payer par le jeune</dt>
        <dd data-testid="native-reste">{euros(receipt.reste_a_payer)}</dd>
        <dt>État</dt>
        <dd>{receipt.status_label}</dd>
      </dl>
      <button type="button" class="primary" onClick={onNext}>
        Client suivant
      </button>
    </div>
  );
}
