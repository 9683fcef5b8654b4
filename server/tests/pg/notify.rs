//! The notification outbox and the account's own sessions on PostgreSQL:
//! the promises of the SQLite engine, and the outbox drained by two
//! instances sends each notification once.

use std::sync::Arc;
use std::sync::Barrier;
use std::sync::Mutex;

use chrono::DateTime;
use chrono::Duration;
use chrono::TimeZone;
use chrono::Utc;
use passregion_server::accounts::my_sessions::MySessionsRepo;
use passregion_server::accounts::notify::MAX_ATTEMPTS;
use passregion_server::accounts::notify::NotifyRepo;
use passregion_server::accounts::notify::send_pending;
use passregion_server::accounts::repo::AccountsRepo;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::error::ServiceError;
use passregion_server::platform::mail::Mail;
use passregion_server::platform::mail::Mailer;
use passregion_server::platform::store::PgStore;

use crate::support::TestDb;
use crate::test_db;
use crate::transactions::SEED;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

/// One server instance's store on the test database.
pub fn instance(db: &TestDb) -> PgStore {
    let pool = db.pool(4);
    pool.migrate().unwrap();
    PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    )
}

/// A mailer that records what it sends (slowly, so that two senders
/// overlap), and fails for one address.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<Mail>>,
    refuse: Option<String>,
}

impl Mailer for Recorder {
    fn send(&self, mail: &Mail) -> Result<(), ServiceError> {
        if self.refuse.as_deref() == Some(mail.to.as_str()) {
            return Err(ServiceError::Unavailable);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
        self.sent.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

/// `n` notifications queued for the youth `a1` (confirmed), numbered.
fn queue(db: &TestDb, n: usize) {
    let mut c = db.client();
    c.batch_execute(SEED).unwrap();
    c.batch_execute("UPDATE accounts SET email_verified_at = '2026-10-01T00:00:00.000000Z'")
        .unwrap();
    for i in 0..n {
        c.execute(
            "INSERT INTO notification_outbox (account_id, dedupe_key, subject, body, created_at)
             VALUES ('a1', $1, $2, 'Bonjour', $3)",
            &[
                &format!("k{i}"),
                &format!("PASS'Région : n°{i}"),
                &format!("2026-11-01T00:00:{:02}.000000Z", i % 60),
            ],
        )
        .unwrap();
    }
}

#[test]
fn two_instances_draining_the_outbox_send_each_notification_once() {
    let Some(db) = test_db!() else { return };
    let stores: Vec<Arc<PgStore>> = (0..2).map(|_| Arc::new(instance(&db))).collect();
    queue(&db, 120);
    let mailer = Arc::new(Recorder::default());
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = stores
        .iter()
        .flat_map(|s| [s.clone(), s.clone()])
        .map(|store| {
            let (mailer, barrier) = (mailer.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                send_pending(store.as_ref(), mailer.as_ref(), t0()).unwrap()
            })
        })
        .collect();
    let counted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let mut subjects: Vec<String> = mailer
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.subject.clone())
        .collect();
    let sends = subjects.len();
    subjects.sort();
    subjects.dedup();
    assert_eq!(sends, 120, "each notification sent once, none twice");
    assert_eq!(subjects.len(), 120);
    assert_eq!(counted, 120, "the rounds count what they sent");
    let row = db
        .client()
        .query_one(
            "SELECT COUNT(*) FILTER (WHERE sent_at IS NULL), MAX(attempts) FROM notification_outbox",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
    assert_eq!(row.get::<_, i64>(1), 1, "one attempt each");
    assert_eq!(stores[0].outbox_counts().unwrap(), (0, 0));
    assert_eq!(
        send_pending(stores[1].as_ref(), mailer.as_ref(), t0()).unwrap(),
        0
    );
}

#[test]
fn a_failed_send_is_retried_until_the_bound_then_given_up() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    queue(&db, 2);
    let failing = Recorder {
        refuse: Some("Y@example.org".into()),
        ..Default::default()
    };
    assert_eq!(store.outbox_counts().unwrap(), (2, 0));
    assert_eq!(store.notifications_to_send().unwrap().len(), 2);
    for round in 1..=MAX_ATTEMPTS {
        assert_eq!(send_pending(&store, &failing, t0()).unwrap(), 0);
        let expected = if round < MAX_ATTEMPTS { (2, 0) } else { (0, 2) };
        assert_eq!(store.outbox_counts().unwrap(), expected, "round {round}");
    }
    assert!(store.notifications_to_send().unwrap().is_empty());
    let attempts: i64 = db
        .client()
        .query_one("SELECT MAX(attempts) FROM notification_outbox", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        attempts,
        i64::from(MAX_ATTEMPTS),
        "no attempt past the bound"
    );
    // A working mailer later sends nothing given up.
    let ok = Recorder::default();
    assert_eq!(send_pending(&store, &ok, t0()).unwrap(), 0);
    assert!(ok.sent.lock().unwrap().is_empty());
}

#[test]
fn only_confirmed_accounts_not_forgotten_are_written_to() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    queue(&db, 1);
    let mut c = db.client();
    c.batch_execute("UPDATE accounts SET email_verified_at = NULL")
        .unwrap();
    assert!(store.notifications_to_send().unwrap().is_empty());
    assert_eq!(store.outbox_counts().unwrap(), (0, 0));
    let mailer = Recorder::default();
    assert_eq!(send_pending(&store, &mailer, t0()).unwrap(), 0);
    c.batch_execute(
        "UPDATE accounts SET email_verified_at = '2026-10-01T00:00:00.000000Z',
         forgotten_at = '2026-10-02T00:00:00.000000Z'",
    )
    .unwrap();
    assert_eq!(send_pending(&store, &mailer, t0()).unwrap(), 0);
    c.batch_execute("UPDATE accounts SET forgotten_at = NULL")
        .unwrap();
    let due = store.notifications_to_send().unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].1.to, "Y@example.org");
    store.record_notification(due[0].0, true, t0()).unwrap();
    assert!(store.notifications_to_send().unwrap().is_empty());
    assert_eq!(send_pending(&store, &mailer, t0()).unwrap(), 0);
}

