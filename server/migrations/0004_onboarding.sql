-- Version 4: partner applications signed online with a code sent by SMS, the
-- Region's decision, and the thematic referents declared by établissements.

ALTER TABLE partners ADD COLUMN siret TEXT;
ALTER TABLE partners ADD COLUMN phone TEXT;
ALTER TABLE partners ADD COLUMN contact_name TEXT;
ALTER TABLE partners ADD COLUMN decision_reason TEXT;

CREATE TABLE convention_codes (
    partner_id TEXT PRIMARY KEY REFERENCES partners(id),
    code_hash  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE referents (
    id               TEXT PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id),
    theme            TEXT NOT NULL CHECK (theme IN ('sport', 'culture', 'sante', 'administratif')),
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    phone            TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX referents_theme ON referents(theme);
