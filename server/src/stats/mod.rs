//! The Region's statistics (issue 15, ADR 0033): one document with every
//! figure of the dashboard (`GET /api/region/stats`) and the same figures as
//! CSV (`csv.rs`). Card and order counts come from covering indexes, the
//! transaction figures from summary tables kept by a trigger (`repo.rs`,
//! migration 0023), so that the answer stays under a second on a region's
//! volume (`tests/src/bin/stats-bench.rs`).

pub mod csv;
pub mod http;
pub mod repo;
pub mod repo_pg;

use std::collections::{BTreeMap, HashMap};

use passregion_core::api::stats::{
    CardCount, ChannelShare, FlagStats, MonthlySpend, PartnerBonsPlans, RegionStats, Spend,
    TopPartner, Uptake, percent,
};
use passregion_core::partner::MIN_BONS_PLANS_PER_SEASON;
use passregion_core::{Money, PartnerCategory, Public, Season, SignedMoney, Track};

use crate::error::ServiceError;
use crate::platform::store::SqliteStore;

/// At most this many partners in the top list.
pub const TOP_PARTNERS: i64 = 10;

/// Storage reads of the statistics.
pub trait StatsRepo: Send + Sync + 'static {
    /// Every figure of `season`, of one département or of the region.
    fn region_stats(
        &self,
        season: Season,
        departement: Option<String>,
    ) -> Result<RegionStats, ServiceError>;
}

impl StatsRepo for SqliteStore {
    fn region_stats(
        &self,
        season: Season,
        departement: Option<String>,
    ) -> Result<RegionStats, ServiceError> {
        let labels = avantage_labels(&self.catalogues, season);
        self.db
            .read(move |c| build(c, season, departement.as_deref(), &labels))
    }
}

