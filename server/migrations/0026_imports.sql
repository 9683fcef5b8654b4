-- File 0026 (issue 16), appended after 0024 in `MIGRATIONS`: a region migrating from a previous
-- system imports its partners and its cards with what is left on them.
--
-- 1. The ledger takes a new movement, `opening` (*reprise*): the balance a
--    card brought from the previous system, counted as its load for the
--    season (one load or opening per card × season × avantage), with no
--    transaction. SQLite cannot change a CHECK in place: the table is
--    rebuilt (nothing refers to it; its triggers and indexes are made again),
--    its rows copied in order, ids kept.
CREATE TABLE ledger_v26 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id        TEXT NOT NULL REFERENCES cards(id),
    season         INTEGER NOT NULL,
    avantage       TEXT NOT NULL,
    unit_kind      TEXT NOT NULL CHECK (unit_kind IN ('credit', 'entries')),
    movement       TEXT NOT NULL CHECK (movement IN ('load', 'debit', 'refund', 'opening')),
    units          INTEGER NOT NULL CHECK (units > 0),
    transaction_id TEXT REFERENCES transactions(id),
    loaded_total   INTEGER NOT NULL,
    debited_total  INTEGER NOT NULL,
    refunded_total INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    CHECK ((movement IN ('load', 'opening')) = (transaction_id IS NULL)),
    CHECK (loaded_total - debited_total + refunded_total >= 0),
    CHECK (refunded_total <= debited_total)
);
INSERT INTO ledger_v26 (id, card_id, season, avantage, unit_kind, movement, units, transaction_id,
    loaded_total, debited_total, refunded_total, created_at)
SELECT id, card_id, season, avantage, unit_kind, movement, units, transaction_id,
    loaded_total, debited_total, refunded_total, created_at
FROM ledger ORDER BY id;
DROP TABLE ledger;
ALTER TABLE ledger_v26 RENAME TO ledger;
CREATE INDEX ledger_card ON ledger(card_id, season, avantage);
CREATE UNIQUE INDEX ledger_one_load ON ledger(card_id, season, avantage)
    WHERE movement IN ('load', 'opening');
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

-- 2. A card taken over from the previous system: its key in the import
--    file (the youth's e-mail, so that running the same file again creates
--    nothing), the old system's number (for support only: it is never a
--    card number here), and the season its opening balances are for (the
--    season's loading leaves it alone: its balances are the opening rows).
CREATE TABLE card_imports (
    card_id         TEXT PRIMARY KEY REFERENCES cards(id),
    import_key      TEXT NOT NULL UNIQUE,
    season          INTEGER NOT NULL,
    previous_number TEXT,
    imported_at     TEXT NOT NULL
);

-- 3. Where a convention comes from: signed on the platform with the SMS
--    code, or migrated (signed outside the platform, imported with its
--    dates), shown as such on the Region's desk.
ALTER TABLE conventions ADD COLUMN origin TEXT NOT NULL DEFAULT 'platform'
    CHECK (origin IN ('platform', 'migrated'));
