// Starts the server binary and Chromium for the end-to-end tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SERVER_BIN = process.env.PASSREGION_SERVER ?? join(ROOT, 'target', 'debug', 'passregion-server');
export const WEB_DIR = join(ROOT, 'mobile', 'dist');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const PASSWORD = 'demo1234';

const temps = [];
export function tempDir(prefix) {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}
export function cleanupTemps() {
  for (const d of temps.splice(0)) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      /* a browser still writing its cache: left to the OS */
    }
  }
}

/** The token of the last confirmation link the server mailed to `to` (the demo writes mails to DATA_DIR/mail-outbox). */
export function lastVerificationToken(dataDir, to) {
  const dir = join(dataDir, 'mail-outbox');
  if (!existsSync(dir)) return null;
  const mails = readdirSync(dir)
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .filter((m) => m.split('\r\n').some((l) => l.toLowerCase() === `to: ${to.toLowerCase()}`));
  const m = /jeton=([A-Za-z0-9_-]+)/.exec(mails.at(-1) ?? '');
  return m ? m[1] : null;
}

/**
 * Starts the demo server; resolves with {url, lines, proc, dataDir, stop}.
 * `opts.dataDir` and `opts.port` restart a server on the same data and address;
 * `opts.youths` is the number of demo youths (5 by default); `opts.args` are
 * more flags (e.g. `--demo-ampere-youths 199`, `--start-time …`).
 */
export async function startServer(opts = {}) {
  for (const [what, path] of [
    ['server binary (cargo build -p passregion-server)', SERVER_BIN],
    ['frontend build (npm run build in mobile/)', join(WEB_DIR, 'index.html')],
  ])
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`);
  const dataDir = opts.dataDir ?? tempDir('pr-e2e-data-');
  const bind = `127.0.0.1:${opts.port ?? 0}`;
  const args = ['--demo', '--demo-youths', String(opts.youths ?? 5), '--data-dir', dataDir, '--bind', bind, '--web-dir', WEB_DIR, ...(opts.args ?? [])];
  const proc = spawn(SERVER_BIN, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
  });
  const lines = [];
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s\n${stderr}`)), 60_000);
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        const m = /serveur prêt sur (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]);
        }
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code})\n${stderr}`));
    });
  });
  // let the banner (demo logins) arrive
  await new Promise((r) => setTimeout(r, 300));
  return {
    url,
    lines,
    proc,
    dataDir,
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (proc.kill('SIGKILL'), r()), 5000);
        proc.on('exit', () => (clearTimeout(t), r()));
      });
    },
  };
}

const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A phone-sized Chromium context (optionally with a fake camera fed by a Y4M file). */
export async function launchPhone({ fakeVideo } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const args = [...BASE_ARGS];
  if (fakeVideo)
    args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${fakeVideo}`);
  const context = await chromium.launchPersistentContext(tempDir('pr-e2e-profile-'), {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    isMobile: false,
    hasTouch: true,
  });
  return context;
}

/** A desktop-sized Chromium context (the Region's and établissements' desks). */
export async function launchDesktop() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  return chromium.launchPersistentContext(tempDir('pr-e2e-profile-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_ARGS],
    viewport: { width: 1280, height: 800 },
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
  });
}

/** Runs axe-core in the page; returns the serious and critical violations. */
export async function seriousA11yViolations(page) {
  const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the app's CSP forbids inline scripts.
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Direct API calls (for checks made outside the UI). */
export async function apiLogin(url, email) {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`login ${email}: ${res.status}`);
  const { token } = await res.json();
  return async (path) => {
    const r = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
}
