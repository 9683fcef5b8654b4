// The youth's phone in the real Tauri window: she logs in on the login
// screen (the core gets her card and a credential); the server goes away and
// the app is restarted: the card and a fresh QR code, signed by the core with
// the device key, still show.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, PASSWORD, startServer, cleanupTemps, tempDir } from '../lib/env.js';

const APP = process.env.PASSREGION_TAURI_APP ?? join(ROOT, 'mobile', 'src-tauri', 'target', 'debug', 'passregion-app');
const DRIVER = '/usr/bin/WebKitWebDriver';
const missing = !existsSync(APP) ? `app not built (${APP})` : !existsSync(DRIVER) ? 'WebKitWebDriver missing' : !process.env.DISPLAY ? 'no X display' : null;

let driver;
let base;
let session;
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

const fill = (sel, value) =>
  run(
    `const el = document.querySelector(arguments[0]); el.value = arguments[1];
     el.dispatchEvent(new Event('input', { bubbles: true })); return true;`,
    [sel, value],
  );

/** WebKitWebDriver with a fresh webview profile, the same app data (the core's stores). */
async function startApp() {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  driver = spawn(DRIVER, [`--port=${port}`], {
    env: {
      ...process.env,
      TAURI_WEBVIEW_AUTOMATION: 'true',
      XDG_DATA_HOME: tempDir('pr-tauri-youth-webdata-'),
      XDG_CACHE_HOME: tempDir('pr-tauri-youth-cache-'),
      PASSREGION_APP_DATA: appData,
      PASSREGION_NO_KEYRING: '1',
    },
    stdio: 'ignore',
  });
  await waitFor('WebKitWebDriver', async () => (await fetch(`${base}/status`)).ok, 15_000);
  const s = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: APP, args: [] } } },
  });
  session = s.sessionId;
  await waitFor('app', () => run("return document.querySelector('#app')?.childElementCount ?? 0"));
}

async function stopApp() {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  session = null;
  if (driver && driver.exitCode === null) {
    driver.kill();
    await new Promise((r) => driver.once('exit', r));
  }
}

before(async () => {
  if (missing) return;
  appData = tempDir('pr-tauri-youth-app-');
  await startApp();
});

after(async () => {
  await stopApp();
  cleanupTemps();
});

test('the youth app keeps its card and shows fresh signed codes after a restart without network', { skip: missing ?? false }, async () => {
  const server = await startServer();
  let stopped = false;
  try {
    await run(`localStorage.clear(); localStorage.setItem('pr.apiBase', arguments[0]); location.hash = '#/connexion'; location.reload();`, [server.url]);
    await waitFor('login form', () => run("return !!document.querySelector('#l-email')"));
    await fill('#l-email', 'lea@demo.passregion.fr');
    await fill('#l-password', PASSWORD);
    await run("document.querySelector('form button[type=submit]').click(); return true;");
    const number = await waitFor('card number', () => run("return document.querySelector('[data-testid=card-number]')?.textContent ?? ''"));
    await waitFor('dynamic QR', () => run("return document.querySelector('[data-testid=card-qr]')?.getAttribute('data-qr-mode') === 'dynamic'"));

    // No more network; the app is killed and started again.
    const saved = await run("return Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]))");
    await server.stop();
    stopped = true;
    await stopApp();
    await startApp();
    await run(
      `for (const [k, v] of Object.entries(arguments[0])) localStorage.setItem(k, v);
       location.hash = '#/jeune'; location.reload();`,
      [saved],
    );
    const again = await waitFor('card number offline', () => run("return document.querySelector('[data-testid=card-number]')?.textContent ?? ''"));
    assert.equal(again, number, 'the card shows from the cache');
    await waitFor('dynamic QR offline', () => run("return document.querySelector('[data-testid=card-qr]')?.getAttribute('data-qr-mode') === 'dynamic'"));
    // Two codes in a row differ (a new counter each), signed by the core.
    const a = await invoke('youth_qr');
    const b = await invoke('youth_qr');
    assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
    assert.notEqual(a.ok, b.ok);
    assert.match(a.ok, /^PD1:/);
  } finally {
    if (!stopped) await server.stop();
  }
});
