// Every call to the PASS'Région server goes through this module.
import { apiBase } from './config';

export type Role = 'youth' | 'partner' | 'establishment' | 'region';

export interface Account {
  id: string;
  email: string;
  role: Role;
  display_name: string;
  partner_id: string | null;
  partner_category: string | null;
  establishment_id: string | null;
}
export interface Session { token: string; expires_at: string; account: Account }
export interface Establishment { id: string; name: string; kind: string; city: string; postal_code: string }
export interface Order {
  id: string; season: string; status: string; reason: string | null; establishment_id: string;
  first_name: string; last_name: string; birth_date: string; public: string; track: string | null;
  disabled: boolean; created_at: string; decided_at: string | null;
}
export interface OrderRequest {
  first_name: string; last_name: string; birth_date: string; public: string; track: string | null;
  disabled: boolean; establishment_id: string; address: string; postal_code: string; city: string;
}
export interface Balance {
  avantage: string; label: string; kind: 'credit' | 'entries'; loaded: string; remaining: string; categories: string[];
}
export interface Card {
  id: string; number: string; status: string; status_reason: string | null; season: string; valid_until: string;
  first_name: string; last_name: string; establishment_id: string; balances: Balance[];
}
export interface Transaction {
  id: string; seq: number; kind: 'debit' | 'refund'; partner_id: string; partner_name: string; card: string;
  avantage: string; avantage_label?: string; season?: string; unit_kind: 'credit' | 'entries'; price: string; debited: string; reste_a_payer: string;
  balance_after?: string; reimbursed_amount: string; refund_of: string | null; refunded: boolean; channel: string;
  reimbursement_status: string; created_at: string;
}
export interface DebitReceipt extends Transaction { balance: string; holder: string }
export interface TransactionPage { items: Transaction[]; next_cursor: number }
export interface Inspection {
  card_id: string; holder: string; status: string; season: string; usable: boolean; reason: string | null; balances: Balance[];
}
export interface Batch {
  id: string; partner_id: string; partner_name: string; period_end: string; total: string; transactions: number;
  status: string; created_at: string; paid_at: string | null;
}
export interface ReimbursementSummary {
  pending_total: string; in_progress_total: string; paid_total: string; batches: Batch[];
}
export interface Partner {
  id: string; name: string; category: string; address: string; city: string; postal_code: string; latitude: number; longitude: number;
}
export interface BonPlan {
  id: string; partner_id: string; partner_name: string; category: string; city: string; title: string; description: string;
  status: string; reason: string | null; valid_until: string | null; created_at: string;
}
export interface Credential { credential: string; expires_at: string; server_time: string }

/** The card, by QR text or by number + birth date (web form). */
export type CardSelector = { qr: string } | { card_number: string; birth_date: string };
export type DebitBody = CardSelector & {
  avantage: string;
  price?: string;
  entries?: number;
  /** When the QR was scanned, for a debit queued while offline (ISO 8601). */
  scanned_at?: string;
};

/** An error answered by the server: `{status, code, message, field?}`. */
export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public field?: string) {
    super(message);
  }
}
/** The server could not be reached (offline, DNS, refused…). */
export class NetworkError extends Error {
  constructor() {
    super('Serveur injoignable');
  }
}

const SESSION_KEY = 'pr.session';

export function session(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null') as Session | null;
    return s && s.token ? s : null;
  } catch {
    return null;
  }
}
export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
export function onUnauthorized(f: Listener): () => void {
  unauthorizedListeners.add(f);
  return () => unauthorizedListeners.delete(f);
}

