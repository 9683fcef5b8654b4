// Partner space: cash in (scan or manual), collective bookings, transactions, reimbursements.
import { useEffect, useRef, useState } from 'preact/hooks';
import { allPages, api, ApiError, ApplicationView, Balance, CardSelector, CollectiveBooking, DebitBody, DebitReceipt, Inspection, NetworkError, partnerApi, Transaction, uuidv4 } from './api';
import { cached } from './sync';
import { BatchAmounts, batchSummary } from './batch';
import { BatchStatement } from './statements';
import { amount, date, dateTime, euros, parseEurosInput, REIMBURSEMENT_STATUS } from './format';
import { ErrorBox, Field, Layout, OfflineBanner, Tab, errorText, useLoad, usePullToRefresh } from './ui';
import { startScanner, Scanner } from './scanner';
import { dismiss, enqueue, flush, onOutboxChange, OutboxItem, outboxItems, startOutbox } from './outbox';
import { inApp, native, NativeReceipt, ScannedCode } from './native';
import { AccountSecurity } from './account';
import { DevicePanel, NativeReceiptPanel, OfflineDebitStep } from './partner-app';
import { ApplicationSpace } from './apply';
import { StructurePanel } from './partner-space';
import { PartnerBonsPlans } from './partner-bons-plans';

const TABS: Tab[] = [
  { hash: '#/partenaire', label: 'Encaisser', icon: '▦' },
  { hash: '#/partenaire/reservations', label: 'Réservations', icon: '✓' },
  { hash: '#/partenaire/transactions', label: 'Transactions', icon: '≡' },
  { hash: '#/partenaire/remboursements', label: 'Remboursements', icon: '€' },
  { hash: '#/partenaire/bons-plans', label: 'Bons plans', icon: '★' },
  { hash: '#/partenaire/convention', label: 'Structure', icon: '◎' },
];

export function PartnerApp({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  // A structure whose application is not validated yet sees its application
  // only (online; offline the cash desk is shown as before). It is read
  // again on navigation and every 20 s while waiting for the Region.
  const [view, setView] = useState<ApplicationView | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    let live = true;
    const load = () =>
      partnerApi
        .application()
        .then((v) => live && setView(v))
        .catch(() => undefined)
        .finally(() => live && setLoaded(true));
    void load();
    const t = setInterval(() => void load(), 20_000);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [hash]);
  if (view && view.stage !== 'validee')
    return (
      <Layout title="Espace partenaire" tabs={[]} current="" onLogout={onLogout}>
        <ApplicationSpace view={view} onChange={setView} />
        <AccountSecurity />
      </Layout>
    );
  if (!loaded) return <p role="status">Chargement…</p>;
  return <PartnerDesk hash={hash} onLogout={onLogout} />;
}

