-- Version 2: app credentials issued to youth devices, and the dynamic QR codes
-- already used by a debit (a screenshot of a code cannot debit twice).

CREATE TABLE app_credentials (
    id                 TEXT PRIMARY KEY,
    card_id            TEXT NOT NULL REFERENCES cards(id),
    device_public_key  TEXT NOT NULL,
    allowance_cents    INTEGER NOT NULL CHECK (allowance_cents >= 0),
    per_tx_max_cents   INTEGER NOT NULL CHECK (per_tx_max_cents >= 0),
    max_count          INTEGER NOT NULL CHECK (max_count >= 0),
    issued_at          TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    revoked_at         TEXT
);
CREATE INDEX app_credentials_card ON app_credentials(card_id, expires_at);

CREATE TABLE qr_uses (
    credential_id  TEXT NOT NULL,
    counter        INTEGER NOT NULL,
    transaction_id TEXT NOT NULL REFERENCES transactions(id),
    PRIMARY KEY (credential_id, counter)
);
