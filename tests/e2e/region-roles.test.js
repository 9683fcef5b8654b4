// End-to-end (issue 16), at 1280×800: the Region's administrator opens the
// *Équipe* tab (axe-core: no serious violation) and invites a finance
// agent; the agent follows the mailed link, sets a password, logs in and
// sees the finance tabs and not the instruction ones (nor the team), and
// the server refuses the instruction's desk to it. The partner's team is
// the same screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupTemps, lastVerificationToken, launchDesktop, PASSWORD, seriousA11yViolations, startServer } from './lib/env.js';

const ADMIN = 'region@demo.passregion.fr';
const AGENT = 'fanny.martin@region.example';
let server;
const contexts = [];

async function noSeriousViolations(page, where) {
  const v = await seriousA11yViolations(page);
  assert.deepEqual(v, [], `${where}: ${JSON.stringify(v, null, 1)}`);
}

async function open() {
  const ctx = await launchDesktop();
  contexts.push(ctx);
  return ctx.pages()[0] ?? (await ctx.newPage());
}

const nav = (page) => page.getByRole('navigation', { name: 'Navigation principale' });
const tab = (page, name) => nav(page).getByRole('link', { name, exact: true });

before(async () => {
  server = await startServer({ youths: 1 });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

test('the administrator invites a finance agent, who sees only the finance tabs', async () => {
  const admin = await open();
  await admin.goto(`${server.url}/#/connexion`);
  await admin.getByLabel('Adresse e-mail').fill(ADMIN);
  await admin.getByLabel('Mot de passe').fill(PASSWORD);
  await admin.getByRole('button', { name: 'Se connecter' }).click();
  await admin.waitForURL(/#\/region/);
  await tab(admin, 'Équipe').click();
  await admin.getByRole('heading', { name: 'Équipe de la Région' }).waitFor();
  // The demo's three agents, one per role.
  const table = admin.getByTestId('region-team-table');
  await table.getByText('instruction@demo.passregion.fr').waitFor();
  await table.getByText('finances@demo.passregion.fr').waitFor();
  await noSeriousViolations(admin, 'team');

  await admin.locator('#rt-email').fill(AGENT);
  await admin.locator('#rt-name').fill('Fanny Martin');
  await admin.getByLabel('Rôle', { exact: true }).selectOption('finance');
  await admin.getByRole('button', { name: 'Envoyer l’invitation' }).click();
  await admin.getByText(`Invitation envoyée à ${AGENT}`).waitFor();
  const row = table.locator('tr', { hasText: 'Fanny Martin' });
  await row.getByText(/Invitation envoyée, valable jusqu’au/).waitFor();
  assert.equal(await row.getByLabel('Rôle de Fanny Martin').inputValue(), 'finance');
  await noSeriousViolations(admin, 'team with an invitation');

  const jeton = lastVerificationToken(server.dataDir, AGENT);
  assert.ok(jeton, 'an invitation link was mailed');
  const agent = await open();
  await agent.goto(`${server.url}/#/invitation?jeton=${jeton}&espace=region`);
  await agent.getByRole('heading', { name: 'Rejoindre l’espace Région' }).waitFor();
  await agent.getByLabel('Mot de passe').fill('fanny-secret-1');
  await agent.getByRole('button', { name: 'Activer mon compte' }).click();
  await agent.waitForURL(/#\/region/);
  // A fresh login, with the password chosen.
  await agent.getByRole('button', { name: 'Déconnexion' }).click();
  await agent.goto(`${server.url}/#/connexion`);
  await agent.getByLabel('Adresse e-mail').fill(AGENT);
  await agent.getByLabel('Mot de passe').fill('fanny-secret-1');
  await agent.getByRole('button', { name: 'Se connecter' }).click();
  await agent.waitForURL(/#\/region/);
  await tab(agent, 'Remboursements').waitFor();
  const names = (await nav(agent).getByRole('link').allTextContents()).map((t) => t.trim());
  for (const name of ['Transactions', 'Fraude', 'Remboursements', 'Statistiques'])
    assert.ok(names.some((n) => n.includes(name)), `${name} shown: ${names}`);
  for (const name of ['Partenaires', 'Modération', 'Impression', 'Établissements', 'Recherche', 'Équipe'])
    assert.ok(!names.some((n) => n.includes(name)), `${name} hidden: ${names}`);
  await tab(agent, 'Remboursements').click();
  await agent.getByRole('heading', { name: 'Lots de remboursement' }).waitFor();
  await noSeriousViolations(agent, 'reimbursements (finance agent)');
  // The hidden tabs are the server's refusals.
  const token = await agent.evaluate(() => JSON.parse(localStorage.getItem('pr.session') ?? 'null')?.token);
  const r = await fetch(`${server.url}/api/region/partners`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).code, 'reserve_a_l_instruction');
  // The admin sees the agent active now.
  await admin.reload();
  await table.locator('tr', { hasText: 'Fanny Martin' }).getByText('Actif').waitFor();
});

test('the partner’s team is the same screen (one component for the three staffs)', async () => {
  const page = await open();
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill('librairie@demo.passregion.fr');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/#\/partenaire/);
  await tab(page, 'Structure').click();
  const table = page.getByTestId('staff-table');
  await table.getByText('librairie@demo.passregion.fr').waitFor();
  await table.getByText('Responsable').waitFor();
  await page.locator('#s-email').waitFor();
  await noSeriousViolations(page, 'partner team');
});
