//! Reimbursements and payments on PostgreSQL from several instances: the
//! closing job runs once per tick (its advisory lock), a batch's rows are
//! locked by every write that changes its state, so a transaction lands in
//! one batch, a batch goes in one run and is paid once, whatever runs
//! together on two instances.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::DateTime;
use chrono::Duration;
use chrono::NaiveDate;
use chrono::TimeZone;
use chrono::Utc;
use passregion_core::status::BatchStatus;
use passregion_server::accounts::model::Principal;
use passregion_server::accounts::model::Role;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::error::ServiceError;
use passregion_server::platform::idempotency::Idempotency;
use passregion_server::platform::store::PgStore;
use passregion_server::reimbursements::error::ReimbursementsError;
use passregion_server::reimbursements::model::Batch;
use passregion_server::reimbursements::model::ManualPayment;
use passregion_server::reimbursements::model::PaymentRun;
use passregion_server::reimbursements::model::PaymentRunRequest;
use passregion_server::reimbursements::model::StatementImport;
use passregion_server::reimbursements::pain001::DebtorAccount;
use passregion_server::reimbursements::payments_repo::PENDING_BANK_DETAILS;
use passregion_server::reimbursements::payments_repo::PaymentsRepo;
use passregion_server::reimbursements::repo::ReimbursementsRepo;
use r2d2_postgres::postgres::Client;

use crate::support::TestDb;
use crate::test_db;
use crate::transactions::SEED;

const DEBTOR_IBAN: &str = "FR6220041010071234567890012";
const PARTNER_IBAN: &str = "FR7630006000011234567890189";

fn instance(db: &TestDb) -> PgStore {
    let pool = db.pool(4);
    pool.migrate().unwrap();
    let policy = Policy {
        debtor: Some(DebtorAccount {
            name: "Région Auvergne-Rhône-Alpes".into(),
            iban: DEBTOR_IBAN.into(),
            bic: "PSSTFRPP".into(),
        }),
        ..Policy::default()
    };
    PgStore::new(pool, Arc::new(load_catalogues(&[]).unwrap()), policy)
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn region() -> Principal {
    Principal {
        account_id: "r1".into(),
        role: Role::Region,
        partner: None,
        partner_role: None,
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    }
}

fn partner(account: &str, id: &str) -> Principal {
    Principal {
        account_id: account.into(),
        role: Role::Partner,
        partner: Some((id.into(), passregion_core::PartnerCategory::Librairie, true)),
        partner_role: None,
        establishment_id: None,
        establishment_role: None,
        region_role: None,
    }
}

fn idem(key: &str, request: &str) -> Idempotency {
    Idempotency {
        account_id: "r1".into(),
        key: key.into(),
        request_hash: format!("hash-of-{request}"),
    }
}

/// `SEED` (partner `p1`, card `c1`), a Region account `r1`, partners
/// `q0..q{n}` with a valid IBAN, and `p1`'s IBAN.
fn seed(db: &TestDb, partners: usize) -> Client {
    let mut c = db.client();
    c.batch_execute(SEED).unwrap();
    c.batch_execute(
        "INSERT INTO accounts (id, email, password_hash, role, display_name, created_at)
         VALUES ('r1', 'r@example.org', 'h', 'region', 'Comptable', '2026-10-01T00:00:00.000000Z')",
    )
    .unwrap();
    c.execute(
        "UPDATE partners SET iban = $1, siret = '12345678901234' WHERE id = 'p1'",
        &[&PARTNER_IBAN],
    )
    .unwrap();
    for i in 0..partners {
        c.execute(
            "INSERT INTO partners (id, name, category, address, city, postal_code, latitude,
               longitude, status, created_at, iban)
             VALUES ($1, $2, 'librairie', '1 rue', 'Lyon', '69001', 45.7, 4.8, 'validated',
               '2026-10-01T00:00:00.000000Z', $3)",
            &[
                &format!("q{i}"),
                &format!("Partenaire {i:02}"),
                &PARTNER_IBAN,
            ],
        )
        .unwrap();
    }
    c
}

/// A transaction of `cents` (a refund when negative) for `partner` at `when`.
fn line(c: &mut Client, id: &str, partner: &str, cents: i64, when: DateTime<Utc>) {
    let kind = if cents < 0 { "refund" } else { "debit" };
    c.execute(
        "INSERT INTO transactions (id, kind, card_id, partner_id, account_id, season, avantage,
           unit_kind, price_units, units, reste_units, amount_cents, channel, created_at)
         VALUES ($1, $2, 'c1', $3, 'a2', 2026, 'lecture_loisir', 'credit', $4, $4, 0, $5, 'web',
           $6)",
        &[
            &id,
            &kind,
            &partner,
            &cents.abs(),
            &cents,
            &passregion_server::platform::sql::ts(when),
        ],
    )
    .unwrap();
}

