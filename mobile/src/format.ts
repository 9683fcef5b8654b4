// Display helpers (French). No arithmetic on money: the server's decimal
// strings are only re-punctuated.

/** "1234.5" → "1 234,50 €" */
export function euros(amount: string | null | undefined): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const neg = amount.trim().startsWith('-');
  const [intRaw, fracRaw = ''] = amount.trim().replace(/^[-+]/, '').split('.');
  const int = intRaw.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  const frac = (fracRaw + '00').slice(0, 2);
  return `${neg ? '−' : ''}${int},${frac}\u00a0€`;
}

/** "5" → "5 entrées", "1" → "1 entrée" */
export function entries(n: string | number): string {
  const s = String(n).replace(/\.0+$/, '');
  return `${s}\u00a0${s === '1' || s === '0' ? 'entrée' : 'entrées'}`;
}

/** A balance or an amount: entries when `kind` is `entries`, else euros. */
export function amount(kind: string, value: string): string {
  return kind === 'entries' ? entries(value) : euros(value);
}

/** A date or an instant (`null`: not set, as the server sends it) → "12 mars 2027". */
export function date(iso: string | null): string {
  if (!iso) return '—';
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00`) : new Date(iso);
  return d.toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });
}

export function dateTime(iso: string | number | Date): string {
  const d = new Date(iso);
  return d.toLocaleString('fr-FR', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** "1234567812345678" → "1234 5678 1234 5678" */
export function groupBy4(number: string): string {
  return number.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

/** What a cashier types ("12,5" or "12.50 €") → the decimal string the API expects ("12.5"). */
export function parseEurosInput(text: string): string | null {
  const s = text.replace(/[\s\u00a0\u202f€]/g, '').replace(',', '.');
  return /^\d{1,7}(\.\d{1,2})?$/.test(s) ? s : null;
}

export const CATEGORIES: Record<string, string> = {
  librairie: 'Librairie',
  club_sportif: 'Club sportif',
  salle_de_spectacle: 'Salle de spectacle',
  cinema: 'Cinéma',
  musee: 'Musée',
  equipement_pro: 'Équipement professionnel',
  chasse_peche: 'Chasse et pêche',
};

export const PUBLICS: { value: string; label: string; tracks: string[] }[] = [
  { value: 'lyceen', label: 'Lycéen', tracks: ['seconde', 'premiere', 'terminale', 'cap', 'bac_pro'] },
  { value: 'apprenti', label: 'Apprenti', tracks: ['cap', 'bac_pro', 'bp', 'autre_apprentissage'] },
  { value: 'bts', label: 'Étudiant en BTS', tracks: [] },
  { value: 'mission_locale', label: 'Jeune en mission locale', tracks: [] },
  { value: 'ime_impro', label: 'Jeune en IME/IMPRO', tracks: [] },
  { value: 'formation_sanitaire_sociale', label: 'Formation sanitaire et sociale', tracks: [] },
];

export const TRACKS: Record<string, string> = {
  seconde: 'Seconde',
  premiere: 'Première',
  terminale: 'Terminale',
  cap: 'CAP',
  bac_pro: 'Bac pro',
  bp: 'Brevet professionnel',
  autre_apprentissage: 'Autre diplôme en apprentissage',
};

export const ORDER_STATUS: Record<string, string> = {
  en_attente: 'En attente de validation par l’établissement',
  validee: 'Validée — carte expédiée',
  refusee: 'Refusée',
};

export const CARD_STATUS: Record<string, string> = {
  expediee: 'Expédiée',
  active: 'Active',
  suspendue: 'Suspendue',
};

/** An order's status in a desk table (short words). */
export const ORDER_STATUS_SHORT: Record<string, string> = {
  en_attente: 'En attente',
  validee: 'Validée',
  refusee: 'Refusée',
};

/** A change in a card's history. */
export const CARD_EVENT: Record<string, string> = {
  suspension: 'Suspension',
  reactivation: 'Réactivation',
  revalidation: 'Revalidation',
  replacement: 'Remplacement (carte perdue ou volée)',
};

/** An établissement account's role. */
export const ESTABLISHMENT_ROLE: Record<string, string> = {
  head: 'Chef d’établissement',
  staff: 'Personnel de l’établissement',
};

/** What a bulk action did with one item. */
export const BULK_STATUS: Record<string, string> = {
  done: 'Fait',
  refused: 'Refusé',
};

/** How a transaction was made, in French words. */
export const CHANNEL: Record<string, string> = {
  qr: 'QR code',
  web: 'saisie du numéro',
  offline: 'hors ligne',
  collective: 'réservation collective',
};

/** A code in French words: its label, else the code made readable (never a raw code). */
export function words(labels: Record<string, string>, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—';
  return labels[code] ?? code.replace(/_/g, ' ');
}

/** The kinds of the Region's fraud and anomalies desk. */
export const ANOMALY_KIND: Record<string, string> = {
  depassement_hors_ligne: 'Dépassement hors ligne',
  carte_verrouillee: 'Carte verrouillée (dates de naissance)',
  compte_verrouille: 'Compte verrouillé',
  taux_remboursement_inhabituel: 'Taux de remboursement inhabituel',
  horaire_inhabituel: 'Débits à une heure inhabituelle',
};

/** What the server did with an offline debit pushed at sync. */
export const OFFLINE_DEBIT_STATUS: Record<string, string> = {
  applied: 'Appliqué',
  reused: 'Refusé : code déjà utilisé',
  rejected: 'Refusé',
};

/** A movement of a card's ledger. */
export const LEDGER_MOVEMENT: Record<string, string> = {
  load: 'Chargement',
  debit: 'Débit',
  refund: 'Annulation',
};

/** A transaction's kind. */
export const TRANSACTION_KIND: Record<string, string> = {
  debit: 'Débit',
  refund: 'Annulation',
};

/** How a support look-up was asked. */
export const LOOKUP_KIND: Record<string, string> = {
  numero_carte: 'Numéro de carte',
  email: 'Adresse e-mail',
  nom: 'Nom',
  identifiant_carte: 'Lien vers une carte',
};

export const REIMBURSEMENT_STATUS: Record<string, string> = {
  en_attente: 'En attente',
  en_cours_de_remboursement: 'En cours de remboursement',
  rembourse: 'Remboursé',
  'remboursé': 'Remboursé',
  compense: 'Soldé par compensation',
};

/** A reimbursement batch's status (`rembourse` is shown with its date, see batch.tsx). */
export const BATCH_STATUS: Record<string, string> = {
  en_cours: 'en cours',
  en_cours_de_paiement: 'en cours de paiement',
  rembourse: 'remboursé',
  compense: 'soldé par compensation',
};

/** A référent's theme, in French words. */
export const REFERENT_THEMES: Record<string, string> = {
  sport: 'Sport',
  culture: 'Culture',
  sante: 'Santé',
  administratif: 'Administratif',
};

/** One youth's line of a collective booking, in French words. */
export const BOOKING_LINE_STATUS: Record<string, string> = {
  en_attente: 'en attente',
  debite: 'débité',
  refuse: 'non débité',
};

/** A transfer of a payment run (ordre de virement). */
export const TRANSFER_STATUS: Record<string, string> = {
  envoye: 'envoyé à la banque',
  paye: 'payé',
  rejete: 'rejeté',
};

/** What the import of a bank statement did with one transfer. */
export const STATEMENT_ENTRY_RESULT: Record<string, string> = {
  paye: 'payé',
  rejete: 'rejeté (lot remis en attente)',
  deja_traite: 'déjà traité',
  non_rapproche: 'aucun lot correspondant',
  montant_different: 'montant différent',
  ignore: 'ignoré',
};
