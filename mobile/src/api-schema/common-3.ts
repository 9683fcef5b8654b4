// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the common-3 part of the API. */
export interface Common3Schemas {
    /** @description A notice about the card's season. */
    RenewalNotice: {
        /** @enum {string} */
        kind: "ends_soon";
        /**
         * Format: date
         * @description The last day the card can be used.
         */
        last_day: string;
        /** @description The season to revalidate it for (`2027-2028`). */
        next_season: string;
    } | {
        /** @enum {string} */
        kind: "expired";
        /**
         * Format: date
         * @description The last day it could be used.
         */
        last_day: string;
        /** @description The season it must be revalidated for (the current one). */
        season: string;
    };
    /** @description A document the Region asks for, and whether it was given. */
    RequiredDocument: {
        /** @description What it is. */
        kind: components["schemas"]["DocumentKind"];
        /** @description What it is, in words. */
        label: string;
        /** @description Whether the application holds one. */
        provided: boolean;
    };
    /**
     * @description The four roles.
     * @enum {string}
     */
    Role: "youth" | "partner" | "establishment" | "region";
    /** @description A per-public or per-track amount that replaces the avantage's base amount. */
    Rule: {
        /** @description Applies to this public only (any when absent). */
        public: string | null;
        /** @description What the youth receives. */
        quantity: components["schemas"]["Quantity"];
        /** @description Applies to this track only (any when absent). */
        track: string | null;
    };
    /** @description One of the account's open sessions: `GET /api/me/sessions`. */
    SessionView: {
        /** @description The session of this request. */
        current: boolean;
        /**
         * Format: date-time
         * @description When it expires.
         */
        expires_at: string;
        /** @description Its id (to close it). */
        id: string;
        /**
         * Format: date-time
         * @description When it was opened.
         */
        opened_at: string;
    };
    /**
     * @description A trust list as published: the exact JSON body that was signed, and the
     *     root signature over it (no canonicalisation needed).
     */
    SignedTrustList: {
        /** @description The JSON of a [`TrustList`]. */
        body: string;
        /** @description Always [`TRUST_LIST_FORMAT`]. */
        format: string;
        /** @description The root key id (informative; the signature is what counts): 16 hex digits. */
        root_kid: string;
        /** @description Ed25519 signature by the root key, base64url. */
        signature: string;
    };
    /**
     * @description Where a partner stands on a day.
     * @enum {string}
     */
    Standing: "candidat" | "en_vigueur" | "suspendu" | "echue" | "resiliee";
    /**
     * @description The statement of a closed batch (*relevé*, and its *justificatif de
     *     remboursement* in PDF): every line, the totals per avantage, what was
     *     carried in from earlier batches and what is carried to the next one.
     *     `Σ lines = Σ net = batch.total`; `total + carried_in = payable + carried_out`.
     */
    Statement: {
        /** @description Totals per avantage, by code. */
        avantages: components["schemas"]["AvantageTotal"][];
        /** @description The batch, with its amounts and status. */
        batch: components["schemas"]["Batch"];
        /**
         * Format: date-time
         * @description End of the period of the batch the carried deficit comes from.
         */
        carried_from_period_end: string | null;
        /** @description Σ debits of the lines (zero or positive). */
        debits: string;
        /** @description Debits, refunds, offline debits and collective bookings, oldest first. */
        lines: components["schemas"]["Transaction"][];
        /**
         * Format: date-time
         * @description End of the partner's previous batch: the lines are after it (none
         *     for its first batch).
         */
        period_start: string | null;
        /** @description Σ refunds of the lines (zero or negative). */
        refunds: string;
        /** @description The partner's SIRET, as on the justificatif. */
        siret: string | null;
    };
    /**
     * @description `POST /api/region/partners/{id}/terminate` and
     *     `POST /api/partner/convention/terminate`.
     */
    Termination: {
        /**
         * Format: date
         * @description First day without the convention (today or later).
         */
        effective_on: string;
        /** @description Why. */
        reason: string;
    };
    /** @description A partner transaction (debit or refund) as shown to the partner, the youth and the Region. */
    Transaction: {
        /** @description Avantage code. */
        avantage: string;
        /** @description Avantage label (French), from the season's catalogue. */
        avantage_label: string;
        /** @description Remaining balance of the avantage after this transaction. */
        balance_after?: string | null;
        /** @description For a collective debit: its booking. */
        booking_id?: string | null;
        /** @description For a collective debit: what the booking is (its label). */
        booking_label?: string | null;
        /** @description Card (last four digits only). */
        card: string;
        /** @description `web`, `qr`, `offline` or `collective`. */
        channel: string;
        /**
         * Format: date-time
         * @description When.
         */
        created_at: string;
        /** @description Taken from (debit) or given back to (refund) the card. */
        debited: string;
        /** @description Id (UUIDv7). */
        id: string;
        /** @description `debit` or `refund`. */
        kind: string;
        /** @description Partner. */
        partner_id: string;
        /** @description Partner name. */
        partner_name: string;
        /** @description Price asked (euros, or entries asked). */
        price: string;
        /** @description For a refund: the debit it cancels. */
        refund_of: string | null;
        /** @description Whether this debit was refunded. */
        refunded: boolean;
        /** @description Euro amount reimbursed to the partner (negative for a refund). */
        reimbursed_amount: string;
        /**
         * @description `en_attente`, `en_cours_de_remboursement`, `rembourse` or `compense` (in a
         *     batch settled by offsetting refunds carried from earlier batches).
         */
        reimbursement_status: string;
        /** @description What the youth paid at the counter. */
        reste_a_payer: string;
        /** @description Season of the card when debited (`2026-2027`). */
        season: string;
        /**
         * Format: int64
         * @description Cursor position.
         */
        seq: number;
        /** @description `credit` or `entries`. */
        unit_kind: string;
    };
    /** @description A page of transactions. */
    TransactionPage: {
        /** @description Items, oldest first. */
        items: components["schemas"]["Transaction"][];
        /**
         * Format: int64
         * @description Pass as `after` to get the next page.
         */
        next_cursor: number;
    };
    /** @description How fresh the published trust list is. */
    TrustListHealth: {
        /**
         * @description `true` when the server holds the root key and signs the list again by
         *     itself; `false` when the root key is kept offline and the list was
         *     signed in advance (the server cannot renew it).
         */
        automatic_renewal: boolean;
        /**
         * Format: date-time
         * @description When it expires for offline partner apps.
         */
        expires_at: string;
        /**
         * @description Less than 14 days left: the background renewal is failing, or (when
         *     the root key is kept offline) a new list must be signed with
         *     `passregion-server sign-trust-list` before `expires_at`.
         */
        stale: boolean;
        /**
         * Format: int64
         * @description Version (the signing instant, in Unix seconds).
         */
        version: number;
    };
    /** @description `GET /api/trust-root`: the root public key that signs the trust list. */
    TrustRoot: {
        /** @description Ed25519 public key (base64url). */
        root_public_key: string;
    };
    /** @description `POST /api/auth/verify-email`: the token of the link sent at registration. */
    VerifyEmailRequest: {
        /** @description The token (the `jeton` of the link). */
        token: string;
    };
}
