// End-to-end: the youth shows her QR, the partner scans it with a (fake)
// camera and debits; manual mode; an offline debit applied once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngToY4m } from './lib/y4m.js';
import { ROOT, PASSWORD, apiLogin, cleanupTemps, lastVerificationToken, launchPhone, startServer, tempDir } from './lib/env.js';

const SHOTS = join(ROOT, 'docs', 'screenshots');
const YOUTH = 'lea@demo.passregion.fr';
const PARTNER = 'librairie@demo.passregion.fr';

let server;
let youth; // browser context
let partner; // browser context with the fake camera
let youthPage;
let partnerPage;
let leaCard; // { number, birth }

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function login(page, email) {
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

async function partnerDebitsOf(cardLast4) {
  const get = await apiLogin(server.url, PARTNER);
  const items = [];
  let after;
  for (;;) {
    const page = await get(`/api/partner/transactions?limit=500${after !== undefined ? `&after=${after}` : ''}`);
    items.push(...page.items);
    if (!page.items.length) break;
    after = page.next_cursor;
  }
  return items.filter((t) => t.kind === 'debit' && t.card.endsWith(cardLast4));
}

async function leaBalance() {
  const get = await apiLogin(server.url, YOUTH);
  const card = await get('/api/youth/card');
  return card.balances.find((b) => b.avantage === 'lecture_loisir').remaining;
}

before(async () => {
  server = await startServer();
  const m = server.lines.map((l) => /Carte de Léa[^:]*:\s*(\S+)\s*\(née le (\d{2})\/(\d{2})\/(\d{4})\)/.exec(l)).find(Boolean);
  assert.ok(m, `Léa's card line not found in:\n${server.lines.join('\n')}`);
  leaCard = { number: m[1], birth: `${m[4]}-${m[3]}-${m[2]}` };
});

after(async () => {
  await youth?.close().catch(() => {});
  await partner?.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

test('youth logs in and shows her QR', async () => {
  youth = await launchPhone();
  youthPage = youth.pages()[0] ?? (await youth.newPage());
  await login(youthPage, YOUTH);
  await youthPage.waitForURL(/#\/jeune$/);
  const qr = youthPage.getByTestId('card-qr');
  await qr.locator('svg').waitFor({ timeout: 15_000 });
  const number = await youthPage.getByTestId('card-number').textContent();
  assert.match(number, /^\d{4}( \d{4})+/, 'card number grouped by 4');
  assert.equal(number.replace(/\s/g, ''), leaCard.number.replace(/\s/g, ''));
  // The server issues app credentials: the QR is the device-signed PD1 code.
  assert.equal(await qr.getAttribute('data-qr-mode'), 'dynamic');
  assert.match(await youthPage.locator('.qr-box figcaption').textContent(), /Nouveau code dans \d+ s/);
  await shot(youthPage, 'youth-card');

  const png = await qr.screenshot();
  const y4m = join(tempDir('pr-e2e-video-'), 'qr.y4m');
  writeFileSync(y4m, pngToY4m(png, { width: 640, height: 480, frames: 30 }));
  partner = await launchPhone({ fakeVideo: y4m });
});

test('youth sees her balances', async () => {
  await youthPage.goto(`${server.url}/#/jeune/solde`);
  const line = youthPage.getByTestId('balance-lecture_loisir');
  await line.waitFor();
  assert.equal((await line.getByTestId('balance-remaining').textContent()).replace(/\s/g, ' '), '15,00 €');
  await shot(youthPage, 'youth-balances');
});

test('partner scans the QR with the camera and debits 12,50 €', async () => {
  partnerPage = partner.pages()[0] ?? (await partner.newPage());
  await login(partnerPage, PARTNER);
  await partnerPage.waitForURL(/#\/partenaire$/);
  const inspection = partnerPage.getByTestId('inspection');
  await inspection.waitFor({ timeout: 30_000 });
  assert.match(await partnerPage.getByTestId('usable').textContent(), /Carte utilisable/);
  await partnerPage.getByTestId('avantage-lecture_loisir').locator('input').check();
  await partnerPage.getByLabel('Prix de la prestation (€)').fill('12,50');
  await shot(partnerPage, 'partner-scan');
  await partnerPage.getByTestId('confirm-debit').click();
  const receipt = partnerPage.getByTestId('receipt');
  await receipt.waitFor();
  const norm = async (id) => (await partnerPage.getByTestId(id).textContent()).replace(/\s/g, ' ');
  assert.equal(await norm('receipt-debited'), '12,50 €');
  assert.equal(await norm('receipt-reste'), '0,00 €');
  assert.equal(await norm('receipt-balance'), '2,50 €');
  await shot(partnerPage, 'partner-receipt');
});

test('the youth balance shows 2,50 €', async () => {
  await youthPage.reload();
  const line = youthPage.getByTestId('balance-lecture_loisir');
  await line.getByTestId('balance-remaining').filter({ hasText: '2,50' }).waitFor({ timeout: 10_000 });
  await youthPage.goto(`${server.url}/#/jeune/historique`);
  await youthPage.getByTestId('transaction').first().waitFor();
  assert.match(await youthPage.getByTestId('transaction').first().textContent(), /12,50/);
  await shot(youthPage, 'youth-history');
});

test('youth: offline, the card and QR still show from the cache', async () => {
  await youth.setOffline(true);
  try {
    await youthPage.goto(`${server.url}/#/jeune`); // same document: hash change only
    await youthPage.getByTestId('offline-banner').filter({ hasText: /Hors ligne — données du/ }).waitFor();
    const qr = youthPage.getByTestId('card-qr');
    await qr.locator('svg').waitFor();
    assert.equal(await qr.getAttribute('data-qr-mode'), 'dynamic');
    await shot(youthPage, 'youth-offline');
    // The app itself opens offline (service worker), from the cached data.
    await youthPage.reload();
    await youthPage.getByTestId('card-number').waitFor();
    await youthPage.getByTestId('offline-banner').waitFor();
    await youthPage.getByTestId('card-qr').locator('svg').waitFor();
    assert.equal(await youthPage.getByTestId('card-qr').getAttribute('data-qr-mode'), 'dynamic', 'from the cached credential');
  } finally {
    await youth.setOffline(false);
  }
});

test('youth: bons plans and partner map (tiles unavailable offline)', async () => {
  await youthPage.goto(`${server.url}/#/jeune/bons-plans`);
  await youthPage.getByTestId('bon-plan').first().waitFor();
  await shot(youthPage, 'youth-bons-plans');
  // Tiles from a path that does not exist: the fallback background shows.
  await youthPage.evaluate((u) => localStorage.setItem('pr.tileUrl', `${u}/no-tiles/{z}/{x}/{y}.png`), server.url);
  await youthPage.goto(`${server.url}/#/jeune/partenaires`);
  await youthPage.reload();
  await youthPage.getByText('Fond de carte indisponible hors connexion').waitFor({ timeout: 15_000 });
  await youthPage.locator('.leaflet-marker-icon').first().waitFor();
  assert.ok((await youthPage.getByTestId('partner-list').locator('li').count()) > 0);
  await shot(youthPage, 'youth-map');
});

test('partner: manual mode debit (card number + birth date)', async () => {
  await partnerPage.goto(`${server.url}/#/partenaire/saisie`);
  await partnerPage.getByLabel('Numéro de carte').fill(leaCard.number);
  await partnerPage.getByLabel('Date de naissance du titulaire').fill(leaCard.birth);
  await partnerPage.getByRole('button', { name: 'Vérifier la carte' }).click();
  await partnerPage.getByTestId('inspection').waitFor();
  await partnerPage.getByTestId('avantage-lecture_loisir').locator('input').check();
  await partnerPage.getByLabel('Prix de la prestation (€)').fill('1');
  await partnerPage.getByTestId('confirm-debit').click();
  await partnerPage.getByTestId('receipt').waitFor();
  assert.equal((await partnerPage.getByTestId('receipt-balance').textContent()).replace(/\s/g, ' '), '1,50 €');
  assert.equal(await leaBalance(), '1.50');
});

test('partner: offline debit is queued then applied once', async () => {
  await partnerPage.getByRole('button', { name: 'Client suivant' }).click();
  await partnerPage.getByLabel('Numéro de carte').fill(leaCard.number);
  await partnerPage.getByLabel('Date de naissance du titulaire').fill(leaCard.birth);
  await partnerPage.getByRole('button', { name: 'Vérifier la carte' }).click();
  await partnerPage.getByTestId('inspection').waitFor();
  await partnerPage.getByTestId('avantage-lecture_loisir').locator('input').check();
  await partnerPage.getByLabel('Prix de la prestation (€)').fill('0,50');
  const before = (await partnerDebitsOf(leaCard.number.slice(-4))).length;

  await partner.setOffline(true);
  await partnerPage.getByTestId('confirm-debit').click();
  await partnerPage.getByTestId('queued').waitFor();
  const item = partnerPage.getByTestId('outbox-item');
  await item.waitFor();
  assert.equal(await item.getAttribute('data-state'), 'pending');
  assert.match(await item.textContent(), /En attente de synchronisation/);
  await partnerPage.waitForTimeout(2500); // a retry fails while offline
  await shot(partnerPage, 'partner-offline');
  assert.equal((await partnerDebitsOf(leaCard.number.slice(-4))).length, before, 'nothing reached the server while offline');

  await partner.setOffline(false);
  await partnerPage.locator('[data-testid="outbox-item"][data-state="done"]').waitFor({ timeout: 20_000 });
  const debits = await partnerDebitsOf(leaCard.number.slice(-4));
  assert.equal(debits.length, before + 1, 'the offline debit is applied once');
  assert.equal(debits.filter((t) => t.price === '0.50').length, 1);
  assert.equal(await leaBalance(), '1.00');
  // More retries with the same key do not debit again.
  await partnerPage.evaluate(() => {
    const items = JSON.parse(localStorage.getItem('pr.outbox'));
    localStorage.setItem('pr.outbox', JSON.stringify(items.map((i) => ({ ...i, state: 'pending', nextAt: 0 }))));
  });
  await partnerPage.reload();
  await partnerPage.locator('[data-testid="outbox-item"][data-state="done"]').waitFor({ timeout: 20_000 });
  assert.equal((await partnerDebitsOf(leaCard.number.slice(-4))).length, before + 1, 'a replay with the same key is applied once');
  assert.equal(await leaBalance(), '1.00');
});

test('partner: transactions and reimbursements', async () => {
  await partnerPage.goto(`${server.url}/#/partenaire/transactions`);
  await partnerPage.getByTestId('partner-transaction').first().waitFor();
  await partnerPage.getByTestId('totals').waitFor();
  await shot(partnerPage, 'partner-transactions');
  // Refund the last debit (0,50 €) in full.
  const last = partnerPage.getByTestId('partner-transaction').first();
  assert.match(await last.textContent(), /0,50/);
  await last.getByRole('button', { name: 'Annuler ce débit' }).click();
  await last.getByRole('button', { name: 'Confirmer l’annulation' }).click();
  await partnerPage.getByTestId('partner-transaction').first().filter({ hasText: 'Annulation' }).waitFor();
  assert.equal(await leaBalance(), '1.50');
  await partnerPage.goto(`${server.url}/#/partenaire/remboursements`);
  await partnerPage.getByRole('heading', { name: 'Remboursements' }).waitFor();
});

test('without Ed25519 in WebCrypto, the static signed card code (PR1) is shown and scans', async () => {
  const youth2 = await launchPhone();
  let partner2;
  try {
    await youth2.addInitScript(() => {
      const orig = crypto.subtle.generateKey.bind(crypto.subtle);
      crypto.subtle.generateKey = (alg, ...rest) =>
        (alg && (alg === 'Ed25519' || alg.name === 'Ed25519') ? Promise.reject(new DOMException('unsupported', 'NotSupportedError')) : orig(alg, ...rest));
    });
    const page = youth2.pages()[0] ?? (await youth2.newPage());
    await login(page, YOUTH);
    const qr = page.getByTestId('card-qr');
    await qr.locator('svg').waitFor({ timeout: 15_000 });
    assert.equal(await qr.getAttribute('data-qr-mode'), 'static');
    const y4m = join(tempDir('pr-e2e-video-'), 'static.y4m');
    writeFileSync(y4m, pngToY4m(await qr.screenshot()));
    partner2 = await launchPhone({ fakeVideo: y4m });
    const ppage = partner2.pages()[0] ?? (await partner2.newPage());
    await login(ppage, PARTNER);
    // A printed card's code identifies the card; the holder's birth date proves it.
    await ppage.getByTestId('printed-card').waitFor({ timeout: 30_000 });
    await ppage.getByLabel('Date de naissance du titulaire').fill('2010-03-14');
    await ppage.getByRole('button', { name: 'Vérifier la carte' }).click();
    await ppage.getByTestId('inspection').waitFor({ timeout: 30_000 });
    assert.match(await ppage.getByTestId('holder').textContent(), /Léa/);
    assert.match(await ppage.getByTestId('usable').textContent(), /Carte utilisable/);
  } finally {
    await youth2.close().catch(() => {});
    await partner2?.close().catch(() => {});
  }
});

test('a new youth registers, orders (field errors shown), the établissement validates, she activates her card', async () => {
  const c = await launchPhone();
  const e = await launchPhone();
  try {
    const page = c.pages()[0] ?? (await c.newPage());
    await page.goto(`${server.url}/#/connexion`);
    await page.getByRole('button', { name: /Créer un compte/ }).click();
    await page.getByLabel('Prénom et nom').fill('Inès Durand');
    await page.getByLabel('Adresse e-mail').fill('ines@example.org');
    await page.getByLabel('Mot de passe').fill('motdepasse1');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    // The same answer whether the address is free or taken; the link is mailed.
    await page.getByRole('heading', { name: 'Vérifiez votre boîte mail' }).waitFor();
    const jeton = lastVerificationToken(server.dataDir, 'ines@example.org');
    assert.ok(jeton, 'a confirmation link was mailed');
    await page.goto(`${server.url}/#/verifier-email?jeton=${jeton}`);
    await page.getByRole('link', { name: 'Commander mon PASS' }).click();
    await page.getByLabel('Prénom', { exact: true }).fill('Inès');
    await page.getByLabel('Nom', { exact: true }).fill('Durand');
    await page.getByLabel('Date de naissance').fill('1990-01-01');
    await page.getByLabel('Je suis', { exact: true }).selectOption('lyceen');
    await page.getByLabel('Classe ou diplôme préparé').selectOption('premiere');
    await page.getByLabel('Rechercher mon établissement').fill('Ampère');
    await page.getByLabel('Établissement', { exact: true }).locator('option', { hasText: 'Lycée Ampère' }).waitFor({ state: 'attached' });
    await page.getByLabel('Établissement', { exact: true }).selectOption({ label: 'Lycée Ampère (Lyon)' });
    await page.getByLabel('Adresse postale').fill('3 rue de la République');
    await page.getByLabel('Code postal').fill('69002');
    await page.getByLabel('Ville').fill('Lyon');
    await page.getByRole('button', { name: 'Envoyer ma commande' }).click();
    // The server's field error is shown under the birth date.
    const err = page.locator('#o-birth_date-error');
    await err.waitFor();
    assert.match(await err.textContent(), /âge/);
    assert.equal(await page.getByLabel('Date de naissance').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('.error[role=alert]').count(), 0, 'the field error is not repeated');
    await err.scrollIntoViewIfNeeded();
    await shot(page, 'youth-order-error');
    await page.getByLabel('Date de naissance').fill('2010-03-15');
    await page.getByRole('button', { name: 'Envoyer ma commande' }).click();
    await page.getByRole('heading', { name: 'Commande envoyée' }).waitFor();
    await page.getByRole('link', { name: 'Suivre ma commande' }).click();
    await page.getByTestId('order').filter({ hasText: 'En attente' }).waitFor();

    const ep = e.pages()[0] ?? (await e.newPage());
    await login(ep, 'ampere@demo.passregion.fr');
    await ep.waitForURL(/#\/etablissement$/);
    const row = ep.locator('tr', { hasText: 'Inès Durand' });
    await row.getByRole('button', { name: 'Valider' }).click();
    await row.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: /Actualiser/ }).click();
    await page.getByRole('button', { name: 'J’ai reçu ma carte' }).click();
    await page.getByTestId('card-qr').locator('svg').waitFor();
  } finally {
    await c.close().catch(() => {});
    await e.close().catch(() => {});
  }
});

test('a youth who forgot her password gets a link by e-mail and chooses a new one', async () => {
  const email = 'oubli@example.org';
  const post = (path, body) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post('/api/auth/register', { email, password: 'ancien-mdp-1', display_name: 'Nora Oubli' })).status, 202);
  assert.equal((await post('/api/auth/verify-email', { token: lastVerificationToken(server.dataDir, email) })).status, 200);
  const c = await launchPhone();
  try {
    const page = c.pages()[0] ?? (await c.newPage());
    await page.goto(`${server.url}/#/connexion`);
    await page.getByRole('button', { name: 'Mot de passe oublié ?' }).click();
    await page.getByLabel('Adresse e-mail').fill(email);
    await page.getByRole('button', { name: 'Recevoir un lien' }).click();
    await page.getByRole('heading', { name: 'Vérifiez votre boîte mail' }).waitFor();
    const jeton = lastVerificationToken(server.dataDir, email);
    assert.ok(jeton, 'a reset link was mailed');
    await page.goto(`${server.url}/#/reinitialiser?jeton=${jeton}`);
    await page.getByLabel('Nouveau mot de passe').fill('nouveau-mdp-2');
    await page.getByRole('button', { name: 'Changer mon mot de passe' }).click();
    await page.getByText('Votre mot de passe a été changé').waitFor();
    await page.getByRole('link', { name: 'Se connecter' }).click();
    await page.getByLabel('Adresse e-mail').fill(email);
    await page.getByLabel('Mot de passe').fill('nouveau-mdp-2');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(/#\/jeune/);
  } finally {
    await c.close().catch(() => {});
  }
});
