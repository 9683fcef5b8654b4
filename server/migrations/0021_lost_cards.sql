-- Version 21: lost or stolen cards (issue 16). A declared card gets a new
-- number and version at once (its balances stay, its printed code and app
-- codes stop working); the old numbers are kept here and never issued or
-- accepted again.
CREATE TABLE retired_card_numbers (
    number     TEXT PRIMARY KEY,
    card_id    TEXT NOT NULL REFERENCES cards(id),
    reason     TEXT NOT NULL CHECK (reason IN ('perdue', 'volee')),
    declared_by TEXT NOT NULL REFERENCES accounts(id),
    retired_at TEXT NOT NULL
);
CREATE INDEX retired_card_numbers_card ON retired_card_numbers(card_id);