#[test]
fn an_account_reads_its_last_notices_newest_first() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    queue(&db, 60);
    let notices = store.notices_of("a1").unwrap();
    assert_eq!(notices.len(), 50, "at most 50");
    assert_eq!(notices[0].subject, "n°59", "newest first, prefix removed");
    assert_eq!(notices[49].subject, "n°10");
    assert_eq!(notices[0].body, "Bonjour");
    assert!(store.notices_of("a2").unwrap().is_empty());
}

#[test]
fn season_end_reminders_are_queued_once_per_account_even_from_two_instances() {
    let Some(db) = test_db!() else { return };
    let (a, b) = (instance(&db), instance(&db));
    db.client().batch_execute(SEED).unwrap();
    // Not yet due in November (the season ends on 31 May).
    assert_eq!(a.queue_season_end_reminders(t0()).unwrap(), 0);
    let late = Utc.with_ymd_and_hms(2027, 5, 10, 8, 0, 0).unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [Arc::new(a), Arc::new(b)]
        .into_iter()
        .map(|s| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                s.queue_season_end_reminders(late).unwrap();
                s
            })
        })
        .collect();
    let stores: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let rows = db
        .client()
        .query(
            "SELECT dedupe_key, subject, body FROM notification_outbox",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 1, "one reminder for the one card");
    assert_eq!(rows[0].get::<_, String>(0), "fin-de-saison:2026:a1");
    assert!(rows[0].get::<_, String>(2).contains("31/05/2027"));
    assert_eq!(stores[0].queue_season_end_reminders(late).unwrap(), 0);
}

#[test]
fn own_sessions_are_listed_and_closed_by_their_listed_id_only() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    db.client().batch_execute(SEED).unwrap();
    let ttl = Duration::hours(12);
    let (h1, h2) = ("a".repeat(64), "b".repeat(64));
    store
        .create_session(h1.clone(), "a1".into(), t0() + ttl)
        .unwrap();
    store
        .create_session(h2.clone(), "a1".into(), t0() + Duration::hours(1) + ttl)
        .unwrap();
    store
        .create_session("c".repeat(64), "a1".into(), t0() - Duration::hours(1))
        .unwrap();
    store
        .create_session("d".repeat(64), "a2".into(), t0() + ttl)
        .unwrap();
    let mine = store.my_sessions("a1", &h1, ttl, t0()).unwrap();
    assert_eq!(mine.len(), 2, "expired and others' sessions not listed");
    assert_eq!(mine[0].id, "b".repeat(16), "newest first");
    assert!(!mine[0].current);
    assert!(mine[1].current);
    assert_eq!(mine[1].opened_at, t0());
    // Another account's session, a malformed id: not ours.
    assert_eq!(store.end_session("a1", &"d".repeat(16)).unwrap(), None);
    assert_eq!(store.end_session("a1", "bbbb").unwrap(), None);
    assert_eq!(store.end_session("a1", "%").unwrap(), None);
    assert_eq!(
        store.end_session("a1", &"b".repeat(16)).unwrap(),
        Some(h2.clone())
    );
    assert_eq!(store.end_session("a1", &"b".repeat(16)).unwrap(), None);
    let left = store.my_sessions("a1", &h1, ttl, t0()).unwrap();
    assert_eq!(left.len(), 1);
    assert!(store.principal(&h2, t0()).unwrap().is_none(), "ended");
    assert!(store.principal(&"d".repeat(64), t0()).unwrap().is_some());
}
