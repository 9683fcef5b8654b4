// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the common part of the API. */
export interface CommonSchemas {
    /** @description A message told to the account (also sent by e-mail): `GET /api/me/notices`. */
    AccountNotice: {
        /** @description Text. */
        body: string;
        /**
         * Format: date-time
         * @description When.
         */
        created_at: string;
        /** @description Subject. */
        subject: string;
    };
    /** @description An account as shown to its owner. */
    AccountView: {
        /** @description Name shown in the app. */
        display_name: string;
        /** @description E-mail. */
        email: string;
        /** @description Établissement (établissement staff). */
        establishment_id: string | null;
        /**
         * @description Établissement staff: `head` (*chef d'établissement*) or `staff`;
         *     `null` otherwise (absent from older servers).
         * @example head
         */
        establishment_role: string | null;
        /** @description Id. */
        id: string;
        /** @description Partner category (partner staff). */
        partner_category: string | null;
        /** @description Partner structure (partner staff). */
        partner_id: string | null;
        /**
         * @description Partner staff: `manager` (*responsable*) or `cashier` (*caissier*);
         *     `null` otherwise (absent from older servers).
         * @example cashier
         */
        partner_role: string | null;
        /**
         * @description Region staff: `admin` (*Administration*), `instruction` or `finance`
         *     (*Finances*); `null` otherwise (absent from older servers).
         * @example finance
         */
        region_role: string | null;
        /** @description Role. */
        role: components["schemas"]["Role"];
    };
    /**
     * @description The public error: what every non-2xx response carries
     *     (`application/problem+json`).
     */
    ApiError: {
        /** @description Stable machine code (snake_case, French), e.g. `credit_epuise`. */
        code: string;
        /** @description The request field at fault, when there is one. */
        field?: string | null;
        /** @description Message for people, in French. */
        message: string;
        /**
         * Format: int32
         * @description HTTP status, repeated in the body.
         */
        status: number;
    };
    /** @description A document of an application. */
    ApplicationDocument: {
        /** @description `application/pdf`, `image/jpeg` or `image/png` (from its content). */
        content_type: string;
        /** @description The name it was uploaded with. */
        filename: string;
        /** @description Id (to view or remove it). */
        id: string;
        /** @description What it is. */
        kind: components["schemas"]["DocumentKind"];
        /** @description What it is, in words. */
        label: string;
        /** @description SHA-256 of its content (hex). */
        sha256: string;
        /**
         * Format: int64
         * @description Size in bytes.
         */
        size_bytes: number;
        /**
         * Format: date-time
         * @description When it was uploaded.
         */
        uploaded_at: string;
    };
    /**
     * @description Where an application stands, as the applicant and the Region see it.
     * @enum {string}
     */
    ApplicationStage: "brouillon" | "envoyee" | "signee" | "en_instruction" | "validee" | "refusee";
    /**
     * @description `POST /api/partners/applications`: a structure starts its application
     *     (public). The answer is the same whether the e-mail is free or not
     *     (`RegisterResponse`); the link sent by e-mail opens the draft.
     */
    ApplicationStart: {
        /**
         * @description Kind of partnership.
         * @example librairie
         */
        category: string;
        /** @description Contact person. */
        contact_name: string;
        /** @description Login e-mail of the partner space. */
        email: string;
        /** @description Name of the structure (raison sociale). */
        name: string;
        /** @description Password of the partner space. */
        password: string;
    };
    /** @description `GET /api/partner/application`: the application as it stands. */
    ApplicationView: {
        /** @description Street address. */
        address: string;
        /** @description The BIC. */
        bic: string | null;
        /** @description Kind of partnership. */
        category: string;
        /** @description The CGP version accepted, if any. */
        cgp_accepted_version: string | null;
        /** @description City. */
        city: string;
        /** @description Contact person. */
        contact_name: string;
        convention: null | components["schemas"]["ConventionView"];
        /** @description The Region's reason, when refused. */
        decision_reason: string | null;
        /** @description The documents given. */
        documents: components["schemas"]["ApplicationDocument"][];
        /** @description The IBAN (masked). */
        iban: string | null;
        /**
         * Format: double
         * @description Latitude of the pin.
         */
        latitude: number;
        /**
         * Format: double
         * @description Longitude of the pin.
         */
        longitude: number;
        /** @description What must still be done before sending, in words. */
        missing: string[];
        /** @description Name of the structure. */
        name: string;
        /** @description The Region's messages, newest first. */
        notices: components["schemas"]["PartnerNotice"][];
        /** @description Partner id. */
        partner_id: string;
        /** @description The mobile phone for codes (masked). */
        phone: string | null;
        /** @description Postal code. */
        postal_code: string;
        /**
         * @description The convention ends within a month (or a new CGP model is out):
         *     time to sign the new one.
         */
        renewal_due: boolean;
        /** @description The documents asked for the category. */
        required_documents: components["schemas"]["RequiredDocument"][];
        /** @description SIRET. */
        siret: string | null;
        /** @description Where the application stands. */
        stage: components["schemas"]["ApplicationStage"];
        /** @description Whether the convention is in force today. */
        standing: components["schemas"]["Standing"];
        /** @description Why the Region suspended the partner, while suspended. */
        suspension_reason: string | null;
        /**
         * Format: date
         * @description First day without the convention, once terminated.
         */
        terminates_on: string | null;
        /** @description Why it was terminated. */
        termination_reason: string | null;
    };
    /** @description One avantage of a season. */
    Avantage: {
        base: null | components["schemas"]["Quantity"];
        /** @description Partner categories that may debit it. */
        categories: string[];
        /** @description Stable code (`lecture_loisir`). */
        code: string;
        /** @description French description. */
        description: string;
        /** @description Amount doubled for youths with a recognised disability. */
        doubled_for_disability: boolean;
        /** @description For an entries avantage: what the Region reimburses the partner per entry. */
        entry_value: string | null;
        /** @description Euros or entries. */
        kind: string;
        /** @description French label shown to people. */
        label: string;
        /** @description Publics that receive it. */
        publics: string[];
        /** @description Per-public or per-track amounts, first match wins. */
        rules: components["schemas"]["Rule"][];
        /** @description Tracks that receive it (all when absent). */
        tracks: string[] | null;
    };
    /** @description Totals of one avantage in a batch's statement. */
    AvantageTotal: {
        /** @description Avantage code. */
        avantage: string;
        /** @description Its label in the season's catalogue. */
        avantage_label: string;
        /** @description Debits (zero or positive). */
        debits: string;
        /**
         * Format: int64
         * @description Number of lines.
         */
        lines: number;
        /** @description `debits + refunds`. */
        net: string;
        /** @description Refunds (zero or negative). */
        refunds: string;
    };
    /** @description The balance of one avantage. */
    Balance: {
        /** @description Avantage code. */
        avantage: string;
        /** @description Categories of partners that accept it. */
        categories: string[];
        /** @description `credit` or `entries`. */
        kind: string;
        /** @description Label. */
        label: string;
        /** @description Loaded for the season (euros as "15.00", or a count of entries as "5"). */
        loaded: string;
        /** @description What is left. */
        remaining: string;
    };
    /** @description A change of bank details and where it stands. */
    BankChange: {
        /** @description The new BIC. */
        bic: string;
        /** @description Where the code went (masked). */
        code_sent_to: string;
        /**
         * Format: date-time
         * @description Confirmed with the SMS code at (then waiting for the Region).
         */
        confirmed_at: string | null;
        /**
         * Format: date-time
         * @description Asked at.
         */
        created_at: string;
        /** @description The IBAN in use until approval (masked for the partner, whole for the Region). */
        current_iban: string | null;
        /** @description `approuvee`, `refusee` or `remplacee` once decided. */
        decision: string | null;
        /** @description The new IBAN (masked for the partner, whole for the Region). */
        iban: string;
        /** @description Id. */
        id: string;
        /** @description The partner. */
        partner_id: string;
        /** @description Its name. */
        partner_name: string;
        /** @description The Region's reason when refused. */
        reason: string | null;
    };
    /**
     * @description A reimbursement batch: its own lines, what it carries in from earlier
     *     batches (refunds after a payout are clawed back, not hidden), what the
     *     Region pays and what is carried to the partner's next batch.
     *     `total + carried_in = payable + carried_out`.
     */
    Batch: {
        /**
         * @description The bank's reference of the payment (from its statement, or typed by
         *     the Region when marked paid by hand).
         */
        bank_reference: string | null;
        /** @description The batch the deficit was carried from, if any. */
        carried_from: string | null;
        /**
         * @description What the partner owed from earlier batches, deducted here
         *     (*report du lot précédent*): zero or negative.
         * @example -12.50
         */
        carried_in: string;
        /**
         * @description What is left owing, carried to the partner's next batch
         *     (*reporté sur le lot suivant*): zero or negative.
         */
        carried_out: string;
        /**
         * Format: date-time
         * @description Created at.
         */
        created_at: string;
        /** @description Id. */
        id: string;
        /**
         * Format: date-time
         * @description When it was recorded paid.
         */
        paid_at: string | null;
        /**
         * Format: date
         * @description The bank's booking date of the transfer (or the date given by hand).
         */
        paid_on: string | null;
        /** @description Partner. */
        partner_id: string;
        /** @description Partner name. */
        partner_name: string;
        /** @description What the Region pays for this batch: `total + carried_in`, never below zero. */
        payable: string;
        /**
         * @description The payment run (*ordre de virement*) the batch is in, while
         *     `en_cours_de_paiement`, or the one that paid it.
         */
        payment_run_id: string | null;
        /**
         * Format: date-time
         * @description Transactions up to this instant are included.
         */
        period_end: string;
        /**
         * @description Why the bank rejected its last transfer (the batch is back in the
         *     queue), e.g. "AC01 — IBAN incorrect"; none once in a new run.
         */
        rejection_reason: string | null;
        /**
         * @description `en_cours` (to be paid), `en_cours_de_paiement` (in a transfer sent
         *     to the bank), `rembourse` (paid) or `compense` (settled by
         *     offsetting: nothing to pay).
         */
        status: components["schemas"]["BatchStatus"];
        /**
         * @description Debits − refunds of the batch's own transactions (signed: negative
         *     when its refunds exceed its debits).
         * @example -12.50
         */
        total: string;
        /**
         * Format: int64
         * @description Number of transactions.
         */
        transactions: number;
    };
    /** @enum {string} */
    BatchStatus: "en_cours" | "en_cours_de_paiement" | "rembourse" | "compense";
    /** @description A *bon plan*. */
    BonPlan: {
        /** @description Partner category. */
        category: string;
        /** @description City. */
        city: string;
        /**
         * Format: date-time
         * @description Submitted at.
         */
        created_at: string;
        /** @description Description. */
        description: string;
        /** @description Id. */
        id: string;
        /** @description Partner. */
        partner_id: string;
        /** @description Partner name. */
        partner_name: string;
        /** @description Moderation note. */
        reason: string | null;
        /** @description Where its moderation stands. */
        status: components["schemas"]["BonPlanStatus"];
        /** @description Title. */
        title: string;
        /**
         * Format: date
         * @description Last day.
         */
        valid_until: string | null;
    };
    /** @enum {string} */
    BonPlanStatus: "soumis" | "valide" | "refuse";
    /**
     * @description Where a card stands.
     * @enum {string}
     */
    CardStatus: "expediee" | "active" | "suspendue";
    /** @description A replaced card's current version (a new number and version after a loss). */
    CardVersion: {
        /**
         * Format: uuid
         * @description The card.
         */
        card_id: string;
        /**
         * Format: int32
         * @description Its current version.
         */
        version: number;
    };
    /** @description A card as its holder (or its établissement) sees it. */
    CardView: {
        /** @description Balances of the season. */
        balances: components["schemas"]["Balance"][];
        /** @description Établissement. */
        establishment_id: string;
        /** @description Holder's first name. */
        first_name: string;
        /** @description Card id (what the QR carries). */
        id: string;
        /** @description Holder's last name. */
        last_name: string;
        /** @description Number to type on the partner web form. */
        number: string;
        /**
         * Format: date-time
         * @description When the card was posted (`None` while it waits to be printed).
         */
        posted_at?: string | null;
        renewal: null | components["schemas"]["RenewalNotice"];
        /** @description Season label. */
        season: string;
        /** @description Where the card stands. */
        status: components["schemas"]["CardStatus"];
        /** @description Reason of a suspension. */
        status_reason: string | null;
        /**
         * Format: date
         * @description Last day of use.
         */
        valid_until: string;
    };
    /** @description A validated catalogue for one season. */
    Catalogue: {
        /** @description Its avantages, in file order. */
        avantages: components["schemas"]["Avantage"][];
        /**
         * @description The season it applies to.
         * @example 2026-2027
         */
        season: string;
    };
    /** @description `GET /api/cgp`: the current Conditions Générales de Partenariat. */
    Cgp: {
        /** @description The text (paragraphs separated by blank lines). */
        body: string;
        /**
         * Format: date
         * @description The last day of a convention signed under this version.
         */
        convention_ends_on: string;
        /** @description Title. */
        title: string;
        /** @description Version (e.g. `2026-06`). */
        version: string;
    };
    /** @description `POST /api/me/password`: change one's password. */
    ChangePasswordRequest: {
        /** @description The password in use now. */
        current_password: string;
        /** @description The new one, 8 characters or more. */
        new_password: string;
    };
    /** @description A collective booking, as the établissement, the partner and the Region see it. */
    CollectiveBooking: {
        /** @description Avantage code. */
        avantage: string;
        /**
         * Format: date-time
         * @description Until when the partner may confirm (end of the service day, Region time).
         */
        confirm_before: string;
        /** @description Youths debited (once confirmed). */
        debited_cards: number;
        /**
         * Format: date-time
         * @description When it was confirmed, declined, cancelled or found expired.
         */
        decided_at: string | null;
        /** @description Who confirmed, declined or cancelled it. */
        decided_by: string | null;
        /** @description Établissement. */
        establishment_id: string;
        /** @description Établissement name. */
        establishment_name: string;
        /** @description Id. */
        id: string;
        /** @description What the booking is. */
        label: string;
        /** @description One line per youth, in request order. */
        lines: components["schemas"]["CollectiveLine"][];
        /** @description Partner. */
        partner_id: string;
        /** @description Partner name. */
        partner_name: string;
        /** @description Price per youth (euros, or entries). */
        price_per_youth: string;
        /** @description The partner's reason for declining. */
        reason: string | null;
        /**
         * Format: date-time
         * @description When.
         */
        requested_at: string;
        /** @description Who requested it (display name of the établissement's account). */
        requested_by: string;
        /**
         * Format: date
         * @description Day of the service.
         */
        service_date: string;
        /** @description `demandee`, `confirmee`, `refusee`, `expiree` or `annulee`. */
        status: components["schemas"]["CollectiveBookingStatus"];
        /** @description The status in French words. */
        status_label: string;
        /** @description Euro value asked for the whole booking (price × youths). */
        total: string;
        /** @description `credit` or `entries`. */
        unit_kind: string;
    };
    /** @enum {string} */
    CollectiveBookingStatus: "demandee" | "confirmee" | "refusee" | "expiree" | "annulee";
    /** @description One youth's line of a collective booking. */
    CollectiveLine: {
        /** @description Card id. */
        card_id: string;
        /** @description Machine code of a refusal. */
        code: string | null;
        /** @description Taken from the card. */
        debited: string | null;
        /** @description Holder's first name and initial. */
        holder: string;
        /** @description French message of a refusal. */
        message: string | null;
        /** @description Left for the youth (or the établissement) to pay. */
        reste_a_payer: string | null;
        /** @description `en_attente` (booking not confirmed), `debite` or `refuse`. */
        status: string;
        /** @description Transaction (when debited). */
        transaction_id: string | null;
    };
    /** @description A convention shown to the partner, signed or not. */
    ConventionView: {
        /** @description The CGP version it carries. */
        cgp_version: string;
        /** @description SHA-256 of the PDF shown before signing. */
        document_sha256: string;
        /**
         * Format: date
         * @description Last day (its term).
         */
        ends_on: string;
        /** @description Id. */
        id: string;
        /**
         * @description Signed outside the platform and imported from the Region's previous
         *     system (`import-partners`, issue 16): no SMS signature.
         */
        migrated?: boolean;
        /**
         * Format: int32
         * @description Wrong codes typed before the signature.
         */
        signature_attempts: number;
        /**
         * Format: date-time
         * @description When it was signed with the SMS code.
         */
        signed_at: string | null;
        /** @description The phone the code went to (masked). */
        signed_phone: string | null;
        /**
         * Format: date
         * @description First day.
         */
        starts_on: string;
    };
}
