// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the region part of the API. */
export interface RegionSchemas {
    /** @description An item of the fraud and anomalies desk. */
    Anomaly: {
        /** @description The account concerned (a locked account). */
        account_id: string | null;
        /**
         * @description The amount at stake (euros): the overspend the Region carries, the
         *     refunds, the night's debits.
         */
        amount: string | null;
        /**
         * Format: date-time
         * @description When it happened (the flag, the lock, the last debit or refund).
         */
        at: string;
        /** @description Its last four digits (`•••• 1234`). */
        card: string | null;
        /** @description The card concerned (link to the card look-up). */
        card_id: string | null;
        handled: null | components["schemas"]["AnomalyHandling"];
        /**
         * @description Stable id: the kind's code and what identifies the fact
         *     (`depassement_hors_ligne:17`, `horaire_inhabituel:<partner>:2026-11-20`).
         */
        id: string;
        /** @description The kind. */
        kind: components["schemas"]["AnomalyKind"];
        /** @description For an offline overspend: the card's offline debits up to the flag. */
        offline_debits: components["schemas"]["OfflineDebitLine"][];
        /** @description What the server did about it, in French. */
        outcome: string | null;
        /** @description The partner concerned (link to its record). */
        partner_id: string | null;
        /** @description The partner's name. */
        partner_name: string | null;
        /** @description What happened, in French. */
        summary: string;
    };
    /** @description Who marked an anomaly handled, when, and why (append-only). */
    AnomalyHandling: {
        /**
         * Format: date-time
         * @description When.
         */
        at: string;
        /** @description The Region agent's account. */
        by_account_id: string;
        /** @description The agent's name. */
        by_name: string;
        /** @description The agent's note. */
        note: string;
    };
    /**
     * @description The kinds of anomaly on the Region's desk (ADR 0028).
     * @enum {string}
     */
    AnomalyKind: "depassement_hors_ligne" | "carte_verrouillee" | "compte_verrouille" | "taux_remboursement_inhabituel" | "horaire_inhabituel";
    /** @description `POST /api/region/bank-changes/{id}/decision`. */
    BankChangeDecision: {
        /** @description Approve (the new details are used for the next payouts) or refuse. */
        approve: boolean;
        /** @description Required when refusing (told to the partner). */
        reason?: string | null;
    };
    /** @description A batch left out of a payment run, and why. */
    BlockedBatch: {
        /** @description The batch. */
        batch_id: string;
        /** @description Partner name. */
        partner_name: string;
        /** @description e.g. "bloqué : coordonnées bancaires en attente". */
        reason: string;
    };
    /** @description Orders and cards of one group. */
    CardCount: {
        /**
         * Format: int64
         * @description Cards active.
         */
        active: number;
        /**
         * Format: int64
         * @description Cards issued.
         */
        cards: number;
        /** @description Code of the group (public, track, département, établissement id). */
        key: string;
        /** @description Its French label. */
        label: string;
        /**
         * Format: int64
         * @description Orders placed (any status).
         */
        ordered: number;
        /**
         * Format: int64
         * @description Orders validated.
         */
        validated: number;
    };
    /** @description A card flagged for offline overspend, for the Region. */
    CardFlag: {
        /** @description Euros the Region carries for it. */
        amount: string;
        /** @description Last four digits of the card. */
        card: string;
        /** @description Card id. */
        card_id: string;
        /**
         * Format: date-time
         * @description When.
         */
        created_at: string;
        /** @description Why. */
        reason: string;
    };
    /** @description Debits by channel. */
    ChannelShare: {
        /** @description Per channel (`web`, `qr`, `offline`, `collective`). */
        by_channel: components["schemas"]["Spend"][];
        /**
         * Format: int64
         * @description Debits in all.
         */
        debits: number;
        /**
         * Format: int64
         * @description Offline debits.
         */
        offline_debits: number;
        /** @description `offline_debits / debits` in percent, one decimal. */
        offline_percent: string;
    };
    /** @description `POST /api/region/reimbursements/close`. */
    CloseRequest: {
        /**
         * Format: date-time
         * @description Include transactions before this instant (default: now).
         */
        period_end?: string | null;
    };
    /** @description A page of the Region's live transaction feed, newest first. */
    FeedPage: {
        /** @description Transactions, newest first. */
        items: components["schemas"]["Transaction"][];
        /** @description More newer transactions wait than this page holds: poll again at once. */
        more_newer: boolean;
        /**
         * Format: int64
         * @description Pass as `after` to poll for newer transactions: the newest `seq` of
         *     this page (0 when the feed is empty), or the `after` given when
         *     nothing is new.
         */
        newest_cursor: number;
        /**
         * Format: int64
         * @description Pass as `before` for the older page; `null` when nothing is older.
         */
        older_cursor: number | null;
    };
    /** @description Offline overspend flags. */
    FlagStats: {
        /** @description Euros carried by the Region. */
        amount: string;
        /**
         * Format: int64
         * @description Cards flagged.
         */
        cards: number;
        /**
         * Format: int64
         * @description Flags raised.
         */
        flags: number;
    };
    /** @description `POST /api/region/anomalies/{id}/handled`. */
    HandledRequest: {
        /** @description What was done (1 to 1000 characters). */
        note: string;
    };
    /** @description Result of the ledger check. */
    LedgerCheck: {
        /**
         * Format: int64
         * @description Reimbursement batches checked: each batch's total is the sum of its
         *     transactions, `total + carried_in = payable + carried_out`, and for
         *     each partner `Σ payable − owed = Σ (debits − refunds)` of its batched
         *     transactions (`owed`: what is carried to its next batch).
         */
        batches_checked: number;
        /**
         * @description Lines where `loaded ≠ balance + debited − refunded` or a rule is
         *     broken, and reimbursement batches that do not reconcile.
         */
        inconsistencies: string[];
        /**
         * Format: int64
         * @description Card × season × avantage lines checked.
         */
        lines_checked: number;
        /**
         * Format: int64
         * @description Transactions without their ledger row, or the reverse.
         */
        orphans: number;
        /** @description The money out: what the accounting journal must add up to. */
        payouts: components["schemas"]["PayoutTotals"];
    };
    /** @description One movement of a card's ledger, for support. */
    LedgerLine: {
        /**
         * Format: date-time
         * @description When.
         */
        at: string;
        /** @description Avantage code. */
        avantage: string;
        /** @description Avantage label. */
        avantage_label: string;
        /** @description What was left after it. */
        balance_after: string;
        /** @description How the transaction was made (`qr`, `web`, `offline`, `collective`). */
        channel: string | null;
        /**
         * Format: int64
         * @description The ledger row.
         */
        id: number;
        /** @description `load`, `debit` or `refund`. */
        movement: string;
        /** @description The partner (debits and refunds). */
        partner_name: string | null;
        /** @description Season label. */
        season: string;
        /** @description The transaction (debits and refunds). */
        transaction_id: string | null;
        /** @description `credit` or `entries`. */
        unit_kind: string;
        /** @description Units moved ("12.50" euros or "2" entries). */
        units: string;
    };
    /**
     * @description One look-up, as audited: who, when, what kind of query (its keyed hash,
     *     never its text) and which cards were shown.
     */
    LookupAuditEntry: {
        /** @description The agent's account. */
        account_id: string;
        /** @description The agent's name. */
        account_name: string;
        /**
         * Format: date-time
         * @description When.
         */
        at: string;
        /** @description Their ids. */
        card_ids: string[];
        /**
         * Format: int64
         * @description Cursor.
         */
        id: number;
        /** @description Keyed SHA-256 of the normalised query (the key stays in the database). */
        query_hash: string;
        /** @description `numero_carte`, `email`, `nom` or `identifiant_carte`. */
        query_kind: string;
        /**
         * Format: int64
         * @description Cards shown.
         */
        results: number;
    };
    /** @description A page of the look-up audit, newest first. */
    LookupAuditPage: {
        /** @description Entries, newest first. */
        items: components["schemas"]["LookupAuditEntry"][];
        /**
         * Format: int64
         * @description Pass as `before` for older entries; `null` at the end.
         */
        older_cursor: number | null;
    };
    /** @description A card and its holder, as support sees them. */
    LookupCard: {
        /** @description Holder's account. */
        account_id: string;
        /** @description Balances of the card's season. */
        balances: components["schemas"]["Balance"][];
        /**
         * Format: date
         * @description Holder's birth date.
         */
        birth_date: string;
        /** @description Card id. */
        card_id: string;
        /** @description Holder's e-mail. */
        email: string;
        /** @description Établissement. */
        establishment_id: string;
        /** @description Établissement's name. */
        establishment_name: string;
        /** @description Holder's first name. */
        first_name: string;
        /** @description Flagged for an offline overspend (no new app credential). */
        flagged: boolean;
        /** @description Holder's last name. */
        last_name: string;
        /** @description Ledger movements, newest first. */
        ledger: components["schemas"]["LedgerLine"][];
        /** @description More movements exist than `ledger` holds. */
        ledger_truncated: boolean;
        /** @description Card number. */
        number: string;
        /** @description Season label. */
        season: string;
        /** @description Where the card stands. */
        status: components["schemas"]["CardStatus"];
        /** @description Reason of a suspension. */
        status_reason: string | null;
    };
    /** @description The answer of a look-up. */
    LookupResult: {
        /** @description The cards found. */
        cards: components["schemas"]["LookupCard"][];
        /** @description How the query was read: `numero_carte`, `email`, `nom` or `identifiant_carte`. */
        kind: string;
        /** @description More cards match than were returned (refine the query). */
        truncated: boolean;
    };
    /**
     * @description `POST /api/region/reimbursements/{id}/pay`: a batch paid outside a
     *     payment run's statement (the transfer was confirmed otherwise).
     */
    ManualPayment: {
        /**
         * Format: date
         * @description The booking date (default: today, Region time).
         */
        paid_on?: string | null;
        /** @description The bank's reference of the payment (1 to 35 characters). */
        reference: string;
    };
    /** @description `POST /api/region/bons-plans/{id}/decision`. */
    ModerationRequest: {
        /** @description Note to the partner (required when refusing). */
        reason?: string | null;
        /** @description Publish or refuse. */
        validate: boolean;
    };
    /** @description Net spend of one month and key. */
    MonthlySpend: {
        /** @description Avantage or category code. */
        key: string;
        /** @description `2026-09` (UTC). */
        month: string;
        /** @description Net euros. */
        net: string;
        /**
         * Format: int64
         * @description Transactions (debits and refunds).
         */
        transactions: number;
    };
    /**
     * @description One offline debit behind an overspend flag: which device of which
     *     partner, how much, and what the server did with it.
     */
    OfflineDebitLine: {
        /** @description What the device debited offline (euros). */
        debited: string;
        /** @description The partner device that signed it. */
        device_id: string;
        /** @description The device's label (« Caisse 1 »). */
        device_label: string;
        /** @description The offline debit's id (UUIDv7, chosen by the device). */
        id: string;
        /** @description The server's French explanation when refused or partly guaranteed. */
        message: string | null;
        /** @description What the partner is reimbursed (euros); `null` when refused. */
        paid: string | null;
        /** @description The partner. */
        partner_id: string;
        /** @description The partner's name. */
        partner_name: string;
        /**
         * Format: date-time
         * @description When the server received it.
         */
        received_at: string;
        /** @description `applied`, `reused` (the same code paid elsewhere) or `rejected`. */
        status: components["schemas"]["OfflineDebitStatus"];
        /** @description The push of this debit raised the flag. */
        triggered: boolean;
    };
    /** @enum {string} */
    OfflineDebitStatus: "applied" | "reused" | "rejected";
    /** @description A partner's bons plans against the minimum. */
    PartnerBonsPlans: {
        /** @description `validated < minimum`. */
        below_minimum: boolean;
        /** @description Category code. */
        category: string;
        /** @description Name. */
        name: string;
        /** @description Partner id. */
        partner_id: string;
        /**
         * Format: int64
         * @description Bons plans validated, created during the season.
         */
        validated: number;
    };
    /** @description `POST /api/region/partners/{id}/decision`. */
    PartnerDecision: {
        /** @description Required when refusing. */
        reason?: string | null;
        /** @description Validate (the partner may accept the PASS) or refuse. */
        validate: boolean;
    };
    /** @description One event of a batch's payment, in the append-only audit. */
    PaymentEvent: {
        /**
         * Format: date-time
         * @description When.
         */
        at: string;
        /** @description The batch. */
        batch_id: string;
        /**
         * Format: date
         * @description Booking date.
         */
        booked_on: string | null;
        /** @description Who (display name of the Region's account). */
        by: string;
        /** @description `mis_en_paiement`, `paye`, `rejete` or `paye_manuellement`. */
        event: string;
        /** @description Rejection reason. */
        reason: string | null;
        /** @description Bank reference. */
        reference: string | null;
        /** @description Run. */
        run_id: string | null;
    };
    /**
     * @description A payment run (*ordre de virement*): one SEPA credit transfer file
     *     (`pain.001.001.09`), one transaction per batch.
     */
    PaymentRun: {
        /** @description Batches asked for but left out (only in the answer to the creation). */
        blocked?: components["schemas"]["BlockedBatch"][];
        /**
         * Format: date-time
         * @description Created at.
         */
        created_at: string;
        /** @description Who created it. */
        created_by: string;
        /**
         * Format: date
         * @description Requested execution date.
         */
        execution_date: string;
        /** @description Id: the file's message id and payment information id. */
        id: string;
        /** @description The file's control sum: Σ amounts. */
        total: string;
        /**
         * Format: int64
         * @description Number of transfers.
         */
        transactions: number;
        /** @description Transfers by partner name. */
        transfers: components["schemas"]["PaymentTransfer"][];
    };
    /** @description `POST /api/region/payment-runs`. */
    PaymentRunRequest: {
        /** @description Closed batches (`en_cours`) to pay, at most 2,000. */
        batch_ids: string[];
        /**
         * Format: date
         * @description Requested execution date (default and earliest: today, Region time).
         */
        execution_date?: string | null;
    };
    /** @description One transfer of a payment run: one batch. */
    PaymentTransfer: {
        /** @description Amount: the batch's payable. */
        amount: string;
        /** @description The bank's reference once paid. */
        bank_reference: string | null;
        /** @description The batch. */
        batch_id: string;
        /**
         * Format: date
         * @description The booking (or rejection) date.
         */
        booked_on: string | null;
        /** @description The transfer's end-to-end id: the batch id's 32 hex digits. */
        end_to_end_id: string;
        /** @description Creditor IBAN, masked but for its country and last four characters. */
        iban: string;
        /** @description Partner. */
        partner_id: string;
        /** @description Partner name. */
        partner_name: string;
        /** @description Why it was rejected. */
        reason: string | null;
        /** @description `envoye`, `paye` or `rejete`. */
        status: components["schemas"]["TransferStatus"];
    };
    /**
     * @description Totals of the reimbursement batches, to reconcile with the accounting
     *     journal (`Σ charges = batched`, `Σ bank = paid`) and the SEPA files.
     */
    PayoutTotals: {
        /** @description Σ (debits − refunds) of the transactions in a batch. */
        batched: string;
        /** @description Σ payable of the batches in a transfer sent to the bank. */
        in_payment: string;
        /** @description What partners owe (refunds after payout not yet clawed back): zero or positive. */
        owed: string;
        /** @description Σ payable of the batches paid. */
        paid: string;
        /** @description Σ payable of the batches. */
        payable: string;
    };
    /** @description `POST /api/region/print-queue/posted`. */
    PostedRequest: {
        /** @description The cards posted (at most 5,000). */
        card_ids: string[];
    };
    /** @description Answer to `POST /api/region/print-queue/posted`. */
    PostedResponse: {
        /**
         * Format: int32
         * @description How many were marked posted (cards already posted or unknown are left).
         */
        posted: number;
    };
    /** @description A card waiting to be printed and posted (the Region's print queue). */
    PrintItem: {
        /** @description Postal address (from the order). */
        address: string;
        /** @description Card id. */
        card_id: string;
        /** @description City. */
        city: string;
        /** @description Établissement. */
        establishment: string;
        /** @description Holder's first name. */
        first_name: string;
        /** @description Holder's last name. */
        last_name: string;
        /** @description Waiting more than a week (the FAQ promises a week). */
        late: boolean;
        /** @description Card number. */
        number: string;
        /** @description Postal code. */
        postal_code: string;
        /** @description Season label. */
        season: string;
        /**
         * Format: date-time
         * @description Since when it waits (validation or replacement).
         */
        waiting_since: string;
    };
    /** @description A closed batch waiting for payment, as the Region's payment desk sees it. */
    QueuedBatch: {
        /** @description The batch (`en_cours`). */
        batch: components["schemas"]["Batch"];
        /**
         * @description Why it cannot go in a run now (no IBAN, bank details waiting for
         *     approval), if so.
         */
        blocked: string | null;
    };
    /** @description `POST /api/region/staff`: an administrator invites an agent. */
    RegionInvitation: {
        /** @description Their name, as shown in the app. */
        display_name: string;
        /** @description Their e-mail (the login); the invitation link is sent to it. */
        email: string;
        /**
         * @description `admin`, `instruction` or `finance`.
         * @example finance
         */
        role: string;
    };
}
