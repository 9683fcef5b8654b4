// End-to-end on two server instances (issue 17, ADR 0036): with
// PASSREGION_SERVER=…/passregion-cluster (the test command's PostgreSQL pass)
// the server is two instances on one PostgreSQL database behind a
// round-robin balancer. A cashier debits Léa's card from the partner web app
// (card number + birth date) five times at a 360×740 phone while instance 1
// is killed in the middle of the burst: every debit gets its receipt, each is
// applied once (the balance drops by exactly the sum), and the Region's
// ledger check is green. Skipped on the single SQLite server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, SERVER_BIN, apiLogin, cleanupTemps, launchPhone, startServer } from './lib/env.js';

const cluster = SERVER_BIN.endsWith('passregion-cluster');
let server;
let phone;

before(async () => {
  if (!cluster) return;
  server = await startServer();
});

after(async () => {
  await phone?.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

async function leaBalance() {
  const get = await apiLogin(server.url, 'lea@demo.passregion.fr');
  const card = await get('/api/youth/card');
  return Math.round(Number(card.balances.find((b) => b.avantage === 'lecture_loisir').remaining) * 100);
}

const alive = async () => (await (await fetch(`${server.url}/__cluster`)).json()).map((i) => i.alive);

test('web debits spread over two instances, one killed mid-burst, are each applied once', { skip: !cluster && 'needs the cluster launcher (PASSREGION_SERVER=…/passregion-cluster)' }, async () => {
  const m = server.lines.map((l) => /Carte de Léa[^:]*:\s*(\S+)\s*\(née le (\d{2})\/(\d{2})\/(\d{4})\)/.exec(l)).find(Boolean);
  assert.ok(m, server.lines.join('\n'));
  const card = { number: m[1], birth: `${m[4]}-${m[3]}-${m[2]}` };
  assert.deepEqual(await alive(), [true, true]);
  const before = await leaBalance();

  phone = await launchPhone();
  const page = phone.pages()[0] ?? (await phone.newPage());
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill('librairie@demo.passregion.fr');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/#\/partenaire/);
  await page.goto(`${server.url}/#/partenaire/saisie`);
  for (let i = 0; i < 5; i++) {
    if (i > 0) await page.getByRole('button', { name: 'Client suivant' }).click();
    await page.getByLabel('Numéro de carte').fill(card.number);
    await page.getByLabel('Date de naissance du titulaire').fill(card.birth);
    await page.getByRole('button', { name: 'Vérifier la carte' }).click();
    await page.getByTestId('inspection').waitFor();
    await page.getByTestId('avantage-lecture_loisir').locator('input').check();
    await page.getByLabel('Prix de la prestation (€)').fill('1');
    if (i === 2) {
      // Instance 1 dies while this debit is on its way.
      const killed = fetch(`${server.url}/__cluster/kill?instance=1`, { method: 'POST' });
      await page.getByTestId('confirm-debit').click();
      assert.equal((await killed).status, 204);
    } else {
      await page.getByTestId('confirm-debit').click();
    }
    await page.getByTestId('receipt').waitFor();
  }
  assert.deepEqual(await alive(), [true, false]);
  assert.equal(await leaBalance(), before - 500, 'each debit applied once');
  const region = await apiLogin(server.url, 'region@demo.passregion.fr');
  const check = await region('/api/region/ledger/check');
  assert.deepEqual(check.inconsistencies, []);
  assert.equal(check.orphans, 0);
});
