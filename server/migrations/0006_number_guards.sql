-- Version 6: the birth-date guard of a typed card number, kept per number
-- (SHA-256 of it) whether a card has that number or not, so that an unknown
-- number answers and locks exactly like a real one. `lockouts` makes the
-- lock longer each time (reset by a right birth date).
CREATE TABLE number_guards (
    number_hash     TEXT PRIMARY KEY,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    lockouts        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL
);
CREATE INDEX number_guards_updated ON number_guards (updated_at);
