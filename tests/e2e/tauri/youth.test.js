// The youth's phone in the real Tauri window: she logs in on the login
// screen (the core gets her card and a credential); the server goes away and
// the app is restarted: the card and a fresh QR code, signed by the core with
// the device key, still show, and so do the bons plans and the partner
// directory (from the core's store: the browser cache is left empty).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, startServer, cleanupTemps, tempDir } from '../lib/env.js';
import { AppWindow, missing as whyMissing, waitFor } from './window.js';

const missing = whyMissing();
let win;
const run = (script, args) => win.run(script, args);

before(async () => {
  if (missing) return;
  // The same app data across restarts (the core's stores); no Secret
  // Service under Xvfb, so the device keys go to 0600 files.
  win = new AppWindow({ PASSREGION_APP_DATA: tempDir('pr-tauri-youth-app-'), PASSREGION_NO_KEYRING: '1' });
  await win.start();
});

after(async () => {
  await win?.stop();
  cleanupTemps();
});

test('the youth app keeps its card and shows fresh signed codes after a restart without network', { skip: missing ?? false }, async () => {
  const server = await startServer();
  let stopped = false;
  try {
    await run(`localStorage.clear(); localStorage.setItem('pr.apiBase', arguments[0]); location.hash = '#/connexion'; location.reload();`, [server.url]);
    await waitFor('login form', () => run("return !!document.querySelector('#l-email')"));
    await win.fill('#l-email', 'lea@demo.passregion.fr');
    await win.fill('#l-password', PASSWORD);
    await run("document.querySelector('form button[type=submit]').click(); return true;");
    const number = await waitFor('card number', () => run("return document.querySelector('[data-testid=card-number]')?.textContent ?? ''"));
    await waitFor('dynamic QR', () => run("return document.querySelector('[data-testid=card-qr]')?.getAttribute('data-qr-mode') === 'dynamic'"));

    // No more network; the app is killed and started again.
    const saved = await run("return Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]))");
    await server.stop();
    stopped = true;
    await win.stop();
    await win.start();
    // The webview keeps the session, not its cached copies: the card comes
    // from the core's store.
    await run(
      `for (const [k, v] of Object.entries(arguments[0])) if (!k.startsWith('pr.cache.')) localStorage.setItem(k, v);
       location.hash = '#/jeune'; location.reload();`,
      [saved],
    );
    const again = await waitFor('card number offline', () => run("return document.querySelector('[data-testid=card-number]')?.textContent ?? ''"));
    assert.equal(again, number, 'the card shows from the core');
    await waitFor('dynamic QR offline', () => run("return document.querySelector('[data-testid=card-qr]')?.getAttribute('data-qr-mode') === 'dynamic'"));
    // Two codes in a row differ (a new counter each), signed by the core.
    const a = await win.invoke('youth_qr');
    const b = await win.invoke('youth_qr');
    assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
    assert.notEqual(a.ok, b.ok);
    assert.match(a.ok, /^PD1:/);
    // The bons plans and the partner directory, from the core's store too.
    await run("location.hash = '#/jeune/bons-plans'; return true;");
    await waitFor('bons plans offline', () => run("return document.querySelectorAll('[data-testid=bon-plan]').length"));
    await run("location.hash = '#/jeune/partenaires'; return true;");
    await waitFor('directory offline', () => run("return document.querySelectorAll('[data-testid=partner-list] li').length"));
  } finally {
    if (!stopped) await server.stop();
  }
});
