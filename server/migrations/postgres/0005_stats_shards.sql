-- The statistics' summary rows in 64 shards per key (ADR 0036, ADR 0033).
-- Every debit adds itself to a row of stats_spend (season × département ×
-- month × avantage × category × channel) and of stats_partner (season ×
-- département × partner), a card's first use of an avantage to a row of
-- stats_uptake (season × département × avantage), in its own transaction:
-- on one row, concurrent
-- debits of different cards would queue on that row's lock until each
-- commits (SQLite's one writer has no such queue). Each key now has up to
-- 64 rows, the shard chosen by the server process of the connection
-- (`pg_backend_pid() & 63`): the transactions in progress at one time are on
-- distinct connections of the instances' pools, so they mostly update
-- distinct rows. The readers already sum the rows of a key. PostgreSQL only:
-- the one extra column of this engine.
ALTER TABLE stats_spend ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE stats_spend DROP CONSTRAINT stats_spend_pkey;
ALTER TABLE stats_spend
    ADD PRIMARY KEY (season, departement, month, avantage, category, channel, kind, shard);

ALTER TABLE stats_partner ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE stats_partner DROP CONSTRAINT stats_partner_pkey;
ALTER TABLE stats_partner ADD PRIMARY KEY (season, departement, partner_id, shard);

ALTER TABLE stats_uptake ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE stats_uptake DROP CONSTRAINT stats_uptake_pkey;
ALTER TABLE stats_uptake ADD PRIMARY KEY (season, departement, avantage, shard);

CREATE OR REPLACE FUNCTION stats_card_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_uptake (season, departement, avantage, cards, shard)
    VALUES (NEW.season, NEW.departement, NEW.avantage, 1, (pg_backend_pid() & 63)::SMALLINT)
    ON CONFLICT (season, departement, avantage, shard)
    DO UPDATE SET cards = stats_uptake.cards + 1;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION stats_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s SMALLINT := (pg_backend_pid() & 63)::SMALLINT;
BEGIN
    INSERT INTO stats_spend (season, departement, month, avantage, category, channel, kind, n,
                             amount_cents, shard)
    SELECT NEW.season, stats_departement(e.postal_code), substr(NEW.created_at, 1, 7),
           NEW.avantage, p.category, NEW.channel, NEW.kind, 1, NEW.amount_cents, s
    FROM cards c JOIN establishments e ON e.id = c.establishment_id, partners p
    WHERE c.id = NEW.card_id AND p.id = NEW.partner_id
    ON CONFLICT (season, departement, month, avantage, category, channel, kind, shard)
    DO UPDATE SET n = stats_spend.n + 1,
                  amount_cents = stats_spend.amount_cents + excluded.amount_cents;

    INSERT INTO stats_partner (season, departement, partner_id, debits, refunds, amount_cents,
                               shard)
    SELECT NEW.season, stats_departement(e.postal_code), NEW.partner_id,
           (NEW.kind = 'debit')::int, (NEW.kind = 'refund')::int, NEW.amount_cents, s
    FROM cards c JOIN establishments e ON e.id = c.establishment_id
    WHERE c.id = NEW.card_id
    ON CONFLICT (season, departement, partner_id, shard)
    DO UPDATE SET debits = stats_partner.debits + excluded.debits,
                  refunds = stats_partner.refunds + excluded.refunds,
                  amount_cents = stats_partner.amount_cents + excluded.amount_cents;

    INSERT INTO stats_card_use (card_id, season, avantage, departement)
    SELECT NEW.card_id, NEW.season, NEW.avantage, stats_departement(e.postal_code)
    FROM cards c JOIN establishments e ON e.id = c.establishment_id
    WHERE c.id = NEW.card_id AND NEW.kind = 'debit'
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
