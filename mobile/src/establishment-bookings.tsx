// Collective bookings from the établissement's desk (issue 14, FAQ §14): the
// établissement asks a partner for a service to a group of its youths (date,
// avantage, price per youth, the youths picked from its cards); nothing is
// debited until the partner confirms on the day, or the booking expires.
// Once confirmed, the list shows who could not be debited and why. The
// caps and the debits are the server's: this screen only shows its answers.
import { useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, Card, CollectiveBooking, CollectiveBookingRequest, NetworkError, Partner, uuidv4 } from './api';
import { Column, DeskTable } from './desk';
import { amount, BOOKING_LINE_STATUS, CATEGORIES, date, euros, groupBy4, parseEurosInput } from './format';
import { ErrorBox, Field, OfflineBanner, useLoad } from './ui';

/** Today in the browser's time zone, as `YYYY-MM-DD`. */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function EstablishmentBookings() {
  const cards = useLoad(() => api.establishmentCards());
  const bookings = useLoad(() => api.establishmentBookings());
  return (
    <section aria-labelledby="cb-title">
      <OfflineBanner onRefresh={() => (cards.refresh(), bookings.refresh())} />
      <h2 id="cb-title">Réservations collectives</h2>
      <p class="hint">
        Demandez une prestation à un partenaire pour un groupe de vos jeunes. Rien n’est débité avant que le partenaire confirme la prestation, au
        plus tard à la fin du jour prévu ; sans confirmation, la réservation expire.
      </p>
      <ErrorBox error={cards.error} />
      {cards.data && <BookingForm cards={cards.data} onBooked={() => (bookings.refresh(), cards.refresh())} />}
      <h2 id="cb-list-title">Réservations demandées</h2>
      <ErrorBox error={bookings.error} />
      {bookings.data && bookings.data.length === 0 && <p>Aucune réservation pour l’instant.</p>}
      {bookings.data && bookings.data.length > 0 && <BookingList rows={bookings.data} onChanged={bookings.refresh} />}
    </section>
  );
}

interface AvantageChoice {
  code: string;
  label: string;
  kind: string;
  categories: string[];
}

