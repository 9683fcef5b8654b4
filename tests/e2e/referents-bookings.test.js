// End-to-end (issue 14): référents on request and collective bookings.
// Lycée Ampère (1280×800) declares a sport référent; a club (360×740) asks
// for it and sees no contact until the établissement grants, then sees it.
// The établissement books a cinema session for the 13 youths of its 1re B
// (a fixed part of the demo: one of them has used all its cinema entries);
// the cinema confirms on its phone; 12 balances drop (checked through the
// API) and the youth without credit is reported in the établissement's
// booking view; a youth sees the debit in its history. Each screen passes
// axe-core with no serious violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, apiLogin, cleanupTemps, launchDesktop, launchPhone, seriousA11yViolations, startServer } from './lib/env.js';

const EMAIL = 'garnier@ampere.example';
const PHONE = '04 72 10 20 30';
const CLUB = 'Union sportive de la Croix-Rousse';
const LABEL = 'Séance de cinéma — 1re B';
// The demo's class of 1re B at Lycée Ampère (server/src/demo/class.rs); the last has no cinema entry left.
const CLASS = [
  'Adam Aubert', 'Alice Barbier', 'Axel Carré', 'Clara Dumas', 'Élise Fabre', 'Gabin Gauthier', 'Jules Hubert',
  'Lou Lacroix', 'Maël Marchand', 'Nina Noël', 'Paul Perret', 'Rose Renaud', 'Sacha Vidal',
];
let server;
const contexts = [];
let etab; // Lycée Ampère's desk
let club; // the club's phone

async function noSeriousViolations(page, where) {
  const v = await seriousA11yViolations(page);
  assert.deepEqual(v, [], `${where}: ${JSON.stringify(v, null, 1)}`);
}

