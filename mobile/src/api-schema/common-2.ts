// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the common-2 part of the API. */
export interface Common2Schemas {
    /** @description A partner in the directory (synced to the apps). */
    DirectoryEntry: {
        /** @description `false` when the partner left the network (remove it from the cache). */
        active: boolean;
        /** @description Street address. */
        address: string;
        /** @description Category. */
        category: string;
        /** @description City. */
        city: string;
        /** @description Id. */
        id: string;
        /**
         * Format: double
         * @description Latitude (WGS84).
         */
        latitude: number;
        /**
         * Format: double
         * @description Longitude (WGS84).
         */
        longitude: number;
        /** @description Name. */
        name: string;
        /** @description Postal code. */
        postal_code: string;
    };
    /** @description Free space on the disk of the data directory. */
    DiskHealth: {
        /**
         * Format: int64
         * @description Bytes available to the server's user (0 when it cannot be read).
         */
        available_bytes: number;
        /** @description `available_bytes` is below the threshold (or could not be read). */
        low: boolean;
        /**
         * Format: int64
         * @description Below this many bytes the server reports itself degraded
         *     (`--min-free-disk-mib`).
         */
        threshold_bytes: number;
    };
    /**
     * @description The documents an application can carry.
     * @enum {string}
     */
    DocumentKind: "kbis_statuts" | "rib" | "attestation_assurance" | "affiliation_federation" | "autre";
    /** @description An établissement, for the order form. */
    Establishment: {
        /** @description City. */
        city: string;
        /** @description Id. */
        id: string;
        /** @description Kind (lycée, CFA, mission locale, IME, institut de formation…). */
        kind: string;
        /** @description Name. */
        name: string;
        /** @description Postal code. */
        postal_code: string;
    };
    /** @description `POST /api/establishment/staff`: the head invites a colleague. */
    EstablishmentInvitation: {
        /** @description Their name, as shown in the app. */
        display_name: string;
        /** @description Their e-mail (the login); the invitation link is sent to it. */
        email: string;
        /**
         * @description `staff` (*personnel*, the default) or `head` (*chef d'établissement*).
         * @example staff
         */
        role?: string;
    };
    /** @description A member of an établissement's staff, as its head sees it. */
    EstablishmentStaffMember: {
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
         * @description `head` or `staff`.
         * @example staff
         */
        role: string;
        /**
         * @description `invited` (the link not followed yet) or `active`.
         * @example invited
         */
        status: string;
    };
    /** @description A question and its answer. */
    FaqEntry: {
        /** @description The answer, in paragraphs. */
        answer: string[];
        /**
         * Format: int32
         * @description Its number in the file.
         */
        number: number;
        /** @description The question. */
        question: string;
    };
    /** @description `GET /health`. */
    Health: {
        /** @description The disk of the data directory (database, WAL, keys). */
        disk: components["schemas"]["DiskHealth"];
        /** @description Current season. */
        season: string;
        /**
         * @description `ok`, or `degraded` (then the answer is 503) when the writer is down,
         *     the trust list is stale or the data directory's disk is nearly full.
         */
        status: string;
        /**
         * Format: date-time
         * @description Server time.
         */
        time: string;
        /** @description The published trust list. */
        trust_list: components["schemas"]["TrustListHealth"];
        /** @description Whether the database writer thread is running. */
        writer: boolean;
    };
    /** @description `GET /api/help`: what the help screen shows. */
    HelpInfo: {
        /** @description The accessibility statement. */
        accessibility: string;
        /** @description The FAQ. */
        faq: components["schemas"]["FaqEntry"][];
        /** @description The server's version. */
        server_version: string;
        /** @description When support answers. */
        support_hours: string;
        /** @description The support phone number. */
        support_phone: string;
    };
    /**
     * @description `POST /api/auth/invitation/accept`: the invitation link's token and the
     *     password chosen.
     */
    InvitationAccept: {
        /** @description The password, 8 to 200 characters. */
        password: string;
        /** @description The token (the `jeton` of the link). */
        token: string;
    };
    /** @description One item's answer. */
    ItemResult: {
        /** @description Stable machine code of a refusal. */
        code?: string | null;
        /**
         * Format: int32
         * @description The HTTP status a single request would have had (201, 200, 422, 409…).
         */
        http_status: number;
        /**
         * Format: uuid
         * @description The item id.
         */
        id: string;
        /** @description French message of a refusal. */
        message?: string | null;
        /** @description Whether applying it revealed an offline overspend (card flagged). */
        overspend: boolean;
        /** @description What happened. */
        status: components["schemas"]["ItemStatus"];
        /** @description Server transaction id of an applied item. */
        transaction_id?: string | null;
    };
    /**
     * @description The server's decision on one pushed item.
     * @enum {string}
     */
    ItemStatus: "applied" | "duplicate" | "conflict" | "reused" | "rejected";
    /** @description `POST /api/auth/login`. */
    LoginRequest: {
        /**
         * @description The token this device received at an earlier login of this account
         *     (`LoginResponse::device_token`): a known device keeps its own failure
         *     budget, so others' wrong passwords do not lock it out.
         */
        device_token?: string | null;
        /** @description E-mail. */
        email: string;
        /** @description Password. */
        password: string;
    };
    /** @description Answer to a login. */
    LoginResponse: {
        /** @description The account. */
        account: components["schemas"]["AccountView"];
        /**
         * @description This device's token for this account, to send with the next logins
         *     (`LoginRequest::device_token`); absent on registration.
         */
        device_token?: string | null;
        /**
         * Format: date-time
         * @description When the token stops working.
         */
        expires_at: string;
        /** @description Bearer token for `Authorization: Bearer …`. */
        token: string;
    };
    /** @description `POST /api/youth/card/lost` and `POST /api/establishment/cards/{id}/lost`. */
    LostCardRequest: {
        /** @description Stolen (`true`) or lost (`false`). */
        stolen: boolean;
    };
    /** @description `GET /api/me`: who the session belongs to. */
    Me: {
        /** @description Account id. */
        account_id: string;
        /** @description Établissement (établissement staff). */
        establishment_id: string | null;
        /**
         * @description Établissement staff: `head` (*chef d'établissement*) or `staff`;
         *     `null` otherwise (absent from older servers).
         * @example head
         */
        establishment_role: string | null;
        /** @description Partner category (partner staff). */
        partner_category: string | null;
        /** @description Partner structure (partner staff). */
        partner_id: string | null;
        /**
         * @description Partner staff: `manager` (*responsable*) or `cashier` (*caissier*);
         *     `null` otherwise (absent from older servers).
         * @example manager
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
    /** @description A plain answer: what happened and what to do next (French). */
    Notice: {
        /** @description The message. */
        message: string;
    };
    /** @description An offline debit as recorded by the partner app and pushed to the server. */
    OfflineDebit: {
        /** @description Avantage code. */
        avantage: string;
        /** @description What the card paid (decided offline). */
        debited: string;
        /** @description The enrolled partner device. */
        device_id: string;
        /**
         * Format: uuid
         * @description UUIDv7, created at confirmation: the idempotency key.
         */
        id: string;
        /** @description Hash of the device's previous record (hex), [`GENESIS_HASH`] first. */
        prev_hash: string;
        /** @description Price of the service. */
        price: string;
        /** @description The scanned `PD1:` text (evidence; the server verifies it again). */
        qr: string;
        /** @description What the youth paid at the counter. */
        reste_a_payer: string;
        /**
         * Format: date-time
         * @description When the QR was scanned (device clock corrected by the server offset).
         */
        scanned_at: string;
        /**
         * Format: int64
         * @description Position in the device's hash chain (1, 2, …).
         */
        seq: number;
        /**
         * @description Ed25519 signature by the partner device key (base64url) over
         *     [`OfflineDebit::signing_bytes`].
         */
        signature: string;
    };
    /** @description An order and its status. */
    Order: {
        /**
         * Format: date
         * @description Birth date.
         */
        birth_date: string;
        /**
         * Format: date-time
         * @description Submitted at.
         */
        created_at: string;
        /**
         * Format: date-time
         * @description Validated or refused at.
         */
        decided_at: string | null;
        /** @description Disability. */
        disabled: boolean;
        /** @description Établissement. */
        establishment_id: string;
        /** @description Youth's first name. */
        first_name: string;
        /** @description Id. */
        id: string;
        /** @description Youth's last name. */
        last_name: string;
        /** @description Public. */
        public: string;
        /** @description Reason of a refusal. */
        reason: string | null;
        /** @description Season label (`2026-2027`). */
        season: string;
        /** @description Where the order stands. */
        status: components["schemas"]["OrderStatus"];
        /** @description Track. */
        track: string | null;
    };
    /** @enum {string} */
    OrderStatus: "en_attente" | "validee" | "refusee";
    /** @description A partner in the public directory. */
    Partner: {
        /** @description Street address. */
        address: string;
        /** @description Category. */
        category: string;
        /** @description City. */
        city: string;
        /** @description Id. */
        id: string;
        /**
         * Format: double
         * @description Latitude (WGS84).
         */
        latitude: number;
        /**
         * Format: double
         * @description Longitude (WGS84).
         */
        longitude: number;
        /** @description Name. */
        name: string;
        /** @description Postal code. */
        postal_code: string;
    };
    /** @description A message of the Region to the partner. */
    PartnerNotice: {
        /**
         * Format: date-time
         * @description When.
         */
        created_at: string;
        /** @description The message. */
        message: string;
    };
    /** @description The partner's application as it stands. */
    PartnerStatus: {
        /**
         * Format: int32
         * @description Bons plans published (validated) this season.
         */
        bons_plans_this_season: number;
        /** @description Category. */
        category: string;
        /** @description City. */
        city: string;
        /**
         * Format: date
         * @description The last day of the signed convention.
         */
        convention_ends_on: string | null;
        /**
         * Format: date-time
         * @description When the convention was signed (by SMS code).
         */
        convention_signed_at: string | null;
        /** @description The Region's note on its decision. */
        decision_reason: string | null;
        /**
         * Format: date-time
         * @description The partner's last debit.
         */
        last_activity_at: string | null;
        /** @description Whether the convention's yearly minimum of bons plans is met. */
        meets_bons_plans_minimum: boolean;
        /** @description Name. */
        name: string;
        /** @description Partner id. */
        partner_id: string;
        /** @description Where the application stands. */
        stage: components["schemas"]["ApplicationStage"];
        /** @description Whether the convention is in force today. */
        standing: components["schemas"]["Standing"];
        /** @description `pending`, `validated`, `rejected` or `terminated`. */
        status: string;
    };
    /** @description `POST /api/auth/password-reset/confirm`: the link's token and the new password. */
    PasswordResetConfirm: {
        /** @description The new password, 8 characters or more. */
        password: string;
        /** @description The token (the `jeton` of the link). */
        token: string;
    };
    /** @description `POST /api/auth/password-reset`: the address to send a reset link to. */
    PasswordResetRequest: {
        /** @description E-mail of the account. */
        email: string;
    };
    /** @description `GET /api/sync/pull?cursor=N`: what changed after the cursor. */
    PullResponse: {
        /**
         * @description Replaced cards (lost or stolen) and their current version: printed
         *     codes of an earlier version are refused.
         */
        card_versions?: components["schemas"]["CardVersion"][];
        /**
         * Format: int64
         * @description Pass it back as `cursor` next time.
         */
        cursor: number;
        /** @description Whether more changes wait (pull again at once). */
        more: boolean;
        /** @description Partners added, changed or removed. */
        partners: components["schemas"]["DirectoryEntry"][];
        /** @description Card ids whose revocation was lifted. */
        restored_cards: string[];
        /** @description Revoked card ids (suspended or flagged cards). */
        revoked_cards: string[];
        /** @description Revoked app credential ids. */
        revoked_credentials: string[];
        /**
         * Format: date-time
         * @description Server time.
         */
        server_time: string;
        /** @description The signed trust list (JSON), when it changed. */
        trust_list?: string | null;
    };
    /** @description `POST /api/sync/push`. */
    PushRequest: {
        /** @description Items, in the device's order (the server accepts any order). */
        items: components["schemas"]["OfflineDebit"][];
    };
    /** @description `POST /api/sync/push` answer. */
    PushResponse: {
        /** @description One result per item, in request order. */
        results: components["schemas"]["ItemResult"][];
        /**
         * Format: date-time
         * @description Server time.
         */
        server_time: string;
    };
    /** @description A quantity of an avantage: euros for a credit, a count for entries. */
    Quantity: {
        /** @description The amount. */
        amount: string;
        /** @enum {string} */
        kind: "credit";
    } | {
        /**
         * Format: int32
         * @description The count.
         */
        count: number;
        /** @enum {string} */
        kind: "entries";
    };
    /**
     * @description A partner's request for a référent's contact, as the établissement and
     *     the partner see it.
     */
    ReferentRequest: {
        /**
         * Format: date-time
         * @description When it was last granted, declined or withdrawn.
         */
        decided_at: string | null;
        /**
         * @description Who granted, declined or withdrew it (the établissement sees it; the
         *     partner does not: `null`).
         */
        decided_by: string | null;
        /** @description The référent's établissement. */
        establishment_id: string;
        /** @description Its name. */
        establishment_name: string;
        /** @description Id. */
        id: string;
        /** @description The partner's message. */
        message: string;
        /** @description Its category. */
        partner_category: string;
        /** @description The partner asking. */
        partner_id: string;
        /** @description Its name. */
        partner_name: string;
        /** @description The établissement's reason for declining. */
        reason: string | null;
        /** @description The référent. */
        referent_id: string;
        /** @description The référent's name. */
        referent_name: string;
        /**
         * Format: date-time
         * @description When.
         */
        requested_at: string;
        /** @description Who sent it (name of the partner's account). */
        requested_by: string;
        /**
         * @description `demandee`, `accordee`, `refusee` or `retiree`.
         * @example demandee
         */
        status: string;
        /** @description The status in French words. */
        status_label: string;
        /** @description The référent's theme. */
        theme: string;
    };
    /**
     * @description A référent in the directory (`GET /api/referents`): who and where, never
     *     the contact. The e-mail and phone go only to a partner whose request the
     *     établissement granted (ADR 0027).
     */
    ReferentSummary: {
        /** @description Établissement. */
        establishment_id: string;
        /** @description Établissement name. */
        establishment_name: string;
        /** @description Id. */
        id: string;
        /** @description Name. */
        name: string;
        /** @description `sport`, `culture`, `sante` or `administratif`. */
        theme: string;
    };
    /** @description `POST /api/auth/register`: a youth creates an account before ordering. */
    RegisterRequest: {
        /** @description Name shown in the app. */
        display_name: string;
        /** @description E-mail (the login). */
        email: string;
        /** @description Password, 8 characters or more. */
        password: string;
    };
    /**
     * @description `POST /api/auth/register` answer (202): the same whether the address was
     *     free or already used — a confirmation link, or a notice, goes to it.
     */
    RegisterResponse: {
        /** @description What to do next (French). */
        message: string;
    };
}
