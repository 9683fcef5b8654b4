// What the youth's QR shows. The one switch between the formats is
// `cardQrSource` below.
import { api, ApiError, Card, Credential } from '../api';
import { base64UrlDecode, base64UrlEncode } from './base45';
import { deviceKey, dynamicQrText, nextCounter, STEP_SECONDS, stepOf } from './device';

export interface QrFrame {
  text: string;
  /** `dynamic`: PD1 refreshed every 30 s; `card`: the card id (until the server issues credentials). */
  mode: 'dynamic' | 'card';
  /** When to show a new one (ms since epoch), null if it never changes. */
  refreshAt: number | null;
}

export interface QrSource { next(): Promise<QrFrame> }

const CRED_KEY = 'pr.credential';

interface StoredCredential extends Credential { cardId: string; skewMs: number }

function storedCredential(cardId: string): StoredCredential | null {
  try {
    const c = JSON.parse(localStorage.getItem(CRED_KEY) || 'null') as StoredCredential | null;
    if (c && c.cardId === cardId && Date.parse(c.expires_at) > Date.now() + 60_000) return c;
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
  let cred = storedCredential(card.id);
  if (!cred || Date.parse(cred.expires_at) - Date.now() < 24 * 3600_000) {
    try {
      const c = await api.credential(base64UrlEncode(key.publicRaw));
      cred = { ...c, cardId: card.id, skewMs: Date.parse(c.server_time) - Date.now() };
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

/** Fallback: the bare card id, which the server accepts in `qr` today. */
function cardIdSource(card: Card): QrSource {
  return { next: async () => ({ text: card.id, mode: 'card', refreshAt: null }) };
}

/** THE switch: dynamic signed QR when available, else the card id. */
export async function cardQrSource(card: Card): Promise<QrSource> {
  return (await dynamicSource(card)) ?? cardIdSource(card);
}
