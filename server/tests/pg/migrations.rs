//! The PostgreSQL schema: applied once, by one instance, and the twin of
//! SQLite's.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Barrier;

use passregion_server::platform::pg::PG_MIGRATIONS;
use passregion_server::platform::pg::PgPool;

use crate::support::pg_columns;
use crate::support::pg_schema;
use crate::test_db;

#[test]
fn migrations_applied_twice_are_applied_once() {
    let Some(db) = test_db!() else { return };
    let pool = db.pool(2);
    assert_eq!(pool.version().unwrap(), 0);
    assert_eq!(pool.migrate().unwrap(), PG_MIGRATIONS.len());
    let first = pg_schema(&mut db.client());
    assert!(first.len() > 100, "the schema was created");
    assert_eq!(pool.migrate().unwrap(), 0, "nothing left to apply");
    assert_eq!(pool.version().unwrap(), PG_MIGRATIONS.len() as i64);
    assert_eq!(pg_schema(&mut db.client()), first);
    // Another instance starting later applies nothing either.
    assert_eq!(db.pool(1).migrate().unwrap(), 0);
    let rows: i64 = db
        .client()
        .query_one("SELECT COUNT(*) FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, PG_MIGRATIONS.len() as i64);
    // The data a migration makes is made once: the look-up audit's key.
    let keys: Vec<String> = db
        .client()
        .query("SELECT key FROM lookup_audit_key", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].len() == 64 && keys[0].chars().all(|c| c.is_ascii_hexdigit()));
    let Some(other) = test_db!() else { return };
    other.pool(1).migrate().unwrap();
    let key: String = other
        .client()
        .query_one("SELECT key FROM lookup_audit_key", &[])
        .unwrap()
        .get(0);
    assert_ne!(key, keys[0], "each database has its own key");
}

/// A database upgraded one version at a time (each release in turn) has the
/// schema of a fresh one.
#[test]
fn a_database_migrated_step_by_step_equals_a_fresh_one() {
    let Some(fresh) = test_db!() else { return };
    fresh.pool(1).migrate().unwrap();
    let Some(stepwise) = test_db!() else { return };
    for v in 1..=PG_MIGRATIONS.len() {
        // A new pool each time, as a restarted server.
        assert_eq!(stepwise.pool(1).migrate_to(v).unwrap(), 1);
        assert_eq!(stepwise.pool(1).version().unwrap(), v as i64);
    }
    assert_eq!(stepwise.pool(1).migrate().unwrap(), 0);
    assert_eq!(
        pg_schema(&mut stepwise.client()),
        pg_schema(&mut fresh.client())
    );
}

#[test]
fn two_instances_starting_together_migrate_once() {
    let Some(db) = test_db!() else { return };
    let fresh = {
        let Some(other) = test_db!() else { return };
        other.pool(1).migrate().unwrap();
        pg_schema(&mut other.client())
    };
    for round in 0..3 {
        let db_url = db.url.clone();
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (url, barrier) = (db_url.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let pool = PgPool::connect(&url, 2).unwrap();
                    barrier.wait();
                    pool.migrate()
                })
            })
            .collect();
        let applied: Vec<usize> = handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect();
        // The first round: each migration applied by one of them.
        let expected = if round == 0 { PG_MIGRATIONS.len() } else { 0 };
        assert_eq!(applied.iter().sum::<usize>(), expected, "{applied:?}");
        assert_eq!(pg_schema(&mut db.client()), fresh);
    }
    assert_eq!(db.pool(1).version().unwrap(), PG_MIGRATIONS.len() as i64);
}

#[test]
fn a_wrong_password_or_database_is_refused_at_connect() {
    let Some(db) = test_db!() else { return };
    let wrong = db.url.replacen("://passregion:", "://passregion:wrong", 1);
    assert_ne!(wrong, db.url, "the test cluster's user is passregion");
    assert!(PgPool::connect(&wrong, 1).is_err());
    assert!(PgPool::connect(&format!("{}_missing", db.url), 1).is_err());
    assert!(PgPool::connect("not a url", 1).is_err());
}

#[test]
fn a_database_of_a_newer_server_is_refused_unchanged() {
    let Some(db) = test_db!() else { return };
    let pool = db.pool(1);
    pool.migrate().unwrap();
    db.client()
        .execute(
            "INSERT INTO schema_migrations VALUES (999, '0999_future', 'x')",
            &[],
        )
        .unwrap();
    let before = pg_schema(&mut db.client());
    assert!(pool.migrate().is_err());
    assert_eq!(pg_schema(&mut db.client()), before);
}

#[test]
fn a_database_not_in_byte_order_is_refused() {
    let Some(db) = test_db!() else { return };
    // ICU collations ignore punctuation and case at first: text order would
    // differ from SQLite's (timestamps, cursors).
    let url = db.sibling(
        "TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'fr-FR' \
         LC_COLLATE 'C' LC_CTYPE 'C'",
    );
    let pool = PgPool::connect(&url, 1).unwrap();
    let err = pool.migrate().unwrap_err();
    assert!(err.to_string().contains("collation"), "{err}");
    assert_eq!(pool.version().unwrap(), 0, "nothing was created");
}

/// Every table and column of SQLite's schema after all its migrations
/// exists in PostgreSQL's, and no other: a SQLite migration without its
/// PostgreSQL twin fails here.
#[test]
fn the_schema_has_the_tables_and_columns_of_sqlite() {
    let Some(db) = test_db!() else { return };
    db.pool(1).migrate().unwrap();
    let mut pg = pg_columns(&mut db.client());
    // The one column of PostgreSQL's own: the statistics' shards
    // (migration 0005_stats_shards; SQLite's one writer needs none).
    for t in ["stats_spend", "stats_partner", "stats_uptake"] {
        let cols = pg.get_mut(t).unwrap();
        assert!(cols.contains(&"shard".to_owned()), "{t}.shard");
        cols.retain(|c| c != "shard");
    }

    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    passregion_server::platform::db::migrate(&mut conn).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut sqlite: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in tables {
        let mut cols: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        cols.sort();
        sqlite.insert(t, cols);
    }
    let only = |a: &BTreeMap<String, Vec<String>>, b: &BTreeMap<String, Vec<String>>| {
        let mut out = Vec::new();
        for (t, cols) in a {
            match b.get(t) {
                None => out.push(t.clone()),
                Some(other) => out.extend(
                    cols.iter()
                        .filter(|c| !other.contains(c))
                        .map(|c| format!("{t}.{c}")),
                ),
            }
        }
        out
    };
    assert_eq!(
        (only(&sqlite, &pg), only(&pg, &sqlite)),
        (vec![], vec![]),
        "(only in SQLite, only in PostgreSQL)"
    );
    assert_eq!(sqlite.len(), pg.len());
}
