-- The change feed in commit order (ADR 0036, sync): a device pulls
-- `change_log` by `seq` and keeps the largest it saw as its cursor. With
-- several writers, a transaction could take seq 10, another seq 11 and
-- commit first: a pull between the two commits moves the cursor past 10,
-- and the change of seq 10 (a revoked card) would never reach the device.
-- Each writer of the log takes a transaction-scoped advisory lock before its
-- row gets its seq: the writers of the log commit in seq order, so a
-- snapshot always sees a prefix of it. (SQLite has one writer.)
CREATE OR REPLACE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- "PRchlg" in ASCII.
    PERFORM pg_advisory_xact_lock(88314785328231);
    INSERT INTO change_log (kind, entity_id)
    VALUES (TG_ARGV[0], to_jsonb(NEW) ->> TG_ARGV[1]);
    RETURN NULL;
END;
$$;
