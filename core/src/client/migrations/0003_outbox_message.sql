-- Version 3: the server's French message for an outbox item (why it was
-- refused, or that it was paid only in part), shown to the partner.
ALTER TABLE outbox ADD COLUMN result_message TEXT;