function PartnerDesk({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  useEffect(() => startOutbox(), []);
  const route = hash.split('?')[0];
  const current = TABS.find((t) => t.hash === route)?.hash ?? '#/partenaire';
  return (
    <Layout title="Espace partenaire" tabs={TABS} current={current} onLogout={onLogout}>
      <Outbox />
      {route === '#/partenaire/reservations' ? (
        <Bookings />
      ) : route === '#/partenaire/transactions' ? (
        <Transactions />
      ) : route === '#/partenaire/remboursements' ? (
        <Reimbursements />
      ) : route === '#/partenaire/bons-plans' ? (
        <PartnerBonsPlans />
      ) : route === '#/partenaire/convention' ? (
        <StructurePanel />
      ) : (
        <CashIn key={route} manual={route === '#/partenaire/saisie'} />
      )}
      <AccountSecurity />
    </Layout>
  );
}

function useOutbox(): OutboxItem[] {
  const [items, setItems] = useState(outboxItems());
  useEffect(() => onOutboxChange(() => setItems(outboxItems())), []);
  return items;
}

function Outbox() {
  const items = useOutbox();
  if (!items.length) return null;
  return (
    <section class="outbox" aria-label="Débits hors ligne" data-testid="outbox">
      <ul class="list">
        {items.map((i) => (
          <li class={`item outbox-${i.state}`} data-testid="outbox-item" data-state={i.state}>
            <div class="row">
              <span>{i.label}</span>
              {i.state !== 'pending' && (
                <button type="button" class="link" onClick={() => dismiss(i.key)}>
                  OK
                </button>
              )}
            </div>
            <small>
              {i.state === 'pending' && `En attente de synchronisation (${dateTime(i.createdAt)})`}
              {i.state === 'done' && i.receipt && `Synchronisé : ${amount(i.receipt.unit_kind, i.receipt.debited)} débité, solde ${amount(i.receipt.unit_kind, i.receipt.balance)}`}
              {i.state === 'failed' && `Refusé par le serveur : ${i.error}`}
            </small>
          </li>
        ))}
      </ul>
      {items.some((i) => i.state === 'pending') && (
        <button type="button" class="link" onClick={() => void flush(true)}>
          Réessayer maintenant
        </button>
      )}
    </section>
  );
}

type Step =
  | { kind: 'scan' }
  | { kind: 'manual' }
  | { kind: 'printed'; qr: string }
  | { kind: 'offline'; qr: string; scanned: ScannedCode }
  | { kind: 'nativeReceipt'; receipt: NativeReceipt }
  | { kind: 'inspected'; selector: CardSelector; inspection: Inspection }
  | { kind: 'receipt'; receipt: DebitReceipt }
  | { kind: 'queued'; item: OutboxItem };

function CashIn({ manual }: { manual: boolean }) {
  const first: Step = manual ? { kind: 'manual' } : { kind: 'scan' };
  const [step, setStep] = useState<Step>(first);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const inspect = async (selector: CardSelector) => {
    setBusy(true);
    setError(null);
    try {
      setStep({ kind: 'inspected', selector, inspection: await api.inspect(selector) });
    } catch (e) {
      // A printed card's code: the server asks for the holder's birth date.
      if (e instanceof ApiError && e.code === 'date_naissance_requise' && 'qr' in selector && !('birth_date' in selector))
        setStep({ kind: 'printed', qr: selector.qr });
      // In the app, without network: the core verifies the code offline.
      else if (e instanceof NetworkError && inApp() && 'qr' in selector && !('birth_date' in selector)) {
        try {
          const scanned = await native.partnerScan(selector.qr);
          if (scanned.kind === 'card')
            setError(new Error('Carte imprimée : sans réseau, elle ne peut pas être débitée. Demandez le QR code de l’application du jeune, ou attendez le retour du réseau.'));
          else setStep({ kind: 'offline', qr: selector.qr, scanned });
        } catch (err) {
          setError(err);
        }
      } else setError(e);
    } finally {
      setBusy(false);
    }
  };
  const [round, setRound] = useState(0);
  const restart = () => {
    setError(null);
    setRound((r) => r + 1);
    setStep(first);
  };

  return (
    <section aria-labelledby="cash-title">
      <OfflineBanner />
      <h2 id="cash-title">Encaisser</h2>
      {inApp() && <DevicePanel />}
      {step.kind === 'scan' && <ScanStep key={round} onText={(qr) => void inspect({ qr })} onManual={() => setStep({ kind: 'manual' })} busy={busy} />}
      {step.kind === 'printed' && (
        <PrintedStep qr={step.qr} onSubmit={(s) => void inspect(s)} onScan={restart} busy={busy} error={error} />
      )}
      {step.kind === 'manual' && <ManualStep onSubmit={(s) => void inspect(s)} onScan={() => (setError(null), setStep({ kind: 'scan' }))} busy={busy} error={error} />}
      {step.kind !== 'manual' && step.kind !== 'printed' && <ErrorBox error={error} />}
      {step.kind === 'inspected' && (
        <DebitStep
          selector={step.selector}
          inspection={step.inspection}
          onNative={(receipt) => setStep({ kind: 'nativeReceipt', receipt })}
          onDone={(receipt) => setStep({ kind: 'receipt', receipt })}
          onQueued={(item) => setStep({ kind: 'queued', item })}
          onCancel={restart}
        />
      )}
      {step.kind === 'receipt' && <Receipt receipt={step.receipt} onNext={restart} />}
      {step.kind === 'offline' && (
        <OfflineDebitStep qr={step.qr} scanned={step.scanned} onDone={(receipt) => setStep({ kind: 'nativeReceipt', receipt })} onCancel={restart} />
      )}
      {step.kind === 'nativeReceipt' && <NativeReceiptPanel receipt={step.receipt} onNext={restart} />}
      {step.kind === 'queued' && (
        <div class="panel warn" role="status" data-testid="queued">
          <h3>Débit en attente de synchronisation</h3>
          <p>Le serveur est injoignable. Ce débit n’est pas encore accepté : la demande est conservée sur cet appareil et sera envoyée automatiquement dès le retour de la connexion, puis le serveur décidera. Un QR code d’application n’étant valable qu’environ une minute, il faudra sans doute le scanner à nouveau.</p>
          <button type="button" class="primary" onClick={restart}>
            Client suivant
          </button>
        </div>
      )}
      {step.kind === 'scan' && error !== null && (
        <button type="button" onClick={restart}>
          Scanner à nouveau
        </button>
      )}
    </section>
  );
}

function ScanStep({ onText, onManual, busy }: { onText: (t: string) => void; onManual: () => void; busy: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [camError, setCamError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let scanner: Scanner | null = null;
    let live = true;
    if (video.current)
      startScanner(video.current, (t) => live && onText(t)).then(
        (s) => (live ? (scanner = s) : s.stop()),
        (e: Error) => live && setCamError(e.message),
      );
    return () => {
      live = false;
      scanner?.stop();
    };
  }, [attempt]);
  return (
    <div class="scan">
      <div class="viewfinder">
        <video ref={video} data-testid="scan-video" aria-label="Image de la caméra" playsInline muted />
        <div class="aim" aria-hidden="true" />
      </div>
      <p class="hint" aria-live="polite" data-testid="scan-status">
        {busy ? 'Lecture de la carte…' : camError ?? 'Visez le QR code du PASS (carte ou téléphone).'}
      </p>
      <div class="actions">
        {camError && (
          <button type="button" onClick={() => (setCamError(null), setAttempt(attempt + 1))}>
            Réessayer la caméra
          </button>
        )}
        <button type="button" onClick={onManual} data-testid="manual-mode">
          Saisie manuelle
        </button>
      </div>
    </div>
  );
}

// A printed card's QR was read: it identifies the card, the birth date proves
// the holder (the card locks after 5 wrong dates).
function PrintedStep(props: { qr: string; onSubmit: (s: CardSelector) => void; onScan: () => void; busy: boolean; error: unknown }) {
  const [birth, setBirth] = useState('');
  const fieldError = (f: string) => (props.error instanceof ApiError && props.error.field === f ? props.error.message : null);
  const other = props.error && !(props.error instanceof ApiError && props.error.field === 'birth_date') ? props.error : null;
  return (
    <form
      class="manual"
      data-testid="printed-card"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit({ qr: props.qr, birth_date: birth });
      }}
    >
      <p>Carte imprimée lue. Demandez la date de naissance du titulaire pour vérifier la carte.</p>
      <Field id="p-birth" label="Date de naissance du titulaire" error={fieldError('birth_date')}>
        <input id="p-birth" type="date" value={birth} onInput={(e) => setBirth((e.target as HTMLInputElement).value)} required />
      </Field>
      <ErrorBox error={other} />
      <div class="actions">
        <button type="submit" class="primary" disabled={props.busy}>
          Vérifier la carte
        </button>
        <button type="button" onClick={props.onScan}>
          Scanner à nouveau
        </button>
      </div>
    </form>
  );
}