interface RequestOptions { body?: unknown; idempotencyKey?: string; anonymous?: boolean; raw?: boolean }

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const s = session();
  if (!opts.anonymous && s) headers.Authorization = `Bearer ${s.token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(apiBase() + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new NetworkError();
  }
  if (res.status === 204) return undefined as T;
  if (opts.raw && res.ok) return (await res.text()) as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data ?? {}) as { code?: string; message?: string; field?: string };
    if (res.status === 401 && !opts.anonymous) unauthorizedListeners.forEach((f) => f());
    // A gateway error while the server is away behaves like being offline.
    if (res.status === 502 || res.status === 503 || res.status === 504) throw new NetworkError();
    throw new ApiError(res.status, e.code ?? 'erreur', e.message ?? `Erreur ${res.status}`, e.field);
  }
  return data as T;
}

const qs = (params: Record<string, string | number | undefined | null>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const api = {
  health: () => request<{ status: string; time: string; season: string }>('GET', '/health', { anonymous: true }),
  login: (email: string, password: string) =>
    request<Session>('POST', '/api/auth/login', { body: { email, password }, anonymous: true }),
  register: (email: string, password: string, display_name: string) =>
    request<Session>('POST', '/api/auth/register', { body: { email, password, display_name }, anonymous: true }),
  logout: () => request<void>('POST', '/api/auth/logout', { body: {} }),

  establishments: (q?: string) => request<Establishment[]>('GET', `/api/establishments${qs({ q })}`, { anonymous: true }),
  partners: (category?: string, q?: string) =>
    request<Partner[]>('GET', `/api/partners${qs({ category, q })}`, { anonymous: true }),
  bonsPlans: (category?: string) => request<BonPlan[]>('GET', `/api/bons-plans${qs({ category })}`, { anonymous: true }),

  // youth
  createOrder: (o: OrderRequest) => request<Order>('POST', '/api/youth/orders', { body: o }),
  myOrders: () => request<Order[]>('GET', '/api/youth/orders'),
  myCard: () => request<Card>('GET', '/api/youth/card'),
  activateCard: () => request<Card>('POST', '/api/youth/card/activate', { body: {} }),
  myTransactions: () => request<Transaction[]>('GET', '/api/youth/transactions'),
  /** The card's static signed QR (`PR1:`): text and SVG. */
  cardQr: () => request<{ text: string; svg: string }>('GET', '/api/youth/card/qr'),
  cardQrSvg: () => request<string>('GET', '/api/youth/card/qr.svg', { raw: true }),
  credential: (device_public_key: string) =>
    request<Credential>('POST', '/api/youth/credentials', { body: { device_public_key } }),

  // partner
  inspect: (sel: CardSelector) => request<Inspection>('POST', '/api/partner/cards/inspect', { body: sel }),
  debit: (body: DebitBody, idempotencyKey: string) =>
    request<DebitReceipt>('POST', '/api/partner/debits', { body, idempotencyKey }),
  partnerTransactions: (after?: number, limit = 100) =>
    request<TransactionPage>('GET', `/api/partner/transactions${qs({ after, limit })}`),
  refund: (id: string, body: { amount?: string; entries?: number }, idempotencyKey: string) =>
    request<Transaction>('POST', `/api/partner/transactions/${encodeURIComponent(id)}/refund`, { body, idempotencyKey }),
  reimbursements: () => request<ReimbursementSummary>('GET', '/api/partner/reimbursements'),

  // établissement
  establishmentOrders: (status?: string) => request<Order[]>('GET', `/api/establishment/orders${qs({ status })}`),
  decideOrder: (id: string, validate: boolean, reason?: string) =>
    request<Order>('POST', `/api/establishment/orders/${encodeURIComponent(id)}/decision`, { body: { validate, reason: reason ?? null } }),
  establishmentCards: () => request<Card[]>('GET', '/api/establishment/cards'),
  suspendCard: (id: string, reason: string) =>
    request<Card>('POST', `/api/establishment/cards/${encodeURIComponent(id)}/suspend`, { body: { reason } }),
  reactivateCard: (id: string) => request<Card>('POST', `/api/establishment/cards/${encodeURIComponent(id)}/reactivate`, { body: {} }),
  revalidateCard: (id: string) => request<Card>('POST', `/api/establishment/cards/${encodeURIComponent(id)}/revalidate`, { body: {} }),

  // région
  regionTransactions: (after?: number, limit = 100) =>
    request<TransactionPage>('GET', `/api/region/transactions${qs({ after, limit })}`),
  regionBatches: () => request<Batch[]>('GET', '/api/region/reimbursements'),
  closeBatches: () => request<Batch[]>('POST', '/api/region/reimbursements/close', { body: {} }),
  payBatch: (id: string) => request<Batch>('POST', `/api/region/reimbursements/${encodeURIComponent(id)}/pay`, { body: {} }),
  pendingBonsPlans: () => request<BonPlan[]>('GET', '/api/region/bons-plans/pending'),
  moderateBonPlan: (id: string, validate: boolean, reason?: string) =>
    request<BonPlan>('POST', `/api/region/bons-plans/${encodeURIComponent(id)}/decision`, { body: { validate, reason: reason ?? null } }),
};

/** Reads every page of a cursor-paged list (oldest first). */
export async function allPages(fetchPage: (after?: number) => Promise<TransactionPage>): Promise<Transaction[]> {
  const out: Transaction[] = [];
  let after: number | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await fetchPage(after);
    out.push(...page.items);
    if (page.items.length === 0 || page.next_cursor === after) break;
    after = page.next_cursor;
  }
  return out;
}

/** A fresh UUID v4 (Idempotency-Key). */
export function uuidv4(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
