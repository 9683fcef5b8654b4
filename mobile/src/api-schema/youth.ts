// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the youth part of the API. */
export interface YouthSchemas {
    /** @description The card's signed QR. */
    CardQrView: {
        /** @description The QR as SVG. */
        svg: string;
        /** @description The `PR1:` text. */
        text: string;
    };
    /** @description `POST /api/youth/credentials`. */
    CredentialRequest: {
        /** @description The device's Ed25519 public key (32 bytes, base64url). */
        device_public_key: string;
    };
    /** @description A signed app credential and its offline limits. */
    CredentialResponse: {
        /** @description Total the youth may spend offline with it. */
        allowance: string;
        /** @description The card. */
        card_id: string;
        /** @description The credential (154 bytes, base64url): the app puts it in its `PD1:` codes. */
        credential: string;
        /** @description Its id. */
        credential_id: string;
        /**
         * Format: date-time
         * @description Expires at.
         */
        expires_at: string;
        /**
         * Format: date-time
         * @description Issued at.
         */
        issued_at: string;
        /**
         * Format: int32
         * @description Most offline debits.
         */
        max_count: number;
        /** @description Largest offline debit. */
        per_transaction_max: string;
        /**
         * Format: date-time
         * @description Server time (phones correct their clock with it).
         */
        server_time: string;
    };
    /** @description The youth's account, as exported. */
    ExportedAccount: {
        /**
         * Format: date-time
         * @description Created at.
         */
        created_at: string;
        /** @description Name. */
        display_name: string;
        /** @description Login e-mail. */
        email: string;
    };
    /** @description A postal address given with an order. */
    ExportedAddress: {
        /** @description Street. */
        address: string;
        /** @description City. */
        city: string;
        /** @description The order's id. */
        order_id: string;
        /** @description Postal code. */
        postal_code: string;
    };
    /** @description `POST /api/youth/orders`: the *bon de commande*. */
    OrderRequest: {
        /** @description Postal address (street). */
        address: string;
        /**
         * Format: date
         * @description Birth date (YYYY-MM-DD).
         */
        birth_date: string;
        /** @description City. */
        city: string;
        /** @description Recognised disability. */
        disabled?: boolean;
        /** @description Établissement that will validate the order. */
        establishment_id: string;
        /** @description First name. */
        first_name: string;
        /** @description Last name. */
        last_name: string;
        /** @description Postal code. */
        postal_code: string;
        /**
         * @description Public.
         * @example lyceen
         */
        public: string;
        /**
         * @description Track (class or diploma), required for lycéens and apprentis.
         * @example seconde
         */
        track?: string | null;
    };
    /**
     * @description `GET /api/youth/data`: everything the server keeps about the youth (RGPD
     *     right of access), as one JSON document.
     */
    YouthDataExport: {
        /** @description The account. */
        account: components["schemas"]["ExportedAccount"];
        /** @description The postal addresses given with the orders (where the card was sent). */
        addresses: components["schemas"]["ExportedAddress"][];
        card: null | components["schemas"]["CardView"];
        /**
         * Format: date-time
         * @description When it was made.
         */
        exported_at: string;
        /** @description Every order. */
        orders: components["schemas"]["Order"][];
        /** @description How long the data is kept, in words. */
        retention: string;
        /** @description Every transaction on the card. */
        transactions: components["schemas"]["Transaction"][];
    };
}
