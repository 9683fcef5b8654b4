-- A card's balance head (ADR 0036, Speed): every debit reads the latest
-- ledger row of a card × season × avantage (`ORDER BY id DESC LIMIT 1`).
-- SQLite's index on (card_id, season, avantage) ends with the rowid, so that
-- read is one index seek there; PostgreSQL's did not carry `id`, and the read
-- fetched every row of the card and sorted them (slower with each debit of
-- the season). With `id` in the index it is one seek on both engines.
DROP INDEX ledger_card;
CREATE INDEX ledger_card ON ledger(card_id, season, avantage, id);
