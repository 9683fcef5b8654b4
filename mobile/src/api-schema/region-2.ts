// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.

import type { components } from './index';

/** The schemas of the region-2 part of the API. */
export interface Region2Schemas {
    /** @description `GET /api/region/partners/{id}`: a partner's record for the Region. */
    RegionPartnerRecord: {
        /** @description The application and convention. */
        application: components["schemas"]["ApplicationView"];
        /** @description The BIC is well formed and of the IBAN's country. */
        bic_valid: boolean;
        /**
         * Format: int32
         * @description The convention's yearly minimum.
         */
        bons_plans_minimum: number;
        /**
         * Format: int32
         * @description Bons plans published this season.
         */
        bons_plans_this_season: number;
        /** @description The manager's e-mail. */
        email: string;
        /** @description The whole IBAN (the Region's view). */
        iban: string | null;
        /** @description The IBAN's format and key are right. */
        iban_valid: boolean;
        /**
         * Format: date-time
         * @description The partner's last debit.
         */
        last_activity_at: string | null;
        /** @description The SIRET's key is right. */
        siret_valid: boolean;
    };
    /** @description `PUT /api/region/staff/{account_id}/role`: an agent's new role. */
    RegionRoleChange: {
        /**
         * @description `admin`, `instruction` or `finance`.
         * @example instruction
         */
        role: string;
    };
    /** @description An agent of the Region, as its administrators see it. */
    RegionStaffMember: {
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
         * @description When the invitation link stops working (an invited agent whose link
         *     is still valid); `null` otherwise.
         */
        invitation_expires_at: string | null;
        /**
         * @description `admin`, `instruction` or `finance`.
         * @example finance
         */
        role: string;
        /**
         * @description `invited` (the link not followed yet) or `active`.
         * @example invited
         */
        status: string;
    };
    /** @description Every figure of the dashboard, for one season (and a département). */
    RegionStats: {
        /** @description Bons plans validated this season, per validated partner. */
        bons_plans: components["schemas"]["PartnerBonsPlans"][];
        /**
         * Format: int32
         * @description The yearly minimum of bons plans per partner.
         */
        bons_plans_minimum: number;
        /** @description By département. */
        by_departement: components["schemas"]["CardCount"][];
        /** @description By établissement. */
        by_establishment: components["schemas"]["CardCount"][];
        /** @description By public. */
        by_public: components["schemas"]["CardCount"][];
        /** @description By track (`key` empty: no track). */
        by_track: components["schemas"]["CardCount"][];
        /** @description Every card and order of the season (and département). */
        cards: components["schemas"]["CardCount"];
        /** @description Debits by channel, and the offline share. */
        channels: components["schemas"]["ChannelShare"];
        /** @description The département filter, if any. */
        departement: string | null;
        /** @description Offline overspend flags on the season's cards. */
        flags: components["schemas"]["FlagStats"];
        /** @description Spend per month (UTC) and avantage. */
        monthly_by_avantage: components["schemas"]["MonthlySpend"][];
        /** @description Spend per month (UTC) and partner category. */
        monthly_by_category: components["schemas"]["MonthlySpend"][];
        /** @description `2026-2027`. */
        season: string;
        /** @description Spend per avantage. */
        spend_by_avantage: components["schemas"]["Spend"][];
        /** @description Spend per partner category. */
        spend_by_category: components["schemas"]["Spend"][];
        /** @description The partners with the largest net spend (at most 10). */
        top_partners: components["schemas"]["TopPartner"][];
        /** @description Share of the cards with at least one debit, per avantage. */
        uptake: components["schemas"]["Uptake"][];
    };
    /** @description Transactions of one avantage or category. */
    Spend: {
        /** @description Euros reimbursed for the debits. */
        debited: string;
        /**
         * Format: int64
         * @description Debits.
         */
        debits: number;
        /** @description Code. */
        key: string;
        /** @description Label. */
        label: string;
        /** @description `debited + refunded`. */
        net: string;
        /** @description Euros given back by the refunds (negative). */
        refunded: string;
        /**
         * Format: int64
         * @description Refunds.
         */
        refunds: number;
    };
    /** @description What the import of one transfer of a bank statement did. */
    StatementEntry: {
        /** @description Amount read. */
        amount: string;
        /** @description The bank's reference. */
        bank_reference: string | null;
        /** @description The batch it matched. */
        batch_id: string | null;
        /**
         * Format: date
         * @description Booking date.
         */
        booked_on: string | null;
        /** @description The end-to-end id read (empty when the entry had none). */
        end_to_end_id: string;
        /** @description Partner name of that batch. */
        partner_name: string | null;
        /** @description The rejection's reason (code and French words). */
        reason: string | null;
        /** @description `paye`, `rejete`, `deja_traite`, `non_rapproche`, `montant_different`, `ignore`. */
        result: string;
    };
    /** @description `POST /api/region/payment-runs/import`: one line per transfer of the statement. */
    StatementImport: {
        /** @description Each transfer read, in the file's order. */
        entries: components["schemas"]["StatementEntry"][];
        /** @description `camt.054` or `camt.053`, with its version. */
        message: string;
        /**
         * Format: int64
         * @description Batches marked paid.
         */
        paid: number;
        /**
         * Format: int64
         * @description Batches back in the queue.
         */
        rejected: number;
        /**
         * Format: int64
         * @description Entries that changed nothing.
         */
        unchanged: number;
    };
    /** @description `POST /api/region/partners/{id}/suspend`. */
    Suspension: {
        /** @description Why (told to the partner). */
        reason: string;
    };
    /** @description A partner of the top list. */
    TopPartner: {
        /** @description Category code. */
        category: string;
        /**
         * Format: int64
         * @description Debits.
         */
        debits: number;
        /** @description Name. */
        name: string;
        /** @description Net euros. */
        net: string;
        /** @description Partner id. */
        partner_id: string;
        /**
         * Format: int64
         * @description Refunds.
         */
        refunds: number;
    };
    /** @enum {string} */
    TransferStatus: "envoye" | "paye" | "rejete";
    /** @description Uptake of one avantage. */
    Uptake: {
        /** @description Avantage code. */
        avantage: string;
        /**
         * Format: int64
         * @description Cards of the season (and département).
         */
        cards: number;
        /** @description Its label. */
        label: string;
        /** @description `used / cards` in percent, one decimal (`12.5`). */
        percent: string;
        /**
         * Format: int64
         * @description Of which with at least one debit of this avantage.
         */
        used: number;
    };
}
