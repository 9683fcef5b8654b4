// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the partner part of the API. */
export interface PartnerSchemas {
    /**
     * @description `PUT /api/partner/application`: the draft's fields; each one given is
     *     checked and saved, the others keep their value.
     */
    ApplicationDraft: {
        /** @description Street address. */
        address?: string | null;
        /** @description BIC of that account. */
        bic?: string | null;
        /** @description Kind of partnership. */
        category?: string | null;
        /** @description City. */
        city?: string | null;
        /** @description Contact person. */
        contact_name?: string | null;
        /** @description IBAN of the account reimbursements are paid to. */
        iban?: string | null;
        /**
         * Format: double
         * @description Latitude (WGS84) of the pin on the map.
         */
        latitude?: number | null;
        /**
         * Format: double
         * @description Longitude (WGS84).
         */
        longitude?: number | null;
        /** @description Name of the structure (raison sociale). */
        name?: string | null;
        /** @description Mobile phone that receives the signature code. */
        phone?: string | null;
        /** @description Postal code. */
        postal_code?: string | null;
        /** @description SIRET (14 digits, checked by its key). */
        siret?: string | null;
    };
    /**
     * @description `POST /api/partner/bank-details`: the manager asks to change the bank
     *     details; a code goes by SMS to the phone on file.
     */
    BankChangeRequest: {
        /** @description The new BIC. */
        bic: string;
        /** @description The new IBAN. */
        iban: string;
    };
    /** @description `POST /api/partner/bons-plans`. */
    BonPlanRequest: {
        /** @description Description. */
        description: string;
        /** @description Title. */
        title: string;
        /**
         * Format: date
         * @description Last day.
         */
        valid_until?: string | null;
    };
    /** @description `POST /api/partner/cards/inspect`: what a partner may do with a card. */
    CardInspection: {
        /** @description The avantages this partner may debit, with what is left. */
        balances: components["schemas"]["Balance"][];
        /** @description Card id. */
        card_id: string;
        /** @description Holder's first name and initial (to check identity at the counter). */
        holder: string;
        /** @description Why not, in French. */
        reason: string | null;
        /** @description Season label. */
        season: string;
        /** @description Card status. */
        status: components["schemas"]["CardStatus"];
        /** @description Whether it can be debited today. */
        usable: boolean;
    };
    /** @description Which card a partner debits. */
    CardSelector: {
        /**
         * Format: date
         * @description …with the holder's birth date (used as a PIN).
         */
        birth_date?: string | null;
        /** @description Card number typed on the web form… */
        card_number?: string | null;
        /** @description Or the text read from the card's QR code. */
        qr?: string | null;
    };
    /** @description Answer to `POST /api/partner/convention/code`: a new code was sent. */
    CodeSent: {
        /** @description Where the code went (masked). */
        code_sent_to: string;
    };
    /** @description `POST /api/partner/collective-bookings/{id}/decline`. */
    CollectiveDecision: {
        /** @description Why (optional, shown to the établissement). */
        reason?: string | null;
    };
    /**
     * @description Answer to a submission or a renewal: the convention to sign was made and
     *     the code sent.
     */
    ConventionToSign: {
        /** @description The application. */
        application: components["schemas"]["ApplicationView"];
        /** @description Where the code went (masked). */
        code_sent_to: string;
    };
    /** @description The receipt of a debit. */
    DebitReceipt: components["schemas"]["Transaction"] & {
        /** @description What is left on the avantage. */
        balance: string;
        /** @description Holder's first name and initial. */
        holder: string;
    };
    /** @description `POST /api/partner/debits`. */
    DebitRequest: {
        /** @description Avantage code. */
        avantage: string;
        /**
         * Format: date
         * @description …with the holder's birth date (used as a PIN).
         */
        birth_date?: string | null;
        /** @description Card number typed on the web form… */
        card_number?: string | null;
        /**
         * Format: int32
         * @description Number of entries, for an entries avantage.
         */
        entries?: number | null;
        /**
         * @description Price of the service in euros ("12.50"), for a credit avantage.
         * @example 12.50
         */
        price?: string | null;
        /** @description Or the text read from the card's QR code. */
        qr?: string | null;
        /**
         * Format: date-time
         * @description When the QR was read (information only). Online, a code is always
         *     verified at the server's clock, within its time step ±1; a scan time
         *     more than one minute old is refused (`scan_trop_ancien`). A debit made
         *     offline goes through `/api/sync/push`, signed by an enrolled device.
         */
        scanned_at?: string | null;
    };
    /** @description A device enrolled by the structure (its key signs offline debits). */
    DeviceView: {
        /**
         * Format: date-time
         * @description When it was enrolled.
         */
        enrolled_at: string;
        /** @description Who enrolled it (name of the account). */
        enrolled_by: string;
        /** @description Device id. */
        id: string;
        /** @description Its label (`Caisse 1`…). */
        label: string;
        /**
         * Format: date-time
         * @description When it last pushed offline debits; `null` if never.
         */
        last_push_at: string | null;
        /**
         * Format: date-time
         * @description When a manager revoked it (its pushes are refused); `null` if in use.
         */
        revoked_at: string | null;
    };
    /** @description `POST /api/partner/devices`: enrol a partner phone. */
    EnrolRequest: {
        /** @description The device's Ed25519 public key (base64url). */
        device_public_key: string;
        /** @description A label for the partner's staff ("Caisse 1"). */
        label: string;
    };
    /** @description Answer to an enrolment. */
    EnrolResponse: {
        /** @description Offline caps. */
        caps: components["schemas"]["PartnerCaps"];
        /** @description Its category (what it may debit). */
        category: string;
        /** @description Device id (put in every offline debit). */
        device_id: string;
        /** @description The partner. */
        partner_id: string;
        /** @description The root key that signs the trust list (base64url): pinned by the app. */
        root_public_key: string;
        /**
         * Format: date-time
         * @description Server time.
         */
        server_time: string;
    };
    /** @description Caps a partner sets on its own offline acceptance (on top of the credential's). */
    PartnerCaps: {
        /** @description Most the partner accepts offline per day, all cards together. */
        daily_max: string;
        /** @description Largest offline debit the partner accepts. */
        per_transaction_max: string;
    };
    /**
     * @description A référent as a partner in force sees it (`GET /api/partner/referents`):
     *     the contact only while the partner's request is granted.
     */
    PartnerReferent: {
        /** @description E-mail: only while the request is granted (`null` otherwise). */
        email: string | null;
        /** @description Établissement. */
        establishment_id: string;
        /** @description Établissement name. */
        establishment_name: string;
        /** @description Id. */
        id: string;
        /** @description Name. */
        name: string;
        /** @description Phone: only while the request is granted (`null` otherwise, or none given). */
        phone: string | null;
        request: null | components["schemas"]["ReferentRequest"];
        /** @description `sport`, `culture`, `sante` or `administratif`. */
        theme: string;
    };
    /**
     * @description `POST /api/partner/referent-requests`: a partner whose convention is in
     *     force asks for a référent's contact.
     */
    ReferentRequestInput: {
        /** @description Why (shown to the établissement): 1 to 500 characters. */
        message: string;
        /** @description The référent. */
        referent_id: string;
    };
    /** @description `POST /api/partner/transactions/{id}/refund`. */
    RefundRequest: {
        /** @description Euros to give back (default: the whole debit). */
        amount?: string | null;
        /**
         * Format: int32
         * @description Entries to give back (default: all).
         */
        entries?: number | null;
    };
    /** @description The partner's reimbursement view. */
    ReimbursementSummary: {
        /** @description Batches, newest first. */
        batches: components["schemas"]["Batch"][];
        /**
         * @description What the partner owes after refunds of paid debits, to be deducted
         *     from its next batches: zero or negative.
         */
        carried_total: string;
        /** @description Payable euros of the batches being paid. */
        in_progress_total: string;
        /** @description Euros already paid. */
        paid_total: string;
        /** @description Debits − refunds not yet in a batch (signed). */
        pending_total: string;
    };
    /** @description `POST /api/partner/convention/sign`. */
    SignRequest: {
        /** @description The six-digit code received by SMS. */
        code: string;
    };
    /** @description `POST /api/partner/staff`: invite someone to the structure's space. */
    StaffInvitation: {
        /** @description Their name, as shown in the app. */
        display_name: string;
        /** @description Their e-mail (the login); the invitation link is sent to it. */
        email: string;
        /**
         * @description `cashier` (*caissier*) or `manager` (*responsable*).
         * @example cashier
         */
        role: string;
    };
    /** @description A member of a partner's staff, as its managers see it. */
    StaffMember: {
        /** @description Account id. */
        account_id: string;
        /**
         * Format: date-time
         * @description When the account was created (invited).
         */
        created_at: string;
        /** @description Name shown in the app. */
        display_name: string;
        /** @description E-mail (the login). */
        email: string;
        /**
         * Format: date-time
         * @description When the invitation link stops working (an invited member whose link
         *     is still valid); `null` otherwise.
         */
        invitation_expires_at: string | null;
        /**
         * @description `manager` or `cashier`.
         * @example cashier
         */
        role: string;
        /**
         * @description `invited` (the link not followed yet) or `active`.
         * @example invited
         */
        status: string;
    };
    /**
     * @description `POST /api/partner/application/submit`: send the application, accepting
     *     the CGP version read.
     */
    SubmitApplication: {
        /** @description The CGP version shown and accepted (must be the current one). */
        cgp_version: string;
    };
}
