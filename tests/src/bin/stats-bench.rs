//! Region statistics benchmark (issue 15, ADR 0033): seeds a region's volume
//! straight into SQLite (400,000 orders and cards, 5,000,000 transactions by
//! default, through the server's own schema and triggers), opens the
//! server's store on it in process (the server binary's background jobs
//! would first load 2 million avantages and close 5 million rows into
//! batches) and times what `GET /api/region/stats` does (the read and the
//! JSON) and the CSV, for the season and for one département (p50 and max).
//!
//! `cargo build -p passregion-tests --bin stats-bench && target/debug/stats-bench [cards] [transactions] [runs]`
//! (`STATS_BENCH_DIR=dir` seeds there once and reuses it.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use std::sync::Arc;

use chrono::{Datelike, Utc};
use passregion_core::{Catalogue, PartnerCategory, Season};
use passregion_server::config::Policy;
use passregion_server::platform::catalogues::Catalogues;
use passregion_server::platform::db::Db;
use passregion_server::platform::store::SqliteStore;
use passregion_server::stats::StatsRepo;
use rusqlite::params;

const DEPARTEMENTS: [&str; 12] = [
    "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
];
const ESTABLISHMENTS: usize = 600;
const PARTNERS: usize = 2_000;
const PUBLICS: [(&str, Option<&str>); 6] = [
    ("lyceen", Some("seconde")),
    ("lyceen", Some("premiere")),
    ("lyceen", Some("terminale")),
    ("apprenti", Some("cap")),
    ("bts", None),
    ("mission_locale", None),
];
const AVANTAGES: [(&str, &str, &str); 5] = [
    ("lecture_loisir", "credit", "librairie"),
    ("manuels_scolaires", "credit", "librairie"),
    ("licence_sportive", "credit", "club_sportif"),
    ("spectacles", "credit", "musee"),
    ("cinema", "entries", "cinema"),
];

/// A small deterministic generator (no dependency, same data every run).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seed(path: &std::path::Path, cards: usize, txs: usize, season: Season) {
    let mut c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;",
    )
    .unwrap();
    let year = season.start_year();
    let start = Instant::now();
    let t = c.transaction().unwrap();
    {
        let mut e = t
            .prepare("INSERT INTO establishments (id, name, kind, city, postal_code) VALUES (?1, ?2, 'lycee', 'Ville', ?3)")
            .unwrap();
        for i in 0..ESTABLISHMENTS {
            let d = DEPARTEMENTS[i % DEPARTEMENTS.len()];
            e.execute(params![
                format!("bench-etab-{i}"),
                format!("Lycée {i}"),
                format!("{d}{:03}", i % 1000)
            ])
            .unwrap();
        }
        let mut p = t
            .prepare(
                "INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
                 status, created_at) VALUES (?1, ?2, ?3, '1 rue', 'Ville', '69001', 45.7, 4.8, 'validated', ?4)",
            )
            .unwrap();
        for i in 0..PARTNERS {
            let cat = PartnerCategory::ALL[i % PartnerCategory::ALL.len()];
            p.execute(params![
                format!("bench-partner-{i}"),
                format!("Partenaire {i}"),
                cat.code(),
                format!("{year}-08-01T00:00:00Z")
            ])
            .unwrap();
        }
        let mut b = t
            .prepare("INSERT INTO bons_plans (id, partner_id, title, description, status, created_at) VALUES (?1, ?2, 'Bon plan', 'Texte', 'valide', ?3)")
            .unwrap();
        for i in 0..PARTNERS * 2 {
            b.execute(params![
                format!("bench-bp-{i}"),
                format!("bench-partner-{}", (i * 7) % PARTNERS),
                format!("{year}-10-01T00:00:00Z")
            ])
            .unwrap();
        }
    }
    t.commit().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for chunk in (0..cards).collect::<Vec<_>>().chunks(50_000) {
        let t = c.transaction().unwrap();
        {
            let mut o = t
                .prepare(
                    "INSERT INTO orders (id, account_id, season, establishment_id, public, track, disabled, first_name,
                     last_name, birth_date, address, postal_code, city, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 'A', 'B', '2009-01-01', 'x', '69001', 'Lyon', ?7, ?8)",
                )
                .unwrap();
            let mut k = t
                .prepare(
                    "INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status, public, track,
                     disabled, first_name, last_name, birth_date, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, 'A', 'B', '2009-01-01', ?10)",
                )
                .unwrap();
            for &i in chunk {
                let etab = format!("bench-etab-{}", rng.below(ESTABLISHMENTS));
                let (public, track) = PUBLICS[rng.below(PUBLICS.len())];
                let at = format!("{year}-09-0{}T08:00:00Z", 1 + i % 9);
                let validated = !i.is_multiple_of(20);
                o.execute(params![
                    format!("o{i}"),
                    format!("a{i}"),
                    year,
                    etab,
                    public,
                    track,
                    if validated { "validee" } else { "en_attente" },
                    at
                ])
                .unwrap();
                if validated {
                    let status = if i % 10 == 1 { "expediee" } else { "active" };
                    k.execute(params![
                        format!("c{i}"),
                        format!("{:016}", i),
                        format!("a{i}"),
                        format!("o{i}"),
                        etab,
                        year,
                        status,
                        public,
                        track,
                        at
                    ])
                    .unwrap();
                }
            }
        }
        t.commit().unwrap();
    }
    println!(
        "seeded {ESTABLISHMENTS} établissements, {PARTNERS} partners, {cards} orders and ≈95% cards in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let months =
        ((Utc::now().date_naive().year() - year) * 12 + Utc::now().month() as i32 - 9).clamp(1, 12);
    let mut done = 0;
    while done < txs {
        let n = (txs - done).min(250_000);
        let t = c.transaction().unwrap();
        {
            let mut s = t
                .prepare_cached(
                    "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage, unit_kind,
                     price_units, units, reste_units, amount_cents, refund_of, channel, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 0, ?10, ?11, ?12, ?13)",
                )
                .unwrap();
            for j in done..done + n {
                // Cards with an id (≈95% of the orders), every 20th order has none.
                let mut card = rng.below(cards);
                if card.is_multiple_of(20) {
                    card += 1;
                }
                let (av, unit, cat) = AVANTAGES[rng.below(AVANTAGES.len())];
                let cats = PartnerCategory::ALL
                    .iter()
                    .position(|c| c.code() == cat)
                    .unwrap();
                let partner = (rng.below(PARTNERS / 7) * 7 + cats) % PARTNERS;
                let refund = j % 25 == 24;
                let units = 100 + rng.below(2_000) as i64;
                let cents = if refund { -units } else { units };
                let channel = ["qr", "qr", "web", "offline", "collective"][rng.below(5)];
                let at = format!(
                    "{}-{:02}-{:02}T{:02}:{:02}:00Z",
                    year + i32::from((9 + j % months as usize) > 12),
                    (9 + j % months as usize - 1) % 12 + 1,
                    1 + rng.below(28),
                    8 + rng.below(10),
                    rng.below(60)
                );
                s.execute(params![
                    format!("t{j}"),
                    if refund { "refund" } else { "debit" },
                    format!("c{card}"),
                    format!("bench-partner-{partner}"),
                    format!("a{card}"),
                    year,
                    av,
                    unit,
                    units,
                    cents,
                    None::<String>,
                    channel,
                    at
                ])
                .unwrap();
            }
        }
        t.commit().unwrap();
        done += n;
        println!(
            "  {done} transactions ({:.0} rows/s)",
            done as f64 / start.elapsed().as_secs_f64()
        );
    }
    let t = c.transaction().unwrap();
    for i in 0..2_000 {
        t.execute(
            "INSERT INTO card_flags (card_id, reason, amount_cents, created_at) VALUES (?1, 'depassement_hors_ligne', ?2, ?3)",
            params![format!("c{}", i * 97 + 1), 100 + i, format!("{year}-11-01T00:00:00Z")],
        )
        .unwrap();
    }
    t.commit().unwrap();
    println!(
        "seeded {txs} transactions in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    c.execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
}

