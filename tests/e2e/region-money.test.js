// End-to-end (issues 15, 16): the Region's payments and print queue at
// 1280×800 — closed batches, the journal, cards to print marked posted —
// and the youth seeing when her card was posted; no serious axe violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { PASSWORD, cleanupTemps, lastVerificationToken, launchDesktop, launchPhone, seriousA11yViolations, startServer } from './lib/env.js';

let server;
const contexts = [];

before(async () => {
  server = await startServer({ args: ['--debtor-iban', 'FR6220041010071234567890012', '--debtor-bic', 'PSSTFRPP', '--debtor-name', 'Région Auvergne-Rhône-Alpes'] });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

async function open(ctx) {
  contexts.push(ctx);
  return ctx.pages()[0] ?? (await ctx.newPage());
}

async function login(page, email, password = PASSWORD) {
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

test('a new card is printed and posted; the youth sees the date', async () => {
  // A youth orders; her établissement validates.
  const youth = await open(await launchPhone());
  await youth.goto(`${server.url}/#/connexion`);
  await youth.getByRole('button', { name: /Créer un compte/ }).click();
  await youth.getByLabel('Prénom et nom').fill('Jade Martin');
  await youth.getByLabel('Adresse e-mail').fill('jade@example.org');
  await youth.getByLabel('Mot de passe').fill('motdepasse1');
  await youth.getByRole('button', { name: 'Créer mon compte' }).click();
  await youth.getByRole('heading', { name: 'Vérifiez votre boîte mail' }).waitFor();
  await youth.goto(`${server.url}/#/verifier-email?jeton=${lastVerificationToken(server.dataDir, 'jade@example.org')}`);
  await youth.waitForURL(/#\/jeune/);
  const token = await youth.evaluate(() => JSON.parse(localStorage.getItem('pr.session')).token);
  const post = (path, body, t) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${t}` }, body: JSON.stringify(body) });
  const order = await (
    await post(
      '/api/youth/orders',
      {
        first_name: 'Jade', last_name: 'Martin', birth_date: '2010-03-14', public: 'lyceen', track: 'seconde', disabled: false,
        establishment_id: 'etab-ampere', address: '3 rue de la République', postal_code: '69002', city: 'Lyon',
      },
      token,
    )
  ).json();
  assert.ok(order.id, JSON.stringify(order));
  const etabToken = (await (await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'ampere@demo.passregion.fr', password: PASSWORD }) })).json()).token;
  assert.equal((await post(`/api/establishment/orders/${order.id}/decision`, { validate: true }, etabToken)).status, 200);
  await youth.reload();
  await youth.getByTestId('posting').getByText(/en cours d’impression/).waitFor();

  // The Region's print queue.
  const region = await open(await launchDesktop());
  await login(region, 'region@demo.passregion.fr');
  await region.getByRole('link', { name: 'Impression' }).click();
  await region.getByTestId('print-queue').waitFor();
  assert.deepEqual(await seriousA11yViolations(region), []);
  // The card maker's archive: the CSV and one SVG QR per card (a ZIP starts with PK).
  const [zip] = await Promise.all([region.waitForEvent('download'), region.getByRole('button', { name: /Archive pour l’imprimeur/ }).click()]);
  assert.equal(zip.suggestedFilename(), 'cartes-a-imprimer.zip');
  const bytes = await readFile(await zip.path());
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  await region.getByLabel('Rechercher').fill('Jade');
  await region.getByRole('checkbox', { name: /Sélectionner Martin Jade/ }).check();
  await region.getByRole('button', { name: 'Marquer expédiées aujourd’hui' }).click();
  await region.getByText('1 carte(s) marquée(s) expédiée(s) aujourd’hui.').waitFor();
  await youth.reload();
  await youth.getByTestId('posting').getByText(/a été expédiée le/).waitFor();

  // The payments screen.
  await region.getByRole('link', { name: 'Remboursements' }).click();
  await region.getByRole('heading', { name: 'Paiements des partenaires' }).waitFor();
  assert.deepEqual(await seriousA11yViolations(region), []);
});
