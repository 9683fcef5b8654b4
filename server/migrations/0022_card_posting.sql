-- Version 22: the print queue (issue 16). A validated (or replaced) card is
-- to be printed and posted; `posted_at` is when the Region's card maker
-- posted it. Cards issued before this version count as posted when their
-- order was validated.
ALTER TABLE cards ADD COLUMN posted_at TEXT;
UPDATE cards SET posted_at = (SELECT decided_at FROM orders WHERE orders.id = cards.order_id);