fn cents(c: &mut Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).unwrap().get(0)
}

/// Every batch's total is the sum of its transactions, and no transaction
/// is in two batches (the primary key) nor missing while before the boundary.
fn assert_books(c: &mut Client) {
    let wrong = cents(
        c,
        "SELECT COUNT(*) FROM reimbursement_batches b WHERE total_cents <> COALESCE((
           SELECT SUM(t.amount_cents) FROM reimbursement_items i
           JOIN transactions t ON t.id = i.transaction_id WHERE i.batch_id = b.id), 0)
           OR total_cents + carried_in_cents <> payable_cents + carried_out_cents",
    );
    assert_eq!(wrong, 0, "every batch's total is its transactions'");
}

fn run_of(resp: &passregion_server::platform::idempotency::StoredResponse) -> PaymentRun {
    assert_eq!(resp.status, 201, "{}", resp.body);
    serde_json::from_str(&resp.body).unwrap()
}

fn camt(run_id: &str, paid: (&str, i64), rejected: (&str, i64)) -> Vec<u8> {
    let amount = |c: i64| format!("{}.{:02}", c / 100, c % 100);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/iso20022");
    std::fs::read_to_string(dir.join("camt.054.001.08-one-rejected.xml"))
        .unwrap()
        .replace("{{RUN_ID}}", run_id)
        .replace("{{DEBTOR_IBAN}}", DEBTOR_IBAN)
        .replace("{{E2E_PAID}}", paid.0)
        .replace("{{AMOUNT_PAID}}", &amount(paid.1))
        .replace("{{E2E_REJECTED}}", rejected.0)
        .replace("{{AMOUNT_REJECTED}}", &amount(rejected.1))
        .into_bytes()
}

fn of<'a>(batches: &'a [Batch], partner: &str) -> &'a Batch {
    batches.iter().find(|b| b.partner_id == partner).unwrap()
}

