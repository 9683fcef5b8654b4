-- Version 24: e-mail notifications (issue 16) through a durable outbox:
-- each is written in the transaction of what it tells (a debit, an order's
-- decision, a card posted), so none is lost in a crash and none is sent
-- twice for the same event (`dedupe_key`); the background sender drains it.
CREATE TABLE notification_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    dedupe_key TEXT NOT NULL UNIQUE,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notification_outbox_unsent ON notification_outbox(id) WHERE sent_at IS NULL;
