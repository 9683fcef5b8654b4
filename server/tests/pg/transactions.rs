//! Transactions: retried on serialization failures and deadlocks, a bounded
//! number of times; the schema's triggers (append-only tables, the change
//! log, the statistics) as in SQLite.

use std::sync::Arc;
use std::sync::Barrier;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering;

use passregion_server::error::ServiceError;
use passregion_server::platform::db::Outcome;
use passregion_server::platform::pg::MAX_ATTEMPTS;
use passregion_server::platform::pg::PgError;

use crate::test_db;

fn conflict() -> ServiceError {
    ServiceError::Pg(PgError {
        code: Some("40001".into()),
        constraint: None,
        closed: false,
    })
}

/// Rows every fixture needs: an établissement, a validated partner, a youth
/// with a card.
pub const SEED: &str = "
    INSERT INTO establishments VALUES ('e1', 'Lycée', 'lycee', 'Lyon', '69001');
    INSERT INTO partners (id, name, category, address, city, postal_code, latitude, longitude,
                          status, created_at)
    VALUES ('p1', 'Librairie', 'librairie', '1 rue', 'Lyon', '69001', 45.7, 4.8, 'validated',
            '2026-10-01T00:00:00.000000Z');
    INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
    VALUES ('a1', 'Y@example.org', 'h', 'youth', 'Y', '2026-10-01T00:00:00.000000Z');
    INSERT INTO accounts (id, email, password_hash, role, display_name, partner_id, created_at,
                          partner_role)
    VALUES ('a2', 'p@example.org', 'h', 'partner', 'P', 'p1', '2026-10-01T00:00:00.000000Z',
            'manager');
    INSERT INTO orders (id, account_id, season, establishment_id, public, disabled, first_name,
                        last_name, birth_date, address, postal_code, city, status, created_at)
    VALUES ('o1', 'a1', 2026, 'e1', 'lyceen', FALSE, 'Y', 'Z', '2010-03-14', '1 rue', '69001',
            'Lyon', 'validee', '2026-10-01T00:00:00.000000Z');
    INSERT INTO cards (id, number, account_id, order_id, establishment_id, season, status, public,
                       disabled, first_name, last_name, birth_date, created_at)
    VALUES ('c1', '1234', 'a1', 'o1', 'e1', 2026, 'active', 'lyceen', FALSE, 'Y', 'Z',
            '2010-03-14', '2026-10-01T00:00:00.000000Z');
";

#[test]
fn a_conflicting_transaction_runs_again_and_commits_once() {
    let Some(db) = test_db!() else { return };
    let pool = db.pool(2);
    pool.migrate().unwrap();
    db.client().batch_execute(SEED).unwrap();
    let attempts = AtomicU32::new(0);
    let out = pool
        .write(|tx| {
            tx.execute(
                "INSERT INTO card_flags (card_id, reason, created_at) VALUES ('c1', 'x', 'now')",
                &[],
            )?;
            if attempts.fetch_add(1, Ordering::SeqCst) < 2 {
                return Err(conflict());
            }
            Ok(7)
        })
        .unwrap();
    assert_eq!(out, 7);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    let flags: i64 = db
        .client()
        .query_one("SELECT COUNT(*) FROM card_flags", &[])
        .unwrap()
        .get(0);
    assert_eq!(flags, 1, "the failed attempts were rolled back");
}

#[test]
fn retries_are_bounded() {
    let Some(db) = test_db!() else { return };
    let pool = db.pool(1);
    pool.migrate().unwrap();
    let attempts = AtomicU32::new(0);
    let out: Result<(), _> = pool.write(|_| {
        attempts.fetch_add(1, Ordering::SeqCst);
        Err(conflict())
    });
    assert!(matches!(out, Err(ServiceError::Unavailable)), "{out:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), MAX_ATTEMPTS);
    // Other errors are not retried.
    let attempts = AtomicU32::new(0);
    let out: Result<(), _> = pool.write(|_| {
        attempts.fetch_add(1, Ordering::SeqCst);
        Err(ServiceError::Forbidden)
    });
    assert!(matches!(out, Err(ServiceError::Forbidden)));
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
}

/// Two instances lock the same two rows in opposite orders: PostgreSQL
/// breaks the deadlock by failing one, which runs again and commits.
#[test]
fn a_real_deadlock_is_retried() {
    let Some(db) = test_db!() else { return };
    db.pool(1).migrate().unwrap();
    db.client()
        .batch_execute(
            "INSERT INTO number_guards (number_hash, updated_at) VALUES ('a', 'x'), ('b', 'x');",
        )
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [("a", "b"), ("b", "a")]
        .into_iter()
        .map(|(first, second)| {
            let pool = db.pool(1);
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let attempts = AtomicU32::new(0);
                pool.write(|tx| {
                    let n = attempts.fetch_add(1, Ordering::SeqCst);
                    let bump = "UPDATE number_guards SET failed_attempts = failed_attempts + 1
                                WHERE number_hash = $1";
                    tx.execute(bump, &[&first])?;
                    if n == 0 {
                        barrier.wait();
                    }
                    tx.execute(bump, &[&second])?;
                    Ok(())
                })
                .unwrap();
                attempts.load(Ordering::SeqCst)
            })
        })
        .collect();
    let attempts: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        attempts.iter().sum::<u32>(),
        3,
        "one of them ran twice: {attempts:?}"
    );
    let total: i64 = db
        .client()
        .query_one(
            "SELECT SUM(failed_attempts)::bigint FROM number_guards",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(total, 4, "each committed once");
}

