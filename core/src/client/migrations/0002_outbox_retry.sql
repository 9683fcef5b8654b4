-- Version 2: when an outbox item may be retried, and the last transport error
-- kind (no personal data).
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
