-- Version 16: partners' requests for a référent's contact (issue 14,
-- ADR 0027). A référent's e-mail and phone leave its établissement only
-- while a request of the partner is granted; the établissement may withdraw
-- the grant. Removing a référent removes its requests with it.
CREATE TABLE referent_requests (
    id           TEXT PRIMARY KEY,
    referent_id  TEXT NOT NULL REFERENCES referents(id) ON DELETE CASCADE,
    partner_id   TEXT NOT NULL REFERENCES partners(id),
    message      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('demandee', 'accordee', 'refusee', 'retiree')),
    requested_by TEXT NOT NULL REFERENCES accounts(id),
    requested_at TEXT NOT NULL,
    -- Who granted, declined or withdrew it last, and when.
    decided_by   TEXT REFERENCES accounts(id),
    decided_at   TEXT,
    reason       TEXT
);
-- One open (waiting or granted) request per partner and référent.
CREATE UNIQUE INDEX referent_requests_open ON referent_requests (referent_id, partner_id)
    WHERE status IN ('demandee', 'accordee');
CREATE INDEX referent_requests_partner ON referent_requests (partner_id);

-- When a référent was last edited.
ALTER TABLE referents ADD COLUMN updated_at TEXT;
CREATE INDEX referents_establishment ON referents (establishment_id);
