//! The statistics' SQL: grouped reads of the cards and orders (covering
//! indexes `cards_stats`, `orders_stats`) and of the summary tables the
//! `stats_transaction` trigger keeps (migration 0023, ADR 0033).

use std::collections::HashMap;

use rusqlite::Connection;

use crate::error::ServiceError;

/// The département of a postal code: its first two digits, three overseas
/// (`97x`, `98x`); Corsica's `20` stays `20`. The same rule as the SQL of
/// migration 0023.
pub fn departement(postal_code: &str) -> String {
    let n = if postal_code.starts_with("97") || postal_code.starts_with("98") {
        3
    } else {
        2
    };
    postal_code.chars().take(n).collect()
}

/// One grouped count of cards or orders.
pub struct Group {
    pub establishment_id: String,
    pub public: String,
    pub track: String,
    pub status: String,
    pub n: i64,
}

/// An établissement: name and département.
pub struct Establishment {
    pub name: String,
    pub departement: String,
}

/// A line of `stats_spend`.
pub struct SpendLine {
    pub month: String,
    pub avantage: String,
    pub category: String,
    pub channel: String,
    pub kind: String,
    pub n: i64,
    pub cents: i64,
}

/// A line of the top partners.
pub struct PartnerLine {
    pub id: String,
    pub name: String,
    pub category: String,
    pub debits: i64,
    pub refunds: i64,
    pub cents: i64,
}

/// A validated partner and its bons plans of the season.
pub struct BonsPlansLine {
    pub id: String,
    pub name: String,
    pub category: String,
    pub departement: String,
    pub validated: i64,
}