#[test]
fn batches_close_claw_back_and_show_their_statements() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = seed(&db, 0);
    let p1 = partner("a2", "p1");
    line(&mut c, "t1", "p1", 3_000, at(10, 9));
    line(&mut c, "t2", "p1", 1_000, at(20, 9));
    // The first closing takes what came before its boundary only.
    let first = store.close_reimbursements(at(16, 0), at(16, 1)).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].total.cents(), 3_000);
    assert_eq!(first[0].payable.cents(), 3_000);
    assert_eq!(first[0].transactions, 1);
    assert_eq!(first[0].status, BatchStatus::InProgress);
    // Closing the same boundary again does nothing.
    assert!(
        store
            .close_reimbursements(at(16, 0), at(16, 2))
            .unwrap()
            .is_empty()
    );
    let summary = store.partner_reimbursements(&p1).unwrap();
    assert_eq!(summary.pending_total.cents(), 1_000);
    assert_eq!(summary.in_progress_total.cents(), 3_000);
    // Paid by hand, then a refund after the payout: the next batch pays
    // nothing and carries the deficit out…
    let paid = store
        .pay_manually(
            &region(),
            &first[0].id,
            ManualPayment {
                reference: "VIR-1".into(),
                paid_on: Some(NaiveDate::from_ymd_opt(2026, 11, 17).unwrap()),
            },
            at(17, 9),
        )
        .unwrap();
    assert_eq!(paid.status, BatchStatus::Paid);
    assert_eq!(paid.bank_reference.as_deref(), Some("VIR-1"));
    let again = store.pay_manually(
        &region(),
        &first[0].id,
        ManualPayment {
            reference: "VIR-2".into(),
            paid_on: None,
        },
        at(17, 10),
    );
    assert!(
        matches!(again, Err(ServiceError::Invalid { .. })),
        "paid once"
    );
    line(&mut c, "t3", "p1", -3_000, at(21, 9));
    let second = store.close_reimbursements(at(22, 0), at(22, 1)).unwrap();
    assert_eq!(second[0].total.cents(), -2_000);
    assert_eq!(second[0].payable.cents(), 0);
    assert_eq!(second[0].carried_out.cents(), -2_000);
    assert_eq!(second[0].status, BatchStatus::Offset);
    assert_eq!(
        store
            .partner_reimbursements(&p1)
            .unwrap()
            .carried_total
            .cents(),
        -2_000
    );
    // …into the next one, which pays what is left.
    line(&mut c, "t4", "p1", 3_500, at(23, 9));
    let third = store.close_reimbursements(at(24, 0), at(24, 1)).unwrap();
    assert_eq!(third[0].carried_in.cents(), -2_000);
    assert_eq!(third[0].payable.cents(), 1_500);
    assert_eq!(
        third[0].carried_from.as_deref(),
        Some(second[0].id.as_str())
    );
    assert_eq!(store.last_period_end().unwrap(), Some(at(24, 0)));
    assert_eq!(store.batches().unwrap().len(), 3);
    assert_books(&mut c);
    // The statement: its lines, per avantage, its period and carry.
    let s = store.statement(&p1, &third[0].id).unwrap();
    assert_eq!(s.lines.len(), 1);
    assert_eq!(s.avantages.len(), 1);
    assert_eq!(s.avantages[0].net.cents(), 3_500);
    assert_eq!(s.period_start, Some(at(22, 0)));
    assert_eq!(s.carried_from_period_end, Some(at(22, 0)));
    assert_eq!(s.siret.as_deref(), Some("12345678901234"));
    let s = store.statement(&p1, &second[0].id).unwrap();
    assert_eq!((s.debits.cents(), s.refunds.cents()), (1_000, -3_000));
    // Another partner's statement is not found.
    let other = partner("a3", "p2");
    assert!(matches!(
        store.statement(&other, &third[0].id),
        Err(ServiceError::NotFound(_))
    ));
    // The journal: the closings' charge, the manual payment's bank line.
    let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let csv = store.accounting_journal(from, to).unwrap();
    assert_eq!(csv.matches(";6574;").count(), 3, "{csv}");
    assert_eq!(csv.matches(";512;").count(), 1, "{csv}");
    assert!(csv.contains("VIR-1"), "{csv}");
    let events = store.payment_events(&first[0].id).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "paye_manuellement");
    assert_eq!(events[0].by, "Comptable");
    assert!(matches!(
        store.accounting_journal(to, from),
        Err(ServiceError::Invalid { .. })
    ));
}

#[test]
fn a_run_is_paid_by_the_bank_statement_and_held_while_bank_details_wait() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = seed(&db, 2);
    line(&mut c, "t1", "q0", 1_250, at(10, 9));
    line(&mut c, "t2", "q1", 800, at(10, 9));
    line(&mut c, "t3", "p1", 400, at(10, 9));
    c.execute(
        "UPDATE partners SET bank_details_pending_since = 'x' WHERE id = 'p1'",
        &[],
    )
    .unwrap();
    let batches = store.close_reimbursements(at(16, 0), at(16, 1)).unwrap();
    let queue = store.payment_queue().unwrap();
    assert_eq!(queue.len(), 3);
    let held = queue.iter().find(|q| q.batch.partner_id == "p1").unwrap();
    assert_eq!(held.blocked.as_deref(), Some(PENDING_BANK_DETAILS));
    let ids: Vec<String> = batches.iter().map(|b| b.id.clone()).collect();
    let req = PaymentRunRequest {
        batch_ids: ids.clone(),
        execution_date: None,
    };
    let run = run_of(
        &store
            .create_payment_run(&region(), req.clone(), idem("k1", "run"), at(17, 9))
            .unwrap(),
    );
    assert_eq!(run.transfers.len(), 2, "the held batch is left out");
    assert_eq!(run.blocked.len(), 1);
    assert_eq!(run.total.cents(), 2_050);
    // The same key replays the run.
    let replay = run_of(
        &store
            .create_payment_run(&region(), req.clone(), idem("k1", "run"), at(17, 10))
            .unwrap(),
    );
    assert_eq!(replay.id, run.id);
    assert_eq!(store.payment_runs().unwrap().len(), 1);
    let xml = store.payment_run_xml(&run.id).unwrap();
    assert!(
        xml.contains("pain.001") && xml.contains(PARTNER_IBAN),
        "{xml}"
    );
    // A batch in a run cannot go in another.
    let again = store
        .create_payment_run(&region(), req, idem("k2", "run"), at(17, 11))
        .unwrap_err();
    assert!(
        matches!(
            again,
            ServiceError::Reimbursements(ReimbursementsError::AlreadyInRun { .. })
        ),
        "{again:?}"
    );
    // The bank books q0's transfer and rejects q1's.
    let paid = run.transfers.iter().find(|t| t.partner_id == "q0").unwrap();
    let rejected = run.transfers.iter().find(|t| t.partner_id == "q1").unwrap();
    let file = camt(
        &run.id,
        (&paid.end_to_end_id, 1_250),
        (&rejected.end_to_end_id, 800),
    );
    let import = |key: &str| -> StatementImport {
        let r = store
            .import_bank_statement(&region(), file.clone(), idem(key, key), at(18, 9))
            .unwrap();
        serde_json::from_str(&r.body).unwrap()
    };
    let first = import("i1");
    assert_eq!((first.paid, first.rejected, first.unchanged), (1, 1, 0));
    // Imported again under another key: nothing changes.
    let second = import("i2");
    assert_eq!((second.paid, second.rejected, second.unchanged), (0, 0, 2));
    let now = store.batches().unwrap();
    assert_eq!(of(&now, "q0").status, BatchStatus::Paid);
    assert_eq!(of(&now, "q1").status, BatchStatus::InProgress);
    assert!(of(&now, "q1").rejection_reason.is_some());
    assert_eq!(
        store.payment_run(&run.id).unwrap().transfers.len(),
        2,
        "the run keeps its transfers"
    );
    let events = store.payment_events(&of(&now, "q0").id).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["mis_en_paiement", "paye"]);
    // The rejected batch goes in a new run.
    let rerun = run_of(
        &store
            .create_payment_run(
                &region(),
                PaymentRunRequest {
                    batch_ids: vec![of(&now, "q1").id.clone()],
                    execution_date: None,
                },
                idem("k3", "rerun"),
                at(18, 10),
            )
            .unwrap(),
    );
    assert_eq!(rerun.transfers.len(), 1);
    assert_books(&mut c);
}