function BookingForm({ cards, onBooked }: { cards: Card[]; onBooked: () => void }) {
  const [q, setQ] = useState('');
  const partners = useLoad(() => (q.trim().length >= 2 ? api.partners(undefined, q.trim()) : Promise.resolve([] as Partner[])), [q]);
  const [partnerId, setPartnerId] = useState('');
  const [partner, setPartner] = useState<Partner | null>(null);
  const [avantage, setAvantage] = useState('');
  const [serviceDate, setServiceDate] = useState(today());
  const [price, setPrice] = useState('');
  const [label, setLabel] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef<string | null>(null);
  // The avantages the établissement's youths hold, those the partner may debit.
  const avantages = useMemo(() => {
    const all = new Map<string, AvantageChoice>();
    for (const c of cards) for (const b of c.balances) all.set(b.avantage, { code: b.avantage, label: b.label, kind: b.kind, categories: b.categories });
    return [...all.values()].filter((a) => !partner || a.categories.includes(partner.category));
  }, [cards, partner]);
  const chosen = avantages.find((a) => a.code === avantage) ?? null;
  const fieldError = (f: string) => (error instanceof ApiError && error.field === f ? error.message : null);
  const left = (c: Card) => {
    const b = c.balances.find((x) => x.avantage === avantage);
    return b ? amount(b.kind, b.remaining) : '—';
  };
  const columns: Column<Card>[] = [
    { key: 'name', label: 'Jeune', value: (c) => `${c.first_name} ${c.last_name}` },
    { key: 'number', label: 'Carte', value: (c) => groupBy4(c.number) },
    { key: 'status', label: 'État de la carte', value: (c) => (c.status === 'active' ? 'Active' : c.status === 'suspendue' ? 'Suspendue' : 'Expédiée') },
    { key: 'left', label: chosen ? `Reste (${chosen.label})` : 'Reste', value: (c) => left(c) },
  ];
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    if (!partnerId) return setError(new ApiError(422, 'champ_invalide', 'Choisissez un partenaire.', 'partner_id'));
    if (!chosen) return setError(new ApiError(422, 'champ_invalide', 'Choisissez un avantage.', 'avantage'));
    const body: CollectiveBookingRequest = {
      partner_id: partnerId,
      avantage,
      service_date: serviceDate,
      card_ids: [...selected],
      label,
    };
    if (chosen.kind === 'entries') {
      const n = Number.parseInt(price, 10);
      if (!Number.isFinite(n) || n <= 0) return setError(new ApiError(422, 'champ_invalide', 'Indiquez un nombre d’entrées par jeune.', 'price_per_youth'));
      body.entries_per_youth = n;
    } else {
      const p = parseEurosInput(price);
      if (!p) return setError(new ApiError(422, 'champ_invalide', 'Le prix doit être un montant comme 12,50.', 'price_per_youth'));
      body.price_per_youth = p;
    }
    key.current ??= uuidv4();
    setBusy(true);
    try {
      const b = await api.requestBooking(body, key.current);
      key.current = null;
      setSelected(new Set());
      setNotice(`Réservation « ${b.label} » envoyée à ${b.partner_name} pour ${b.lines.length} jeune(s) : ${b.status_label}.`);
      onBooked();
    } catch (err) {
      setError(err);
      // Retried with the same key after a network failure: stored once.
      if (!(err instanceof NetworkError)) key.current = null;
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" aria-labelledby="cbf-title" onSubmit={submit} data-testid="booking-form">
      <h3 id="cbf-title">Nouvelle réservation</h3>
      <div class="filters">
        <Field id="cbf-q" label="Rechercher un partenaire (nom, commune)">
          <input id="cbf-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="cbf-partner" label="Partenaire" error={fieldError('partner_id')}>
          <select
            id="cbf-partner"
            value={partnerId}
            onChange={(e) => {
              const id = (e.target as HTMLSelectElement).value;
              setPartnerId(id);
              setPartner((partners.data ?? []).find((p) => p.id === id) ?? null);
              setAvantage('');
            }}
          >
            <option value="">{q.trim().length >= 2 ? `${partners.data?.length ?? 0} partenaire(s) trouvé(s)` : 'Tapez au moins 2 lettres'}</option>
            {(partners.data ?? []).map((p) => (
              <option value={p.id}>
                {p.name} — {CATEGORIES[p.category] ?? p.category}, {p.city}
              </option>
            ))}
          </select>
        </Field>
        <Field id="cbf-avantage" label="Avantage" error={fieldError('avantage')}>
          <select id="cbf-avantage" value={avantage} onChange={(e) => setAvantage((e.target as HTMLSelectElement).value)}>
            <option value="">Choisir</option>
            {avantages.map((a) => (
              <option value={a.code}>{a.label}</option>
            ))}
          </select>
        </Field>
        <Field id="cbf-date" label="Date de la prestation" error={fieldError('service_date')}>
          <input id="cbf-date" type="date" value={serviceDate} min={today()} onInput={(e) => setServiceDate((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field
          id="cbf-price"
          label={chosen?.kind === 'entries' ? 'Entrées par jeune' : 'Prix par jeune (€)'}
          hint="Au plus le montant de l’avantage pour la saison et le plafond de la Région."
          error={fieldError('price_per_youth')}
        >
          <input id="cbf-price" inputMode={chosen?.kind === 'entries' ? 'numeric' : 'decimal'} value={price} onInput={(e) => setPrice((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field id="cbf-label" label="Intitulé (montré au partenaire et aux jeunes)" error={fieldError('label')}>
          <input id="cbf-label" value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} maxLength={120} required />
        </Field>
      </div>
      <h4 id="cbf-youths">Jeunes concernés</h4>
      {fieldError('card_ids') && (
        <p class="field-error" role="alert">
          {fieldError('card_ids')}
        </p>
      )}
      <DeskTable caption="Cartes de l’établissement : cochez les jeunes du groupe" rows={cards} columns={columns} rowKey={(c) => c.id} selected={selected} onSelect={setSelected} testId="booking-youths" pageSize={50} />
      <ErrorBox error={error && !(error instanceof ApiError && error.field) ? error : null} />
      {notice && <p role="status">{notice}</p>}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || selected.size === 0}>
          Demander la réservation ({selected.size} jeune{selected.size > 1 ? 's' : ''})
        </button>
      </div>
    </form>
  );
}

/** Who could not be debited, and why (a confirmed booking). */
function NotDebited({ b }: { b: CollectiveBooking }) {
  const refused = b.lines.filter((l) => l.status === 'refuse');
  if (b.status !== 'confirmee') return <>—</>;
  if (refused.length === 0) return <>Tous débités</>;
  return (
    <ul class="plain">
      {refused.map((l) => (
        <li>
          {l.holder} : {l.message ?? BOOKING_LINE_STATUS[l.status] ?? l.status}
        </li>
      ))}
    </ul>
  );
}

function BookingList({ rows, onChanged }: { rows: CollectiveBooking[]; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const cancel = async (b: CollectiveBooking) => {
    if (!confirm(`Annuler la réservation « ${b.label} » ?`)) return;
    setError(null);
    try {
      await api.cancelBooking(b.id);
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  const columns: Column<CollectiveBooking>[] = [
    { key: 'label', label: 'Réservation', value: (b) => b.label },
    { key: 'partner', label: 'Partenaire', value: (b) => b.partner_name },
    { key: 'date', label: 'Date', value: (b) => b.service_date, render: (b) => date(b.service_date) },
    { key: 'youths', label: 'Jeunes', value: (b) => b.lines.length },
    { key: 'price', label: 'Par jeune', value: (b) => amount(b.unit_kind, b.price_per_youth) },
    { key: 'total', label: 'Total', value: (b) => euros(b.total) },
    { key: 'status', label: 'État', value: (b) => b.status_label },
    { key: 'debited', label: 'Débités', value: (b) => (b.status === 'confirmee' ? `${b.debited_cards} / ${b.lines.length}` : '—') },
    {
      key: 'refused',
      label: 'Non débités',
      sortable: false,
      value: (b) => b.lines.filter((l) => l.status === 'refuse').map((l) => `${l.holder} : ${l.message ?? ''}`).join(' ; '),
      render: (b) => <NotDebited b={b} />,
    },
    {
      key: 'actions',
      label: 'Actions',
      sortable: false,
      value: () => '',
      render: (b) =>
        b.status === 'demandee' ? (
          <button type="button" aria-label={`Annuler la réservation ${b.label}`} onClick={() => cancel(b)}>
            Annuler
          </button>
        ) : null,
    },
  ];
  return (
    <>
      <ErrorBox error={error} />
      <DeskTable caption="Réservations collectives de l’établissement" rows={rows} columns={columns} rowKey={(b) => b.id} testId="bookings" csvName="reservations-collectives.csv" />
    </>
  );
}
