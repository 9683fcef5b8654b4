// The établissement's desk, used all day on a computer (still usable on a
// tablet): the validation queue, the cards, each card's page, collective
// bookings, référents, and the team (its head only). Tables with sorting, search, pagination, CSV export and
// bulk actions (`desk.tsx`); every status in French words.
import { api } from './api';
import { AccountSecurity } from './account';
import { CardDetail, CardsDesk } from './establishment-cards';
import { OrdersDesk } from './establishment-orders';
import { isEstablishmentHead, StaffDesk } from './establishment-staff';
import { EstablishmentBookings } from './establishment-bookings';
import { EstablishmentReferents } from './referents';
import { Layout, Tab, useLoad } from './ui';

const ORDERS = '#/etablissement';
const CARDS = '#/etablissement/cartes';
const CARD = '#/etablissement/carte';
const BOOKINGS = '#/etablissement/reservations';
const REFERENTS = '#/etablissement/referents';
const TEAM = '#/etablissement/equipe';

export function EstablishmentApp({ hash, onLogout }: { hash: string; onLogout: () => void }) {
  const [route, query] = hash.split('?');
  const own = useLoad(() => api.ownEstablishment());
  const tabs: Tab[] = [
    { hash: ORDERS, label: 'Commandes', icon: '✓' },
    { hash: CARDS, label: 'Cartes', icon: '▣' },
    { hash: BOOKINGS, label: 'Réservations', icon: '☷' },
    { hash: REFERENTS, label: 'Référents', icon: '☎' },
    ...(isEstablishmentHead() ? [{ hash: TEAM, label: 'Équipe', icon: '☺' }] : []),
  ];
  const current = route === CARD ? CARDS : tabs.some((t) => t.hash === route) ? route : ORDERS;
  const cardId = new URLSearchParams(query ?? '').get('id') ?? '';
  const title = own.data ? `PASS’Région — ${own.data.name}` : 'PASS’Région Établissement';
  return (
    <Layout wide title={title} tabs={tabs} current={current} onLogout={onLogout}>
      {route === CARD ? (
        <CardDetail id={cardId} />
      ) : current === CARDS ? (
        <CardsDesk />
      ) : current === BOOKINGS ? (
        <EstablishmentBookings />
      ) : current === REFERENTS ? (
        <EstablishmentReferents />
      ) : current === TEAM ? (
        <StaffDesk />
      ) : (
        <OrdersDesk />
      )}
      <AccountSecurity />
    </Layout>
  );
}
