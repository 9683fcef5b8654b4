// End-to-end (issue 14), at 1280×800: the head of Lycée Ampère invites a
// colleague, who logs in and sees only Lycée Ampère; the head revalidates
// the 200 cards in one action for the next season, 3 are refused and
// explained (too old for their public); a card is suspended with a reason
// kept in its history; orders are filtered by class and decided in bulk.
// Every screen passes axe-core with no serious violation.
//
// The server starts on 20 April 2027 (revalidation for 2027-2028 is open)
// with 200 cards at Lycée Ampère: the demo's featured youth (Léa), its 1re B
// (13 youths) and a class of 186 (`--demo-ampere-youths 186`: 3 of them turn
// 26 on 1 June 2027, and 6 orders wait).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, cleanupTemps, lastVerificationToken, launchDesktop, seriousA11yViolations, startServer } from './lib/env.js';

const HEAD = 'ampere@demo.passregion.fr';
const COLLEAGUE = 'camille.roux@example.org';
let server;
const contexts = [];
let head; // the head's page

async function noSeriousViolations(page, where) {
  const v = await seriousA11yViolations(page);
  assert.deepEqual(v, [], `${where}: ${JSON.stringify(v, null, 1)}`);
}

async function open() {
  const ctx = await launchDesktop();
  contexts.push(ctx);
  return ctx.pages()[0] ?? (await ctx.newPage());
}

async function login(page, email, password = PASSWORD) {
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

/** The page's session token (to check the API as that account). */
async function apiAs(page) {
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('pr.session') ?? 'null')?.token);
  return async (path) => {
    const r = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: r.status, body: await r.json().catch(() => null) };
  };
}

const tab = (page, name) => page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name, exact: true });

