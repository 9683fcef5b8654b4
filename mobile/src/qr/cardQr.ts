// What the youth's QR shows. The one switch between the formats is
// `cardQrSource` below.
import { api, ApiError, Card, Credential } from '../api';
import { base64UrlDecode, base64UrlEncode } from './base45';
import { deviceKey, dynamicQrText, nextCounter, STEP_SECONDS, stepOf } from './device';
import { inApp, native } from '../native';

export interface QrFrame {
  text: string;
  /**
   * `dynamic`: PD1 signed by this device, refreshed every 30 s;
   * `static`: the card's signed PR1 code; `card`: the bare card id (old servers).
   */
  mode: 'dynamic' | 'static' | 'card';
  /** When to show a new one (ms since epoch), null if it never changes. */
  refreshAt: number | null;
}

export interface QrSource { next(): Promise<QrFrame> }

const CRED_KEY = 'pr.credential';

interface StoredCredential extends Credential { cardId: string; devicePub: string; skewMs: number }

function storedCredential(cardId: string, devicePub: string): StoredCredential | null {
  try {
    const c = JSON.parse(localStorage.getItem(CRED_KEY) || 'null') as StoredCredential | null;
    if (c && c.cardId === cardId && c.devicePub === devicePub && Date.parse(c.expires_at) > Date.now() + 60_000) return c;
  } catch {
    /* ignore */
  }
  return null;
}

/** The dynamic source: needs Ed25519 in WebCrypto and POST /api/youth/credentials. */
async function dynamicSource(card: Card): Promise<QrSource | null> {
  if (!crypto?.subtle) return null;
  let key;
  try {
    key = await deviceKey();
  } catch {
    return null; // no Ed25519 here
  }
  const devicePub = base64UrlEncode(key.publicRaw);
  let cred = storedCredential(card.id, devicePub);
  if (!cred || Date.parse(cred.expires_at) - Date.now() < 24 * 3600_000) {
    try {
      const c = await api.credential(devicePub);
      cred = { ...c, cardId: card.id, devicePub, skewMs: Date.parse(c.server_time) - Date.now() };
      localStorage.setItem(CRED_KEY, JSON.stringify(cred));
    } catch (e) {
      // 404/405: the server does not issue credentials yet.
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
      if (!cred) return null; // offline with nothing cached
    }
  }
  const bytes = base64UrlDecode(cred.credential);
  if (bytes.length !== 154) return null;
  const skew = Math.abs(cred.skewMs) > 60_000 ? cred.skewMs : 0;
  return {
    async next() {
      const now = Date.now() + skew;
      const step = stepOf(now);
      const text = await dynamicQrText(bytes, key.privateKey, step, nextCounter());
      return { text, mode: 'dynamic', refreshAt: (step + 1) * STEP_SECONDS * 1000 - skew };
    },
  };
}

/** The app's source: the core signs each code with the device key (works offline). */
async function nativeSource(): Promise<QrSource | null> {
  try {
    await native.youthQr();
  } catch {
    return null; // not logged in with the core, or no credential yet
  }
  return {
    async next() {
      const text = await native.youthQr();
      const step = stepOf(Date.now());
      return { text, mode: 'dynamic', refreshAt: (step + 1) * STEP_SECONDS * 1000 };
    },
  };
}

const STATIC_KEY = 'pr.cardQr';

/** The card's static signed code (`PR1:`), cached for offline use; 'unsupported' on old servers. */
async function staticSource(card: Card): Promise<QrSource | null | 'unsupported'> {
  let text: string | null = null;
  try {
    text = (await api.cardQr()).text;
    localStorage.setItem(STATIC_KEY, JSON.stringify({ cardId: card.id, text }));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return 'unsupported';
    try {
      const c = JSON.parse(localStorage.getItem(STATIC_KEY) || 'null') as { cardId: string; text: string } | null;
      if (c && c.cardId === card.id) text = c.text;
    } catch {
      /* ignore */
    }
  }
  if (!text) return null;
  const t = text;
  return { next: async () => ({ text: t, mode: 'static', refreshAt: null }) };
}

/** Last resort for servers without signed codes: the bare card id. */
function cardIdSource(card: Card): QrSource {
  return { next: async () => ({ text: card.id, mode: 'card', refreshAt: null }) };
}

/**
 * THE switch: the device-signed dynamic code when WebCrypto has Ed25519 and
 * the server issues credentials, else the card's static signed code, else the
 * card id.
 */
export async function cardQrSource(card: Card): Promise<QrSource> {
  // In the app, the core holds the credential and the device key: one
  // credential per card (a second one, from WebCrypto, would revoke it).
  if (inApp()) {
    const core = await nativeSource();
    if (core) return core;
  }
  const dynamic = inApp() ? null : await dynamicSource(card);
  if (dynamic) return dynamic;
  const fixed = await staticSource(card);
  if (fixed === 'unsupported') return cardIdSource(card);
  if (fixed) return fixed;
  throw new Error('connectez-vous une première fois à Internet pour obtenir le code de votre carte, ou donnez le numéro de carte au partenaire.');
}