function ManualStep(props: { onSubmit: (s: CardSelector) => void; onScan: () => void; busy: boolean; error: unknown }) {
  const [number, setNumber] = useState('');
  const [birth, setBirth] = useState('');
  const fieldError = (f: string) => (props.error instanceof ApiError && props.error.field === f ? props.error.message : null);
  const other = props.error && !(props.error instanceof ApiError && (props.error.field === 'card_number' || props.error.field === 'birth_date')) ? props.error : null;
  return (
    <form
      class="manual"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit({ card_number: number.replace(/\s+/g, ''), birth_date: birth });
      }}
    >
      <Field id="m-number" label="Numéro de carte" error={fieldError('card_number')}>
        <input id="m-number" inputMode="numeric" autocomplete="off" value={number} onInput={(e) => setNumber((e.target as HTMLInputElement).value)} required />
      </Field>
      <Field id="m-birth" label="Date de naissance du titulaire" error={fieldError('birth_date')}>
        <input id="m-birth" type="date" value={birth} onInput={(e) => setBirth((e.target as HTMLInputElement).value)} required />
      </Field>
      <ErrorBox error={other} />
      <div class="actions">
        <button type="submit" class="primary" disabled={props.busy}>
          Vérifier la carte
        </button>
        <button type="button" onClick={props.onScan}>
          Scanner un QR
        </button>
      </div>
    </form>
  );
}