/// Two instances close the same boundary at once while debits dated
/// before it keep arriving: each transaction lands in one batch, each
/// batch's total is exactly its transactions'. Without the job's lock the
/// second instance batches the same transactions again and fails.
#[test]
fn two_instances_closing_together_batch_each_transaction_once() {
    let Some(db) = test_db!() else { return };
    const PARTNERS: usize = 12;
    let (a, b) = (instance(&db), instance(&db));
    let mut c = seed(&db, PARTNERS);
    let mut expected = 0;
    for round in 0..4u32 {
        for p in 0..PARTNERS {
            for k in 0..3 {
                let cents = 100 + (p * 10 + k) as i64;
                expected += cents;
                line(
                    &mut c,
                    &format!("t{round}-{p}-{k}"),
                    &format!("q{p}"),
                    cents,
                    at(1 + round, 9),
                );
            }
        }
        let boundary = at(2 + round, 0);
        let barrier = Barrier::new(3);
        let url = db.url.clone();
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| {
                barrier.wait();
                a.close_reimbursements(boundary, boundary + Duration::hours(1))
            });
            let tb = s.spawn(|| {
                barrier.wait();
                b.close_reimbursements(boundary, boundary + Duration::hours(1))
            });
            // Late lines dated before the boundary, committed during the closing.
            s.spawn(|| {
                let mut late = Client::connect(&url, r2d2_postgres::postgres::NoTls).unwrap();
                barrier.wait();
                for k in 0..20 {
                    line(
                        &mut late,
                        &format!("late{round}-{k}"),
                        "q0",
                        7,
                        at(1 + round, 10),
                    );
                }
            });
            (ta.join().unwrap(), tb.join().unwrap())
        });
        expected += 20 * 7;
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let mut partners: Vec<String> =
            ra.iter().chain(&rb).map(|b| b.partner_id.clone()).collect();
        partners.sort();
        let before = partners.len();
        partners.dedup();
        assert_eq!(before, partners.len(), "one batch per partner and closing");
        assert!(partners.len() >= PARTNERS, "round {round}: {partners:?}");
        assert_books(&mut c);
    }
    // Whatever came late goes in the next closing.
    a.close_reimbursements(at(30, 0), at(30, 1)).unwrap();
    assert_books(&mut c);
    let unbatched = cents(
        &mut c,
        "SELECT COUNT(*) FROM transactions t LEFT JOIN reimbursement_items i
         ON i.transaction_id = t.id WHERE i.batch_id IS NULL",
    );
    assert_eq!(unbatched, 0);
    let batched = cents(
        &mut c,
        "SELECT SUM(total_cents)::BIGINT FROM reimbursement_batches",
    );
    assert_eq!(batched, expected);
}

