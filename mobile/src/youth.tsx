// Youth space: card and QR, balances, history, bons plans, map, order.
import { AccountSecurity, Notices } from './account';
import { inApp, native } from './native';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, BonPlan, Card, Establishment, Order, OrderRequest, Transaction } from './api';
import { cached } from './sync';
import { amount, CARD_STATUS, CATEGORIES, CHANNEL, date, dateTime, euros, groupBy4, ORDER_STATUS, PUBLICS, TRACKS } from './format';
import { ErrorBox, Field, Layout, OfflineBanner, Tab, go, useLoad, usePullToRefresh } from './ui';
import { CardQr } from './qrview';
import { PartnerMap } from './map';

const TABS: Tab[] = [
  { hash: '#/jeune', label: 'Ma carte', icon: '▣' },
  { hash: '#/jeune/solde', label: 'Solde', icon: '€' },
  { hash: '#/jeune/historique', label: 'Historique', icon: '≡' },
  { hash: '#/jeune/bons-plans', label: 'Bons plans', icon: '★' },
  { hash: '#/jeune/partenaires', label: 'Partenaires', icon: '◎' },
];

export function YouthApp({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  const route = hash.split('?')[0];
  const current = TABS.find((t) => t.hash === route)?.hash ?? '#/jeune';
  let screen;
  switch (route) {
    case '#/jeune/solde':
      screen = <Balances />;
      break;
    case '#/jeune/historique':
      screen = <History />;
      break;
    case '#/jeune/bons-plans':
      screen = <BonsPlans />;
      break;
    case '#/jeune/partenaires':
      screen = <PartnerMap />;
      break;
    case '#/jeune/commande':
      screen = <OrderForm />;
      break;
    default:
      screen = <MyCard />;
  }
  return (
    <Layout title="Mon PASS'Région" tabs={TABS} current={current} onLogout={onLogout}>
      {screen}
    </Layout>
  );
}

/** The end of the card's season, when near or past (core rule `renewal`). */
function Renewal({ notice }: { notice: NonNullable<Card['renewal']> }) {
  return (
    <div class="panel warn" role="status" data-testid="renewal">
      {notice.kind === 'ends_soon' ? (
        <p>
          Votre carte est utilisable jusqu’au <strong>{date(notice.last_day)}</strong>. Pour la saison{' '}
          {notice.next_season}, votre établissement doit la revalider : vérifiez auprès de lui que vous êtes
          toujours inscrit(e).
        </p>
      ) : (
        <p>
          La saison de votre carte s’est terminée le <strong>{date(notice.last_day)}</strong>. Elle fonctionnera de
          nouveau quand votre établissement l’aura revalidée pour la saison {notice.season}.
        </p>
      )}
    </div>
  );
}

function useCard() {
  return useLoad(() => cached('card', api.myCard, inApp() ? native.youthCard : undefined));
}

function MyCard() {
  const { data, error, loading, refresh } = useCard();
  usePullToRefresh(refresh);
  const [activating, setActivating] = useState<unknown>(null);
  if (loading && !data) return <p class="muted">Chargement…</p>;
  if (error instanceof ApiError && error.status === 404) return <NoCard onRefresh={refresh} />;
  const card = data?.data;
  return (
    <section aria-labelledby="card-title">
      <OfflineBanner onRefresh={refresh} />
      <ErrorBox error={error} />
      {card && (
        <>
          <h2 id="card-title">Ma carte</h2>
          <div class={`card-face status-${card.status}`} data-testid="card-face">
            <p class="holder">
              {card.first_name} {card.last_name}
            </p>
            <p class="number" aria-label="Numéro de carte" data-testid="card-number">
              {groupBy4(card.number)}
            </p>
            <p>
              Saison {card.season} · valable jusqu’au {date(card.valid_until)}
            </p>
            <p class="badge">{CARD_STATUS[card.status] ?? card.status}</p>
            {card.status_reason && <p>Motif : {card.status_reason}</p>}
          </div>
          {card.renewal && <Renewal notice={card.renewal} />}
          {card.status === 'expediee' && (
            <div class="panel">
              <p data-testid="posting">
                {card.posted_at
                  ? `Votre carte a été expédiée le ${date(card.posted_at)}. Activez-la dès réception.`
                  : 'Votre carte est en cours d’impression : elle vous sera envoyée sous une semaine. Activez-la dès réception.'}
              </p>
              <button
                type="button"
                class="primary"
                onClick={async () => {
                  try {
                    await api.activateCard();
                    refresh();
                  } catch (e) {
                    setActivating(e);
                  }
                }}
              >
                J’ai reçu ma carte
              </button>
              <ErrorBox error={activating} />
            </div>
          )}
          {card.status === 'active' && <CardQr card={card} />}
          <p class="hint">Sur un site partenaire, donnez le numéro de carte et votre date de naissance.</p>
          {card.status !== 'suspendue' && <LostCard onDone={refresh} />}
        </>
      )}
      <Notices />
      <AccountSecurity youth />
    </section>
  );
}

/** Blocks a lost or stolen card at once; a new card (new number, same balances) is posted. */
function LostCard({ onDone }: { onDone: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const declare = async (stolen: boolean) => {
    const what = stolen ? 'volée' : 'perdue';
    if (!confirm(`Déclarer votre carte ${what} ? Elle sera bloquée tout de suite et une nouvelle carte vous sera envoyée, avec le même solde.`)) return;
    setError(null);
    try {
      await api.lostCard(stolen);
      setDone(`Carte ${what} bloquée. Votre nouvelle carte arrive par la poste : activez-la dès réception.`);
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <details class="panel">
      <summary>Carte perdue ou volée ?</summary>
      <p>Bloquez-la : son numéro et son QR code ne fonctionneront plus nulle part. Votre solde passe sur la nouvelle carte.</p>
      <div class="actions">
        <button type="button" class="danger" onClick={() => void declare(false)}>
          Ma carte est perdue
        </button>
        <button type="button" class="danger" onClick={() => void declare(true)}>
          Ma carte a été volée
        </button>
      </div>
      {done && <p role="status">{done}</p>}
      <ErrorBox error={error} />
    </details>
  );
}

function NoCard({ onRefresh }: { onRefresh: () => void }) {
  const orders = useLoad(() => cached('orders', api.myOrders));
  const list = orders.data?.data ?? [];
  return (
    <section>
      <OfflineBanner onRefresh={() => (onRefresh(), orders.refresh())} />
      <h2>Mon PASS</h2>
      <ErrorBox error={orders.error} />
      {list.length === 0 ? (
        <p>Vous n’avez pas encore de PASS’Région pour cette saison.</p>
      ) : (
        <ul class="list">
          {list.map((o) => (
            <OrderItem order={o} />
          ))}
        </ul>
      )}
      {!list.some((o) => o.status === 'en_attente' || o.status === 'validee') && (
        <a class="button primary" href="#/jeune/commande">
          Commander mon PASS
        </a>
      )}
    </section>
  );
}

function OrderItem({ order }: { order: Order }) {
  return (
    <li class="item" data-testid="order">
      <strong>Commande du {date(order.created_at)}</strong> — saison {order.season}
      <br />
      <span class={`badge order-${order.status}`}>{ORDER_STATUS[order.status] ?? order.status}</span>
      {order.reason && <p>Motif : {order.reason}</p>}
    </li>
  );
}

function Balances() {
  const { data, error, loading, refresh } = useCard();
  usePullToRefresh(refresh);
  const card = data?.data;
  return (
    <section aria-labelledby="bal-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="bal-title">Mon solde</h2>
      {loading && !card && <p class="muted">Chargement…</p>}
      <ErrorBox error={error} />
      {card && (
        <>
          <p>
            Saison {card.season} — utilisable jusqu’au <strong>{date(card.valid_until)}</strong>
          </p>
          <ul class="list">
            {card.balances.map((b) => (
              <li class="item balance" data-testid={`balance-${b.avantage}`}>
                <span class="label">{b.label}</span>
                <span class="value" data-testid="balance-remaining">
                  {amount(b.kind, b.remaining)}
                </span>
                <small>sur {amount(b.kind, b.loaded)}</small>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function TransactionItem({ t }: { t: Transaction }) {
  return (
    <li class={`item tx ${t.kind}`} data-testid="transaction">
      <div class="row">
        <strong>{t.partner_name}</strong>
        <span class="value">
          {t.kind === 'refund' ? '+' : '−'}
          {amount(t.unit_kind, t.debited)}
        </span>
      </div>
      <small>
        {dateTime(t.created_at)} · {t.kind === 'refund' ? 'Remboursement' : 'Débit'} · {t.avantage_label ?? t.avantage}
        {t.unit_kind === 'credit' && t.kind === 'debit' && t.reste_a_payer !== '0.00' && ` · reste payé ${euros(t.reste_a_payer)}`}
        {t.refunded && ' · annulé'}
        {t.channel === 'collective' && ` · ${CHANNEL.collective}${t.booking_label ? ` « ${t.booking_label} »` : ''}`}
      </small>
    </li>
  );
}

function History() {
  const { data, error, loading, refresh } = useLoad(() => cached('youth-tx', api.myTransactions, inApp() ? () => native.youthHistory() : undefined));
  usePullToRefresh(refresh);
  const list = [...(data?.data ?? [])].reverse();
  return (
    <section aria-labelledby="hist-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="hist-title">Historique</h2>
      {loading && !data && <p class="muted">Chargement…</p>}
      <ErrorBox error={error} />
      {data && list.length === 0 && <p>Aucune opération pour l’instant.</p>}
      <ul class="list">
        {list.map((t) => (
          <TransactionItem t={t} />
        ))}
      </ul>
    </section>
  );
}

function BonsPlans() {
  const [category, setCategory] = useState('');
  const [city, setCity] = useState('');
  const { data, error, loading, refresh } = useLoad(
    () =>
      cached(
        `bons-plans-${category}`,
        () => api.bonsPlans(category || undefined),
        inApp() ? () => native.youthBonsPlans(category || undefined) : undefined,
      ),
    [category],
  );
  usePullToRefresh(refresh);
  const all = data?.data ?? [];
  const cities = useMemo(() => [...new Set(all.map((b) => b.city))].sort(), [all]);
  const list = all.filter((b: BonPlan) => !city || b.city === city);
  return (
    <section aria-labelledby="bp-title">
      <OfflineBanner onRefresh={refresh} />
      <h2 id="bp-title">Bons plans</h2>
      <div class="filters">
        <Field id="bp-cat" label="Catégorie">
          <select id="bp-cat" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
            <option value="">Toutes</option>
            {Object.entries(CATEGORIES).map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </Field>
        <Field id="bp-city" label="Ville">
          <select id="bp-city" value={city} onChange={(e) => setCity((e.target as HTMLSelectElement).value)}>
            <option value="">Toutes</option>
            {cities.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </Field>
      </div>
      {loading && !data && <p class="muted">Chargement…</p>}
      <ErrorBox error={error} />
      {data && list.length === 0 && <p>Aucun bon plan pour ces critères.</p>}
      <ul class="list">
        {list.map((b) => (
          <li class="item" data-testid="bon-plan">
            <strong>{b.title}</strong>
            <p>{b.description}</p>
            <small>
              {b.partner_name} · {CATEGORIES[b.category] ?? b.category} · {b.city}
              {b.valid_until && ` · jusqu’au ${date(b.valid_until)}`}
            </small>
          </li>
        ))}
      </ul>
    </section>
  );
}

function OrderForm() {
  const [q, setQ] = useState('');
  const [ests, setEsts] = useState<Establishment[]>([]);
  const [form, setForm] = useState<OrderRequest>({
    first_name: '',
    last_name: '',
    birth_date: '',
    public: 'lyceen',
    track: 'seconde',
    disabled: false,
    establishment_id: '',
    address: '',
    postal_code: '',
    city: '',
  });
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<Order | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const t = setTimeout(() => {
      api.establishments(q || undefined).then(setEsts, () => undefined);
    }, 250);
    return () => clearTimeout(t);
  }, [q]);

  const tracks = PUBLICS.find((p) => p.value === form.public)?.tracks ?? [];
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  const set = (k: keyof OrderRequest) => (e: Event) => {
    const el = e.target as HTMLInputElement;
    setForm({ ...form, [k]: el.type === 'checkbox' ? el.checked : el.value });
  };
  const setPublic = (e: Event) => {
    const p = (e.target as HTMLSelectElement).value;
    const t = PUBLICS.find((x) => x.value === p)?.tracks ?? [];
    setForm({ ...form, public: p, track: t[0] ?? null });
  };

  if (done)
    return (
      <section>
        <h2>Commande envoyée</h2>
        <p>Votre établissement va vérifier votre commande. Vous suivrez son état sur l’écran « Ma carte ».</p>
        <a class="button primary" href="#/jeune">
          Suivre ma commande
        </a>
      </section>
    );

  const known = new Set(['first_name', 'last_name', 'birth_date', 'public', 'track', 'establishment_id', 'address', 'postal_code', 'city']);
  const generalError = error && !(error instanceof ApiError && error.field && known.has(error.field)) ? error : null;
  const input = (k: keyof OrderRequest, label: string, type: 'text' | 'date' = 'text', autocomplete?: string) => (
    <Field id={`o-${k}`} label={label} error={fieldError(k)}>
      <input
        id={`o-${k}`}
        name={k}
        type={type as "text"}
        autocomplete={autocomplete}
        value={form[k] as string}
        onInput={set(k)}
        aria-invalid={fieldError(k) ? 'true' : undefined}
        aria-describedby={fieldError(k) ? `o-${k}-error` : undefined}
        required
      />
    </Field>
  );

  return (
    <section aria-labelledby="order-title">
      <h2 id="order-title">Commander mon PASS</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            setDone(await api.createOrder({ ...form, track: tracks.length ? form.track : null }));
          } catch (err) {
            setError(err);
            // Take the user to the field at fault.
            if (err instanceof ApiError && err.field) setTimeout(() => document.getElementById(`o-${err.field}`)?.focus(), 0);
          } finally {
            setBusy(false);
          }
        }}
      >
        {input('first_name', 'Prénom', 'text', 'given-name')}
        {input('last_name', 'Nom', 'text', 'family-name')}
        {input('birth_date', 'Date de naissance', 'date', 'bday')}
        <Field id="o-public" label="Je suis" error={fieldError('public')}>
          <select id="o-public" value={form.public} onChange={setPublic}>
            {PUBLICS.map((p) => (
              <option value={p.value}>{p.label}</option>
            ))}
          </select>
        </Field>
        {tracks.length > 0 && (
          <Field id="o-track" label="Classe ou diplôme préparé" error={fieldError('track')}>
            <select id="o-track" value={form.track ?? ''} onChange={set('track')}>
              {tracks.map((t) => (
                <option value={t}>{TRACKS[t] ?? t}</option>
              ))}
            </select>
          </Field>
        )}
        <div class="field checkbox">
          <input id="o-disabled" type="checkbox" checked={form.disabled} onChange={set('disabled')} />
          <label for="o-disabled">Je suis en situation de handicap reconnue</label>
        </div>
        <Field id="o-est-q" label="Rechercher mon établissement" hint="Nom ou ville">
          <input id="o-est-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="o-establishment_id" label="Établissement" error={fieldError('establishment_id')}>
          <select id="o-establishment_id" value={form.establishment_id} onChange={set('establishment_id')} required>
            <option value="">— Choisir —</option>
            {ests.map((es) => (
              <option value={es.id}>
                {es.name} ({es.city})
              </option>
            ))}
          </select>
        </Field>
        {input('address', 'Adresse postale', 'text', 'street-address')}
        {input('postal_code', 'Code postal', 'text', 'postal-code')}
        {input('city', 'Ville', 'text', 'address-level2')}
        <ErrorBox error={generalError} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Envoi…' : 'Envoyer ma commande'}
        </button>
      </form>
      <p>
        <button type="button" class="link" onClick={() => go('#/jeune')}>
          Retour
        </button>
      </p>
    </section>
  );
}

export type { Card };