#[test]
fn a_refusal_is_committed_and_still_answered() {
    let Some(db) = test_db!() else { return };
    let pool = db.pool(1);
    pool.migrate().unwrap();
    let out: Result<(), _> = pool.write_outcome(|tx| {
        tx.execute(
            "INSERT INTO number_guards (number_hash, failed_attempts, updated_at) VALUES ('n', 1, 'x')",
            &[],
        )?;
        Ok(Outcome::CommitAndRefuse(ServiceError::TooManyAttempts))
    });
    assert!(matches!(out, Err(ServiceError::TooManyAttempts)));
    let out: Result<(), _> = pool.write(|tx| {
        tx.execute("UPDATE number_guards SET failed_attempts = 9", &[])?;
        Err(ServiceError::Forbidden)
    });
    assert!(out.is_err());
    let n: i64 = db
        .client()
        .query_one("SELECT failed_attempts FROM number_guards", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "the refusal's write kept, the error's rolled back");
}

#[test]
fn append_only_tables_refuse_changes_and_statistics_follow_transactions() {
    let Some(db) = test_db!() else { return };
    db.pool(1).migrate().unwrap();
    let mut c = db.client();
    c.batch_execute(SEED).unwrap();
    c.batch_execute(
        "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
           unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
         VALUES ('t1', 'debit', 'c1', 'p1', 'a2', 2026, 'lecture_loisir', 'credit', 1250, 1250, 0,
           1250, 'qr', '2026-10-30T00:00:00.000000Z'),
                ('t2', 'refund', 'c1', 'p1', 'a2', 2026, 'lecture_loisir', 'credit', 0, 1250, 0,
           -1250, 'qr', '2026-11-10T00:00:00.000000Z');
         INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units,
           loaded_total, debited_total, refunded_total, created_at)
         VALUES ('c1', 2026, 'lecture_loisir', 'credit', 'load', 3000, 3000, 0, 0, 'x');",
    )
    .unwrap();
    for sql in [
        "UPDATE ledger SET units = 1",
        "DELETE FROM ledger",
        "UPDATE transactions SET amount_cents = 0",
        "DELETE FROM transactions WHERE id = 't2'",
        "TRUNCATE ledger CASCADE",
    ] {
        let err = c.batch_execute(sql).unwrap_err();
        assert!(
            err.as_db_error().is_some_and(
                |e| e.message().contains("append-only") || e.message().contains("immutable")
            ),
            "{sql}: {err}"
        );
    }
    // A balance can never go negative, in the database itself.
    assert!(
        c.batch_execute(
            "INSERT INTO ledger (card_id, season, avantage, unit_kind, movement, units,
               transaction_id, loaded_total, debited_total, refunded_total, created_at)
             VALUES ('c1', 2026, 'lecture_loisir', 'credit', 'debit', 3001, 't1', 3000, 3001, 0,
               'x')"
        )
        .is_err()
    );
    let spend: Vec<(String, String, i64, i64)> = c
        .query(
            "SELECT departement, month, SUM(n)::BIGINT, SUM(amount_cents)::BIGINT FROM stats_spend
             GROUP BY departement, month ORDER BY month",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        spend,
        [
            ("69".into(), "2026-10".into(), 1, 1250),
            ("69".into(), "2026-11".into(), 1, -1250)
        ]
    );
    let partner: (i64, i64, i64) = c
        .query_one(
            "SELECT SUM(debits)::BIGINT, SUM(refunds)::BIGINT, SUM(amount_cents)::BIGINT
             FROM stats_partner",
            &[],
        )
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!(partner, (1, 1, 0));
    let uptake: i64 = c
        .query_one("SELECT SUM(cards)::BIGINT FROM stats_uptake", &[])
        .unwrap()
        .get(0);
    assert_eq!(uptake, 1);
    // The change log of the devices: the partner's insert, a card's status.
    c.batch_execute("UPDATE cards SET status = 'suspendue' WHERE id = 'c1'")
        .unwrap();
    let log: Vec<(String, String)> = c
        .query("SELECT kind, entity_id FROM change_log ORDER BY seq", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        log,
        [
            ("partner".into(), "p1".into()),
            ("card".into(), "c1".into())
        ]
    );
    // Addresses are unique whatever their case.
    assert!(
        c.batch_execute(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
             VALUES ('a3', 'y@EXAMPLE.org', 'h', 'youth', 'Y', 'x')"
        )
        .is_err()
    );
}

