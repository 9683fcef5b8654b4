-- Version 3: enrolled partner devices, offline debits pushed at sync (with
-- their hash chain), cards flagged for offline overspend, and the change log
-- that apps pull as deltas.

CREATE TABLE partner_devices (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners(id),
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    public_key  TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX partner_devices_partner ON partner_devices(partner_id);

-- Every pushed offline debit, applied or not (evidence), by its UUIDv7.
CREATE TABLE offline_debits (
    id             TEXT PRIMARY KEY,
    device_id      TEXT NOT NULL REFERENCES partner_devices(id),
    seq            INTEGER NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    body_hash      TEXT NOT NULL,
    credential_id  TEXT,
    counter        INTEGER,
    debited_cents  INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('applied', 'reused', 'rejected')),
    result         TEXT NOT NULL,
    transaction_id TEXT REFERENCES transactions(id),
    received_at    TEXT NOT NULL
);
-- One applied record per position of a device's chain.
CREATE UNIQUE INDEX offline_debits_chain ON offline_debits(device_id, seq) WHERE status = 'applied';
CREATE INDEX offline_debits_device_seq ON offline_debits(device_id, seq);

-- Running totals of applied offline debits per credential and partner (the
-- limits are checked against them without scanning every record).
CREATE TABLE offline_spent (
    credential_id TEXT NOT NULL,
    partner_id    TEXT NOT NULL REFERENCES partners(id),
    cents         INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (credential_id, partner_id)
);

CREATE TABLE card_flags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id    TEXT NOT NULL REFERENCES cards(id),
    reason     TEXT NOT NULL,
    amount_cents INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX card_flags_card ON card_flags(card_id);

CREATE TABLE change_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL CHECK (kind IN ('partner', 'card', 'credential')),
    entity_id TEXT NOT NULL
);
CREATE INDEX change_log_entity ON change_log(kind, entity_id);
CREATE TRIGGER partners_changed_insert AFTER INSERT ON partners
BEGIN INSERT INTO change_log (kind, entity_id) VALUES ('partner', NEW.id); END;
CREATE TRIGGER partners_changed_update AFTER UPDATE ON partners
BEGIN INSERT INTO change_log (kind, entity_id) VALUES ('partner', NEW.id); END;
CREATE TRIGGER cards_status_changed AFTER UPDATE OF status ON cards
BEGIN INSERT INTO change_log (kind, entity_id) VALUES ('card', NEW.id); END;
CREATE TRIGGER card_flagged AFTER INSERT ON card_flags
BEGIN INSERT INTO change_log (kind, entity_id) VALUES ('card', NEW.card_id); END;
CREATE TRIGGER credential_revoked AFTER UPDATE OF revoked_at ON app_credentials
BEGIN INSERT INTO change_log (kind, entity_id) VALUES ('credential', NEW.id); END;
-- Partners that existed before this version are in the log too.
INSERT INTO change_log (kind, entity_id) SELECT 'partner', id FROM partners ORDER BY rowid;
