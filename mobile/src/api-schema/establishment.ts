// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the establishment part of the API. */
export interface EstablishmentSchemas {
    /** @description What a bulk action did with one item. */
    BulkItem: {
        /**
         * @description Why it was refused: a stable code (`age_depasse`, `introuvable`…);
         *     `null` when done.
         */
        code: string | null;
        /** @description The order or card id, as sent. */
        id: string;
        /** @description Why it was refused, in French; `null` when done. */
        message: string | null;
        /** @description The youth's name (empty when the id is not one of the établissement's). */
        name: string;
        /** @description A revalidated card's season (`2027-2028`); `null` otherwise. */
        season: string | null;
        /**
         * @description `done` or `refused`.
         * @example refused
         */
        status: string;
    };
    /**
     * @description `POST /api/establishment/orders/decisions`: validate, or refuse with one
     *     reason, several orders of the établissement.
     */
    BulkOrderDecision: {
        /** @description The orders, 1 to [`BULK_MAX_ITEMS`], each once. */
        order_ids: string[];
        /** @description Required when refusing (shown to each youth). */
        reason?: string | null;
        /** @description `true` validates (issuing the cards), `false` refuses. */
        validate: boolean;
    };
    /** @description The answer of a bulk action: one item per id, in the order sent. */
    BulkResult: {
        /**
         * Format: int32
         * @description How many were done.
         */
        done: number;
        /** @description Each id's result. */
        items: components["schemas"]["BulkItem"][];
        /**
         * Format: int32
         * @description How many were refused.
         */
        refused: number;
    };
    /**
     * @description `POST /api/establishment/cards/revalidate`: revalidate several cards of
     *     the établissement for the new season.
     */
    BulkRevalidation: {
        /** @description The cards, 1 to [`BULK_MAX_ITEMS`], each once. */
        card_ids: string[];
    };
    /** @description One change in a card's history. */
    CardEvent: {
        /**
         * Format: date-time
         * @description When.
         */
        at: string;
        /** @description Who did it (the staff member's name); `null` when not recorded. */
        by: string | null;
        /**
         * @description `suspension`, `reactivation`, `revalidation` or `replacement` (lost
         *     or stolen); `null` for a change
         *     recorded before the desk (only its status is known).
         * @example suspension
         */
        kind: string | null;
        /** @description The reason given (a suspension's). */
        reason: string | null;
        /** @description The card's season after it (`2027-2028`); `null` when not recorded. */
        season: string | null;
        /** @description The card's status after it. */
        status: components["schemas"]["CardStatus"];
    };
    /**
     * @description `POST /api/establishment/collective-bookings`: an établissement asks a
     *     partner for a service to a group of its youths. Nothing is debited until
     *     the partner confirms.
     */
    CollectiveBookingRequest: {
        /** @description Avantage code. */
        avantage: string;
        /** @description Cards of the établissement's own youths taking part (1 to 100, each once). */
        card_ids: string[];
        /**
         * Format: int32
         * @description Entries per youth, for an entries avantage (at most the avantage's season amount).
         */
        entries_per_youth?: number | null;
        /** @description What the booking is (shown to the partner and in each youth's history). */
        label: string;
        /** @description The partner (convention in force, allowed to debit the avantage). */
        partner_id: string;
        /**
         * @description Price per youth in euros, for a credit avantage: more than zero, at
         *     most the avantage's season amount and the Region's per-youth cap.
         */
        price_per_youth?: string | null;
        /**
         * Format: date
         * @description Day of the service (Region time): today up to 90 days ahead.
         */
        service_date: string;
    };
    /** @description `POST /api/establishment/orders/{id}/decision`. */
    OrderDecision: {
        /** @description Required when refusing. */
        reason?: string | null;
        /** @description `true` validates, `false` refuses. */
        validate: boolean;
    };
    /** @description `POST …/cards/{id}/suspend` and similar. */
    ReasonRequest: {
        /** @description Why (shown to the youth). */
        reason: string;
    };
    /**
     * @description A thematic referent of an établissement, with its contact: what the
     *     établissement sends to declare or edit one, and sees of its own
     *     (`/api/establishment/referents`). Nobody else gets this type: partners
     *     get a [`PartnerReferent`], the directory a [`ReferentSummary`].
     */
    Referent: {
        /** @description E-mail. */
        email: string;
        /** @description Établissement (absent when declaring: the caller's). */
        establishment_id?: string;
        /** @description Établissement name (absent when declaring). */
        establishment_name?: string;
        /** @description Id (absent when declaring). */
        id?: string;
        /** @description Name. */
        name: string;
        /** @description Phone. */
        phone?: string | null;
        /** @description `sport`, `culture`, `sante` or `administratif`. */
        theme: string;
    };
    /** @description `POST /api/establishment/referent-requests/{id}/decline`. */
    ReferentDecision: {
        /** @description Why (optional, shown to the partner). */
        reason?: string | null;
    };
}