/// One camt.054 imported at the same time on two instances (two keys):
/// each transfer is settled once, each batch paid once, one audit event.
/// A manual payment racing the booking of the same batch: paid once.
/// Without the batches' locks, both imports settle the same transfers.
#[test]
fn two_imports_of_one_statement_at_once_apply_once() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (instance(&db), instance(&db));
    let mut c = seed(&db, 3);
    for round in 0..6u32 {
        for p in 0..3 {
            line(
                &mut c,
                &format!("t{round}-{p}"),
                &format!("q{p}"),
                1_000 + i64::from(round),
                at(1 + round, 9),
            );
        }
        let batches = a
            .close_reimbursements(at(2 + round, 0), at(2 + round, 1))
            .unwrap();
        assert_eq!(batches.len(), 3);
        let run = run_of(
            &a.create_payment_run(
                &region(),
                PaymentRunRequest {
                    batch_ids: batches.iter().map(|b| b.id.clone()).collect(),
                    execution_date: None,
                },
                idem(&format!("run{round}"), "run"),
                at(2 + round, 2),
            )
            .unwrap(),
        );
        let t = |p: &str| run.transfers.iter().find(|t| t.partner_id == p).unwrap();
        let amount = 1_000 + i64::from(round);
        let file = camt(
            &run.id,
            (&t("q0").end_to_end_id, amount),
            (&t("q1").end_to_end_id, amount),
        );
        let manual_batch = of(&batches, "q2").id.clone();
        let paid_file = camt(&run.id, (&t("q2").end_to_end_id, amount), ("none", 1));
        let barrier = Barrier::new(4);
        let when = at(2 + round, 3);
        let results: Vec<StatementImport> = std::thread::scope(|s| {
            let imports: Vec<_> = [(&a, "x"), (&b, "y"), (&b, "z")]
                .into_iter()
                .map(|(store, key)| {
                    let file = if key == "z" {
                        paid_file.clone()
                    } else {
                        file.clone()
                    };
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        let r = store
                            .import_bank_statement(
                                &region(),
                                file,
                                idem(&format!("{key}{round}"), key),
                                when,
                            )
                            .unwrap();
                        serde_json::from_str::<StatementImport>(&r.body).unwrap()
                    })
                })
                .collect();
            let manual = s.spawn(|| {
                barrier.wait();
                a.pay_manually(
                    &region(),
                    &manual_batch,
                    ManualPayment {
                        reference: "MAIN".into(),
                        paid_on: None,
                    },
                    when,
                )
            });
            let out = imports.into_iter().map(|h| h.join().unwrap()).collect();
            let manual = manual.join().unwrap();
            if let Err(e) = manual {
                assert!(matches!(e, ServiceError::Invalid { .. }), "{e:?}");
            }
            out
        });
        let paid: i64 = results[..2].iter().map(|r| r.paid).sum();
        let rejected: i64 = results[..2].iter().map(|r| r.rejected).sum();
        assert_eq!((paid, rejected), (1, 1), "round {round}: {results:?}");
        let mut events = |batch: &str, kind: &str| -> i64 {
            c.query_one(
                "SELECT COUNT(*) FROM payment_events WHERE batch_id = $1 AND event = $2",
                &[&batch, &kind],
            )
            .unwrap()
            .get(0)
        };
        assert_eq!(events(&of(&batches, "q0").id, "paye"), 1);
        assert_eq!(events(&of(&batches, "q1").id, "rejete"), 1);
        let q2 = events(&manual_batch, "paye") + events(&manual_batch, "paye_manuellement");
        assert_eq!(q2, 1, "round {round}: q2 paid once");
        let now = a.batches().unwrap();
        assert_eq!(of(&now[..3], "q0").status, BatchStatus::Paid);
        assert_books(&mut c);
    }
}

