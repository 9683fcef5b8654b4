-- Version 11: devices an account logged in from (a random token kept by the
-- app, stored here as its SHA-256). A login from a known device has its own
-- failure budget, so an attacker who spends the account's budget does not
-- lock its owner out (issue 11, item 6).

CREATE TABLE known_devices (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);
CREATE INDEX known_devices_account ON known_devices(account_id, last_used_at);
