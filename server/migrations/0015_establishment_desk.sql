-- Version 15 (file 0015): the établissement's desk (issue 14). An
-- établissement account is its head (*chef d'établissement*: invites and
-- removes colleagues) or one of its staff (*personnel*: orders and cards).
-- Accounts that existed are the établissements' first accounts: heads.
-- Colleagues are invited like a partner's staff (issue 13): an
-- `email_tokens` row of purpose 'invitation', `accounts.removed_at`.
ALTER TABLE accounts ADD COLUMN establishment_role TEXT
    CHECK (establishment_role IS NULL
           OR (role = 'establishment' AND establishment_role IN ('head', 'staff')));
UPDATE accounts SET establishment_role = 'head' WHERE role = 'establishment';

-- The card's history says what changed, to which season, and who did it.
-- Rows written before this version have only the status (NULL here); the
-- table stays append-only (its triggers are kept).
ALTER TABLE card_status_events ADD COLUMN kind TEXT
    CHECK (kind IS NULL OR kind IN ('suspension', 'reactivation', 'revalidation', 'replacement'));
ALTER TABLE card_status_events ADD COLUMN season INTEGER;
ALTER TABLE card_status_events ADD COLUMN account_id TEXT REFERENCES accounts(id);

-- The validation queue's filters (status, public, track) and the card list's
-- status filter stay on an index of the établissement.
CREATE INDEX orders_establishment_public ON orders(establishment_id, public, track);
CREATE INDEX cards_establishment_status ON cards(establishment_id, status);
