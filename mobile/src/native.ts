// The app's second backend: inside Tauri, the partner and youth screens call
// the Rust core through `invoke` (offline rule, signed outbox, device keys);
// in a browser these calls do not exist and the screens use HTTP only.
import { invoke, isTauri } from '@tauri-apps/api/core';
import type { BonPlan, Card, Partner, ReimbursementSummary, Transaction } from './api';

/** Whether the page runs inside the installed app (Tauri). */
export const inApp = (): boolean => isTauri();

/** An error of the core, as the commands return it. */
export class NativeError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = e as { code?: string; message?: string } | string;
    if (typeof err === 'object' && err && err.code) throw new NativeError(err.code, err.message ?? err.code);
    throw new NativeError('erreur_interne', String(e));
  }
}

export type SyncState = { state: 'idle' } | { state: 'syncing' } | { state: 'offline' } | { state: 'error'; reason: string };

export interface NativeOutboxItem {
  id: string;
  seq: number;
  debited: string;
  state: 'pending' | 'synced' | 'refused';
  result_status: string | null;
  result_code: string | null;
  result_message: string | null;
  transaction_id: string | null;
  attempts: number;
}

export interface PartnerStatus {
  sync: SyncState;
  pending: number;
  outbox: NativeOutboxItem[];
  device: { device_id: string; partner_id: string; category: string; chain_seq: number } | null;
  store: { quarantined: string | null; migrated_from: number };
  last_sync: string | null;
}

export interface NativeReceipt {
  id: string;
  debited: string;
  reste_a_payer: string;
  balance: string | null;
  status: 'confirmed' | 'pending_sync';
  status_label: string;
}

export interface ScannedCode {
  kind: 'app' | 'card';
  card_id: string;
  allowance_cents: number | null;
  per_transaction_max_cents: number | null;
}

export interface OfflineAvantage {
  code: string;
  label: string;
}

export const native = {
  partnerLogin: (serverUrl: string, email: string, password: string) =>
    call<PartnerStatus>('partner_login', { serverUrl, email, password }),
  partnerStatus: () => call<PartnerStatus>('partner_status_cmd'),
  partnerScan: (qr: string) => call<ScannedCode>('partner_scan', { qr }),
  partnerAvantages: () => call<OfflineAvantage[]>('partner_avantages'),
  partnerDebit: (qr: string, avantage: string, price: string) => call<NativeReceipt>('partner_debit', { qr, avantage, price }),
  partnerSync: () => call<[unknown, PartnerStatus]>('partner_sync').then(([, s]) => s),
  partnerTransactions: (limit?: number) => call<Transaction[]>('partner_transactions', { limit }),
  partnerReimbursements: () => call<ReimbursementSummary | null>('partner_reimbursements'),
  youthLogin: (serverUrl: string, email: string, password: string) => call<unknown>('youth_login', { serverUrl, email, password }),
  youthQr: () => call<string>('youth_qr'),
  youthHome: () => call<unknown>('youth_home'),
  youthCard: () => call<Card | null>('youth_card'),
  youthHistory: (limit?: number) => call<Transaction[]>('youth_history', { limit }),
  youthCredential: () => call<unknown>('youth_credential'),
  // The published bons plans the phone keeps (only what the youth app shows of them).
  youthBonsPlans: (category?: string) =>
    call<Omit<BonPlan, 'partner_id' | 'status' | 'reason' | 'created_at'>[]>('youth_bons_plans', { category }).then((items) =>
      items.map((b): BonPlan => ({ ...b, partner_id: '', status: 'valide', reason: null, created_at: '' })),
    ),
  youthPartners: (query?: { category?: string; text?: string; near?: [number, number]; radius_km?: number; limit?: number }) =>
    call<Partner[]>('youth_partners', { query }),
  youthSync: () => call<unknown>('youth_sync'),
};

/** French words for the device's sync state. */
export function syncLabel(s: SyncState): string {
  switch (s.state) {
    case 'idle':
      return 'À jour';
    case 'syncing':
      return 'Synchronisation…';
    case 'offline':
      return 'Hors ligne';
    default:
      return 'Erreur de synchronisation';
  }
}
