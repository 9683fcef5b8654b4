// End-to-end (issue 14): the Region's desk at 1280×800. The live feed is
// open when two partner devices (the core client, in other processes)
// sync offline debits of one card that together overspend it: the new rows
// appear at the top without a reload; the Region sees the offline
// overspend on the Fraud tab, with both devices, and marks it handled with
// a note; the card's link opens the support look-up (audited). Every screen
// passes axe-core with no serious violation.
//
// Needs the server and the offline partner helper:
//   cargo build -p passregion-server -p passregion-tests --bin passregion-offline-partner
// (PASSREGION_SERVER and PASSREGION_OFFLINE_PARTNER point elsewhere).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, PASSWORD, cleanupTemps, launchDesktop, seriousA11yViolations, startServer, tempDir } from './lib/env.js';

const OFFLINE_PARTNER = process.env.PASSREGION_OFFLINE_PARTNER ?? join(ROOT, 'target', 'debug', 'passregion-offline-partner');
const YOUTH = 'lea@demo.passregion.fr';
const PARTNER = 'librairie@demo.passregion.fr';

let server;
let ctx;
let region;

async function noSeriousViolations(page, where) {
  const v = await seriousA11yViolations(page);
  assert.deepEqual(v, [], `${where}: ${JSON.stringify(v, null, 1)}`);
}

async function api(path, { token, body, method } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

async function token(email) {
  return (await api('/api/auth/login', { body: { email, password: PASSWORD } })).token;
}

// RFC 9285 base45 (as mobile/src/qr/base45.ts).
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
function base45(bytes) {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i] * 256 + bytes[i + 1];
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    out += B45[c] + B45[d] + B45[(n - d) / 45];
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1];
    out += B45[n % 45] + B45[Math.floor(n / 45)];
  }
  return out;
}

/** The youth's phone: an Ed25519 device key, its app credential, and the `PD1:` codes it signs (as mobile/src/qr/device.ts). */
async function youthPhone(email) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const t = await token(email);
  const c = await api('/api/youth/credentials', { token: t, body: { device_public_key: raw.toString('base64url') } });
  const credential = Buffer.from(c.credential, 'base64url');
  assert.equal(credential.length, 154);
  const tag = Buffer.from('passregion/PD1\0');
  return (counter) => {
    const body = Buffer.alloc(credential.length + 8);
    credential.copy(body, 0);
    body.writeUInt32BE(Math.floor(Date.now() / 1000 / 30), credential.length);
    body.writeUInt32BE(counter, credential.length + 4);
    const sig = sign(null, Buffer.concat([tag, body]), privateKey);
    return 'PD1:' + base45(Buffer.concat([body, sig]));
  };
}

/** A partner device on the core client (its own store): logged in, enrolled, lists pulled. */
function partnerDevice() {
  const store = join(tempDir('pr-e2e-device-'), 'partner.db');
  execFileSync(OFFLINE_PARTNER, ['login', store, server.url, PARTNER, PASSWORD], { encoding: 'utf8' });
  return {
    record: (qr, price) => execFileSync(OFFLINE_PARTNER, ['record', store, qr, 'lecture_loisir', price], { encoding: 'utf8' }).trim(),
    sync: () => execFileSync(OFFLINE_PARTNER, ['sync', store], { encoding: 'utf8' }).trim(),
  };
}

