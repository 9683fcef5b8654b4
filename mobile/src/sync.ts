// Offline state and the local cache of server data (localStorage).
import { NetworkError } from './api';

export interface SyncState {
  online: boolean;
  syncing: boolean;
  /** Oldest date of the cached data shown while offline. */
  staleSince: number | null;
  lastSync: number | null;
}

const state: SyncState = { online: navigator.onLine, syncing: false, staleSince: null, lastSync: null };
const listeners = new Set<() => void>();
let inflight = 0;

export function syncState(): SyncState {
  return { ...state };
}
export function subscribe(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
function emit(): void {
  listeners.forEach((f) => f());
}
export function setOnline(online: boolean): void {
  if (state.online !== online) {
    state.online = online;
    if (online) state.staleSince = null;
    emit();
  }
}

window.addEventListener('online', () => setOnline(true));
window.addEventListener('offline', () => setOnline(false));

interface Entry<T> { at: number; data: T }

export function readCache<T>(key: string): Entry<T> | null {
  try {
    return JSON.parse(localStorage.getItem(`pr.cache.${key}`) || 'null') as Entry<T> | null;
  } catch {
    return null;
  }
}
export function writeCache<T>(key: string, data: T): void {
  try {
    localStorage.setItem(`pr.cache.${key}`, JSON.stringify({ at: Date.now(), data }));
  } catch {
    /* quota: the app still works online */
  }
}
export function clearCache(): void {
  for (const k of Object.keys(localStorage)) if (k.startsWith('pr.cache.')) localStorage.removeItem(k);
}

export interface Loaded<T> { data: T; at: number; fromCache: boolean }

/**
 * Fetches fresh data and caches it; when the server cannot be reached, answers
 * the offline copy (and records the offline state): in the app, the core's
 * store when `fromCore` is given (kept fresh by the background sync), else
 * the browser's cached copy. Other errors are thrown.
 */
export async function cached<T>(key: string, fetcher: () => Promise<T>, fromCore?: () => Promise<T | null>): Promise<Loaded<T>> {
  inflight++;
  state.syncing = true;
  emit();
  try {
    const data = await fetcher();
    writeCache(key, data);
    state.lastSync = Date.now();
    state.staleSince = null;
    if (!state.online) state.online = true;
    return { data, at: Date.now(), fromCache: false };
  } catch (e) {
    if (e instanceof NetworkError) {
      state.online = false;
      if (fromCore) {
        const core = await fromCore().catch(() => null);
        if (core !== null) {
          state.staleSince = state.staleSince ?? Date.now();
          return { data: core, at: Date.now(), fromCache: true };
        }
      }
      const hit = readCache<T>(key);
      if (hit) {
        state.staleSince = Math.min(state.staleSince ?? hit.at, hit.at);
        return { data: hit.data, at: hit.at, fromCache: true };
      }
    }
    throw e;
  } finally {
    inflight--;
    state.syncing = inflight > 0;
    emit();
  }
}
