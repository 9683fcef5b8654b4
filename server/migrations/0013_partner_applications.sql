-- Version 13: a partner's application as a saved draft with its documents,
-- the CGP versions and their acceptance, conventions with a term and a
-- signature proof, suspension and termination, and in-app notices
-- (issue 13).

ALTER TABLE partners ADD COLUMN iban TEXT;
ALTER TABLE partners ADD COLUMN bic TEXT;
ALTER TABLE partners ADD COLUMN submitted_at TEXT;
ALTER TABLE partners ADD COLUMN instruction_started_at TEXT;
ALTER TABLE partners ADD COLUMN decided_at TEXT;
ALTER TABLE partners ADD COLUMN suspended_at TEXT;
ALTER TABLE partners ADD COLUMN suspension_reason TEXT;
ALTER TABLE partners ADD COLUMN terminates_on TEXT;
-- The last day of the newest signed convention (NULL: none signed online).
ALTER TABLE partners ADD COLUMN convention_ends_on TEXT;
-- The term the partner was last reminded of (once per term).
ALTER TABLE partners ADD COLUMN renewal_reminded_for TEXT;
ALTER TABLE partners ADD COLUMN termination_reason TEXT;
ALTER TABLE partners ADD COLUMN terminated_by TEXT CHECK (terminated_by IN ('partner', 'region'));
-- Partners that applied before drafts existed had sent everything at once.
UPDATE partners SET submitted_at = created_at;

-- The Conditions Générales de Partenariat, versioned; the newest published
-- is the current one, and its convention model's term.
CREATE TABLE cgp_versions (
    version              TEXT PRIMARY KEY,
    title                TEXT NOT NULL,
    body                 TEXT NOT NULL,
    convention_ends_on   TEXT NOT NULL,
    published_at         TEXT NOT NULL
);

CREATE TABLE cgp_acceptances (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners(id),
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    version     TEXT NOT NULL REFERENCES cgp_versions(version),
    accepted_at TEXT NOT NULL
);
CREATE INDEX cgp_acceptances_partner ON cgp_acceptances(partner_id, accepted_at);

-- One row per convention shown to a partner; signed with the SMS code. The
-- PDF shown is kept by its SHA-256 (in the document store), and so is the
-- signed one. Rows are never deleted.
CREATE TABLE conventions (
    id                     TEXT PRIMARY KEY,
    partner_id             TEXT NOT NULL REFERENCES partners(id),
    cgp_version            TEXT NOT NULL REFERENCES cgp_versions(version),
    starts_on              TEXT NOT NULL,
    ends_on                TEXT NOT NULL,
    document_sha256        TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    signed_at              TEXT,
    signed_document_sha256 TEXT,
    signed_phone_masked    TEXT,
    signature_attempts     INTEGER NOT NULL DEFAULT 0,
    CHECK ((signed_at IS NULL) = (signed_document_sha256 IS NULL))
);
CREATE INDEX conventions_partner ON conventions(partner_id, created_at);

-- The documents of an application: metadata here, bytes in the document
-- store under their SHA-256. A removed document keeps its row.
CREATE TABLE application_documents (
    id           TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners(id),
    kind         TEXT NOT NULL CHECK (kind IN ('kbis_statuts', 'rib', 'attestation_assurance', 'affiliation_federation', 'autre')),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL REFERENCES accounts(id),
    uploaded_at  TEXT NOT NULL,
    removed_at   TEXT
);
CREATE INDEX application_documents_partner ON application_documents(partner_id);

-- What the Region told a partner (a decision, a suspension, a
-- termination), shown in its space.
CREATE TABLE partner_notices (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    message    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX partner_notices_partner ON partner_notices(partner_id, created_at);