function DebitStep(props: {
  selector: CardSelector;
  inspection: Inspection;
  onDone: (r: DebitReceipt) => void;
  onNative: (r: NativeReceipt) => void;
  onQueued: (i: OutboxItem) => void;
  onCancel: () => void;
}) {
  const ins = props.inspection;
  const [avantage, setAvantage] = useState<string>(ins.balances[0]?.avantage ?? '');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const bal: Balance | undefined = ins.balances.find((b) => b.avantage === avantage);
  const isEntries = bal?.kind === 'entries';
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);

  const confirm = async (e: Event) => {
    e.preventDefault();
    if (!bal) return;
    setError(null);
    let body: DebitBody;
    if (isEntries) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) return setError(new ApiError(422, 'champ_invalide', 'Indiquez un nombre d’entrées.', 'entries'));
      body = { ...props.selector, avantage, entries: n };
    } else {
      const price = parseEurosInput(value);
      if (!price) return setError(new ApiError(422, 'champ_invalide', 'Indiquez un montant en euros, par exemple 12,50.', 'price'));
      body = { ...props.selector, avantage, price };
    }
    // One key per confirmation: a retry of this same debit is applied once.
    const key = uuidv4();
    setBusy(true);
    try {
      props.onDone(await api.debit(body, key));
    } catch (err) {
      const sel = props.selector;
      if (err instanceof NetworkError && inApp() && 'qr' in sel && !('birth_date' in sel) && !isEntries) {
        // The app: the core decides offline (within the youth's limits) and signs the debit.
        try {
          props.onNative(await native.partnerDebit(sel.qr, avantage, parseEurosInput(value) ?? ''));
        } catch (e2) {
          setError(e2);
        }
      } else if (err instanceof NetworkError) {
        const label = `${ins.holder} — ${bal.label} : ${isEntries ? `${value} entrée(s)` : euros(parseEurosInput(value))}`;
        props.onQueued(enqueue(key, body, label));
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="panel" data-testid="inspection">
      <p class="holder">
        <strong data-testid="holder">{ins.holder}</strong> · saison {ins.season}
      </p>
      <p class={ins.usable ? 'ok' : 'error'} data-testid="usable">
        {ins.usable ? 'Carte utilisable' : `Carte non utilisable : ${ins.reason ?? ins.status}`}
      </p>
      {ins.usable && ins.balances.length === 0 && <p>Aucun avantage de cette carte n’est utilisable chez vous.</p>}
      {ins.usable && ins.balances.length > 0 && (
        <form onSubmit={confirm}>
          <fieldset>
            <legend>Avantage à débiter</legend>
            {ins.balances.map((b) => (
              <label class="radio" data-testid={`avantage-${b.avantage}`}>
                <input type="radio" name="avantage" value={b.avantage} checked={avantage === b.avantage} onChange={() => (setAvantage(b.avantage), setValue(''))} />
                <span>
                  {b.label} — reste <strong>{amount(b.kind, b.remaining)}</strong>
                </span>
              </label>
            ))}
          </fieldset>
          <Field id="d-value" label={isEntries ? 'Nombre d’entrées' : 'Prix de la prestation (€)'} error={fieldError(isEntries ? 'entries' : 'price') ?? fieldError('amount')}>
            <input
              id="d-value"
              inputMode={isEntries ? 'numeric' : 'decimal'}
              autocomplete="off"
              value={value}
              onInput={(e) => setValue((e.target as HTMLInputElement).value)}
              placeholder={isEntries ? '1' : '12,50'}
              required
            />
          </Field>
          <ErrorBox error={error && !fieldError('price') && !fieldError('entries') && !fieldError('amount') ? error : null} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy} data-testid="confirm-debit">
              {busy ? 'Débit…' : 'Valider le débit'}
            </button>
            <button type="button" onClick={props.onCancel}>
              Annuler
            </button>
          </div>
        </form>
      )}
      {!ins.usable && (
        <button type="button" onClick={props.onCancel}>
          Retour
        </button>
      )}
    </div>
  );
}

function Receipt({ receipt, onNext }: { receipt: DebitReceipt; onNext: () => void }) {
  const k = receipt.unit_kind;
  return (
    <div class="panel receipt" role="status" data-testid="receipt">
      <h3>Débit accepté</h3>
      <dl>
        <dt>Titulaire</dt>
        <dd>{receipt.holder}</dd>
        <dt>Montant débité</dt>
        <dd data-testid="receipt-debited">{amount(k, receipt.debited)}</dd>
        {k === 'credit' && (
          <>
            <dt>Reste à payer par le jeune</dt>
            <dd data-testid="receipt-reste">{euros(receipt.reste_a_payer)}</dd>
          </>
        )}
        <dt>Solde restant</dt>
        <dd data-testid="receipt-balance">{amount(k, receipt.balance)}</dd>
        <dt>Carte</dt>
        <dd>{receipt.card}</dd>
        <dt>Date</dt>
        <dd>{dateTime(receipt.created_at)}</dd>
      </dl>
      <button type="button" class="primary" onClick={onNext}>
        Client suivant
      </button>
    </div>
  );
}