/// PostgreSQL's message for a unique violation quotes the value (`Key
/// (email)=(…) already exists`): the error keeps only its SQLSTATE and
/// constraint, so no address reaches a log.
#[test]
fn errors_keep_no_personal_data() {
    let Some(db) = test_db!() else { return };
    let pool = db.pool(1);
    pool.migrate().unwrap();
    let insert = |tx: &mut r2d2_postgres::postgres::Transaction<'_>| {
        tx.execute(
            "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
             VALUES (gen_random_uuid()::text, 'secret.person@example.org', 'h', 'youth', 'S', 'x')",
            &[],
        )?;
        Ok(())
    };
    pool.write(insert).unwrap();
    let err = pool.write(insert).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("secret.person"), "{shown}");
    match err {
        ServiceError::Pg(e) => {
            assert!(e.unique_violation());
            assert_eq!(e.constraint.as_deref(), Some("accounts_email_key"));
        }
        other => panic!("{other:?}"),
    }
}

/// A statement run through the transaction helpers is prepared once per
/// connection (ADR 0036, *Speed*), not on every call; a new connection (a
/// failover) prepares it again.
#[test]
fn a_cached_statement_is_prepared_once_per_connection() {
    use passregion_server::platform::pg_cache::CachedQueries;
    let Some(db) = test_db!() else { return };
    let pool = db.pool(1);
    pool.migrate().unwrap();
    let prepared = |pool: &passregion_server::platform::pg::PgPool| -> i64 {
        pool.write(|tx| {
            for i in 0..10_i64 {
                let n: i64 = tx.query_one_cached("SELECT $1::BIGINT + 1", &[&i])?.get(0);
                assert_eq!(n, i + 1);
            }
            Ok(tx
                .query_one(
                    "SELECT COUNT(*) FROM pg_prepared_statements
                     WHERE statement = 'SELECT $1::BIGINT + 1'",
                    &[],
                )?
                .get::<_, i64>(0))
        })
        .unwrap()
    };
    assert_eq!(prepared(&pool), 1, "ten calls, one statement");
    assert_eq!(
        prepared(&pool),
        1,
        "the next transaction on the connection reuses it"
    );
    // Every connection cut: the pool's next one prepares it again.
    db.cut_connections();
    assert_eq!(prepared(&pool), 1);
    // The statements belong to the connection, not to the thread that
    // prepared them: the blocking threads that take turns on it reuse them.
    for _ in 0..4 {
        let pool = pool.clone();
        let n = std::thread::spawn(move || prepared(&pool)).join().unwrap();
        assert_eq!(n, 1, "prepared again on another thread");
    }
    // A read of one statement (no transaction) uses them too.
    let n: i64 = pool
        .read_one(|c| {
            let n: i64 = c
                .query_one_cached("SELECT $1::BIGINT + 1", &[&1_i64])?
                .get(0);
            assert_eq!(n, 2);
            Ok(c.query_one(
                "SELECT COUNT(*) FROM pg_prepared_statements
                 WHERE statement = 'SELECT $1::BIGINT + 1'",
                &[],
            )?
            .get(0))
        })
        .unwrap();
    assert_eq!(n, 1);
}

/// A connection cut while idle in the pool (a failover, an administrator)
/// is not tested at check-out: its `BEGIN` fails, before anything could
/// commit, and the call goes on with a new connection, unnoticed by the
/// caller; a read of one statement likewise.
#[test]
fn a_cut_idle_connection_is_replaced_without_an_error() {
    let Some(db) = test_db!() else { return };
    let pool = db.pool(3);
    pool.migrate().unwrap();
    let pid = |pool: &passregion_server::platform::pg::PgPool| -> i32 {
        pool.write(|tx| Ok(tx.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
            .unwrap()
    };
    let cut = || {
        db.cut_connections();
        // The server ends them asynchronously.
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let first = pid(&pool);
    cut();
    let second = pid(&pool);
    assert_ne!(first, second, "a new connection");
    cut();
    let read: i32 = pool
        .read_one(|c| Ok(c.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
        .unwrap();
    assert_ne!(read, second);
}
