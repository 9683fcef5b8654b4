-- Version 4: the card as the server sent it (JSON), so that the app shows
-- the same card screen without network.
ALTER TABLE card ADD COLUMN body TEXT;
