// Debits made while the server was unreachable. Each keeps the Idempotency-Key
// of its confirmation, so a retry is applied once by the server. When the
// server gets an offline-sync endpoint, only this module changes.
import { api, ApiError, DebitBody, DebitReceipt, NetworkError } from './api';

export interface OutboxItem {
  key: string;
  body: DebitBody;
  /** Shown in the list (holder, avantage label…). */
  label: string;
  createdAt: number;
  attempts: number;
  nextAt: number;
  state: 'pending' | 'failed' | 'done';
  error?: string;
  receipt?: DebitReceipt;
}

const KEY = 'pr.outbox';
const listeners = new Set<() => void>();

function load(): OutboxItem[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) || '[]') as OutboxItem[];
  } catch {
    return [];
  }
}
function save(items: OutboxItem[]): void {
  localStorage.setItem(KEY, JSON.stringify(items));
  listeners.forEach((f) => f());
}

export function outboxItems(): OutboxItem[] {
  return load();
}
export function onOutboxChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function enqueue(key: string, body: DebitBody, label: string): OutboxItem {
  // The request is sent again unchanged (same key, same body): if the first
  // attempt did reach the server, the retry gets its stored answer. Nothing
  // here is accepted until the server answers: it decides when the request
  // arrives, and an app QR code is valid about a minute online, so a queued QR
  // debit is usually refused (qr_expire) and shown as refused. Debits made
  // offline on purpose go through the partner app's signed sync instead.
  const item: OutboxItem = { key, body, label, createdAt: Date.now(), attempts: 0, nextAt: Date.now() + 2000, state: 'pending' };
  save([...load().filter((i) => i.key !== key), item]);
  return item;
}

export function dismiss(key: string): void {
  save(load().filter((i) => i.key !== key));
}

/** Backoff: 2 s, 4 s, 8 s… up to one minute. */
export function backoff(attempts: number): number {
  return Math.min(60_000, 2000 * 2 ** Math.min(attempts, 5));
}

let flushing = false;

/** Sends every due pending debit (all of them when `force`). */
export async function flush(force = false): Promise<void> {
  if (flushing) return;
  flushing = true;
  try {
    for (const item of load()) {
      if (item.state !== 'pending' || (!force && item.nextAt > Date.now())) continue;
      let update: Partial<OutboxItem>;
      try {
        const receipt = await api.debit(item.body, item.key);
        update = { state: 'done', receipt, error: undefined };
      } catch (e) {
        if (e instanceof NetworkError) {
          const attempts = item.attempts + 1;
          update = { attempts, nextAt: Date.now() + backoff(attempts), error: e.message };
        } else if (e instanceof ApiError && e.status < 500 && e.status !== 401) {
          update = { state: 'failed', error: e.message };
        } else {
          const attempts = item.attempts + 1;
          update = { attempts, nextAt: Date.now() + backoff(attempts), error: (e as Error).message };
        }
      }
      save(load().map((i) => (i.key === item.key ? { ...i, ...update } : i)));
    }
  } finally {
    flushing = false;
  }
}

let started = false;
/** Retries when the browser comes back online and every few seconds. */
export function startOutbox(): void {
  if (started) return;
  started = true;
  window.addEventListener('online', () => void flush(true));
  setInterval(() => {
    if (load().some((i) => i.state === 'pending')) void flush();
  }, 3000);
  void flush(true);
}
