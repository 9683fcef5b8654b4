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

    #[test]
    fn departements_of_postal_codes() {
        assert_eq!(departement("69002"), "69");
        assert_eq!(departement("01000"), "01");
        assert_eq!(departement("97400"), "974");
        assert_eq!(departement("98800"), "988");
        assert_eq!(departement(""), "");
    }
}
