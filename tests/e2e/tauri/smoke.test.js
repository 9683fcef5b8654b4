// Smoke test of the real Tauri window (WebKitGTK) through WebKitWebDriver:
// the app starts, shows the login screen, then the youth home screen.
// Run with tests/e2e/run-tauri.sh (needs the built app and an X display,
// e.g. xvfb-run); skipped otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, PASSWORD, startServer, cleanupTemps } from '../lib/env.js';
import { AppWindow, missing as whyMissing, waitFor } from './window.js';

const missing = whyMissing();
let server;
const win = new AppWindow();
const run = (script, args) => win.run(script, args);

before(async () => {
  if (missing) return;
  server = await startServer();
  await win.start();
});

after(async () => {
  await win.stop();
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
  const png = await win.screenshot();
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
  const texts = await win.wd('POST', `/session/${win.session}/execute/async`, {
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
