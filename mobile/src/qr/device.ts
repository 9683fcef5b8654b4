// The device key (Ed25519, non-extractable, kept in IndexedDB) and the
// dynamic QR `PD1:` text it signs.
import { base45Encode } from './base45';

const DB = 'passregion';
const STORE = 'keys';

function idb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
async function idbGet<T>(key: string): Promise<T | undefined> {
  const db = await idb();
  return new Promise((resolve, reject) => {
    const req = db.transaction(STORE, 'readonly').objectStore(STORE).get(key);
    req.onsuccess = () => resolve(req.result as T | undefined);
    req.onerror = () => reject(req.error);
  });
}
async function idbPut(key: string, value: unknown): Promise<void> {
  const db = await idb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

export interface DeviceKey { privateKey: CryptoKey; publicRaw: Uint8Array }

/** The device key pair, created on first use. Throws if WebCrypto has no Ed25519. */
export async function deviceKey(): Promise<DeviceKey> {
  const existing = await idbGet<DeviceKey>('device');
  if (existing) return existing;
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const key = { privateKey: pair.privateKey, publicRaw };
  await idbPut('device', key);
  return key;
}

const COUNTER_KEY = 'pr.qrCounter';
/** The next counter (persisted: it only grows). */
export function nextCounter(): number {
  const n = (Number(localStorage.getItem(COUNTER_KEY)) || 0) + 1;
  localStorage.setItem(COUNTER_KEY, String(n));
  return n;
}

export const STEP_SECONDS = 30;
export const stepOf = (unixMs: number): number => Math.floor(unixMs / 1000 / STEP_SECONDS);

const TAG = new TextEncoder().encode('passregion/PD1\0');

/** `PD1:` + base45(credential[154] ‖ step u32 BE ‖ counter u32 BE ‖ signature[64]). */
export async function dynamicQrText(credential: Uint8Array, key: CryptoKey, step: number, counter: number): Promise<string> {
  const body = new Uint8Array(credential.length + 8);
  body.set(credential, 0);
  const view = new DataView(body.buffer);
  view.setUint32(credential.length, step >>> 0, false);
  view.setUint32(credential.length + 4, counter >>> 0, false);
  const msg = new Uint8Array(TAG.length + body.length);
  msg.set(TAG, 0);
  msg.set(body, TAG.length);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, msg));
  const all = new Uint8Array(body.length + sig.length);
  all.set(body, 0);
  all.set(sig, body.length);
  return 'PD1:' + base45Encode(all);
}
