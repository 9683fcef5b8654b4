-- Version 20: the retention rule (issue 16): when a youth's personal data
-- was removed; the account row, its card, ledger and transactions stay
-- under their ids.
ALTER TABLE accounts ADD COLUMN forgotten_at TEXT;
