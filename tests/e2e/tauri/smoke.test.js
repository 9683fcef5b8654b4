// Smoke test of the real Tauri window (WebKitGTK) through WebKitWebDriver:
// the app starts, shows the login screen, then the youth home screen.
// Run with tests/e2e/run-tauri.sh (needs the built app and an X display,
// e.g. xvfb-run); skipped otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, PASSWORD, startServer, cleanupTemps, tempDir } from '../lib/env.js';

const APP = process.env.PASSREGION_TAURI_APP ?? join(ROOT, 'mobile', 'src-tauri', 'target', 'debug', 'passregion-app');
const DRIVER = '/usr/bin/WebKitWebDriver';
const missing = !existsSync(APP) ? `app not built (${APP})` : !existsSync(DRIVER) ? 'WebKitWebDriver missing' : !process.env.DISPLAY ? 'no X display' : null;

let server;
let driver;
let base;
let session;

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

before(async () => {
  if (missing) return;
  server = await startServer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // A fresh webview profile each run (WebKit's cache can serve a previous
  // build's assets for tauri:// after a rebuild).
  const profile = tempDir('pr-tauri-profile-');
  driver = spawn(DRIVER, [`--port=${port}`], {
    env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: 'true', XDG_DATA_HOME: join(profile, 'data'), XDG_CACHE_HOME: join(profile, 'cache') },
    stdio: 'ignore',
  });
  await waitFor('WebKitWebDriver', async () => (await fetch(`${base}/status`)).ok, 15_000);
  const s = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: APP, args: [] } } },
  });
  session = s.sessionId;
});

after(async () => {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  if (driver && driver.exitCode === null) {
    driver.kill();
    await new Promise((r) => driver.once('exit', r));
  }
  await server?.stop();
  cleanupTemps();
});

test('the Tauri window shows the login screen, then the youth home', { skip: missing ?? false }, async () => {
  // The webview's storage persists between runs: start logged out.
  await waitFor('app', () => run("return document.querySelector('#app')?.childElementCount ?? 0"));
  await run("localStorage.clear(); indexedDB.deleteDatabase('passregion'); location.hash = '#/connexion'; location.reload();");
  await waitFor('login screen', () => run("return document.querySelector('h1.brand')?.textContent ?? ''"));
  assert.match(await run("return document.querySelector('h1.brand').textContent"), /PASS’Région/);
  assert.equal(await run("return typeof window.__TAURI_INTERNALS__"), 'object', 'running inside Tauri');

  // A real session and card from the server, then the youth home. The page
  // origin is tauri://localhost: until the server answers CORS, the app's own
  // requests fail and it shows the cached card with the offline banner.
  const login = await (
    await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'lea@demo.passregion.fr', password: PASSWORD }),
    })
  ).json();
  const auth = { headers: { Authorization: `Bearer ${login.token}` } };
  const card = await (await fetch(`${server.url}/api/youth/card`, auth)).json();
  const staticQr = await (await fetch(`${server.url}/api/youth/card/qr`, auth)).json();
  await run(
    `localStorage.setItem('pr.apiBase', arguments[0]);
     localStorage.setItem('pr.session', JSON.stringify(arguments[1]));
     localStorage.setItem('pr.cache.card', JSON.stringify({ at: Date.now(), data: arguments[2] }));
     localStorage.setItem('pr.cardQr', JSON.stringify({ cardId: arguments[2].id, text: arguments[3] }));
     location.hash = '#/jeune';
     location.reload();`,
    [server.url, login, card, staticQr.text],
  );
  const shown = await waitFor('card number', () => run("return document.querySelector('[data-testid=card-number]')?.textContent ?? ''"));
  assert.equal(shown.replace(/\s/g, ''), card.number);
  // The QR renders in WebKitGTK (a visible, square SVG).
  const size = await waitFor('QR', () =>
    run("const r = document.querySelector('[data-testid=card-qr] svg')?.getBoundingClientRect(); return r && r.height > 100 ? [r.width, r.height] : null"),
  );
  assert.ok(Math.abs(size[0] - size[1]) < 2, `square QR ${size}`);
  const png = await wd('GET', `/session/${session}/screenshot`);
  mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
  writeFileSync(join(ROOT, 'docs', 'screenshots', 'tauri-youth-home.png'), Buffer.from(png, 'base64'));
});

test('the partner scanner in the Tauri window decodes injected camera frames with the core', { skip: missing ?? false }, async () => {
  // The Linux webview has no camera: draw a frame (the card's QR, small and
  // off-centre on a grey background) and hand its RGBA bytes to the Rust
  // `scan_frame` command over raw IPC, as the partner screen does for each frame.
  const login = await (
    await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'lea@demo.passregion.fr', password: PASSWORD }),
    })
  ).json();
  const auth = { headers: { Authorization: `Bearer ${login.token}` } };
  const qr = await (await fetch(`${server.url}/api/youth/card/qr`, auth)).json();
  const png = Buffer.from(await (await fetch(`${server.url}/api/youth/card/qr.png`, auth)).arrayBuffer());
  const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
  const texts = await wd('POST', `/session/${session}/execute/async`, {
    script: `const [url, done] = [arguments[0], arguments[arguments.length - 1]];
      const img = new Image();
      img.onload = async () => {
        const c = document.createElement('canvas');
        c.width = 640; c.height = 480;
        const g = c.getContext('2d');
        g.fillStyle = '#8a8a8a'; g.fillRect(0, 0, 640, 480);
        g.drawImage(img, 180, 90, 300, 300);
        const { data } = g.getImageData(0, 0, 640, 480);
        try {
          const out = await window.__TAURI_INTERNALS__.invoke('scan_frame', new Uint8Array(data.buffer),
            { headers: { 'x-frame-width': '640', 'x-frame-height': '480' } });
          done(out);
        } catch (e) { done('error: ' + e); }
      };
      img.onerror = () => done('error: image');
      img.src = url;`,
    args: [dataUrl],
  });
  assert.deepEqual(texts, [qr.text], 'the core scanner read the signed card code');
});
