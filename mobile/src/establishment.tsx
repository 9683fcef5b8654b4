// The établissement's screens: orders to validate, cards.
import { useState } from 'preact/hooks';
import { api, Card, Order } from './api';
import { AccountSecurity } from './account';
import { CARD_STATUS, date, dateTime, groupBy4, PUBLICS, TRACKS } from './format';
import { ErrorBox, Layout, OfflineBanner, Tab, useLoad } from './ui';
import { EstablishmentReferents } from './referents';
import { EstablishmentBookings } from './establishment-bookings';

const EST_TABS: Tab[] = [
  { hash: '#/etablissement', label: 'Commandes', icon: '✓' },
  { hash: '#/etablissement/cartes', label: 'Cartes', icon: '▣' },
  { hash: '#/etablissement/reservations', label: 'Réservations', icon: '☷' },
  { hash: '#/etablissement/referents', label: 'Référents', icon: '☎' },
];

export function EstablishmentApp({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  const route = hash.split('?')[0];
  return (
    <Layout wide title="PASS'Région Établissement" tabs={EST_TABS} current={EST_TABS.some((t) => t.hash === route) ? route : '#/etablissement'} onLogout={onLogout}>
      {route === '#/etablissement/cartes' ? <Cards /> : route === '#/etablissement/reservations' ? <EstablishmentBookings /> : route === '#/etablissement/referents' ? <EstablishmentReferents /> : <Orders />}
      <AccountSecurity />
    </Layout>
  );
}

function Orders() {
  const { data, error, refresh } = useLoad(() => api.establishmentOrders('en_attente'));
  const [actionError, setActionError] = useState<unknown>(null);
  const decide = async (o: Order, validate: boolean) => {
    setActionError(null);
    let reason: string | undefined;
    if (!validate) {
      reason = prompt('Motif du refus (montré au jeune) :') ?? undefined;
      if (!reason) return;
    }
    try {
      await api.decideOrder(o.id, validate, reason);
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <section>
      <OfflineBanner onRefresh={refresh} />
      <h2>Commandes à valider</h2>
      <ErrorBox error={error ?? actionError} />
      {data && data.length === 0 && <p>Aucune commande en attente.</p>}
      <ul class="list">
        {(data ?? []).map((o) => (
          <li class="item">
            <strong>
              {o.first_name} {o.last_name}
            </strong>{' '}
            — né(e) le {date(o.birth_date)}
            <br />
            <small>
              {PUBLICS.find((p) => p.value === o.public)?.label ?? o.public}
              {o.track && ` · ${TRACKS[o.track] ?? o.track}`}
              {o.disabled && ' · handicap reconnu'} · saison {o.season} · reçue le {dateTime(o.created_at)}
            </small>
            <div class="actions">
              <button type="button" class="primary" onClick={() => decide(o, true)}>
                Valider
              </button>
              <button type="button" onClick={() => decide(o, false)}>
                Refuser
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Cards() {
  const { data, error, refresh } = useLoad(() => api.establishmentCards());
  const [q, setQ] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const act = async (f: () => Promise<Card>) => {
    setActionError(null);
    try {
      await f();
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  const list = (data ?? []).filter((c) => !q || `${c.first_name} ${c.last_name} ${c.number}`.toLowerCase().includes(q.toLowerCase()));
  return (
    <section>
      <OfflineBanner onRefresh={refresh} />
      <h2>Cartes de l’établissement</h2>
      <div class="field">
        <label for="c-q">Rechercher</label>
        <input id="c-q" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </div>
      <ErrorBox error={error ?? actionError} />
      <ul class="list">
        {list.map((c) => (
          <li class="item">
            <strong>
              {c.first_name} {c.last_name}
            </strong>{' '}
            · {CARD_STATUS[c.status] ?? c.status}
            <br />
            <small>
              {groupBy4(c.number)} · saison {c.season} · jusqu’au {date(c.valid_until)}
              {c.status_reason && ` · ${c.status_reason}`}
            </small>
            <div class="actions">
              {c.status !== 'suspendue' ? (
                <button
                  type="button"
                  onClick={() => {
                    const r = prompt('Motif de la suspension :');
                    if (r) void act(() => api.suspendCard(c.id, r));
                  }}
                >
                  Suspendre
                </button>
              ) : (
                <button type="button" onClick={() => act(() => api.reactivateCard(c.id))}>
                  Réactiver
                </button>
              )}
              <button type="button" onClick={() => act(() => api.revalidateCard(c.id))}>
                Revalider pour la saison
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