function Transactions() {
  const { data, error, loading, refresh } = useLoad(() =>
    cached('partner-tx', () => allPages((after) => api.partnerTransactions(after, 200)), inApp() ? () => native.partnerTransactions() : undefined),
  );
  const sum = useLoad(() => cached('partner-reimb', api.reimbursements, inApp() ? native.partnerReimbursements : undefined));
  const reload = () => (refresh(), sum.refresh());
  usePullToRefresh(reload);
  const list = [...(data?.data ?? [])].reverse();
  return (
    <section aria-labelledby="ptx-title">
      <OfflineBanner onRefresh={reload} />
      <h2 id="ptx-title">Transactions</h2>
      {sum.data && <Totals s={sum.data.data} />}
      {loading && !data && <p class="muted">Chargement…</p>}
      <ErrorBox error={error} />
      {data && list.length === 0 && <p>Aucune transaction.</p>}
      <ul class="list">
        {list.map((t) => (
          <PartnerTx t={t} onChanged={reload} />
        ))}
      </ul>
    </section>
  );
}

function Totals({ s }: { s: { pending_total: string; in_progress_total: string; paid_total: string; carried_total?: string } }) {
  return (
    <dl class="totals" data-testid="totals">
      <div>
        <dt>En attente</dt>
        <dd>{euros(s.pending_total)}</dd>
      </div>
      <div>
        <dt>En cours</dt>
        <dd>{euros(s.in_progress_total)}</dd>
      </div>
      <div>
        <dt>Remboursé</dt>
        <dd>{euros(s.paid_total)}</dd>
      </div>
      <div>
        <dt>À déduire des prochains lots</dt>
        <dd data-testid="carried-total">{euros(s.carried_total)}</dd>
      </div>
    </dl>
  );
}