/// The labels of the season's avantages, by code.
pub(crate) fn avantage_labels(
    cats: &crate::platform::catalogues::Catalogues,
    season: Season,
) -> HashMap<String, String> {
    cats.get(season)
        .map(|c| {
            c.avantages
                .iter()
                .map(|a| (a.code.clone(), a.label.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn money(cents: i64) -> Result<SignedMoney, ServiceError> {
    Ok(SignedMoney::from_cents(cents)?)
}

fn code_label<T: serde::de::DeserializeOwned>(code: &str, label: fn(T) -> &'static str) -> String {
    serde_json::from_value::<T>(serde_json::Value::String(code.to_owned()))
        .map(|t| label(t).to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

fn public_label(code: &str) -> String {
    code_label::<Public>(code, Public::label_fr)
}

fn track_label(code: &str) -> String {
    if code.is_empty() {
        return "Sans filière".to_owned();
    }
    code_label::<Track>(code, Track::label_fr)
}

/// The French label of a partner category code.
pub fn category_label(code: &str) -> String {
    PartnerCategory::ALL
        .iter()
        .find(|c| c.code() == code)
        .map(|c| c.label_fr().to_owned())
        .unwrap_or_else(|| code.to_owned())
}

#[derive(Default)]
struct Tally {
    debits: i64,
    refunds: i64,
    debited: i64,
    refunded: i64,
}

impl Tally {
    fn add(&mut self, kind: &str, n: i64, cents: i64) {
        if kind == "refund" {
            self.refunds += n;
            self.refunded += cents;
        } else {
            self.debits += n;
            self.debited += cents;
        }
    }

    fn spend(&self, key: &str, label: String) -> Result<Spend, ServiceError> {
        Ok(Spend {
            key: key.to_owned(),
            label,
            debits: self.debits,
            refunds: self.refunds,
            debited: money(self.debited)?,
            refunded: money(self.refunded)?,
            net: money(self.debited + self.refunded)?,
        })
    }
}

type Counts = BTreeMap<String, CardCount>;

fn count_into<'a>(
    map: &'a mut Counts,
    key: &str,
    label: impl FnOnce() -> String,
) -> &'a mut CardCount {
    map.entry(key.to_owned()).or_insert_with(|| CardCount {
        key: key.to_owned(),
        label: label(),
        ..CardCount::default()
    })
}

/// Every figure, from what `c` reads (either engine).
pub(crate) fn build(
    c: &dyn repo::StatsTx,
    season: Season,
    dep: Option<&str>,
    labels: &HashMap<String, String>,
) -> Result<RegionStats, ServiceError> {
    let year = season.start_year();
    let etabs = c.establishments()?;
    let dep_of = |id: &str| {
        etabs
            .get(id)
            .map(|e| e.departement.clone())
            .unwrap_or_default()
    };
    let mut total = CardCount {
        key: "total".into(),
        label: "Total".into(),
        ..CardCount::default()
    };
    let (mut by_public, mut by_track, mut by_dep, mut by_etab) =
        (Counts::new(), Counts::new(), Counts::new(), Counts::new());
    for orders in [true, false] {
        for g in c.groups(orders, year)? {
            let d = dep_of(&g.establishment_id);
            if dep.is_some_and(|want| want != d) {
                continue;
            }
            let etab_name = etabs
                .get(&g.establishment_id)
                .map(|e| e.name.clone())
                .unwrap_or_else(|| g.establishment_id.clone());
            let rows = [
                &mut total,
                count_into(&mut by_public, &g.public, || public_label(&g.public)),
                count_into(&mut by_track, &g.track, || track_label(&g.track)),
                count_into(&mut by_dep, &d, || d.clone()),
                count_into(&mut by_etab, &g.establishment_id, || etab_name),
            ];
            for row in rows {
                if orders {
                    row.ordered += g.n;
                    if g.status == passregion_core::status::OrderStatus::Validated.as_str() {
                        row.validated += g.n;
                    }
                } else {
                    row.cards += g.n;
                    if g.status == passregion_core::CardStatus::Active.code() {
                        row.active += g.n;
                    }
                }
            }
        }
    }

    let label_of = |code: &str| labels.get(code).cloned().unwrap_or_else(|| code.to_owned());
    let (mut by_av, mut by_cat, mut by_channel) = (
        BTreeMap::<String, Tally>::new(),
        BTreeMap::<String, Tally>::new(),
        BTreeMap::<String, Tally>::new(),
    );
    let (mut m_av, mut m_cat) = (
        BTreeMap::<(String, String), (i64, i64)>::new(),
        BTreeMap::<(String, String), (i64, i64)>::new(),
    );
    for l in c.spend(year, dep)? {
        by_av
            .entry(l.avantage.clone())
            .or_default()
            .add(&l.kind, l.n, l.cents);
        by_cat
            .entry(l.category.clone())
            .or_default()
            .add(&l.kind, l.n, l.cents);
        by_channel
            .entry(l.channel.clone())
            .or_default()
            .add(&l.kind, l.n, l.cents);
        for (m, key) in [(&mut m_av, &l.avantage), (&mut m_cat, &l.category)] {
            let e = m.entry((l.month.clone(), key.clone())).or_default();
            e.0 += l.n;
            e.1 += l.cents;
        }
    }
    let monthly =
        |m: BTreeMap<(String, String), (i64, i64)>| -> Result<Vec<MonthlySpend>, ServiceError> {
            m.into_iter()
                .map(|((month, key), (n, cents))| {
                    Ok(MonthlySpend {
                        month,
                        key,
                        transactions: n,
                        net: money(cents)?,
                    })
                })
                .collect()
        };

    let used = c.uptake(year, dep)?;
    let mut avantages: Vec<String> = labels.keys().cloned().collect();
    avantages.extend(by_av.keys().cloned());
    avantages.sort();
    avantages.dedup();
    let uptake = avantages
        .iter()
        .map(|a| {
            let n = used.get(a).copied().unwrap_or(0);
            Uptake {
                avantage: a.clone(),
                label: label_of(a),
                cards: total.cards,
                used: n,
                percent: percent(n, total.cards),
            }
        })
        .collect();

    let debits: i64 = by_channel.values().map(|t| t.debits).sum();
    let offline_debits = by_channel.get("offline").map_or(0, |t| t.debits);
    let channels = ChannelShare {
        by_channel: by_channel
            .iter()
            .map(|(k, t)| t.spend(k, k.clone()))
            .collect::<Result<_, _>>()?,
        debits,
        offline_debits,
        offline_percent: percent(offline_debits, debits),
    };

    let mut flagged = std::collections::BTreeSet::new();
    let (mut nflags, mut flag_cents) = (0i64, 0i64);
    for (card, d, cents) in c.flags(year)? {
        if dep.is_some_and(|want| want != d) {
            continue;
        }
        nflags += 1;
        flag_cents += cents.max(0);
        flagged.insert(card);
    }

    let top_partners = c
        .top_partners(year, dep, TOP_PARTNERS)?
        .into_iter()
        .map(|p| {
            Ok(TopPartner {
                partner_id: p.id,
                name: p.name,
                category: p.category,
                debits: p.debits,
                refunds: p.refunds,
                net: money(p.cents)?,
            })
        })
        .collect::<Result<_, ServiceError>>()?;

    let from = format!("{}T00:00:00", season.first_day());
    let to = format!("{}T00:00:00", season.next().first_day());
    let mut bons_plans: Vec<PartnerBonsPlans> = c
        .bons_plans(&from, &to)?
        .into_iter()
        .filter(|b| dep.is_none_or(|want| want == b.departement))
        .map(|b| PartnerBonsPlans {
            partner_id: b.id,
            name: b.name,
            category: b.category,
            validated: b.validated,
            below_minimum: b.validated < i64::from(MIN_BONS_PLANS_PER_SEASON),
        })
        .collect();
    bons_plans.sort_by(|a, b| a.validated.cmp(&b.validated).then(a.name.cmp(&b.name)));

    Ok(RegionStats {
        season: season.to_string(),
        departement: dep.map(str::to_owned),
        cards: total,
        by_public: by_public.into_values().collect(),
        by_track: by_track.into_values().collect(),
        by_departement: by_dep.into_values().collect(),
        by_establishment: by_etab.into_values().collect(),
        uptake,
        spend_by_avantage: by_av
            .iter()
            .map(|(k, t)| t.spend(k, label_of(k)))
            .collect::<Result<_, _>>()?,
        spend_by_category: by_cat
            .iter()
            .map(|(k, t)| t.spend(k, category_label(k)))
            .collect::<Result<_, _>>()?,
        monthly_by_avantage: monthly(m_av)?,
        monthly_by_category: monthly(m_cat)?,
        channels,
        flags: FlagStats {
            flags: nflags,
            cards: flagged.len() as i64,
            amount: Money::from_cents(flag_cents)?,
        },
        top_partners,
        bons_plans,
        bons_plans_minimum: MIN_BONS_PLANS_PER_SEASON,
    })
}
