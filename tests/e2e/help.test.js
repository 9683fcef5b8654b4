// End-to-end (issue 16): the help screen, from the login page and from a
// space: the FAQ from the Region's file (searchable), the support phone and
// hours, the accessibility statement, the versions; no serious axe violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, cleanupTemps, launchPhone, seriousA11yViolations, startServer } from './lib/env.js';

let server;
let ctx;

before(async () => {
  server = await startServer();
});

after(async () => {
  await ctx?.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

test('the help screen shows the FAQ, the support line and the versions', async () => {
  ctx = await launchPhone();
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${server.url}/#/connexion`);
  await page.getByRole('link', { name: 'Aide et questions fréquentes' }).click();
  await page.getByTestId('faq-entry').first().waitFor();
  assert.equal(await page.getByTestId('faq-entry').count(), 17);
  const tel = page.getByRole('link', { name: '0810 559 559' });
  assert.equal(await tel.getAttribute('href'), 'tel:0810559559');
  await page.getByText(/Téléphone : 0810 559 559, du lundi au vendredi, de 9 h à 18 h/).waitFor();
  await page.getByLabel('Rechercher dans les questions').fill('remboursés');
  // The list is filtered on the next render, not within fill().
  await page.getByTestId('faq-entry').nth(1).waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('faq-entry').count(), 1);
  await page.getByText('Comment les partenaires sont-ils remboursés ?').click();
  await page.getByText(/dans les meilleurs délais/).waitFor();
  assert.match(await page.getByTestId('versions').textContent(), /Application \d+\.\d+\.\d+ \(navigateur\) · serveur \d+\.\d+\.\d+/);
  assert.deepEqual(await seriousA11yViolations(page), []);
  // From inside a space too.
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill('lea@demo.passregion.fr');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/#\/jeune/);
  await page.getByRole('link', { name: 'Aide', exact: true }).click();
  await page.getByRole('heading', { name: 'Questions fréquentes' }).waitFor();
});
