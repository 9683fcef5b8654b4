-- PASS'Région server schema, version 1.
-- Money and entries are integer units (cents for credit avantages, a count for
-- entries avantages); never REAL. Dates are ISO-8601 text in UTC.

CREATE TABLE establishments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    city        TEXT NOT NULL,
    postal_code TEXT NOT NULL
);

CREATE TABLE partners (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    category             TEXT NOT NULL,
    address              TEXT NOT NULL,
    city                 TEXT NOT NULL,
    postal_code          TEXT NOT NULL,
    latitude             REAL NOT NULL,
    longitude            REAL NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('pending', 'validated', 'rejected', 'terminated')),
    convention_signed_at TEXT,
    created_at           TEXT NOT NULL
);
CREATE INDEX partners_category ON partners(category);

CREATE TABLE accounts (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('youth', 'partner', 'establishment', 'region')),
    display_name     TEXT NOT NULL,
    partner_id       TEXT REFERENCES partners(id),
    establishment_id TEXT REFERENCES establishments(id),
    created_at       TEXT NOT NULL,
    CHECK ((role = 'partner') = (partner_id IS NOT NULL)),
    CHECK ((role = 'establishment') = (establishment_id IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    expires_at TEXT NOT NULL
);

CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts(id),
    season           INTEGER NOT NULL,
    establishment_id TEXT NOT NULL REFERENCES establishments(id),
    public           TEXT NOT NULL,
    track            TEXT,
    disabled         INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    first_name       TEXT NOT NULL,
    last_name        TEXT NOT NULL,
    birth_date       TEXT NOT NULL,
    address          TEXT NOT NULL,
    postal_code      TEXT NOT NULL,
    city             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('en_attente', 'validee', 'refusee')),
    reason           TEXT,
    created_at       TEXT NOT NULL,
    decided_at       TEXT
);
-- One live order per youth and season; a refused order may be followed by a new one.
CREATE UNIQUE INDEX orders_one_per_season ON orders(account_id, season) WHERE status <> 'refusee';
CREATE INDEX orders_establishment ON orders(establishment_id, status);

CREATE TABLE cards (
    id                TEXT PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    account_id        TEXT NOT NULL UNIQUE REFERENCES accounts(id),
    order_id          TEXT NOT NULL REFERENCES orders(id),
    establishment_id  TEXT NOT NULL REFERENCES establishments(id),
    season            INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('expediee', 'active', 'suspendue')),
    version           INTEGER NOT NULL DEFAULT 1,
    public            TEXT NOT NULL,
    track             TEXT,
    disabled          INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    first_name        TEXT NOT NULL,
    last_name         TEXT NOT NULL,
    birth_date        TEXT NOT NULL,
    status_reason     TEXT,
    failed_attempts   INTEGER NOT NULL DEFAULT 0,
    locked_until      TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX cards_establishment ON cards(establishment_id);

-- Partner transactions (debits and refunds), immutable once written.
CREATE TABLE transactions (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL CHECK (kind IN ('debit', 'refund')),
    card_id        TEXT NOT NULL REFERENCES cards(id),
    partner_id     TEXT NOT NULL REFERENCES partners(id),
    account_id     TEXT NOT NULL REFERENCES accounts(id),
    season         INTEGER NOT NULL,
    avantage       TEXT NOT NULL,
    unit_kind      TEXT NOT NULL CHECK (unit_kind IN ('credit', 'entries')),
    price_units    INTEGER NOT NULL CHECK (price_units >= 0),
    -- Taken from the card; 0 for an offline debit accepted on a card that
    -- turned out to be empty (the Region carries it, the card is flagged).
    units          INTEGER NOT NULL CHECK (units >= 0),
    reste_units    INTEGER NOT NULL CHECK (reste_units >= 0),
    -- Euro value reimbursed to the partner (negative for a refund).
    amount_cents   INTEGER NOT NULL,
    refund_of      TEXT UNIQUE REFERENCES transactions(id),
    channel        TEXT NOT NULL CHECK (channel IN ('web', 'qr', 'offline', 'collective')),
    created_at     TEXT NOT NULL
);
CREATE INDEX transactions_partner ON transactions(partner_id, seq);
CREATE INDEX transactions_card ON transactions(card_id, seq);

-- The ledger: every balance change, append-only (enforced by triggers).
CREATE TABLE ledger (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id        TEXT NOT NULL REFERENCES cards(id),
    season         INTEGER NOT NULL,
    avantage       TEXT NOT NULL,
    unit_kind      TEXT NOT NULL CHECK (unit_kind IN ('credit', 'entries')),
    movement       TEXT NOT NULL CHECK (movement IN ('load', 'debit', 'refund')),
    units          INTEGER NOT NULL CHECK (units > 0),
    transaction_id TEXT REFERENCES transactions(id),
    -- Running totals of this card × season × avantage after this row: the
    -- balance is derived from the last row (loaded − debited + refunded)
    -- without summing the history, and can never go negative.
    loaded_total   INTEGER NOT NULL,
    debited_total  INTEGER NOT NULL,
    refunded_total INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    CHECK ((movement = 'load') = (transaction_id IS NULL)),
    CHECK (loaded_total - debited_total + refunded_total >= 0),
    CHECK (refunded_total <= debited_total)
);
CREATE INDEX ledger_card ON ledger(card_id, season, avantage);
CREATE UNIQUE INDEX ledger_one_load ON ledger(card_id, season, avantage) WHERE movement = 'load';
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER transactions_no_update BEFORE UPDATE ON transactions
BEGIN SELECT RAISE(ABORT, 'transactions are immutable'); END;
CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions
BEGIN SELECT RAISE(ABORT, 'transactions are immutable'); END;

-- Reimbursement batches: one per partner and period.
CREATE TABLE reimbursement_batches (
    id           TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners(id),
    period_end   TEXT NOT NULL,
    total_cents  INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('en_cours', 'rembourse')),
    created_at   TEXT NOT NULL,
    paid_at      TEXT
);
CREATE INDEX batches_partner ON reimbursement_batches(partner_id);
CREATE TABLE reimbursement_items (
    transaction_id TEXT PRIMARY KEY REFERENCES transactions(id),
    batch_id       TEXT NOT NULL REFERENCES reimbursement_batches(id)
);
CREATE INDEX items_batch ON reimbursement_items(batch_id);

-- Stored responses of money-moving POSTs, by (account, Idempotency-Key).
CREATE TABLE idempotency (
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE bons_plans (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners(id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('soumis', 'valide', 'refuse')),
    reason      TEXT,
    valid_until TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX bons_plans_status ON bons_plans(status);
