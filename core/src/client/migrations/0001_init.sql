-- PASS'Région app store, version 1. Amounts are integer cents or decimal
-- strings as the server sends them; instants are RFC 3339 UTC text.

-- The logged-in session (one row).
CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT NOT NULL,
    token TEXT,
    role TEXT,
    account_id TEXT,
    partner_id TEXT,
    partner_category TEXT
);

-- Sync cursor and server clock offset (one row).
CREATE TABLE sync_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pull_cursor INTEGER NOT NULL DEFAULT 0,
    clock_offset_ms INTEGER NOT NULL DEFAULT 0,
    transactions_cursor INTEGER NOT NULL DEFAULT 0,
    last_sync_at TEXT
);
INSERT INTO sync_meta (id) VALUES (1);

-- Device keys made on this device (software keys: desktop and tests).
CREATE TABLE device_keys (
    purpose TEXT PRIMARY KEY CHECK (purpose IN ('youth', 'partner')),
    pkcs8 BLOB NOT NULL,
    public_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The youth's card (one row) and its balances.
CREATE TABLE card (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    card_id TEXT NOT NULL,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    season TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);

CREATE TABLE balances (
    avantage TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    loaded TEXT NOT NULL,
    remaining TEXT NOT NULL,
    categories TEXT NOT NULL
);

-- The youth's history (and, for a partner, its transactions).
CREATE TABLE history (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    avantage TEXT NOT NULL,
    debited TEXT NOT NULL,
    reste_a_payer TEXT NOT NULL,
    refunded INTEGER NOT NULL,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX history_by_time ON history (created_at DESC, seq DESC);

-- The app credential (one row) and the counter of the QR codes shown.
CREATE TABLE app_credential (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    credential TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    card_id TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    qr_counter INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE bons_plans (
    id TEXT PRIMARY KEY,
    partner_name TEXT NOT NULL,
    category TEXT NOT NULL,
    city TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    valid_until TEXT
);

-- Partner directory.
CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    address TEXT NOT NULL,
    city TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL
);
CREATE INDEX partners_by_category ON partners (category);

-- Trust: the pinned root key and the last verified trust list (one row).
CREATE TABLE trust (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    root_public_key TEXT NOT NULL,
    signed_list TEXT,
    version INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE deny_list (
    kind TEXT NOT NULL CHECK (kind IN ('card', 'credential')),
    id TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- The enrolled partner device and the head of its hash chain (one row).
CREATE TABLE partner_device (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    category TEXT NOT NULL,
    per_transaction_max_cents INTEGER NOT NULL,
    daily_max_cents INTEGER NOT NULL,
    chain_seq INTEGER NOT NULL DEFAULT 0,
    chain_hash TEXT NOT NULL
);

-- Offline debits: immutable signed records.
CREATE TABLE offline_debits (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    credential_id TEXT NOT NULL,
    counter INTEGER NOT NULL,
    debited_cents INTEGER NOT NULL,
    record TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (credential_id, counter)
);

-- The outbox: one row per offline debit until the server acknowledges it.
CREATE TABLE outbox (
    debit_id TEXT PRIMARY KEY REFERENCES offline_debits (id),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'synced', 'refused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    result_status TEXT,
    result_code TEXT,
    transaction_id TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, debit_id);

-- Replay state: the last counter seen per credential.
CREATE TABLE replay_state (
    credential_id TEXT PRIMARY KEY,
    last_counter INTEGER NOT NULL,
    expires_at TEXT NOT NULL
);

-- What this partner accepted offline, per credential and per day.
CREATE TABLE offline_spent (
    credential_id TEXT PRIMARY KEY,
    cents INTEGER NOT NULL,
    count INTEGER NOT NULL
);
CREATE TABLE offline_daily (
    day TEXT PRIMARY KEY,
    cents INTEGER NOT NULL
);

-- The partner's reimbursement summary (last fetched, one row).
CREATE TABLE reimbursements (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
