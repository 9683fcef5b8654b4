-- Version 8: collective bookings (FAQ §14). An établissement requests a
-- service from a partner for a group of its youths; nothing is debited until
-- the partner confirms, before the end of the service day (Region time).
-- Every step is kept: who requested, who confirmed, declined or cancelled,
-- when; each youth's line points to its debit (channel `collective`).
CREATE TABLE collective_bookings (
    id               TEXT PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id),
    partner_id       TEXT NOT NULL REFERENCES partners(id),
    avantage         TEXT NOT NULL,
    -- Season of the service date (the catalogue the caps were read from).
    season           INTEGER NOT NULL,
    unit_kind        TEXT NOT NULL CHECK (unit_kind IN ('credit', 'entries')),
    -- Per youth: cents for a credit, entries for entries.
    price_units      INTEGER NOT NULL CHECK (price_units > 0),
    -- Euro value asked for the whole booking (price × youths), in cents:
    -- what the per-booking and per-day caps count.
    total_cents      INTEGER NOT NULL CHECK (total_cents >= 0),
    label            TEXT NOT NULL,
    service_date     TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('demandee', 'confirmee', 'refusee', 'expiree', 'annulee')),
    requested_by     TEXT NOT NULL REFERENCES accounts(id),
    requested_at     TEXT NOT NULL,
    -- Region date of the request: the per-établissement daily cap counts it.
    request_day      TEXT NOT NULL,
    decided_by       TEXT REFERENCES accounts(id),
    decided_at       TEXT,
    reason           TEXT
);
CREATE INDEX collective_bookings_establishment
    ON collective_bookings (establishment_id, request_day);
CREATE INDEX collective_bookings_partner ON collective_bookings (partner_id, status);

-- One row per youth of a booking, in request order; filled at confirmation
-- with the debit or the reason it was refused.
CREATE TABLE collective_booking_cards (
    booking_id     TEXT NOT NULL REFERENCES collective_bookings(id),
    position       INTEGER NOT NULL,
    card_id        TEXT NOT NULL REFERENCES cards(id),
    transaction_id TEXT UNIQUE REFERENCES transactions(id),
    code           TEXT,
    message        TEXT,
    PRIMARY KEY (booking_id, card_id)
);
CREATE INDEX collective_booking_cards_card ON collective_booking_cards (card_id);
