-- Version 10: the card's status history (a pushed offline debit scanned
-- while the card was suspended is refused), and indexes for the settlement
-- of offline debits at push (the partner's offline total of a day, the
-- Region's cover already given to a card in a season).

CREATE TABLE card_status_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id    TEXT NOT NULL REFERENCES cards(id),
    status     TEXT NOT NULL CHECK (status IN ('expediee', 'active', 'suspendue')),
    reason     TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX card_status_events_card ON card_status_events(card_id, at);
CREATE TRIGGER card_status_events_no_update BEFORE UPDATE ON card_status_events
BEGIN SELECT RAISE(ABORT, 'card_status_events is append-only'); END;
CREATE TRIGGER card_status_events_no_delete BEFORE DELETE ON card_status_events
BEGIN SELECT RAISE(ABORT, 'card_status_events is append-only'); END;

CREATE INDEX transactions_partner_channel ON transactions(partner_id, channel, created_at);
CREATE INDEX transactions_card_channel ON transactions(card_id, channel, season);
