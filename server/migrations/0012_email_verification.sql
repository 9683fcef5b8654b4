-- Version 12: e-mail verification at registration (issue 11, item 9: the
-- register answer is the same whether the address is taken or not). An
-- account made by registration can log in once its address is confirmed;
-- accounts that existed before, and staff accounts, are confirmed.

ALTER TABLE accounts ADD COLUMN email_verified_at TEXT;
UPDATE accounts SET email_verified_at = created_at;

-- Single-use tokens sent by e-mail (stored as SHA-256). A verification
-- token carries the password and name given with its registration: the
-- account takes them when the link is followed, so someone who registered
-- another person's address first cannot choose that account's password.
CREATE TABLE email_tokens (
    token_hash    TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('verification', 'reinitialisation')),
    password_hash TEXT,
    display_name  TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX email_tokens_account ON email_tokens(account_id, purpose);