async function login(page, email) {
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

async function open(ctx) {
  contexts.push(ctx);
  return ctx.pages()[0] ?? (await ctx.newPage());
}

/** The cinema entries left on each card of the class, by holder (through the établissement's API). */
async function cinemaLeft() {
  const get = await apiLogin(server.url, 'ampere@demo.passregion.fr');
  const cards = await get('/api/establishment/cards');
  const left = {};
  for (const c of cards) {
    const name = `${c.first_name} ${c.last_name}`;
    if (CLASS.includes(name)) left[name] = c.balances.find((b) => b.avantage === 'cinema')?.remaining;
  }
  return left;
}

before(async () => {
  server = await startServer();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

test('the établissement declares a sport référent; a club sees its contact only once granted', async () => {
  etab = await open(await launchDesktop());
  await login(etab, 'ampere@demo.passregion.fr');
  await etab.waitForURL(/#\/etablissement$/);
  await etab.getByRole('link', { name: 'Référents' }).click();
  await etab.getByRole('heading', { name: 'Déclarer un référent' }).waitFor();
  await noSeriousViolations(etab, 'établissement référents (empty form)');
  await etab.getByLabel('Thème').selectOption('sport');
  await etab.getByLabel('Nom du référent').fill('Mme Garnier');
  await etab.getByLabel('E-mail du référent').fill(EMAIL);
  await etab.getByLabel('Téléphone du référent (facultatif)').fill(PHONE);
  await etab.getByRole('button', { name: 'Déclarer le référent' }).click();
  await etab.getByText('Mme Garnier est déclaré(e) comme référent sport.').waitFor();
  await etab.getByTestId('referents').locator('tr', { hasText: 'Mme Garnier' }).getByText(EMAIL).waitFor();
  await noSeriousViolations(etab, 'établissement référents (declared)');

  // The club, on its phone: the référent's name, no contact.
  club = await open(await launchPhone());
  await login(club, 'club-sportif@demo.passregion.fr');
  await club.waitForURL(/#\/partenaire/);
  await club.goto(`${server.url}/#/partenaire/convention`);
  const section = club.getByTestId('partner-referents');
  await section.waitFor();
  await section.getByLabel('Thème').selectOption('sport');
  await section.getByLabel('Rechercher (établissement, nom)').fill('Ampère');
  const item = section.getByTestId('partner-referent').filter({ hasText: 'Mme Garnier' });
  await item.waitFor();
  assert.match(await item.textContent(), /Sport · Lycée Ampère/);
  assert.equal(await item.getByTestId('referent-contact').count(), 0);
  await item.getByRole('button', { name: /Demander le contact/ }).click();
  await item.getByLabel('Votre message à l’établissement').fill('Nous proposons une découverte du basket aux élèves de seconde.');
  await noSeriousViolations(club, 'partner référents (request form)');
  await item.getByRole('button', { name: 'Envoyer la demande' }).click();
  await item.getByText('en attente de l\'établissement').waitFor();
  const page = await club.content();
  assert.ok(!page.includes(EMAIL) && !page.includes(PHONE), 'no contact before the grant');
  await noSeriousViolations(club, 'partner référents (waiting)');
  const asClub = await apiLogin(server.url, 'club-sportif@demo.passregion.fr');
  const seen = (await asClub('/api/partner/referents?theme=sport')).find((r) => r.name === 'Mme Garnier');
  assert.deepEqual([seen.email, seen.phone, seen.request.status], [null, null, 'demandee']);

  // The établissement grants.
  await etab.reload();
  const row = etab.getByTestId('referent-requests').locator('tr', { hasText: CLUB }).filter({ hasText: 'Mme Garnier' });
  await row.waitFor();
  assert.match(await row.textContent(), /Nous proposons une découverte du basket/);
  await noSeriousViolations(etab, 'établissement référent requests');
  await row.getByRole('button', { name: /^Accorder/ }).click();
  await etab.getByText(`${CLUB} voit maintenant le contact de Mme Garnier.`).waitFor();
  await row.getByText('accordée').waitFor();

  // The club now sees the contact.
  await club.reload();
  await section.getByLabel('Thème').selectOption('sport');
  await section.getByLabel('Rechercher (établissement, nom)').fill('Ampère');
  const contact = item.getByTestId('referent-contact');
  await contact.waitFor();
  assert.match(await contact.textContent(), new RegExp(`${EMAIL}.*${PHONE}`));
  await item.getByText('accordée').waitFor();
  await noSeriousViolations(club, 'partner référents (granted)');
});

test('a cinema session for the 1re B: the cinema confirms on its phone, 12 are debited, one is reported', async () => {
  const before = await cinemaLeft();
  assert.equal(Object.keys(before).length, 13, JSON.stringify(before));
  assert.equal(before['Sacha Vidal'], '0');
  assert.ok(CLASS.slice(0, 12).every((n) => before[n] === '5'), JSON.stringify(before));

  await etab.getByRole('link', { name: 'Réservations' }).click();
  const form = etab.getByTestId('booking-form');
  await form.waitFor();
  await noSeriousViolations(etab, 'établissement bookings (form)');
  await form.getByLabel('Rechercher un partenaire (nom, commune)').fill('Zola');
  const zola = form.getByLabel('Partenaire', { exact: true }).locator('option', { hasText: 'Cinéma Le Zola' });
  await zola.waitFor({ state: 'attached' });
  await form.getByLabel('Partenaire', { exact: true }).selectOption(await zola.getAttribute('value'));
  await form.getByLabel('Avantage').selectOption('cinema');
  await form.getByLabel('Entrées par jeune').fill('1');
  await form.getByLabel('Intitulé (montré au partenaire et aux jeunes)').fill(LABEL);
  for (const name of CLASS) await form.getByLabel(`Sélectionner ${name}`, { exact: true }).check();
  await form.getByText('13 sélectionnés').waitFor();
  await noSeriousViolations(etab, 'établissement bookings (13 youths selected)');
  await form.getByRole('button', { name: 'Demander la réservation (13 jeunes)' }).click();
  await form.getByText(`Réservation « ${LABEL} » envoyée à Cinéma Le Zola pour 13 jeune(s) : en attente du partenaire.`).waitFor();
  const row = etab.getByTestId('bookings').locator('tr', { hasText: LABEL });
  await row.getByText('en attente du partenaire').waitFor();
  // Requested: nothing is debited yet.
  assert.deepEqual(await cinemaLeft(), before);

  // The cinema confirms on its phone.
  const cinema = await open(await launchPhone());
  await login(cinema, 'cinema@demo.passregion.fr');
  await cinema.waitForURL(/#\/partenaire/);
  await cinema.getByRole('link', { name: 'Réservations' }).click();
  const booking = cinema.getByTestId('partner-booking').filter({ hasText: LABEL });
  await booking.waitFor();
  assert.match(await booking.textContent(), /Lycée Ampère/);
  assert.match(await booking.textContent(), /13 jeune\(s\)/);
  await noSeriousViolations(cinema, 'cinema bookings (to confirm)');
  await booking.getByRole('button', { name: 'Confirmer la prestation' }).click();
  await booking.getByText(/12 jeune\(s\) débité\(s\) ; non débités : Sacha V\./).waitFor();
  await noSeriousViolations(cinema, 'cinema bookings (confirmed)');

  // Twelve balances dropped by one entry; the youth without credit is unchanged.
  const after = await cinemaLeft();
  assert.ok(CLASS.slice(0, 12).every((n) => after[n] === '4'), JSON.stringify(after));
  assert.equal(after['Sacha Vidal'], '0');

  // The établissement sees who could not be debited and why.
  await etab.reload();
  const done = etab.getByTestId('bookings').locator('tr', { hasText: LABEL });
  await done.getByText('confirmée').waitFor();
  assert.match(await done.textContent(), /12 \/ 13/);
  assert.match(await done.textContent(), /Sacha V\. : Il ne reste plus de crédit sur cet avantage\./);
  await noSeriousViolations(etab, 'établissement bookings (confirmed)');
});

test('a youth of the class sees the collective debit in its history', async () => {
  const youth = await open(await launchPhone());
  await login(youth, '1reb-01@demo.passregion.fr');
  await youth.waitForURL(/#\/jeune/);
  await youth.getByRole('link', { name: 'Historique' }).click();
  const tx = youth.getByTestId('transaction').filter({ hasText: 'Cinéma Le Zola' });
  await tx.waitFor();
  assert.match(await tx.textContent(), new RegExp(`réservation collective « ${LABEL} »`));
  assert.match(await tx.textContent(), /1\u00a0entrée/);
  await noSeriousViolations(youth, 'youth history');
});
