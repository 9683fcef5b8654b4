// End-to-end (issue 16): near the end of the season the youth's card tells
// her until when it works and that her établissement must revalidate it
// (core rule `renewal`, from 30 April in Paris); no serious axe violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, cleanupTemps, launchPhone, seriousA11yViolations, startServer } from './lib/env.js';

let server;
let ctx;

before(async () => {
  server = await startServer({ args: ['--start-time', '2027-05-10T08:00:00Z'] });
});

after(async () => {
  await ctx?.close().catch(() => {});
  await server?.stop();
  cleanupTemps();
});

test('in May the card says it ends on 31 May and needs revalidating', async () => {
  ctx = await launchPhone();
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill('lea@demo.passregion.fr');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/#\/jeune/);
  const banner = page.getByTestId('renewal');
  await banner.waitFor();
  const text = await banner.textContent();
  assert.match(text, /utilisable jusqu’au 31 mai 2027/);
  assert.match(text, /saison 2027-2028, votre établissement doit la revalider/);
  assert.deepEqual(await seriousA11yViolations(page), []);
});