async function login(page, email) {
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

before(async () => {
  if (!existsSync(OFFLINE_PARTNER)) throw new Error(`missing ${OFFLINE_PARTNER}: cargo build -p passregion-tests --bin passregion-offline-partner`);
  server = await startServer();
  ctx = await launchDesktop();
  region = ctx.pages()[0] ?? (await ctx.newPage());
});

after(async () => {
  await ctx?.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

test('the live feed shows the offline debits of a sync at the top, without a reload', async () => {
  await login(region, 'region@demo.passregion.fr');
  await region.waitForURL(/#\/region$/);
  const feed = region.getByTestId('region-feed');
  await feed.waitFor();
  await noSeriousViolations(region, 'Region transaction feed');
  // Statuses and channels in French words, never a code.
  const text = await feed.textContent();
  assert.doesNotMatch(text, /en_cours_de_remboursement|en_attente|\bqr\b|\boffline\b/);
  await region.evaluate(() => (window.__noReload = true));
  const before = await feed.locator('tbody tr').filter({ hasText: 'hors ligne' }).count();

  // Léa's phone signs two codes; two devices of the bookshop debit 12 €
  // each while offline (each within the 30 € allowance, together above her
  // 15 € lecture loisir balance), then sync.
  const code = await youthPhone(YOUTH);
  const first = partnerDevice();
  const second = partnerDevice();
  first.record(code(1), '12.00');
  second.record(code(2), '12.00');
  assert.equal(first.sync(), '1 0');
  assert.equal(second.sync(), '1 0');

  const offline = feed.locator('tbody tr').filter({ hasText: 'hors ligne' });
  // Polled every 10 s: no reload, no click.
  await offline.nth(before + 1).waitFor({ timeout: 25_000 });
  assert.equal(await offline.count(), before + 2);
  assert.match(await feed.locator('tbody tr').first().textContent(), /hors ligne/, 'new rows at the top');
  // The second debit: 3 € left on the card, 12 € due to the bookshop.
  assert.match(await feed.locator('tbody tr').first().textContent(), /−3,00\s€.*12,00\s€/);
  assert.match(await region.getByTestId('feed-announce').textContent(), /nouvelles? transactions? en tête de liste/);
  assert.equal(await region.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  await noSeriousViolations(region, 'Region feed with new rows');
});

test('the Region sees the offline overspend on the Fraud tab and marks it handled with a note', async () => {
  await region.getByRole('link', { name: 'Fraude' }).click();
  const table = region.getByTestId('anomalies');
  await table.waitFor();
  await region.getByLabel('Type', { exact: true }).selectOption('depassement_hors_ligne');
  const row = table.locator('tbody tr').filter({ hasText: 'Dépassement hors ligne' });
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.match(await row.textContent(), /9,00/, 'the Region carries 24 − 15 €');
  assert.match(await row.textContent(), /À traiter/);
  await noSeriousViolations(region, 'Region fraud desk');

  await row.getByRole('button', { name: 'Traiter' }).click();
  const panel = region.getByTestId('anomaly-panel');
  await panel.waitFor();
  const debits = panel.getByTestId('offline-debits').locator('tbody tr');
  await debits.nth(1).waitFor();
  assert.equal(await debits.count(), 2, 'both devices');
  assert.equal(await debits.filter({ hasText: 'a déclenché le signalement' }).count(), 1);
  assert.match(await panel.textContent(), /codes de l'application révoqués/);
  await noSeriousViolations(region, 'Region anomaly panel');
  // A note is required.
  await panel.getByRole('button', { name: 'Marquer traité' }).click();
  await panel.getByText('Indiquez ce qui a été fait.').waitFor();
  await panel.getByLabel('Note de traitement').fill('Jeune et famille contactés ; la Région prend en charge les 9 €.');
  await panel.getByRole('button', { name: 'Marquer traité' }).click();
  await region.getByTestId('fraud-done').getByText('Anomalie marquée traitée.').waitFor();
  await panel.getByTestId('handled').getByText(/Traité le .* par .* : Jeune et famille contactés/).waitFor();
  // No longer in the "to handle" list; in the handled one, with who and when.
  await row.waitFor({ state: 'detached' });
  await region.getByLabel('État', { exact: true }).selectOption('traites');
  const done = table.locator('tbody tr').filter({ hasText: 'Dépassement hors ligne' });
  await done.waitFor();
  assert.match(await done.textContent(), /Traité le/);
  await noSeriousViolations(region, 'Region fraud desk, handled');
  const check = await api('/api/region/anomalies?kind=depassement_hors_ligne', { token: await token('region@demo.passregion.fr') });
  assert.equal(check.length, 1);
  assert.equal(check[0].handled.note, 'Jeune et famille contactés ; la Région prend en charge les 9 €.');

  // The card's link opens the support look-up, which is audited.
  await done.getByRole('link', { name: /Carte/ }).click();
  await region.waitForURL(/#\/region\/recherche\?carte=/);
  const card = region.getByTestId('lookup-card');
  await card.waitFor();
  assert.match(await card.textContent(), /Léa/);
  assert.match(await card.textContent(), /signalée pour dépassement hors ligne/);
  assert.match(await card.textContent(), /hors ligne/, 'the ledger shows the offline debits');
  await region.getByTestId('lookup-audit').getByText('Lien vers une carte').first().waitFor();
  await noSeriousViolations(region, 'Region look-up');
});

test('look-up by e-mail (a short name refused), and the other Region screens pass axe', async () => {
  await region.getByLabel('Numéro de carte, adresse e-mail ou nom').fill('lé');
  await region.getByRole('button', { name: 'Rechercher' }).click();
  await region.getByText('Indiquez au moins 3 lettres du nom.').waitFor();
  await region.getByLabel('Numéro de carte, adresse e-mail ou nom').fill(YOUTH);
  await region.getByRole('button', { name: 'Rechercher' }).click();
  await region.getByTestId('lookup-result').getByText(/1 carte trouvée \(adresse e-mail\)/).waitFor();
  const audit = region.getByTestId('lookup-audit');
  await audit.getByText('Adresse e-mail').first().waitFor();
  assert.doesNotMatch(await audit.textContent(), /lea@demo/, 'the journal keeps no query text');
  await noSeriousViolations(region, 'Region look-up by e-mail');
  for (const [tab, ready] of [
    ['Remboursements', () => region.getByRole('heading', { name: 'Lots de remboursement' })],
    ['Modération', () => region.getByRole('heading', { name: 'Bons plans à modérer' })],
    ['Partenaires', () => region.getByTestId('region-partners')],
  ]) {
    await region.getByRole('link', { name: tab }).click();
    await ready().waitFor();
    await noSeriousViolations(region, `Region ${tab}`);
  }
});