fn main() {
    let arg = |i: usize, d: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let (cards, txs, runs) = (arg(1, 400_000), arg(2, 5_000_000), arg(3, 5));
    // `STATS_BENCH_DIR`: seed there once and reuse it (kept); else a temporary directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("STATS_BENCH_DIR")
        .map_or_else(|| tmp.path().to_owned(), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("passregion.db");
    let fresh = !path.exists();
    // The server's schema (every migration) through its own open.
    let db = Arc::new(Db::open(&path).unwrap());
    let season = Season::of_instant(Utc::now());
    if fresh {
        seed(&path, cards, txs, season);
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("database: {} MB", size / 1_000_000);
    let catalogue =
        Catalogue::parse(include_str!("../../../core/data/catalogue-2026-2027.toml")).unwrap();
    let store = SqliteStore::new(
        db,
        Arc::new(Catalogues::new(vec![catalogue])),
        Policy::default(),
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for dep in [None, Some("69")] {
        let (mut json, mut csv) = (Vec::new(), Vec::new());
        let mut last = None;
        for _ in 0..runs {
            let t = Instant::now();
            let s = store.region_stats(season, dep.map(str::to_owned)).unwrap();
            let body = serde_json::to_vec(&s).unwrap();
            json.push(t.elapsed());
            let t = Instant::now();
            let bytes = passregion_server::stats::csv::csv(&s).unwrap();
            csv.push(t.elapsed());
            last = Some((s, body.len(), bytes.len()));
        }
        json.sort();
        csv.sort();
        let (s, body, bytes) = last.unwrap();
        println!(
            "season {season}, département {}: stats p50 {:.0} ms, max {:.0} ms; CSV +{:.1} ms ({runs} runs; JSON {} kB, CSV {} kB)",
            dep.unwrap_or("all"),
            ms(json[runs / 2]),
            ms(json[runs - 1]),
            ms(csv[runs / 2]),
            body / 1000,
            bytes / 1000
        );
        println!(
            "  cards {} (active {}) · debits {} · offline {} % · flags {} · partners listed for bons plans {}",
            s.cards.cards,
            s.cards.active,
            s.channels.debits,
            s.channels.offline_percent,
            s.flags.flags,
            s.bons_plans.len()
        );
    }
}
