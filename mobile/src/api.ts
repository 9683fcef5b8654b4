// Every call to the PASS'Région server goes through this module.
import type { components } from './api-schema';
import { apiBase } from './config';

// The API's types are generated from the server's OpenAPI document into
// ./api-schema/ (scripts/gen-api-types.sh; never edit those files). These
// aliases keep the names the app uses. A field the server always sends is
// required in the schema, `T | null` when it may be empty; only fields it
// leaves out when empty are optional (`?`).
type Schemas = components['schemas'];

export type Role = Schemas['Role'];
export type Account = Schemas['AccountView'];
export type Session = Schemas['LoginResponse'];
export type Establishment = Schemas['Establishment'];
export type Order = Schemas['Order'];
export type OrderRequest = Schemas['OrderRequest'];
export type Balance = Schemas['Balance'];
export type Card = Schemas['CardView'];
export type Transaction = Schemas['Transaction'];
export type DebitReceipt = Schemas['DebitReceipt'];
export type TransactionPage = Schemas['TransactionPage'];
export type Inspection = Schemas['CardInspection'];
export type Batch = Schemas['Batch'];
export type ReimbursementSummary = Schemas['ReimbursementSummary'];
export type Statement = Schemas['Statement'];
export type PaymentRun = Schemas['PaymentRun'];
export type QueuedBatch = Schemas['QueuedBatch'];
export type StatementImport = Schemas['StatementImport'];
export type PaymentEvent = Schemas['PaymentEvent'];
export type Partner = Schemas['Partner'];
export type BonPlan = Schemas['BonPlan'];
export type Credential = Schemas['CredentialResponse'];
export type Health = Schemas['Health'];
export type HelpInfo = Schemas['HelpInfo'];
export type CardQr = Schemas['CardQrView'];
export type RefundRequest = Schemas['RefundRequest'];
export type CollectiveBooking = Schemas['CollectiveBooking'];
export type CollectiveBookingRequest = Schemas['CollectiveBookingRequest'];
export type ApplicationView = Schemas['ApplicationView'];
export type ApplicationDraft = Schemas['ApplicationDraft'];
export type ApplicationDocument = Schemas['ApplicationDocument'];
export type Cgp = Schemas['Cgp'];
export type ConventionToSign = Schemas['ConventionToSign'];
export type PartnerStatus = Schemas['PartnerStatus'];
export type RegionPartnerRecord = Schemas['RegionPartnerRecord'];
export type BankChange = Schemas['BankChange'];
export type StaffMember = Schemas['StaffMember'];
export type PartnerDevice = Schemas['DeviceView'];
export type EstablishmentStaffMember = Schemas['EstablishmentStaffMember'];
export type EstablishmentRole = 'head' | 'staff';
export type BulkResult = Schemas['BulkResult'];
export type BulkItem = Schemas['BulkItem'];
export type CardEvent = Schemas['CardEvent'];
/** `GET /api/establishment/orders` filters (server side); empty: any. */
export interface OrderFilter { status?: string; public?: string; track?: string }
/** A partner account's role: the manager (responsable) or a cashier (caissier). */
export type PartnerRole = 'manager' | 'cashier';
/** The body of every non-2xx response. */
export type ApiErrorBody = Schemas['ApiError'];

/**
 * The card, by QR text (with the birth date for a printed card's code) or by
 * number + birth date (web form). The schema's
 * CardSelector has the three fields all optional (the server checks that one
 * way is given); the app keeps "one or the other" as a union of its fields.
 */
type Selector = Schemas['CardSelector'];
export type CardSelector =
  | { qr: NonNullable<Selector['qr']> }
  // A printed card's QR: with the holder's birth date (a photocopy is not a proof).
  | { qr: NonNullable<Selector['qr']>; birth_date: NonNullable<Selector['birth_date']> }
  | { card_number: NonNullable<Selector['card_number']>; birth_date: NonNullable<Selector['birth_date']> };
