-- Version 19: a validated partner's change of bank details (issue 15): asked
-- by its manager, confirmed with a code sent by SMS to the phone on file,
-- approved by the Region; payouts wait meanwhile.

CREATE TABLE bank_change_requests (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL REFERENCES partners(id),
    requested_by    TEXT NOT NULL REFERENCES accounts(id),
    iban            TEXT NOT NULL,
    bic             TEXT NOT NULL,
    code_hash       TEXT NOT NULL,
    code_expires_at TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    decided_at      TEXT,
    decided_by      TEXT REFERENCES accounts(id),
    decision        TEXT CHECK (decision IN ('approuvee', 'refusee', 'remplacee')),
    reason          TEXT,
    CHECK ((decided_at IS NULL) = (decision IS NULL))
);
CREATE INDEX bank_change_requests_partner ON bank_change_requests(partner_id, created_at);

-- Set while a confirmed change waits for the Region: no payout meanwhile.
ALTER TABLE partners ADD COLUMN bank_details_pending_since TEXT;
