-- Version 14 (file 0014): a partner's staff and devices (issue 13). A
-- partner account is a manager (*responsable*: invites and removes staff,
-- revokes devices, bons plans, profile) or a cashier (*caissier*: cashes in
-- only). Accounts that existed are the structures' first accounts, the ones
-- that signed the convention: managers.
ALTER TABLE accounts ADD COLUMN partner_role TEXT
    CHECK (partner_role IS NULL OR (role = 'partner' AND partner_role IN ('manager', 'cashier')));
UPDATE accounts SET partner_role = 'manager' WHERE role = 'partner';
-- A member of staff removed by a manager: no login, no session, no link;
-- the row stays (its transactions and devices name it).
ALTER TABLE accounts ADD COLUMN removed_at TEXT;

-- Invitations are single-use e-mail tokens too: the table is rebuilt for
-- the new purpose (SQLite cannot change a CHECK in place). Nothing refers
-- to it, so it is dropped and renamed with foreign keys on.
CREATE TABLE email_tokens_v14 (
    token_hash    TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('verification', 'reinitialisation', 'invitation')),
    password_hash TEXT,
    display_name  TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
INSERT INTO email_tokens_v14 (token_hash, account_id, purpose, password_hash, display_name,
    created_at, expires_at, used_at)
SELECT token_hash, account_id, purpose, password_hash, display_name, created_at, expires_at, used_at
FROM email_tokens;
DROP TABLE email_tokens;
ALTER TABLE email_tokens_v14 RENAME TO email_tokens;
CREATE INDEX email_tokens_account ON email_tokens(account_id, purpose);
