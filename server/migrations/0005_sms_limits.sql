-- Version 5: limits on SMS signature codes. A code's failed attempts are
-- counted per application over a day, across resends; resends are counted per
-- application per day; every SMS is recorded (hashed phone) for the per-number
-- daily limit.
ALTER TABLE convention_codes ADD COLUMN window_start TEXT;
ALTER TABLE convention_codes ADD COLUMN sends INTEGER NOT NULL DEFAULT 1;
CREATE TABLE sms_sends (
    phone_hash TEXT NOT NULL,
    sent_at    TEXT NOT NULL
);
CREATE INDEX sms_sends_phone ON sms_sends (phone_hash, sent_at);
