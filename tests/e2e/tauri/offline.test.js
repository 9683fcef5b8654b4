// The headline journey in the real Tauri window (WebKitGTK, WebKitWebDriver):
// a partner's app debits offline with the core's rule and every such debit
// reaches the Region exactly once.
//
// The partner logs in through the login screen (the core enrols the device);
// the server is killed; the youth's code (signed by the core in the same app,
// as on the youth's phone) is shown to the partner screen's camera (a canvas
// stream stands in for the camera WebKitGTK lacks here) and decoded by the
// core's `scan_frame`; the partner debits within the limits (accepted offline,
// receipt shown), then above the per-purchase maximum and past the count
// (refused offline with the core's French reason); the youth's first code is
// also shown to a second partner device; the app process is killed; the server comes back on the same data and the
// second device pushes first; the app starts again with its outbox intact and
// pushes at launch: its debits are applied exactly once, visible in the
// youth's history and the Region's feed, and the replayed code is refused at
// push and shown as such in the app.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { ROOT, PASSWORD, startServer, cleanupTemps, tempDir } from '../lib/env.js';
import { AppWindow, freePort, missing as whyMissing, waitFor } from './window.js';

// A second partner device, on the core client in another process.
const SECOND = join(ROOT, 'target', 'debug', 'passregion-offline-partner');
const otherDevice = (...args) => execFileSync(SECOND, args, { encoding: 'utf8' }).trim();
const missing = whyMissing(['second device helper', SECOND]);

let win;
const run = (script, args) => win.run(script, args);
const invoke = (cmd, args) => win.invoke(cmd, args);
const text = (sel) => win.text(sel);
const fill = (sel, value) => win.fill(sel, value);
const click = (sel) => win.click(sel);

/** Replaces the camera with a canvas stream; `window.__showQr(dataUrl)` draws a code on it. */
const fakeCamera = () =>
  run(`window.__showQr = (url) => {
      if (!url) { window.__qrImg = null; return; }
      const i = new Image(); i.onload = () => { window.__qrImg = i; }; i.src = url;
    };
    // Each opening of the camera gets a new canvas stream (a stopped track
    // cannot be restarted).
    MediaDevices.prototype.getUserMedia = navigator.mediaDevices.getUserMedia = async () => {
      const c = document.createElement('canvas');
      c.width = 640; c.height = 480;
      const g = c.getContext('2d');
      const paint = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, 640, 480); if (window.__qrImg) g.drawImage(window.__qrImg, 170, 90, 300, 300); };
      paint();
      setInterval(paint, 100);
      return c.captureStream(10);
    };
    return typeof document.createElement('canvas').captureStream;`);

before(async () => {
  if (missing) return;
  win = new AppWindow({
    // The same app data across restarts (the core's stores).
    PASSREGION_APP_DATA: tempDir('pr-tauri-offline-app-'),
    PASSREGION_SYNC_SECONDS: '2',
    // No Secret Service under Xvfb: the device keys go to 0600 files.
    PASSREGION_NO_KEYRING: '1',
  });
  await win.start();
});

after(async () => {
  await win?.stop();
  cleanupTemps();
});