/// Payment runs racing a closing and each other: two runs asking for the
/// same batches make one run and one refusal (not an error), the closing
/// on the other instance is unaffected, and each batch has at most one
/// live transfer. Without the batches' locks the second run fails inside
/// (500) instead.
#[test]
fn a_payment_run_racing_a_batch_close_and_another_run() {
    let Some(db) = test_db!() else { return };
    const PARTNERS: usize = 8;
    let (a, b) = (instance(&db), instance(&db));
    let mut c = seed(&db, PARTNERS);
    for round in 0..5u32 {
        for p in 0..PARTNERS {
            line(
                &mut c,
                &format!("t{round}-{p}"),
                &format!("q{p}"),
                500,
                at(1 + round, 9),
            );
        }
        let closed = a
            .close_reimbursements(at(2 + round, 0), at(2 + round, 1))
            .unwrap();
        assert_eq!(closed.len(), PARTNERS);
        for p in 0..PARTNERS {
            line(
                &mut c,
                &format!("n{round}-{p}"),
                &format!("q{p}"),
                300,
                at(2 + round, 9),
            );
        }
        let mut ids: Vec<String> = closed.iter().map(|b| b.id.clone()).collect();
        let forward = PaymentRunRequest {
            batch_ids: ids.clone(),
            execution_date: None,
        };
        ids.reverse();
        let backward = PaymentRunRequest {
            batch_ids: ids,
            execution_date: None,
        };
        let barrier = Barrier::new(3);
        let when = at(3 + round, 1);
        let (r1, r2, closing) = std::thread::scope(|s| {
            let t1 = s.spawn(|| {
                barrier.wait();
                a.create_payment_run(&region(), forward, idem(&format!("f{round}"), "f"), when)
            });
            let t2 = s.spawn(|| {
                barrier.wait();
                b.create_payment_run(&region(), backward, idem(&format!("b{round}"), "b"), when)
            });
            let t3 = s.spawn(|| {
                barrier.wait();
                b.close_reimbursements(at(3 + round, 0), when)
            });
            (t1.join().unwrap(), t2.join().unwrap(), t3.join().unwrap())
        });
        let closing = closing.unwrap();
        assert_eq!(closing.len(), PARTNERS, "round {round}");
        assert!(closing.iter().all(|b| b.status == BatchStatus::InProgress));
        let (ok, refused): (Vec<_>, Vec<_>) = [r1, r2].into_iter().partition(Result::is_ok);
        assert_eq!(ok.len(), 1, "round {round}: one run");
        let err = refused.into_iter().next().unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                ServiceError::Reimbursements(ReimbursementsError::AlreadyInRun { .. })
            ),
            "round {round}: a refusal, {err:?}"
        );
        let run = run_of(&ok.into_iter().next().unwrap().unwrap());
        assert_eq!(run.transfers.len(), PARTNERS);
        let live = cents(
            &mut c,
            "SELECT COUNT(*) FROM (SELECT batch_id FROM payment_transfers WHERE status <> 'rejete'
             GROUP BY batch_id HAVING COUNT(*) > 1) x",
        );
        assert_eq!(live, 0);
        let in_payment = cents(
            &mut c,
            "SELECT COUNT(*) FROM reimbursement_batches WHERE status = 'en_cours_de_paiement'",
        );
        assert_eq!(in_payment, (PARTNERS as i64) * i64::from(round + 1));
        assert_books(&mut c);
    }
}

/// A bank-details change being recorded while a run is made: the run waits
/// for it (the payee's row is read `FOR SHARE`) and holds that partner's
/// batch; without the lock it would pay the account being replaced.
#[test]
fn a_run_waits_for_a_bank_details_change_in_progress() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let mut c = seed(&db, 2);
    line(&mut c, "t1", "q0", 900, at(10, 9));
    line(&mut c, "t2", "q1", 700, at(10, 9));
    let batches = store.close_reimbursements(at(16, 0), at(16, 1)).unwrap();
    let mut change = db.client();
    let mut tx = change.transaction().unwrap();
    tx.execute(
        "UPDATE partners SET bank_details_pending_since = '2026-11-17T09:00:00.000000Z'
         WHERE id = 'q0'",
        &[],
    )
    .unwrap();
    let req = PaymentRunRequest {
        batch_ids: batches.iter().map(|b| b.id.clone()).collect(),
        execution_date: None,
    };
    let run = std::thread::scope(|s| {
        let run = s.spawn(|| store.create_payment_run(&region(), req, idem("k", "run"), at(17, 9)));
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!run.is_finished(), "the run waits for the change");
        tx.commit().unwrap();
        run.join().unwrap()
    });
    let run = run_of(&run.unwrap());
    assert_eq!(run.transfers.len(), 1);
    assert_eq!(run.transfers[0].partner_id, "q1");
    assert_eq!(run.blocked.len(), 1);
    assert_eq!(run.blocked[0].reason, PENDING_BANK_DETAILS);
}