function PartnerTx({ t, onChanged }: { t: Transaction; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef<string | null>(null);
  const refund = async (e: Event) => {
    e.preventDefault();
    setError(null);
    let body: { amount?: string; entries?: number } = {};
    if (value.trim()) {
      if (t.unit_kind === 'entries') body = { entries: Number(value) };
      else {
        const a = parseEurosInput(value);
        if (!a) return setError(new Error('Montant invalide (ex. 5,00).'));
        body = { amount: a };
      }
    }
    key.current ??= uuidv4();
    setBusy(true);
    try {
      await api.refund(t.id, body, key.current);
      key.current = null;
      setOpen(false);
      onChanged();
    } catch (err) {
      setError(err);
      if (!(err instanceof NetworkError)) key.current = null;
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={`item tx ${t.kind}`} data-testid="partner-transaction">
      <div class="row">
        <span>
          <strong>{t.kind === 'refund' ? 'Annulation' : 'Débit'}</strong> · carte {t.card}
        </span>
        <span class="value">
          {t.kind === 'refund' ? '+' : '−'}
          {amount(t.unit_kind, t.debited)}
        </span>
      </div>
      <small>
        {dateTime(t.created_at)} · {t.avantage_label ?? t.avantage}
        {t.booking_label && ` · réservation « ${t.booking_label} »`} · prix {amount(t.unit_kind, t.price)} · remboursement partenaire {euros(t.reimbursed_amount)} ·{' '}
        <span class={`badge r-${t.reimbursement_status}`}>{REIMBURSEMENT_STATUS[t.reimbursement_status] ?? t.reimbursement_status}</span>
        {t.refunded && ' · annulé'}
      </small>
      {t.kind === 'debit' && !t.refunded && (
        <div>
          {!open ? (
            <button type="button" class="link" onClick={() => setOpen(true)}>
              Annuler ce débit
            </button>
          ) : (
            <form onSubmit={refund} class="inline">
              <Field id={`r-${t.id}`} label={t.unit_kind === 'entries' ? 'Entrées à rendre (vide : toutes)' : 'Montant à rendre (vide : tout)'}>
                <input id={`r-${t.id}`} inputMode="decimal" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
              </Field>
              <div class="actions">
                <button type="submit" class="primary" disabled={busy}>
                  Confirmer l’annulation
                </button>
                <button type="button" onClick={() => setOpen(false)}>
                  Fermer
                </button>
              </div>
              {error !== null && <p class="error" role="alert">{errorText(error)}</p>}
            </form>
          )}
        </div>
      )}
    </li>
  );
}

const LINE_STATUS: Record<string, string> = { en_attente: 'en attente', debite: 'débité', refuse: 'non débité' };

/** Collective bookings asked by établissements: confirm the service (the youths are debited) or decline. */
function Bookings() {
  const { data, error, loading, refresh } = useLoad(() => api.partnerBookings());
  usePullToRefresh(refresh);
  return (
    <section aria-labelledby="bookings-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="bookings-title">Réservations collectives</h2>
      <p class="hint">Confirmez la prestation le jour venu : les avantages des jeunes sont alors débités. Sans confirmation avant la fin du jour de la prestation, la réservation expire.</p>
      {loading && !data && <p class="muted">Chargement…</p>}
      <ErrorBox error={error} />
      {data && data.length === 0 && <p>Aucune réservation.</p>}
      <ul class="list">
        {(data ?? []).map((b) => (
          <BookingItem b={b} onChanged={refresh} />
        ))}
      </ul>
    </section>
  );
}

function BookingItem({ b, onChanged }: { b: CollectiveBooking; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CollectiveBooking | null>(null);
  const key = useRef<string | null>(null);
  const shown = result ?? b;
  const run = async (f: () => Promise<CollectiveBooking>, keepKeyOnNetworkError: boolean) => {
    setError(null);
    setBusy(true);
    try {
      setResult(await f());
      key.current = null;
      onChanged();
    } catch (err) {
      setError(err);
      if (!(keepKeyOnNetworkError && err instanceof NetworkError)) key.current = null;
    } finally {
      setBusy(false);
    }
  };
  const confirm = () => {
    key.current ??= uuidv4();
    const k = key.current;
    return run(() => api.confirmBooking(b.id, k), true);
  };
  const decline = () => {
    const reason = prompt('Motif du refus (montré à l’établissement, facultatif) :');
    if (reason === null) return;
    return run(() => api.declineBooking(b.id, reason.trim() || undefined), false);
  };
  const refused = shown.lines.filter((l) => l.status === 'refuse');
  return (
    <li class="item" data-testid="partner-booking">
      <div class="row">
        <span>
          <strong>{shown.label}</strong> · {shown.establishment_name}
        </span>
        <span class="badge">{shown.status_label}</span>
      </div>
      <small>
        le {date(shown.service_date)} · {shown.lines.length} jeune(s) · {amount(shown.unit_kind, shown.price_per_youth)} par jeune · total {euros(shown.total)}
      </small>
      {shown.status === 'confirmee' && (
        <p>
          {shown.debited_cards} jeune(s) débité(s)
          {refused.length > 0 && ` ; non débités : ${refused.map((l) => `${l.holder} (${l.message ?? LINE_STATUS[l.status]})`).join(', ')}`}
        </p>
      )}
      {shown.status === 'demandee' && (
        <div class="actions">
          <button type="button" class="primary" disabled={busy} onClick={confirm}>
            Confirmer la prestation
          </button>
          <button type="button" disabled={busy} onClick={decline}>
            Refuser
          </button>
        </div>
      )}
      {error !== null && <p class="error" role="alert">{errorText(error)}</p>}
    </li>
  );
}

function Reimbursements() {
  const { data, error, loading, refresh } = useLoad(() => cached('partner-reimb', api.reimbursements, inApp() ? native.partnerReimbursements : undefined));
  usePullToRefresh(refresh);
  const s = data?.data;
  return (
    <section aria-labelledby="reimb-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="reimb-title">Remboursements</h2>
      {loading && !s && <p class="muted">Chargement…</p>}
      <ErrorBox error={error} />
      {s && (
        <>
          <Totals s={s} />
          <h3>Lots</h3>
          {s.batches.length === 0 && <p>Aucun lot de remboursement pour l’instant.</p>}
          <ul class="list">
            {s.batches.map((b) => (
              <li class="item" data-testid="batch">
                <div class="row">
                  <strong>Lot du {date(b.created_at)}</strong>
                  <span class="value">{euros(b.payable)}</span>
                </div>
                <BatchAmounts b={b} />
                <small>{batchSummary(b)}</small>
                <BatchStatement b={b} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
