// The Region's desk: the calls and types of the fraud and anomalies desk,
// the support look-up and its audit, and the live transaction feed (the
// rest of the Region's calls are in api.ts).
import type { components } from './api-schema';
import { request } from './api';

type Schemas = components['schemas'];

export type Anomaly = Schemas['Anomaly'];
export type AnomalyKind = Schemas['AnomalyKind'];
export type OfflineDebitLine = Schemas['OfflineDebitLine'];
export type FeedPage = Schemas['FeedPage'];
export type LookupResult = Schemas['LookupResult'];
export type LookupCard = Schemas['LookupCard'];
export type LedgerLine = Schemas['LedgerLine'];
export type LookupAuditPage = Schemas['LookupAuditPage'];
export type LookupAuditEntry = Schemas['LookupAuditEntry'];

const qs = (params: Record<string, string | number | boolean | undefined | null>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const regionDesk = {
  /** The desk's items, newest first (every kind, handled or not, unless filtered). */
  anomalies: (kind?: AnomalyKind, handled?: boolean) => request<Anomaly[]>('GET', `/api/region/anomalies${qs({ kind, handled })}`),
  /** Marks an item handled, once, with a note (who and when are recorded). */
  markHandled: (id: string, note: string) =>
    request<Anomaly>('POST', `/api/region/anomalies/${encodeURIComponent(id)}/handled`, { body: { note } satisfies Schemas['HandledRequest'] }),
  /** A card number, an e-mail or part of a name; every look-up is audited. */
  lookup: (q: string) => request<LookupResult>('GET', `/api/region/lookup${qs({ q })}`),
  /** The card of a desk link (audited too). */
  lookupCard: (cardId: string) => request<LookupResult>('GET', `/api/region/lookup${qs({ card_id: cardId })}`),
  lookupAudit: (before?: number | null, limit = 50) => request<LookupAuditPage>('GET', `/api/region/lookup-audit${qs({ before, limit })}`),
  /** The newest transactions (or older than `before`), newest first. */
  feed: (before?: number | null, limit = 100) => request<FeedPage>('GET', `/api/region/feed${qs({ before, limit })}`),
  /** What is newer than `after` (the oldest `limit` of it; `more_newer` when more wait). */
  feedNewer: (after: number, limit = 100) => request<FeedPage>('GET', `/api/region/feed${qs({ after, limit })}`),
};

export type RegionRole = 'admin' | 'instruction' | 'finance';
export type RegionStaffMember = Schemas['RegionStaffMember'];

/** The Region's staff (administrators only). */
export const regionStaff = {
  list: () => request<RegionStaffMember[]>('GET', '/api/region/staff'),
  /** Creates the account and mails a link (7 days, once). */
  invite: (email: string, display_name: string, role: RegionRole) =>
    request<RegionStaffMember>('POST', '/api/region/staff', { body: { email, display_name, role } satisfies Schemas['RegionInvitation'] }),
  /** The agent's sessions end; the new role applies at its next login. */
  changeRole: (accountId: string, role: RegionRole) =>
    request<RegionStaffMember>('PUT', `/api/region/staff/${encodeURIComponent(accountId)}/role`, { body: { role } satisfies Schemas['RegionRoleChange'] }),
  remove: (accountId: string) => request<void>('DELETE', `/api/region/staff/${encodeURIComponent(accountId)}`),
};
