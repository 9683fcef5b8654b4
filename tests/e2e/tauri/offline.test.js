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
// (refused offline with the core's French reason); the youth's first code is also shown to a second partner device;
// the app process is killed; the server comes back on the same data and the
// second device pushes first; the app starts again with its outbox intact and
// pushes at launch: its debits are applied exactly once, visible in the
// youth's history and the Region's feed, and the replayed code is refused at
// push and shown as such in the app.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { ROOT, PASSWORD, startServer, cleanupTemps, tempDir } from '../lib/env.js';

const APP = process.env.PASSREGION_TAURI_APP ?? join(ROOT, 'mobile', 'src-tauri', 'target', 'debug', 'passregion-app');
const DRIVER = '/usr/bin/WebKitWebDriver';
// A second partner device, on the core client in another process.
const SECOND = join(ROOT, 'target', 'debug', 'passregion-offline-partner');
const otherDevice = (...args) => execFileSync(SECOND, args, { encoding: 'utf8' }).trim();
const missing = !existsSync(APP) ? `app not built (${APP})` : !existsSync(SECOND) ? `helper not built (${SECOND})` : !existsSync(DRIVER) ? 'WebKitWebDriver missing' : !process.env.DISPLAY ? 'no X display' : null;

let driver;
let base;
let session;
let profile;
let appData;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function wd(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.value;
}

const run = (script, args = []) => wd('POST', `/session/${session}/execute/sync`, { script, args });

/** Calls a Tauri command from the page; resolves with {ok} or {err}. */
const invoke = (cmd, args = {}) =>
  wd('POST', `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then((ok) => done({ ok }), (err) => done({ err }));`,
    args: [cmd, args],
  });

async function waitFor(what, f, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timeout waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

const text = (sel) => run(`return document.querySelector(arguments[0])?.textContent ?? ''`, [sel]);
const fill = (sel, value) =>
  run(
    `const el = document.querySelector(arguments[0]); el.value = arguments[1];
     el.dispatchEvent(new Event('input', { bubbles: true })); return true;`,
    [sel, value],
  );
const click = (sel) => run(`document.querySelector(arguments[0]).click(); return true;`, [sel]);

/** A new app process (same data directory: the core's stores survive). */
async function openApp() {
  const s = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: APP, args: [] } } },
  });
  session = s.sessionId;
  await waitFor('app', () => run("return document.querySelector('#app')?.childElementCount ?? 0")).catch(async (e) => {
    throw new Error(`${e.message}: ${await run('return location.href + " " + document.readyState + " " + document.body.innerHTML.slice(0, 800)').catch((x) => x.message)}`);
  });
}

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

/** Starts WebKitWebDriver; each start gets a fresh webview profile (a second
 * WebKitGTK launch on the same profile shows a blank page here) and the same
 * app data (the core's stores, which are what must survive). */
async function startDriver() {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  driver = spawn(DRIVER, [`--port=${port}`], {
    env: {
      ...process.env,
      TAURI_WEBVIEW_AUTOMATION: 'true',
      XDG_DATA_HOME: tempDir('pr-tauri-offline-webdata-'),
      XDG_CACHE_HOME: tempDir('pr-tauri-offline-cache-'),
      PASSREGION_APP_DATA: appData,
      PASSREGION_SYNC_SECONDS: '2',
      // No Secret Service under Xvfb: the device keys go to 0600 files.
      PASSREGION_NO_KEYRING: '1',
    },
    stdio: 'ignore',
  });
  await waitFor('WebKitWebDriver', async () => (await fetch(`${base}/status`)).ok, 15_000);
}

async function stopDriver() {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  session = null;
  if (driver && driver.exitCode === null) {
    driver.kill();
    await new Promise((r) => driver.once('exit', r));
  }
}

before(async () => {
  if (missing) return;
  profile = tempDir('pr-tauri-offline-profile-');
  appData = tempDir('pr-tauri-offline-app-');
  await startDriver();
  await openApp();
});

after(async () => {
  await stopDriver();
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
        const probe = await wd('POST', `/session/${session}/execute/async`, { script: `const done = arguments[arguments.length - 1]; navigator.mediaDevices.getUserMedia({video: true}).then((s) => done('ok ' + s.getTracks().length), (e) => done('err ' + e + ' ' + (e && e.stack)));`, args: [] });
        throw new Error(`${e.message}; probe: ${probe}; screen: ${await run("return document.querySelector('#app').innerHTML.slice(0, 4000)")}`);
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
    // The same code, shown to the second device too (a screenshot, say).
    otherDevice('record', secondStore, first.code, 'lecture_loisir', '3.00');
    await next();
    // Above the per-purchase maximum (15 €): refused offline, in French.
    const over = await debitOffline('20,00');
    assert.match(over.error ?? '', /maximum par achat/, JSON.stringify(over));
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
    await stopDriver();
    server = await startServer({ port, dataDir });
    assert.equal(otherDevice('sync', secondStore), '1 0', 'the second device pushed first');
    // The app starts again: its outbox is intact and pushed at launch.
    await startDriver();
    await openApp();
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
  } finally {
    await server.stop();
  }
});
