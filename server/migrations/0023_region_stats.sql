-- The Region's statistics (issue 15, ADR 0033): indexes for the card and
-- order counts, and summary tables of the transactions kept by a trigger in
-- the same transaction as each row (transactions are insert-only), so that
-- the dashboard never scans the 5 million rows of a season.
--
-- The département of a card is its établissement's: the first two digits of
-- the postal code, three for the overseas ones (97x, 98x).

CREATE INDEX cards_stats ON cards(season, establishment_id, public, track, status);
CREATE INDEX orders_stats ON orders(season, establishment_id, public, track, status);
CREATE INDEX bons_plans_partner ON bons_plans(partner_id, status, created_at);

-- Per season × département × month (UTC, `YYYY-MM`) × avantage × partner
-- category × channel × kind: how many transactions and their euro amount
-- (reimbursed: negative for refunds).
CREATE TABLE stats_spend (
    season       INTEGER NOT NULL,
    departement  TEXT NOT NULL,
    month        TEXT NOT NULL,
    avantage     TEXT NOT NULL,
    category     TEXT NOT NULL,
    channel      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    n            INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (season, departement, month, avantage, category, channel, kind)
) WITHOUT ROWID;

-- Per season × département × partner: transactions and euro amount.
CREATE TABLE stats_partner (
    season       INTEGER NOT NULL,
    departement  TEXT NOT NULL,
    partner_id   TEXT NOT NULL,
    debits       INTEGER NOT NULL,
    refunds      INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (season, departement, partner_id)
) WITHOUT ROWID;

-- The cards that had at least one debit of an avantage (one row each), and
-- their count per season × département × avantage.
CREATE TABLE stats_card_use (
    card_id      TEXT NOT NULL,
    season       INTEGER NOT NULL,
    avantage     TEXT NOT NULL,
    departement  TEXT NOT NULL,
    PRIMARY KEY (card_id, season, avantage)
) WITHOUT ROWID;
CREATE TABLE stats_uptake (
    season       INTEGER NOT NULL,
    departement  TEXT NOT NULL,
    avantage     TEXT NOT NULL,
    cards        INTEGER NOT NULL,
    PRIMARY KEY (season, departement, avantage)
) WITHOUT ROWID;

CREATE TRIGGER stats_card_used AFTER INSERT ON stats_card_use
BEGIN
    INSERT INTO stats_uptake (season, departement, avantage, cards)
    VALUES (NEW.season, NEW.departement, NEW.avantage, 1)
    ON CONFLICT (season, departement, avantage) DO UPDATE SET cards = cards + 1;
END;

CREATE TRIGGER stats_transaction AFTER INSERT ON transactions
BEGIN
    INSERT INTO stats_spend (season, departement, month, avantage, category, channel, kind, n, amount_cents)
    SELECT NEW.season,
           CASE WHEN substr(e.postal_code, 1, 2) IN ('97', '98') THEN substr(e.postal_code, 1, 3)
                ELSE substr(e.postal_code, 1, 2) END,
           substr(NEW.created_at, 1, 7), NEW.avantage, p.category, NEW.channel, NEW.kind, 1, NEW.amount_cents
    FROM cards c JOIN establishments e ON e.id = c.establishment_id, partners p
    WHERE c.id = NEW.card_id AND p.id = NEW.partner_id
    ON CONFLICT (season, departement, month, avantage, category, channel, kind)
    DO UPDATE SET n = n + 1, amount_cents = amount_cents + excluded.amount_cents;

    INSERT INTO stats_partner (season, departement, partner_id, debits, refunds, amount_cents)
    SELECT NEW.season,
           CASE WHEN substr(e.postal_code, 1, 2) IN ('97', '98') THEN substr(e.postal_code, 1, 3)
                ELSE substr(e.postal_code, 1, 2) END,
           NEW.partner_id, NEW.kind = 'debit', NEW.kind = 'refund', NEW.amount_cents
    FROM cards c JOIN establishments e ON e.id = c.establishment_id
    WHERE c.id = NEW.card_id
    ON CONFLICT (season, departement, partner_id)
    DO UPDATE SET debits = debits + excluded.debits, refunds = refunds + excluded.refunds,
                  amount_cents = amount_cents + excluded.amount_cents;

    INSERT OR IGNORE INTO stats_card_use (card_id, season, avantage, departement)
    SELECT NEW.card_id, NEW.season, NEW.avantage,
           CASE WHEN substr(e.postal_code, 1, 2) IN ('97', '98') THEN substr(e.postal_code, 1, 3)
                ELSE substr(e.postal_code, 1, 2) END
    FROM cards c JOIN establishments e ON e.id = c.establishment_id
    WHERE c.id = NEW.card_id AND NEW.kind = 'debit';
END;

-- The transactions written before this version are counted too.
INSERT INTO stats_spend (season, departement, month, avantage, category, channel, kind, n, amount_cents)
SELECT t.season,
       CASE WHEN substr(e.postal_code, 1, 2) IN ('97', '98') THEN substr(e.postal_code, 1, 3)
            ELSE substr(e.postal_code, 1, 2) END AS d,
       substr(t.created_at, 1, 7) AS m, t.avantage, p.category, t.channel, t.kind, COUNT(*), SUM(t.amount_cents)
FROM transactions t JOIN cards c ON c.id = t.card_id JOIN establishments e ON e.id = c.establishment_id
JOIN partners p ON p.id = t.partner_id
GROUP BY t.season, d, m, t.avantage, p.category, t.channel, t.kind;

INSERT INTO stats_partner (season, departement, partner_id, debits, refunds, amount_cents)
SELECT t.season,
       CASE WHEN substr(e.postal_code, 1, 2) IN ('97', '98') THEN substr(e.postal_code, 1, 3)
            ELSE substr(e.postal_code, 1, 2) END AS d,
       t.partner_id, SUM(t.kind = 'debit'), SUM(t.kind = 'refund'), SUM(t.amount_cents)
FROM transactions t JOIN cards c ON c.id = t.card_id JOIN establishments e ON e.id = c.establishment_id
GROUP BY t.season, d, t.partner_id;

INSERT OR IGNORE INTO stats_card_use (card_id, season, avantage, departement)
SELECT DISTINCT t.card_id, t.season, t.avantage,
       CASE WHEN substr(e.postal_code, 1, 2) IN ('97', '98') THEN substr(e.postal_code, 1, 3)
            ELSE substr(e.postal_code, 1, 2) END
FROM transactions t JOIN cards c ON c.id = t.card_id JOIN establishments e ON e.id = c.establishment_id
WHERE t.kind = 'debit';