test('offline in the Tauri window: the core accepts within limits, the outbox survives a restart, the server applies each debit once, a code replayed at a second device is refused at push', { skip: missing ?? false }, async () => {
  const port = await freePort();
  const dataDir = tempDir('pr-tauri-offline-data-');
  let server = await startServer({ port, dataDir });
  try {
    // The youth's phone: the core logs in and gets a credential.
    const y = await invoke('youth_login', { serverUrl: server.url, email: 'lea@demo.passregion.fr', password: PASSWORD });
    assert.ok(y.ok, `youth login: ${JSON.stringify(y.err)}`);

    // The partner logs in through the login screen; the core enrols the device.
    await run(`localStorage.clear(); localStorage.setItem('pr.apiBase', arguments[0]); location.hash = '#/connexion'; location.reload();`, [server.url]);
    await waitFor('login form', () => run("return !!document.querySelector('#l-email')"));
    const stream = await fakeCamera();
    assert.equal(stream, 'function', 'canvas.captureStream in WebKitGTK');
    await fill('#l-email', 'librairie@demo.passregion.fr');
    await fill('#l-password', PASSWORD);
    await click('form button[type=submit]');
    await waitFor('device panel', async () => /À jour|Hors ligne/.test(await text('[data-testid=device-sync]')));
    assert.match(await text('[data-testid=device-pending]'), /aucun débit en attente/);
    const secondStore = join(tempDir('pr-tauri-second-device-'), 'partner.db');
    otherDevice('login', secondStore, server.url, 'librairie@demo.passregion.fr', PASSWORD);

    // The server goes down.
    await server.stop();

    const debitOffline = async (price) => {
      // (Re)install the camera stand-in; reopen the camera if it had failed.
      await fakeCamera();
      if (await run("return !!document.querySelector('[data-testid=scan-status]')?.textContent.includes('caméra')"))
        await run("[...document.querySelectorAll('.scan button')].find((b) => b.textContent.includes('Réessayer'))?.click(); return true;");
      const code = await invoke('youth_qr');
      assert.ok(code.ok, `youth qr: ${JSON.stringify(code.err)}`);
      await run('window.__showQr(arguments[0]); return true;', [await QRCode.toDataURL(code.ok, { margin: 4, scale: 6 })]);
      await waitFor('offline debit step', () => run("return !!document.querySelector('[data-testid=offline-debit]') && !!document.querySelector('input[name=offline-avantage]')"), 45_000).catch(async (e) => {
        throw new Error(`${e.message}; screen: ${await run("return document.querySelector('#app').innerHTML.slice(0, 4000)")}`);
      });
      await run('window.__showQr(null); return true;');
      await click("input[name=offline-avantage][value='lecture_loisir']");
      await fill('#o-value', price);
      await click('[data-testid=offline-debit] button[type=submit]');
      const shown = await waitFor('receipt or refusal', async () => {
        if (await run("return !!document.querySelector('[data-testid=native-receipt]')")) return { receipt: await text('[data-testid=native-receipt]') };
        const err = await text('[data-testid=offline-debit] .error');
        return err ? { error: err } : null;
      });
      return { ...shown, code: code.ok };
    };
    const next = () => click('[data-testid=native-receipt] button');

    // Within the limits: accepted offline, said so.
    const first = await debitOffline('4,00');
    assert.match(first.receipt ?? '', /accepté hors ligne dans les limites du jeune/i, JSON.stringify(first));
    assert.match(first.receipt, /4,00/);
    // The app-only screens fit a phone (360×740), with the system font enlarged too.
    await win.resize(360, 740);
    assert.deepEqual(await win.overflowing(), [], 'offline receipt and device panel at 360 px');
    await run("document.documentElement.style.fontSize = '150%'; return true;");
    assert.deepEqual(await win.overflowing(), [], 'at 150 % text size');
    await run("document.documentElement.style.fontSize = ''; return true;");
    // The same code, shown to the second device too (a screenshot, say).
    otherDevice('record', secondStore, first.code, 'lecture_loisir', '3.00');
    await next();
    // Above the per-purchase maximum (15 €): refused offline, in French.
    const over = await debitOffline('20,00');
    assert.match(over.error ?? '', /maximum par achat/, JSON.stringify(over));
    await run("document.documentElement.style.fontSize = '150%'; return true;");
    assert.deepEqual(await win.overflowing(), [], 'the offline debit step at 360 px and 150 % text size');
    await run("document.documentElement.style.fontSize = ''; return true;");
    await click("[data-testid=offline-debit] button[type=button]"); // Annuler
    const second = await debitOffline('2,00');
    assert.ok(second.receipt, JSON.stringify(second));
    await next();
    const third = await debitOffline('1,00');
    assert.ok(third.receipt, JSON.stringify(third));
    await next();
    // The count (3 per partner and credential) is reached: refused offline, in French.
    const fourth = await debitOffline('0,50');
    assert.match(fourth.error ?? '', /nombre d’achats autorisés|nombre d'achats autorisés/, JSON.stringify(fourth));
    await waitFor('3 pending', async () => /3 débit/.test(await text('[data-testid=device-pending]')));

    // The app process is killed. The server comes back on the same data; the
    // second device syncs first: its debit with the shared code is applied.
    const saved = await run("return [localStorage.getItem('pr.session'), localStorage.getItem('pr.apiBase')]");
    await win.stop();
    server = await startServer({ port, dataDir });
    assert.equal(otherDevice('sync', secondStore), '1 0', 'the second device pushed first');
    // The app starts again: its outbox is intact and pushed at launch.
    await win.start();
    // The webview's own storage (the web session) as the OS would keep it.
    await run(`localStorage.setItem('pr.session', arguments[0]); localStorage.setItem('pr.apiBase', arguments[1]); location.hash = '#/partenaire'; location.reload();`, saved);
    await waitFor('outbox pushed at launch', async () => /aucun débit en attente/.test(await text('[data-testid=device-pending]')), 60_000);
    // The code used at both devices: refused at push, and said so.
    const refused = await waitFor('refused item', () => text('[data-testid=device-refused]'));
    assert.match(refused, /refusé par la Région : Ce QR code a déjà servi/);
    assert.match(refused, /4,00/);
    await click('[data-testid=device-panel] button');
    await waitFor('sync done', async () => /À jour/.test(await text('[data-testid=device-sync]')));
    assert.match(await text('[data-testid=device-last-sync]'), /dernière synchronisation/);

    const login = async (email) =>
      (
        await (
          await fetch(`${server.url}/api/auth/login`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ email, password: PASSWORD }),
          })
        ).json()
      ).token;
    const get = async (token, path) => (await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    const region = await login('region@demo.passregion.fr');
    const feed = await get(region, '/api/region/transactions?limit=500');
    const offline = feed.items.filter((t) => t.channel === 'offline');
    // The partner is paid what it accepted: the second device's 3 € with the
    // shared code, and the app's other two debits.
    assert.deepEqual(offline.map((t) => t.reimbursed_amount).sort(), ['1.00', '2.00', '3.00']);
    const youth = await login('lea@demo.passregion.fr');
    const history = await get(youth, '/api/youth/transactions?limit=100');
    const items = history.items ?? history;
    assert.equal(items.filter((t) => t.channel === 'offline').length, 3, 'each debit once, the replayed code once');
    const check = await get(region, '/api/region/ledger/check');
    assert.deepEqual(check.inconsistencies, []);

    // Offline again, the transactions tab shows the core's copy (this
    // webview never loaded it online: its browser cache is empty).
    const partnerToken = await login('librairie@demo.passregion.fr');
    const onServer = (await get(partnerToken, '/api/partner/transactions?limit=500')).items.length;
    await server.stop();
    await run("location.hash = '#/partenaire/transactions'; return true;");
    const shown = await waitFor('transactions from the core', async () => {
      const n = await run("return document.querySelectorAll('[data-testid=partner-transaction]').length");
      return n >= onServer ? n : null;
    });
    assert.equal(shown, onServer, 'the partner\'s transactions, from the device store');
  } finally {
    await server.stop();
  }
});