/** `POST /api/partner/debits`: a card selector and the rest of the schema's DebitRequest. */
export type DebitBody = CardSelector & Omit<Schemas['DebitRequest'], keyof Selector>;
// Compile-time checks: what the app sends is what the schema accepts.
type Accepts<Schema, _Body extends Schema> = true;
export type _SelectorFitsSchema = Accepts<Selector, CardSelector>;
export type _DebitBodyFitsSchema = Accepts<Schemas['DebitRequest'], DebitBody>;

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

interface RequestOptions { body?: unknown; idempotencyKey?: string; anonymous?: boolean; raw?: boolean; xml?: string }

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const s = session();
  if (!opts.anonymous && s) headers.Authorization = `Bearer ${s.token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.xml !== undefined) headers['Content-Type'] = 'application/xml';
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(apiBase() + path, {
      method,
      headers,
      body: opts.xml ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
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
    const e = (data ?? {}) as Partial<ApiErrorBody>;
    if (res.status === 401 && !opts.anonymous) unauthorizedListeners.forEach((f) => f());
    // A gateway error while the server is away behaves like being offline.
    if (res.status === 502 || res.status === 503 || res.status === 504) throw new NetworkError();
    throw new ApiError(res.status, e.code ?? 'erreur', e.message ?? `Erreur ${res.status}`, e.field ?? undefined);
  }
  return data as T;
}

// Known-device tokens, one per account logged in from this browser: with
// it, other people's wrong passwords do not lock this device out (the
// server gives this device a failure budget of its own).
const DEVICES_KEY = 'pr.knownDevices';
const deviceKey = (email: string) => email.trim().toLowerCase();
function knownDevices(): Record<string, string> {
  try {
    const v = JSON.parse(localStorage.getItem(DEVICES_KEY) || '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}
function knownDevice(email: string): string | undefined {
  return knownDevices()[deviceKey(email)];
}
function rememberDevice(email: string, token: string | null | undefined): void {
  if (!token) return;
  const all = knownDevices();
  all[deviceKey(email)] = token;
  localStorage.setItem(DEVICES_KEY, JSON.stringify(all));
}

const qs = (params: Record<string, string | number | undefined | null>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const api = {
  health: () => request<Health>('GET', '/health', { anonymous: true }),
  help: () => request<HelpInfo>('GET', '/api/help', { anonymous: true }),
  login: async (email: string, password: string) => {
    const device_token = knownDevice(email);
    const body: Schemas['LoginRequest'] = device_token ? { email, password, device_token } : { email, password };
    const s = await request<Session>('POST', '/api/auth/login', { body, anonymous: true });
    rememberDevice(email, s.device_token);
    return s;
  },
  register: (email: string, password: string, display_name: string) =>
    request<Schemas['RegisterResponse']>('POST', '/api/auth/register', {
      body: { email, password, display_name } satisfies Schemas['RegisterRequest'],
      anonymous: true,
    }),
  passwordReset: (email: string) =>
    request<Schemas['Notice']>('POST', '/api/auth/password-reset', { body: { email } satisfies Schemas['PasswordResetRequest'], anonymous: true }),
  passwordResetConfirm: (token: string, password: string) =>
    request<Schemas['Notice']>('POST', '/api/auth/password-reset/confirm', {
      body: { token, password } satisfies Schemas['PasswordResetConfirm'],
      anonymous: true,
    }),
  changePassword: (current_password: string, new_password: string) =>
    request<Schemas['Notice']>('POST', '/api/me/password', { body: { current_password, new_password } satisfies Schemas['ChangePasswordRequest'] }),
  mySessions: () => request<Schemas['SessionView'][]>('GET', '/api/me/sessions'),
  endSession: (id: string) => request<void>('DELETE', `/api/me/sessions/${encodeURIComponent(id)}`),
  myNotices: () => request<Schemas['AccountNotice'][]>('GET', '/api/me/notices'),
  endOtherSessions: () => request<Schemas['Notice']>('POST', '/api/me/sessions/end-others', { body: {} }),
  myData: () => request<Schemas['YouthDataExport']>('GET', '/api/youth/data'),
  lostPhone: () => request<Schemas['Notice']>('POST', '/api/youth/lost-phone', { body: {} }),
  verifyEmail: (token: string) =>
    request<Session>('POST', '/api/auth/verify-email', { body: { token } satisfies Schemas['VerifyEmailRequest'], anonymous: true }),
  logout: () => request<void>('POST', '/api/auth/logout', { body: {} }),
  /** The invitation link's token and the chosen password: opens a session. */
  acceptInvitation: (token: string, password: string) =>
    request<Session>('POST', '/api/auth/invitation/accept', {
      body: { token, password } satisfies Schemas['InvitationAccept'],
      anonymous: true,
    }),

  establishments: (q?: string) => request<Establishment[]>('GET', `/api/establishments${qs({ q })}`, { anonymous: true }),
  partners: (category?: string, q?: string) =>
    request<Partner[]>('GET', `/api/partners${qs({ category, q })}`, { anonymous: true }),
  bonsPlans: (category?: string) => request<BonPlan[]>('GET', `/api/bons-plans${qs({ category })}`, { anonymous: true }),

  // youth
  createOrder: (o: OrderRequest) => request<Order>('POST', '/api/youth/orders', { body: o }),
  myOrders: () => request<Order[]>('GET', '/api/youth/orders'),
  myCard: () => request<Card>('GET', '/api/youth/card'),
  establishmentLostCard: (id: string, stolen: boolean) =>
    request<Card>('POST', `/api/establishment/cards/${encodeURIComponent(id)}/lost`, { body: { stolen } satisfies Schemas['LostCardRequest'] }),
  lostCard: (stolen: boolean) => request<Card>('POST', '/api/youth/card/lost', { body: { stolen } satisfies Schemas['LostCardRequest'] }),
  activateCard: () => request<Card>('POST', '/api/youth/card/activate', { body: {} }),
  myTransactions: () => request<Transaction[]>('GET', '/api/youth/transactions'),
  /** The card's static signed QR (`PR1:`): text and SVG. */
  cardQr: () => request<CardQr>('GET', '/api/youth/card/qr'),
  cardQrSvg: () => request<string>('GET', '/api/youth/card/qr.svg', { raw: true }),
  credential: (device_public_key: string) =>
    request<Credential>('POST', '/api/youth/credentials', { body: { device_public_key } satisfies Schemas['CredentialRequest'] }),

  // partner
  inspect: (sel: CardSelector) => request<Inspection>('POST', '/api/partner/cards/inspect', { body: sel satisfies Selector }),
  debit: (body: DebitBody, idempotencyKey: string) =>
    request<DebitReceipt>('POST', '/api/partner/debits', { body, idempotencyKey }),
  partnerTransactions: (after?: number, limit = 100) =>
    request<TransactionPage>('GET', `/api/partner/transactions${qs({ after, limit })}`),
  refund: (id: string, body: RefundRequest, idempotencyKey: string) =>
    request<Transaction>('POST', `/api/partner/transactions/${encodeURIComponent(id)}/refund`, { body, idempotencyKey }),
  reimbursements: () => request<ReimbursementSummary>('GET', '/api/partner/reimbursements'),
  statement: (id: string) => request<Statement>('GET', `/api/partner/reimbursements/${encodeURIComponent(id)}/statement`),
  partnerBookings: () => request<CollectiveBooking[]>('GET', '/api/partner/collective-bookings'),
  /** Confirms the service: the youths' avantages are debited (retry with the same key). */
  confirmBooking: (id: string, idempotencyKey: string) =>
    request<CollectiveBooking>('POST', `/api/partner/collective-bookings/${encodeURIComponent(id)}/confirm`, { body: {}, idempotencyKey }),
  declineBooking: (id: string, reason?: string) =>
    request<CollectiveBooking>('POST', `/api/partner/collective-bookings/${encodeURIComponent(id)}/decline`, {
      body: (reason ? { reason } : {}) satisfies Schemas['CollectiveDecision'],
    }),
  // partner staff and devices (inviting, removing and revoking: managers only)
  partnerStaff: () => request<StaffMember[]>('GET', '/api/partner/staff'),
  /** Invites someone: the account is created and a link (7 days, once) mailed to it. */
  inviteStaff: (email: string, display_name: string, role: PartnerRole) =>
    request<StaffMember>('POST', '/api/partner/staff', { body: { email, display_name, role } satisfies Schemas['StaffInvitation'] }),
  /** Removes a member's access: its sessions end at once. */
  removeStaff: (accountId: string) => request<void>('DELETE', `/api/partner/staff/${encodeURIComponent(accountId)}`),
  partnerDevices: () => request<PartnerDevice[]>('GET', '/api/partner/devices'),
  /** Revokes a device: its offline debits are refused from now on. */
  revokeDevice: (id: string) => request<PartnerDevice>('POST', `/api/partner/devices/${encodeURIComponent(id)}/revoke`, { body: {} }),

  // établissement
  /** The caller's établissement. */
  ownEstablishment: () => request<Establishment>('GET', '/api/establishment'),
  establishmentOrders: (filter: OrderFilter = {}) =>
    request<Order[]>('GET', `/api/establishment/orders${qs({ status: filter.status, public: filter.public, track: filter.track })}`),
  /** Validates, or refuses with one reason, several orders (at most 1000); one result per order. */
  decideOrders: (order_ids: string[], validate: boolean, reason: string | null, idempotencyKey: string) =>
    request<BulkResult>('POST', '/api/establishment/orders/decisions', {
      body: { order_ids, validate, reason } satisfies Schemas['BulkOrderDecision'],
      idempotencyKey,
    }),
  /** Revalidates several cards for the new season (at most 1000); one result per card. */
  revalidateCards: (card_ids: string[], idempotencyKey: string) =>
    request<BulkResult>('POST', '/api/establishment/cards/revalidate', {
      body: { card_ids } satisfies Schemas['BulkRevalidation'],
      idempotencyKey,
    }),
  cardHistory: (id: string) => request<CardEvent[]>('GET', `/api/establishment/cards/${encodeURIComponent(id)}/history`),
  // établissement staff (the head only)
  establishmentStaff: () => request<EstablishmentStaffMember[]>('GET', '/api/establishment/staff'),
  inviteEstablishmentStaff: (email: string, display_name: string, role: EstablishmentRole) =>
    request<EstablishmentStaffMember>('POST', '/api/establishment/staff', {
      body: { email, display_name, role } satisfies Schemas['EstablishmentInvitation'],
    }),
  regionInviteEstablishmentStaff: (establishmentId: string, email: string, display_name: string, role: EstablishmentRole) =>
    request<EstablishmentStaffMember>('POST', `/api/region/establishments/${encodeURIComponent(establishmentId)}/staff`, {
      body: { email, display_name, role } satisfies Schemas['EstablishmentInvitation'],
    }),
  removeEstablishmentStaff: (accountId: string) => request<void>('DELETE', `/api/establishment/staff/${encodeURIComponent(accountId)}`),
  decideOrder: (id: string, validate: boolean, reason?: string) =>
    request<Order>('POST', `/api/establishment/orders/${encodeURIComponent(id)}/decision`, {
      body: { validate, reason: reason ?? null } satisfies Schemas['OrderDecision'],
    }),
  establishmentCards: (status?: string) => request<Card[]>('GET', `/api/establishment/cards${qs({ status })}`),
  suspendCard: (id: string, reason: string) =>
    request<Card>('POST', `/api/establishment/cards/${encodeURIComponent(id)}/suspend`, { body: { reason } satisfies Schemas['ReasonRequest'] }),
  reactivateCard: (id: string) => request<Card>('POST', `/api/establishment/cards/${encodeURIComponent(id)}/reactivate`, { body: {} }),
  revalidateCard: (id: string) => request<Card>('POST', `/api/establishment/cards/${encodeURIComponent(id)}/revalidate`, { body: {} }),
  establishmentBookings: () => request<CollectiveBooking[]>('GET', '/api/establishment/collective-bookings'),
  /** Requests a booking from a partner; nothing is debited before it confirms. */
  requestBooking: (body: CollectiveBookingRequest, idempotencyKey: string) =>
    request<CollectiveBooking>('POST', '/api/establishment/collective-bookings', { body, idempotencyKey }),
  cancelBooking: (id: string) =>
    request<CollectiveBooking>('POST', `/api/establishment/collective-bookings/${encodeURIComponent(id)}/cancel`, { body: {} }),

  // région
  regionTransactions: (after?: number, limit = 100) =>
    request<TransactionPage>('GET', `/api/region/transactions${qs({ after, limit })}`),
  regionBatches: () => request<Batch[]>('GET', '/api/region/reimbursements'),
  closeBatches: () => request<Batch[]>('POST', '/api/region/reimbursements/close', { body: {} satisfies Schemas['CloseRequest'] }),
  /** "Paid, reference X": the bank's reference is required (the server refuses an empty one). */
  payBatch: (id: string, reference?: string) =>
    request<Batch>('POST', `/api/region/reimbursements/${encodeURIComponent(id)}/pay`, {
      body: { reference: reference ?? '' } satisfies Schemas['ManualPayment'],
    }),
  paymentQueue: () => request<QueuedBatch[]>('GET', '/api/region/payment-runs/queue'),
  paymentRuns: () => request<PaymentRun[]>('GET', '/api/region/payment-runs'),
  createPaymentRun: (batch_ids: string[], idempotencyKey: string) =>
    request<PaymentRun>('POST', '/api/region/payment-runs', { body: { batch_ids } satisfies Schemas['PaymentRunRequest'], idempotencyKey }),
  importBankStatement: (xml: string, idempotencyKey: string) =>
    request<StatementImport>('POST', '/api/region/payment-runs/import', { xml, idempotencyKey }),
  paymentEvents: (id: string) => request<PaymentEvent[]>('GET', `/api/region/reimbursements/${encodeURIComponent(id)}/payments`),
  pendingBonsPlans: () => request<BonPlan[]>('GET', '/api/region/bons-plans/pending'),
  moderateBonPlan: (id: string, validate: boolean, reason?: string) =>
    request<BonPlan>('POST', `/api/region/bons-plans/${encodeURIComponent(id)}/decision`, {
      body: { validate, reason: reason ?? null } satisfies Schemas['ModerationRequest'],
    }),
};

/** Uploads a file's bytes (`POST`, the body is the file). */
async function upload<T>(path: string, file: Blob): Promise<T> {
  const s = session();
  let res: Response;
  try {
    res = await fetch(apiBase() + path, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/octet-stream', ...(s ? { Authorization: `Bearer ${s.token}` } : {}) },
      body: file,
    });
  } catch {
    throw new NetworkError();
  }
  const data = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const e = (data ?? {}) as Partial<ApiErrorBody>;
    if (res.status === 413) throw new ApiError(413, e.code ?? 'fichier_trop_volumineux', e.message ?? 'Le fichier est trop volumineux.', 'file');
    throw new ApiError(res.status, e.code ?? 'erreur', e.message ?? `Erreur ${res.status}`, e.field ?? undefined);
  }
  return data as T;
}

/** A protected file (document, convention PDF) as a local object URL. */
export async function fileUrl(path: string): Promise<{ url: string; type: string }> {
  const s = session();
  let res: Response;
  try {
    res = await fetch(apiBase() + path, { headers: s ? { Authorization: `Bearer ${s.token}` } : {} });
  } catch {
    throw new NetworkError();
  }
  if (!res.ok) {
    const e = ((await res.json().catch(() => null)) ?? {}) as Partial<ApiErrorBody>;
    throw new ApiError(res.status, e.code ?? 'erreur', e.message ?? `Erreur ${res.status}`);
  }
  const blob = await res.blob();
  return { url: URL.createObjectURL(blob), type: blob.type || res.headers.get('content-type') || '' };
}

export const partnerApi = {
  startApplication: (body: Schemas['ApplicationStart']) =>
    request<Schemas['RegisterResponse']>('POST', '/api/partners/applications', { body, anonymous: true }),
  cgp: () => request<Cgp>('GET', '/api/cgp', { anonymous: true }),
  application: () => request<ApplicationView>('GET', '/api/partner/application'),
  saveDraft: (d: ApplicationDraft) => request<ApplicationView>('PUT', '/api/partner/application', { body: d }),
  updateProfile: (d: ApplicationDraft) => request<ApplicationView>('PUT', '/api/partner/profile', { body: d }),
  uploadDocument: (kind: string, file: File) =>
    upload<ApplicationDocument>(`/api/partner/application/documents${qs({ kind, filename: file.name })}`, file),
  removeDocument: (id: string) => request<void>('DELETE', `/api/partner/application/documents/${encodeURIComponent(id)}`),
  submit: (cgp_version: string) =>
    request<ConventionToSign>('POST', '/api/partner/application/submit', { body: { cgp_version } satisfies Schemas['SubmitApplication'] }),
  renew: (cgp_version: string) =>
    request<ConventionToSign>('POST', '/api/partner/convention/renew', { body: { cgp_version } satisfies Schemas['SubmitApplication'] }),
  resendCode: () => request<Schemas['CodeSent']>('POST', '/api/partner/convention/code', { body: {} }),
  sign: (code: string) => request<ApplicationView>('POST', '/api/partner/convention/sign', { body: { code } satisfies Schemas['SignRequest'] }),
  terminate: (reason: string, effective_on: string) =>
    request<ApplicationView>('POST', '/api/partner/convention/terminate', { body: { reason, effective_on } satisfies Schemas['Termination'] }),
  status: () => request<PartnerStatus>('GET', '/api/partner/status'),
  myBonsPlans: () => request<BonPlan[]>('GET', '/api/partner/bons-plans'),
  submitBonPlan: (body: Schemas['BonPlanRequest']) => request<BonPlan>('POST', '/api/partner/bons-plans', { body }),
  updateBonPlan: (id: string, body: Schemas['BonPlanRequest']) =>
    request<BonPlan>('PUT', `/api/partner/bons-plans/${encodeURIComponent(id)}`, { body }),

  requestBankChange: (iban: string, bic: string) =>
    request<BankChange>('POST', '/api/partner/bank-details', { body: { iban, bic } satisfies Schemas['BankChangeRequest'] }),
  confirmBankChange: (code: string) => request<BankChange>('POST', '/api/partner/bank-details/confirm', { body: { code } satisfies Schemas['SignRequest'] }),
  myBankChanges: () => request<BankChange[]>('GET', '/api/partner/bank-details/changes'),
  bankChangesToDecide: () => request<BankChange[]>('GET', '/api/region/bank-changes'),
  decideBankChange: (id: string, approve: boolean, reason?: string) =>
    request<BankChange>('POST', `/api/region/bank-changes/${encodeURIComponent(id)}/decision`, {
      body: { approve, reason: reason ?? null } satisfies Schemas['BankChangeDecision'],
    }),
  printQueue: () => request<Schemas['PrintItem'][]>('GET', '/api/region/print-queue'),
  markPosted: (card_ids: string[]) =>
    request<Schemas['PostedResponse']>('POST', '/api/region/print-queue/posted', { body: { card_ids } satisfies Schemas['PostedRequest'] }),
  regionPartners: (status?: string) => request<PartnerStatus[]>('GET', `/api/region/partners${qs({ status })}`),
  regionRecord: (id: string) => request<RegionPartnerRecord>('GET', `/api/region/partners/${encodeURIComponent(id)}`),
  startInstruction: (id: string) =>
    request<RegionPartnerRecord>('POST', `/api/region/partners/${encodeURIComponent(id)}/instruction`, { body: {} }),
  decide: (id: string, validate: boolean, reason?: string) =>
    request<PartnerStatus>('POST', `/api/region/partners/${encodeURIComponent(id)}/decision`, {
      body: { validate, reason: reason ?? null } satisfies Schemas['PartnerDecision'],
    }),
  suspend: (id: string, reason: string) =>
    request<RegionPartnerRecord>('POST', `/api/region/partners/${encodeURIComponent(id)}/suspend`, { body: { reason } satisfies Schemas['Suspension'] }),
  reinstate: (id: string) => request<RegionPartnerRecord>('POST', `/api/region/partners/${encodeURIComponent(id)}/reinstate`, { body: {} }),
  regionTerminate: (id: string, reason: string, effective_on: string) =>
    request<RegionPartnerRecord>('POST', `/api/region/partners/${encodeURIComponent(id)}/terminate`, {
      body: { reason, effective_on } satisfies Schemas['Termination'],
    }),
};

/** Reads every page of a cursor-paged list (oldest first). */
export async function allPages(fetchPage: (after?: number) => Promise<TransactionPage>): Promise<Transaction[]> {
  const out: Transaction[] = [];
  let after: number | undefined;
  // Every page, however many: stops when a page is empty or the cursor no
  // longer moves.
  for (;;) {
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

// Référents on request (issue 14, ADR 0027): the établissement declares its
// référents and answers partners' requests; a partner in force sees a
// référent's e-mail and phone only while its request is granted.
export type Referent = Schemas['Referent'];
export type ReferentInput = Pick<Referent, 'theme' | 'name' | 'email' | 'phone'>;
export type PartnerReferent = Schemas['PartnerReferent'];
export type ReferentRequest = Schemas['ReferentRequest'];

const requestPath = (id: string, action: string) => `/api/establishment/referent-requests/${encodeURIComponent(id)}/${action}`;

export const referentsApi = {
  /** The établissement's référents, with their contact. */
  mine: () => request<Referent[]>('GET', '/api/establishment/referents'),
  declare: (r: ReferentInput) => request<Referent>('POST', '/api/establishment/referents', { body: r satisfies Schemas['Referent'] }),
  edit: (id: string, r: ReferentInput) =>
    request<Referent>('PUT', `/api/establishment/referents/${encodeURIComponent(id)}`, { body: r satisfies Schemas['Referent'] }),
  /** Removes a référent and every request for it. */
  remove: (id: string) => request<void>('DELETE', `/api/establishment/referents/${encodeURIComponent(id)}`),
  /** Partners' requests for the établissement's référents, newest first. */
  requests: () => request<ReferentRequest[]>('GET', '/api/establishment/referent-requests'),
  grant: (id: string) => request<ReferentRequest>('POST', requestPath(id, 'grant'), { body: {} }),
  decline: (id: string, reason?: string) =>
    request<ReferentRequest>('POST', requestPath(id, 'decline'), { body: (reason ? { reason } : {}) satisfies Schemas['ReferentDecision'] }),
  withdraw: (id: string) => request<ReferentRequest>('POST', requestPath(id, 'withdraw'), { body: {} }),
  /** Every établissement's référents as this partner sees them (contact only once granted). */
  forPartner: (theme?: string) => request<PartnerReferent[]>('GET', `/api/partner/referents${qs({ theme })}`),
  ask: (referent_id: string, message: string) =>
    request<ReferentRequest>('POST', '/api/partner/referent-requests', { body: { referent_id, message } satisfies Schemas['ReferentRequestInput'] }),
};
