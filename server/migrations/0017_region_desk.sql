-- Version 17: the Region's desk (ADR 0028). Every lock of a card number
-- after wrong birth dates (the guard row of 0006 is overwritten; this keeps
-- each lock, with the card when the number has one), who marked an anomaly
-- handled, every card look-up by support (keyed hash of the query, never its
-- text), and the indexes the desk's reads need. All append-only.

CREATE TABLE number_lockouts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    number_hash  TEXT NOT NULL,
    -- NULL: a number no card has (someone guessing numbers).
    card_id      TEXT REFERENCES cards(id),
    locked_at    TEXT NOT NULL,
    locked_until TEXT NOT NULL,
    -- The nth lock of this number since its last right birth date.
    lockout      INTEGER NOT NULL
);
CREATE INDEX number_lockouts_at ON number_lockouts(locked_at);
CREATE TRIGGER number_lockouts_no_update BEFORE UPDATE ON number_lockouts
BEGIN SELECT RAISE(ABORT, 'number_lockouts is append-only'); END;
CREATE TRIGGER number_lockouts_no_delete BEFORE DELETE ON number_lockouts
BEGIN SELECT RAISE(ABORT, 'number_lockouts is append-only'); END;

-- One handling per anomaly: who, when, the note.
CREATE TABLE anomaly_handlings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    anomaly_id  TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    note        TEXT NOT NULL,
    handled_at  TEXT NOT NULL
);
CREATE TRIGGER anomaly_handlings_no_update BEFORE UPDATE ON anomaly_handlings
BEGIN SELECT RAISE(ABORT, 'anomaly_handlings is append-only'); END;
CREATE TRIGGER anomaly_handlings_no_delete BEFORE DELETE ON anomaly_handlings
BEGIN SELECT RAISE(ABORT, 'anomaly_handlings is append-only'); END;

-- The key of the audit's query hashes: made here, never leaves the database.
CREATE TABLE lookup_audit_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL
);
INSERT INTO lookup_audit_key (id, key) VALUES (1, lower(hex(randomblob(32))));
CREATE TRIGGER lookup_audit_key_no_update BEFORE UPDATE ON lookup_audit_key
BEGIN SELECT RAISE(ABORT, 'lookup_audit_key is fixed'); END;

CREATE TABLE lookup_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    at          TEXT NOT NULL,
    query_kind  TEXT NOT NULL CHECK (query_kind IN ('numero_carte', 'email', 'nom', 'identifiant_carte')),
    query_hash  TEXT NOT NULL,
    results     INTEGER NOT NULL,
    -- JSON array of the card ids shown (opaque ids, no personal data).
    card_ids    TEXT NOT NULL
);
CREATE TRIGGER lookup_audit_no_update BEFORE UPDATE ON lookup_audit
BEGIN SELECT RAISE(ABORT, 'lookup_audit is append-only'); END;
CREATE TRIGGER lookup_audit_no_delete BEFORE DELETE ON lookup_audit
BEGIN SELECT RAISE(ABORT, 'lookup_audit is append-only'); END;

-- The desk's reads: a flag's offline debits (by credential), the last 30
-- days of transactions (refund rates, odd hours).
CREATE INDEX offline_debits_credential ON offline_debits(credential_id, received_at);
CREATE INDEX transactions_created ON transactions(created_at);