/// What the statistics read (SQL only): the free functions below on
/// SQLite, `repo_pg.rs` on PostgreSQL. The figures are built from them once,
/// in `stats::build`.
pub(crate) trait StatsTx {
    /// Every établissement.
    fn establishments(&self) -> Result<HashMap<String, Establishment>, ServiceError>;
    /// Cards or orders of a season, grouped.
    fn groups(&self, orders: bool, season: i32) -> Result<Vec<Group>, ServiceError>;
    /// The season's lines of `stats_spend` (of one département).
    fn spend(&self, season: i32, dep: Option<&str>) -> Result<Vec<SpendLine>, ServiceError>;
    /// Cards with at least one debit, per avantage.
    fn uptake(&self, season: i32, dep: Option<&str>) -> Result<HashMap<String, i64>, ServiceError>;
    /// The `limit` partners with the largest net spend.
    fn top_partners(
        &self,
        season: i32,
        dep: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PartnerLine>, ServiceError>;
    /// Flags on the season's cards: (card, département, cents).
    fn flags(&self, season: i32) -> Result<Vec<(String, String, i64)>, ServiceError>;
    /// Validated partners and their bons plans validated and created in
    /// `[from, to)`.
    fn bons_plans(&self, from: &str, to: &str) -> Result<Vec<BonsPlansLine>, ServiceError>;
}

impl StatsTx for Connection {
    fn establishments(&self) -> Result<HashMap<String, Establishment>, ServiceError> {
        establishments(self)
    }
    fn groups(&self, orders: bool, season: i32) -> Result<Vec<Group>, ServiceError> {
        groups(self, orders, season)
    }
    fn spend(&self, season: i32, dep: Option<&str>) -> Result<Vec<SpendLine>, ServiceError> {
        spend(self, season, dep)
    }
    fn uptake(&self, season: i32, dep: Option<&str>) -> Result<HashMap<String, i64>, ServiceError> {
        uptake(self, season, dep)
    }
    fn top_partners(
        &self,
        season: i32,
        dep: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PartnerLine>, ServiceError> {
        top_partners(self, season, dep, limit)
    }
    fn flags(&self, season: i32) -> Result<Vec<(String, String, i64)>, ServiceError> {
        flags(self, season)
    }
    fn bons_plans(&self, from: &str, to: &str) -> Result<Vec<BonsPlansLine>, ServiceError> {
        bons_plans(self, from, to)
    }
}

/// Every établissement.
pub fn establishments(c: &Connection) -> Result<HashMap<String, Establishment>, ServiceError> {
    let mut stmt = c.prepare_cached("SELECT id, name, postal_code FROM establishments")?;
    let rows = stmt.query_map([], |r| {
        let pc: String = r.get(2)?;
        Ok((
            r.get::<_, String>(0)?,
            Establishment {
                name: r.get(1)?,
                departement: departement(&pc),
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Cards (`table = "cards"`) or orders of a season, grouped.
pub fn groups(c: &Connection, orders: bool, season: i32) -> Result<Vec<Group>, ServiceError> {
    let sql = if orders {
        "SELECT establishment_id, public, COALESCE(track, ''), status, COUNT(*) FROM orders
         INDEXED BY orders_stats WHERE season = ?1 GROUP BY establishment_id, public, track, status"
    } else {
        "SELECT establishment_id, public, COALESCE(track, ''), status, COUNT(*) FROM cards
         INDEXED BY cards_stats WHERE season = ?1 GROUP BY establishment_id, public, track, status"
    };
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map([season], |r| {
        Ok(Group {
            establishment_id: r.get(0)?,
            public: r.get(1)?,
            track: r.get(2)?,
            status: r.get(3)?,
            n: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The season's lines of `stats_spend` (of one département).
pub fn spend(
    c: &Connection,
    season: i32,
    dep: Option<&str>,
) -> Result<Vec<SpendLine>, ServiceError> {
    let mut stmt = c.prepare_cached(
        "SELECT month, avantage, category, channel, kind, SUM(n), SUM(amount_cents) FROM stats_spend
         WHERE season = ?1 AND (?2 IS NULL OR departement = ?2)
         GROUP BY month, avantage, category, channel, kind",
    )?;
    let rows = stmt.query_map(rusqlite::params![season, dep], |r| {
        Ok(SpendLine {
            month: r.get(0)?,
            avantage: r.get(1)?,
            category: r.get(2)?,
            channel: r.get(3)?,
            kind: r.get(4)?,
            n: r.get(5)?,
            cents: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Cards with at least one debit, per avantage.
pub fn uptake(
    c: &Connection,
    season: i32,
    dep: Option<&str>,
) -> Result<HashMap<String, i64>, ServiceError> {
    let mut stmt = c.prepare_cached(
        "SELECT avantage, SUM(cards) FROM stats_uptake
         WHERE season = ?1 AND (?2 IS NULL OR departement = ?2) GROUP BY avantage",
    )?;
    let rows = stmt.query_map(rusqlite::params![season, dep], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The `limit` partners with the largest net spend.
pub fn top_partners(
    c: &Connection,
    season: i32,
    dep: Option<&str>,
    limit: i64,
) -> Result<Vec<PartnerLine>, ServiceError> {
    let mut stmt = c.prepare_cached(
        "SELECT s.partner_id, p.name, p.category, SUM(s.debits), SUM(s.refunds),
                SUM(s.amount_cents) AS net
         FROM stats_partner s JOIN partners p ON p.id = s.partner_id
         WHERE s.season = ?1 AND (?2 IS NULL OR s.departement = ?2)
         GROUP BY s.partner_id ORDER BY net DESC, s.partner_id LIMIT ?3",
    )?;
    let rows = stmt.query_map(rusqlite::params![season, dep, limit], |r| {
        Ok(PartnerLine {
            id: r.get(0)?,
            name: r.get(1)?,
            category: r.get(2)?,
            debits: r.get(3)?,
            refunds: r.get(4)?,
            cents: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Flags on the season's cards: (card, département, cents).
pub fn flags(c: &Connection, season: i32) -> Result<Vec<(String, String, i64)>, ServiceError> {
    let mut stmt = c.prepare_cached(
        "SELECT f.card_id, e.postal_code, f.amount_cents FROM card_flags f
         JOIN cards c ON c.id = f.card_id JOIN establishments e ON e.id = c.establishment_id
         WHERE c.season = ?1",
    )?;
    let rows = stmt.query_map([season], |r| {
        let pc: String = r.get(1)?;
        Ok((
            r.get::<_, String>(0)?,
            departement(&pc),
            r.get::<_, i64>(2)?,
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Validated partners and their bons plans validated and created in
/// `[from, to)` (timestamps).
pub fn bons_plans(
    c: &Connection,
    from: &str,
    to: &str,
) -> Result<Vec<BonsPlansLine>, ServiceError> {
    let mut stmt = c.prepare_cached(
        "SELECT p.id, p.name, p.category, p.postal_code,
                (SELECT COUNT(*) FROM bons_plans b WHERE b.partner_id = p.id AND b.status = 'valide'
                 AND b.created_at >= ?1 AND b.created_at < ?2)
         FROM partners p WHERE p.status = 'validated'",
    )?;
    let rows = stmt.query_map([from, to], |r| {
        let pc: String = r.get(3)?;
        Ok(BonsPlansLine {
            id: r.get(0)?,
            name: r.get(1)?,
            category: r.get(2)?,
            departement: departement(&pc),
            validated: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::departement;
    use crate::platform::db::MIGRATIONS;

    fn tx(c: &rusqlite::Connection, id: &str, kind: &str, cents: i64, channel: &str) {
        c.execute(
            "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
             unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
             VALUES (?1, ?2, 'c1', 'p1', 'a1', 2026, 'lecture_loisir', 'credit', 500, 500, 0, ?3, ?4,
             '2026-10-02T10:00:00.000000Z')",
            rusqlite::params![id, kind, cents, channel],
        )
        .unwrap();
    }

    fn spend(c: &rusqlite::Connection) -> Vec<(String, String, String, String, i64, i64)> {
        let mut s = c
            .prepare(
                "SELECT departement, month, category, kind, n, amount_cents FROM stats_spend
                 ORDER BY kind",
            )
            .unwrap();
        s.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    /// Transactions written before migration 0023 are counted by it, later
    /// ones by its trigger, in the same tables.
    #[test]
    fn the_summary_tables_take_old_rows_and_follow_new_ones() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let at = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0023_region_stats")
            .unwrap();
        for (_, sql) in &MIGRATIONS[..at] {
            c.execute_batch(sql).unwrap();
        }
        c.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO establishments VALUES ('e1', 'Lycée', 'lycee', 'Saint-Denis', '97400');
             INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
               longitude, status, created_at) VALUES ('p1', 'Livres', 'librairie', 'x', 'y',
               '69001', 0, 0, 'validated', '2026-09-01T00:00:00Z');
             INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status,
               public, track, disabled, first_name, last_name, birth_date, created_at)
               VALUES ('c1', '1', 'a1', 'o1', 'e1', 2026, 'active', 'lyceen', NULL, 0, 'A', 'B',
               '2009-01-01', '2026-09-01T00:00:00Z');",
        )
        .unwrap();
        tx(&c, "t1", "debit", 500, "qr");
        tx(&c, "t2", "debit", 300, "offline");
        c.execute_batch(MIGRATIONS[at].1).unwrap();
        let row = |kind: &str, n, cents| {
            (
                "974".to_owned(),
                "2026-10".to_owned(),
                "librairie".to_owned(),
                kind.to_owned(),
                n,
                cents,
            )
        };
        assert_eq!(spend(&c), vec![row("debit", 1, 300), row("debit", 1, 500)]);
        tx(&c, "t3", "refund", -500, "qr");
        tx(&c, "t4", "debit", 200, "qr");
        assert_eq!(
            spend(&c),
            vec![
                row("debit", 1, 300),
                row("debit", 2, 700),
                row("refund", 1, -500)
            ]
        );
        let partner: (i64, i64, i64) = c
            .query_row(
                "SELECT debits, refunds, amount_cents FROM stats_partner",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(partner, (3, 1, 500));
        let used: i64 = c
            .query_row(
                "SELECT cards FROM stats_uptake WHERE departement = '974'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(used, 1, "one card, however many debits");
    }

    /// The top list holds at most `TOP_PARTNERS`, largest net first.
    #[test]
    fn the_top_list_is_bounded_and_ordered() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        for (_, sql) in MIGRATIONS {
            c.execute_batch(sql).unwrap();
        }
        c.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
        for i in 0..12i64 {
            c.execute(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
                 longitude, status, created_at) VALUES (?1, ?1, 'cinema', 'x', 'y', '69001', 0, 0,
                 'validated', '2026-09-01T00:00:00Z')",
                [format!("p{i:02}")],
            )
            .unwrap();
            c.execute(
                "INSERT INTO stats_partner VALUES (2026, '69', ?1, 1, 0, ?2)",
                rusqlite::params![format!("p{i:02}"), i * 100],
            )
            .unwrap();
        }
        let top = super::top_partners(&c, 2026, None, crate::stats::TOP_PARTNERS).unwrap();
        assert_eq!(top.len(), 10);
        assert_eq!((top[0].id.as_str(), top[0].cents), ("p11", 1100));
        assert_eq!(top[9].id, "p02");
        assert!(
            super::top_partners(&c, 2026, Some("74"), 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn departements_of_postal_codes() {
        assert_eq!(departement("69002"), "69");
        assert_eq!(departement("01000"), "01");
        assert_eq!(departement("97400"), "974");
        assert_eq!(departement("98800"), "988");
        assert_eq!(departement(""), "");
    }
}