before(async () => {
  server = await startServer({ youths: 1, args: ['--demo-ampere-youths', '186', '--start-time', '2027-04-20T08:00:00Z'] });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

test('the head of Lycée Ampère invites a colleague, who sees only Lycée Ampère', async () => {
  head = await open();
  await login(head, HEAD);
  await head.waitForURL(/#\/etablissement$/);
  await head.getByRole('heading', { name: 'PASS’Région — Lycée Ampère' }).waitFor();
  await head.getByRole('heading', { name: 'Commandes', exact: true }).waitFor();
  await head.getByTestId('orders').locator('tbody tr').first().waitFor();
  await noSeriousViolations(head, 'validation queue');

  await tab(head, 'Équipe').click();
  await head.getByRole('heading', { name: 'Équipe de l’établissement' }).waitFor();
  await head.getByTestId('team-table').getByText('Chef d’établissement').waitFor();
  await noSeriousViolations(head, 'team');
  await head.locator('#t-email').fill(COLLEAGUE);
  await head.locator('#t-name').fill('Camille Roux');
  await head.getByRole('button', { name: 'Envoyer l’invitation' }).click();
  await head.getByText(`Invitation envoyée à ${COLLEAGUE}`).waitFor();
  const row = head.getByTestId('team-table').locator('tr', { hasText: 'Camille Roux' });
  await row.getByText('Personnel de l’établissement').waitFor();
  await row.getByText(/Invitation envoyée, valable jusqu’au/).waitFor();
  await noSeriousViolations(head, 'team with an invitation');

  const jeton = lastVerificationToken(server.dataDir, COLLEAGUE);
  assert.ok(jeton, 'an invitation link was mailed');
  const colleague = await open();
  await colleague.goto(`${server.url}/#/invitation?jeton=${jeton}&espace=etablissement`);
  await colleague.getByRole('heading', { name: 'Rejoindre l’espace établissement' }).waitFor();
  await noSeriousViolations(colleague, 'invitation page');
  await colleague.getByLabel('Mot de passe').fill('collegue-secret-1');
  await colleague.getByRole('button', { name: 'Activer mon compte' }).click();
  await colleague.waitForURL(/#\/etablissement$/);
  await colleague.getByRole('heading', { name: 'PASS’Région — Lycée Ampère' }).waitFor();
  // The team is the head's: no tab, and the server refuses.
  assert.equal(await tab(colleague, 'Équipe').count(), 0);
  await tab(colleague, 'Cartes').click();
  await colleague.getByTestId('cards').locator('tbody tr').first().waitFor();
  await colleague.getByText('200 résultats', { exact: true }).waitFor();
  await noSeriousViolations(colleague, 'cards (colleague)');
  const api = await apiAs(colleague);
  const cards = await api('/api/establishment/cards');
  assert.equal(cards.status, 200);
  assert.equal(cards.body.length, 200);
  assert.ok(cards.body.every((c) => c.establishment_id === 'etab-ampere'));
  const orders = await api('/api/establishment/orders');
  assert.ok(orders.body.length > 0 && orders.body.every((o) => o.establishment_id === 'etab-ampere'));
  const team = await api('/api/establishment/staff');
  assert.equal(team.status, 403);
  assert.equal(team.body.code, 'reserve_au_chef_etablissement');
  // The head sees the colleague active now.
  await head.reload();
  await row.getByText('Actif', { exact: true }).waitFor();
});

test('the head revalidates 200 cards in one action; 3 are refused and explained', async () => {
  await tab(head, 'Cartes').click();
  const table = head.getByTestId('cards');
  await table.locator('tbody tr').first().waitFor();
  await head.getByText('200 résultats', { exact: true }).waitFor();
  await head.getByRole('button', { name: 'Sélectionner les 200 résultats' }).click();
  await head.getByText('200 résultats · 200 sélectionnés', { exact: true }).waitFor();
  await noSeriousViolations(head, 'cards, 200 selected');
  await head.getByRole('button', { name: 'Revalider pour la saison (200)' }).click();
  const results = head.getByTestId('bulk-results');
  await results.waitFor();
  assert.equal(await results.getByTestId('bulk-summary').textContent(), '197 revalidée(s), 3 refusée(s) (motifs ci-dessous).');
  const refused = results.getByTestId('bulk-refused').locator('tbody tr');
  assert.equal(await refused.count(), 3);
  for (const text of await refused.allTextContents()) {
    assert.match(text, /Âge limite dépassé pour la saison 2027-2028 : 26 ans au 1er juin 2027, au-delà des 25 ans du public « Lycéen »/);
  }
  await noSeriousViolations(head, 'revalidation results');
  // Each card now says its season, in the table and on the server.
  const api = await apiAs(head);
  const cards = (await api('/api/establishment/cards')).body;
  assert.equal(cards.filter((c) => c.season === '2027-2028').length, 197);
  assert.equal(cards.filter((c) => c.season === '2026-2027').length, 3);
});

test('a card is suspended with a reason, reactivated, and its history says when and who', async () => {
  const name = (await head.getByTestId('bulk-refused').locator('tbody tr td').first().textContent()).trim();
  await head.getByRole('button', { name: 'Fermer le résultat' }).click();
  await head.locator('#cards-q').fill(name);
  // The refused card is the one still of the 2026-2027 season.
  await head.getByTestId('cards').locator('tr', { hasText: '2026-2027' }).getByRole('link', { name: `Ouvrir la fiche de la carte de ${name}` }).first().click();
  await head.getByRole('heading', { name: `Carte de ${name}` }).waitFor();
  await head.getByLabel(/Motif de la suspension/).fill('Carte signalée perdue');
  await head.getByRole('button', { name: 'Suspendre', exact: true }).click();
  await head.getByText('La carte est suspendue.').waitFor();
  const history = head.getByTestId('card-history');
  await history.locator('tr', { hasText: 'Suspension' }).getByText('Carte signalée perdue').waitFor();
  await history.locator('tr', { hasText: 'Suspension' }).getByText('Secrétariat — Lycée Ampère').waitFor();
  await noSeriousViolations(head, 'card page, suspended');
  await head.getByRole('button', { name: 'Réactiver la carte' }).click();
  await head.getByText('La carte est réactivée.').waitFor();
  await history.locator('tr', { hasText: 'Réactivation' }).waitFor();
  // Revalidating it alone gives the same reason as in bulk.
  await head.getByRole('button', { name: 'Revalider pour la saison' }).click();
  await head.getByTestId('bulk-refused').getByText(/Âge limite dépassé/).waitFor();
  await noSeriousViolations(head, 'card page, history');
});

test('orders are filtered by class and validated or refused together', async () => {
  await tab(head, 'Commandes').click();
  const table = head.getByTestId('orders');
  await table.locator('tbody tr').first().waitFor();
  await head.getByText('6 résultats', { exact: true }).waitFor();
  await head.getByLabel('Classe ou diplôme').selectOption('seconde');
  await head.getByText('2 résultats', { exact: true }).waitFor();
  await head.getByRole('button', { name: 'Sélectionner les 2 résultats' }).click();
  await head.getByRole('button', { name: 'Valider la sélection (2)' }).click();
  await head.getByTestId('bulk-summary').getByText('2 validée(s), carte(s) émise(s), 0 non traitée(s).').waitFor();
  await head.getByText('Aucune commande pour ces critères.').waitFor();
  await head.getByLabel('Classe ou diplôme').selectOption('');
  await head.getByText('4 résultats', { exact: true }).waitFor();
  await head.getByRole('button', { name: 'Sélectionner les 4 résultats' }).click();
  await head.getByRole('button', { name: 'Refuser la sélection avec ce motif' }).click();
  await head.getByText('Indiquez le motif du refus : il est montré à chaque jeune.').waitFor();
  await noSeriousViolations(head, 'orders, refusal without a reason');
  await head.getByLabel('Motif du refus (pour toute la sélection)').fill('Inscription dans l’établissement non confirmée');
  await head.getByRole('button', { name: 'Refuser la sélection avec ce motif' }).click();
  await head.getByTestId('bulk-summary').getByText('4 refusée(s) avec ce motif, 0 non traitée(s).').waitFor();
  await head.getByLabel('Statut').selectOption('refusee');
  await table.locator('tr', { hasText: 'Inscription dans l’établissement non confirmée' }).first().waitFor();
  await noSeriousViolations(head, 'refused orders');
});
