-- Twin of SQLite's 0026_imports: the `opening` ledger movement (a balance
-- brought from a previous system, counted as the season's load), the cards
-- taken over, where a convention comes from. PostgreSQL changes the
-- ledger's checks in place (SQLite rebuilds the table).
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'ledger'::regclass AND contype = 'c'
               AND (pg_get_constraintdef(oid) LIKE '%movement%')
    LOOP
        EXECUTE format('ALTER TABLE ledger DROP CONSTRAINT %I', c.conname);
    END LOOP;
END $$;
ALTER TABLE ledger ADD CONSTRAINT ledger_movement_check
    CHECK (movement IN ('load', 'debit', 'refund', 'opening'));
ALTER TABLE ledger ADD CONSTRAINT ledger_load_without_transaction
    CHECK ((movement IN ('load', 'opening')) = (transaction_id IS NULL));
DROP INDEX ledger_one_load;
CREATE UNIQUE INDEX ledger_one_load ON ledger(card_id, season, avantage)
    WHERE movement IN ('load', 'opening');

CREATE TABLE card_imports (
    card_id         TEXT PRIMARY KEY REFERENCES cards(id),
    import_key      TEXT NOT NULL UNIQUE,
    season          BIGINT NOT NULL,
    previous_number TEXT,
    imported_at     TEXT NOT NULL
);

ALTER TABLE conventions ADD COLUMN origin TEXT NOT NULL DEFAULT 'platform'
    CHECK (origin IN ('platform', 'migrated'));
