//! The statistics on PostgreSQL (ADR 0036): the SQL of `stats/repo.rs` in
//! PostgreSQL's dialect (no `INDEXED BY`: the planner picks the covering
//! indexes; `SUM` of `BIGINT` cast back to `BIGINT`). The figures are built
//! once, by `stats::build`; the summary tables are kept by the trigger of
//! `migrations/postgres/0001_init.sql`, the twin of SQLite's migration 0023.
//! Reads only: one REPEATABLE READ snapshot, as a SQLite read.

use std::collections::HashMap;

use passregion_core::Season;
use passregion_core::api::stats::RegionStats;

use crate::error::ServiceError;
use crate::platform::pg::PgTx;
use crate::platform::store::PgStore;
use crate::stats::repo::{
    BonsPlansLine, Establishment, Group, PartnerLine, SpendLine, StatsTx, departement,
};
use crate::stats::{StatsRepo, avantage_labels, build};

impl StatsRepo for PgStore {
    fn region_stats(
        &self,
        season: Season,
        departement: Option<String>,
    ) -> Result<RegionStats, ServiceError> {
        let labels = avantage_labels(&self.catalogues, season);
        self.pool
            .read(|tx| build(&PgTx::new(tx), season, departement.as_deref(), &labels))
    }
}

impl StatsTx for PgTx<'_, '_> {
    fn establishments(&self) -> Result<HashMap<String, Establishment>, ServiceError> {
        self.with(|tx| {
            tx.query("SELECT id, name, postal_code FROM establishments", &[])?
                .iter()
                .map(|r| {
                    let pc: String = r.try_get(2)?;
                    Ok((
                        r.try_get(0)?,
                        Establishment {
                            name: r.try_get(1)?,
                            departement: departement(&pc),
                        },
                    ))
                })
                .collect()
        })
    }

    fn groups(&self, orders: bool, season: i32) -> Result<Vec<Group>, ServiceError> {
        let sql = if orders {
            "SELECT establishment_id, public, COALESCE(track, ''), status, COUNT(*) FROM orders
             WHERE season = $1 GROUP BY establishment_id, public, track, status"
        } else {
            "SELECT establishment_id, public, COALESCE(track, ''), status, COUNT(*) FROM cards
             WHERE season = $1 GROUP BY establishment_id, public, track, status"
        };
        self.with(|tx| {
            tx.query(sql, &[&i64::from(season)])?
                .iter()
                .map(|r| {
                    Ok(Group {
                        establishment_id: r.try_get(0)?,
                        public: r.try_get(1)?,
                        track: r.try_get(2)?,
                        status: r.try_get(3)?,
                        n: r.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn spend(&self, season: i32, dep: Option<&str>) -> Result<Vec<SpendLine>, ServiceError> {
        self.with(|tx| {
            tx.query(
                "SELECT month, avantage, category, channel, kind, SUM(n)::BIGINT,
                        SUM(amount_cents)::BIGINT FROM stats_spend
                 WHERE season = $1 AND (departement = $2 OR $2 IS NULL)
                 GROUP BY month, avantage, category, channel, kind",
                &[&i64::from(season), &dep],
            )?
            .iter()
            .map(|r| {
                Ok(SpendLine {
                    month: r.try_get(0)?,
                    avantage: r.try_get(1)?,
                    category: r.try_get(2)?,
                    channel: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    n: r.try_get(5)?,
                    cents: r.try_get(6)?,
                })
            })
            .collect()
        })
    }

    fn uptake(&self, season: i32, dep: Option<&str>) -> Result<HashMap<String, i64>, ServiceError> {
        self.with(|tx| {
            tx.query(
                "SELECT avantage, SUM(cards)::BIGINT FROM stats_uptake
                 WHERE season = $1 AND (departement = $2 OR $2 IS NULL) GROUP BY avantage",
                &[&i64::from(season), &dep],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
        })
    }

    fn top_partners(
        &self,
        season: i32,
        dep: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PartnerLine>, ServiceError> {
        self.with(|tx| {
            tx.query(
                "SELECT s.partner_id, p.name, p.category, SUM(s.debits)::BIGINT,
                        SUM(s.refunds)::BIGINT, SUM(s.amount_cents)::BIGINT AS net
                 FROM stats_partner s JOIN partners p ON p.id = s.partner_id
                 WHERE s.season = $1 AND (s.departement = $2 OR $2 IS NULL)
                 GROUP BY s.partner_id, p.name, p.category
                 ORDER BY net DESC, s.partner_id LIMIT $3",
                &[&i64::from(season), &dep, &limit],
            )?
            .iter()
            .map(|r| {
                Ok(PartnerLine {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    category: r.try_get(2)?,
                    debits: r.try_get(3)?,
                    refunds: r.try_get(4)?,
                    cents: r.try_get(5)?,
                })
            })
            .collect()
        })
    }

    fn flags(&self, season: i32) -> Result<Vec<(String, String, i64)>, ServiceError> {
        self.with(|tx| {
            tx.query(
                "SELECT f.card_id, e.postal_code, f.amount_cents FROM card_flags f
                 JOIN cards c ON c.id = f.card_id JOIN establishments e ON e.id = c.establishment_id
                 WHERE c.season = $1",
                &[&i64::from(season)],
            )?
            .iter()
            .map(|r| {
                let pc: String = r.try_get(1)?;
                Ok((r.try_get(0)?, departement(&pc), r.try_get(2)?))
            })
            .collect()
        })
    }

    fn bons_plans(&self, from: &str, to: &str) -> Result<Vec<BonsPlansLine>, ServiceError> {
        self.with(|tx| {
            tx.query(
                "SELECT p.id, p.name, p.category, p.postal_code,
                        (SELECT COUNT(*) FROM bons_plans b WHERE b.partner_id = p.id
                         AND b.status = 'valide' AND b.created_at >= $1 AND b.created_at < $2)
                 FROM partners p WHERE p.status = 'validated'",
                &[&from, &to],
            )?
            .iter()
            .map(|r| {
                let pc: String = r.try_get(3)?;
                Ok(BonsPlansLine {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    category: r.try_get(2)?,
                    departement: departement(&pc),
                    validated: r.try_get(4)?,
                })
            })
            .collect()
        })
    }
}
