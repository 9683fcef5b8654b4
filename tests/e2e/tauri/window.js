// Driving the real Tauri window (WebKitGTK) through WebKitWebDriver: one
// `AppWindow` is one WebKitWebDriver process and one app process. Plain
// `fetch` speaks W3C WebDriver; TAURI_WEBVIEW_AUTOMATION makes the app
// automatable (see shared notes: without it the session hangs).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, tempDir } from '../lib/env.js';

export const APP = process.env.PASSREGION_TAURI_APP ?? join(ROOT, 'mobile', 'src-tauri', 'target', 'debug', 'passregion-app');
export const DRIVER = '/usr/bin/WebKitWebDriver';

/** Why the window tests cannot run here (null when they can). */
export function missing(...more) {
  if (!existsSync(APP)) return `app not built (${APP})`;
  if (!existsSync(DRIVER)) return 'WebKitWebDriver missing';
  if (!process.env.DISPLAY) return 'no X display';
  for (const [what, path] of more) if (!existsSync(path)) return `${what} not built (${path})`;
  return null;
}

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

export async function waitFor(what, f, timeoutMs = 30_000) {
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

export class AppWindow {
  /** `env`: extra environment of the app (e.g. PASSREGION_APP_DATA). Each
   * start gets a fresh webview profile: a second WebKitGTK launch on the
   * same profile shows a blank page here, and WebKit's cache could serve a
   * previous build's assets. */
  constructor(env = {}) {
    this.env = env;
    this.driver = null;
    this.base = null;
    this.session = null;
  }

  async start() {
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.driver = spawn(DRIVER, [`--port=${port}`], {
      env: {
        ...process.env,
        TAURI_WEBVIEW_AUTOMATION: 'true',
        XDG_DATA_HOME: tempDir('pr-tauri-webdata-'),
        XDG_CACHE_HOME: tempDir('pr-tauri-cache-'),
        ...this.env,
      },
      stdio: 'ignore',
    });
    await waitFor('WebKitWebDriver', async () => (await fetch(`${this.base}/status`)).ok, 15_000);
    const s = await this.wd('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: APP, args: [] } } },
    });
    this.session = s.sessionId;
    await waitFor('app', () => this.run("return document.querySelector('#app')?.childElementCount ?? 0"));
  }

  /** Ends the session (the app process) and the driver. */
  async stop() {
    if (this.session) await this.wd('DELETE', `/session/${this.session}`).catch(() => {});
    this.session = null;
    if (this.driver && this.driver.exitCode === null) {
      const d = this.driver;
      d.kill();
      await new Promise((r) => d.once('exit', r));
    }
  }

  async wd(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json.value;
  }

  run(script, args = []) {
    return this.wd('POST', `/session/${this.session}/execute/sync`, { script, args });
  }

  runAsync(script, args = []) {
    return this.wd('POST', `/session/${this.session}/execute/async`, { script, args });
  }

  /** Calls a Tauri command from the page; resolves with {ok} or {err}. */
  invoke(cmd, args = {}) {
    return this.runAsync(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then((ok) => done({ ok }), (err) => done({ err }));`,
      [cmd, args],
    );
  }

  /** Resizes the window (the app's phone layout is checked at 360×740). */
  resize(width, height) {
    return this.wd('POST', `/session/${this.session}/window/rect`, { width, height });
  }

  /** Elements wider than the viewport (nothing may need a horizontal scroll). */
  overflowing() {
    return this.run(`const w = document.documentElement.clientWidth;
      return [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > w + 1)
        .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).slice(0, 5);`);
  }

  screenshot() {
    return this.wd('GET', `/session/${this.session}/screenshot`);
  }

  text(sel) {
    return this.run(`return document.querySelector(arguments[0])?.textContent ?? ''`, [sel]);
  }

  fill(sel, value) {
    return this.run(
      `const el = document.querySelector(arguments[0]); el.value = arguments[1];
       el.dispatchEvent(new Event('input', { bubbles: true })); return true;`,
      [sel, value],
    );
  }

  click(sel) {
    return this.run(`document.querySelector(arguments[0]).click(); return true;`, [sel]);
  }
}
