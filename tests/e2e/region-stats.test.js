// End-to-end (issue 15): the Region's statistics at 1280×800 on the demo
// region — charts with their tables, the département filter, the CSV —
// with no serious axe violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, cleanupTemps, launchDesktop, seriousA11yViolations, startServer } from './lib/env.js';

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

test('the Region reads its statistics, filters a département and downloads the CSV', async () => {
  ctx = await launchDesktop();
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse e-mail').fill('region@demo.passregion.fr');
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('link', { name: 'Statistiques' }).click();
  await page.getByRole('heading', { name: /Statistiques — saison/ }).waitFor();
  await page.getByRole('table', { name: 'Par public' }).waitFor();
  assert.ok((await page.locator('canvas[role="img"]').count()) >= 3, 'the charts are drawn');
  const label = await page.locator('canvas[role="img"]').first().getAttribute('aria-label');
  assert.match(label, /Cartes par public : /);
  assert.deepEqual(await seriousA11yViolations(page), []);

  // Counted before the filter is applied: once "Afficher" is clicked the
  // table may already show 69 alone.
  const departements = page.getByRole('table', { name: 'Par département' });
  await departements.getByRole('row').nth(2).waitFor();
  assert.ok((await departements.getByRole('row').count()) > 2, 'the demo region has several départements');
  await page.getByLabel('Département (ex. 69)').fill('69');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await departements.getByRole('row').nth(2).waitFor({ state: 'detached' });
  await departements.getByRole('rowheader', { name: '69' }).waitFor();
  assert.equal(await departements.getByRole('row').count(), 2, 'a header and 69');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Télécharger (CSV)' }).click()]);
  assert.equal(download.suggestedFilename(), 'statistiques.csv');
  assert.deepEqual(await seriousA11yViolations(page), []);
});
