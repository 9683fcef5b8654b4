//! Offline debits and sync against the real server binary: the network cut
//! and restored, the server killed and restarted, responses lost after
//! commit, batches pushed twice and reordered, a partner process killed
//! between recording a debit and pushing it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use passregion_core::Money;
use passregion_core::client::{
    ClientError, DebitStatus, HttpRequest, HttpResponse, PartnerClient, ReqwestTransport,
    RetryPolicy, Sleeper, SyncState, Transport, TransportError, YouthClient,
};
use passregion_core::clock::SystemClock;
use passregion_core::credential::Reason;
use passregion_core::sync::{ItemStatus, OfflineDebit, PushRequest, PushResponse};
use passregion_tests::{TestServer, on_postgres};

const PASSWORD: &str = "demo1234";

/// A transport with a network switch and fault injection.
struct Faulty {
    inner: ReqwestTransport,
    offline: AtomicBool,
    /// Forward the next N pushes, then drop their answers (committed, lost).
    lose_push_answers: AtomicUsize,
    pushes: AtomicUsize,
    /// Run once, as the first push leaves.
    on_first_push: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Faulty {
    fn new() -> Arc<Faulty> {
        Arc::new(Faulty {
            inner: ReqwestTransport::new(Duration::from_secs(10)).unwrap(),
            offline: AtomicBool::new(false),
            lose_push_answers: AtomicUsize::new(0),
            pushes: AtomicUsize::new(0),
            on_first_push: std::sync::Mutex::new(None),
        })
    }
}

impl Transport for Faulty {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(TransportError::Connect);
        }
        let is_push = req.path().starts_with("/api/sync/push");
        if is_push && let Some(f) = self.on_first_push.lock().unwrap().take() {
            f();
        }
        let r = self.inner.send(req)?;
        if is_push {
            self.pushes.fetch_add(1, Ordering::SeqCst);
            if self
                .lose_push_answers
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(TransportError::Broken);
            }
        }
        Ok(r)
    }
}

struct NoSleep;
impl Sleeper for NoSleep {
    fn sleep(&self, _: Duration) {}
}

fn partner(dir: &Path, name: &str, server: &TestServer, t: &Arc<Faulty>) -> PartnerClient {
    let mut p = PartnerClient::open(
        &dir.join(format!("{name}.db")),
        t.clone(),
        Arc::new(SystemClock),
    )
    .unwrap();
    p.set_retry(
        RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(1),
            max: Duration::from_millis(5),
        },
        Arc::new(NoSleep),
    );
    p.login(
        &server.base,
        &format!("{name}@demo.passregion.fr"),
        PASSWORD,
    )
    .unwrap();
    p.enrol("Caisse 1").unwrap();
    p
}

fn youth(dir: &Path, server: &TestServer, t: &Arc<Faulty>) -> YouthClient {
    let y = YouthClient::open(&dir.join("youth.db"), t.clone(), Arc::new(SystemClock)).unwrap();
    y.login(&server.base, "lea@demo.passregion.fr", PASSWORD)
        .unwrap();
    y.sync().unwrap();
    assert!(y.credential().unwrap().is_some());
    y
}

fn remaining(y: &YouthClient, avantage: &str) -> Money {
    y.refresh().unwrap();
    let b = y
        .balances()
        .unwrap()
        .into_iter()
        .find(|b| b.avantage == avantage)
        .unwrap();
    Money::parse(&b.remaining).unwrap()
}

fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

/// GET as a logged-in demo account (blocking).
fn get_as(server: &TestServer, email: &str, path: &str) -> serde_json::Value {
    let http = reqwest::blocking::Client::new();
    let login: serde_json::Value = http
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    http.get(server.url(path))
        .bearer_auth(login["token"].as_str().unwrap())
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn assert_ledger_ok(server: &TestServer) {
    let check = get_as(
        server,
        "region@demo.passregion.fr",
        "/api/region/ledger/check",
    );
    assert_eq!(check["orphans"], 0, "{check}");
    assert_eq!(
        check["inconsistencies"].as_array().map(Vec::len),
        Some(0),
        "{check}"
    );
}

#[test]
fn offline_debits_at_two_partners_survive_a_server_restart_and_sync_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(2, &[]);
    let net = Faulty::new();
    let y = youth(dir.path(), &server, &net);
    let p1 = partner(dir.path(), "librairie", &server, &net);
    let p2 = partner(dir.path(), "librairie-2", &server, &net);
    let before = remaining(&y, "lecture_loisir");
    // The directory was pulled and is searchable offline.
    assert!(
        !y.search_partners(&Default::default()).unwrap().is_empty(),
        "directory cached"
    );

    // The network goes down.
    net.offline.store(true, Ordering::SeqCst);
    let states = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = states.clone();
    p1.add_listener(Arc::new(move |s: SyncState| s2.lock().unwrap().push(s)));
    let qr1 = y.current_qr(Utc::now()).unwrap();
    let r1 = p1.debit(&qr1, "lecture_loisir", money("4.00")).unwrap();
    assert_eq!(r1.status, DebitStatus::PendingSync);
    assert_eq!(r1.status_label(), "En attente de synchronisation");
    assert_eq!((r1.debited, r1.reste_a_payer), (money("4.00"), money("0")));
    // The same code again is a replay.
    assert_eq!(
        p1.debit(&qr1, "lecture_loisir", money("1.00")),
        Err(ClientError::InvalidCode(Reason::Replayed))
    );
    // The other partner, offline too (Léa has 15 € of lecture loisir).
    let qr2 = y.current_qr(Utc::now()).unwrap();
    let r2 = p2.debit(&qr2, "lecture_loisir", money("10.00")).unwrap();
    assert_eq!((r2.debited, r2.reste_a_payer), (money("10.00"), money("0")));
    // Above the credential's per-transaction maximum (15 €), the youth pays
    // the rest (refused here only by this partner's own count of debits).
    let qr3 = y.current_qr(Utc::now()).unwrap();
    let r3 = p2.scan(&qr3).unwrap();
    assert!(
        matches!(r3.verified, passregion_core::credential::Verified::App(ref a) if a.limits.per_transaction_max_cents == 1500)
    );
    assert_eq!(p1.sync(), Err(ClientError::Offline));
    assert_eq!(p1.sync_state(), SyncState::Offline);
    assert_eq!(p1.pending_count().unwrap(), 1);

    // The server crashes and comes back on another port, same data.
    server.kill();
    let server2 = TestServer::start_in(&server.data_dir, 2, &[]);
    for c in [&p1, &p2] {
        c.set_server_url(&server2.base).unwrap();
    }
    y.set_server_url(&server2.base).unwrap();
    net.offline.store(false, Ordering::SeqCst);

    let a = p1.sync().unwrap();
    assert_eq!((a.applied, a.pending), (1, 0));
    assert_eq!(p1.sync_state(), SyncState::Idle);
    assert_eq!(
        *states.lock().unwrap(),
        vec![
            SyncState::Syncing,
            SyncState::Offline,
            SyncState::Syncing,
            SyncState::Idle
        ]
    );
    let b = p2.sync().unwrap();
    assert_eq!((b.applied, b.pending), (1, 0));
    // Nothing left: syncing again pushes nothing.
    assert_eq!(p1.sync().unwrap().requests, 0);
    assert_eq!(
        remaining(&y, "lecture_loisir"),
        before.checked_sub(money("14.00")).unwrap()
    );
    let offline: Vec<_> = y
        .history(50)
        .unwrap()
        .into_iter()
        .filter(|h| h.channel == "offline")
        .collect();
    assert_eq!(offline.len(), 2);
    // The partners see their transactions and reimbursements.
    assert!(
        p1.transactions(20)
            .unwrap()
            .iter()
            .any(|t| t.channel == "offline")
    );
    assert!(p1.reimbursements().unwrap().is_some());
    // A refund marks the cached debit as refunded, on the partner and the youth.
    let debit_id = p1
        .transactions(20)
        .unwrap()
        .into_iter()
        .find(|t| t.channel == "offline")
        .unwrap()
        .id;
    let refund = p1.refund(&debit_id, None, uuid::Uuid::now_v7()).unwrap();
    assert_eq!(refund.kind, "refund");
    assert!(
        p1.transactions(20)
            .unwrap()
            .iter()
            .any(|t| t.id == debit_id && t.refunded)
    );
    y.refresh().unwrap();
    assert!(
        y.history(50)
            .unwrap()
            .iter()
            .any(|h| h.id == debit_id && h.refunded)
    );
    assert_ledger_ok(&server2);
}

#[test]
fn lost_answers_and_repeated_reordered_batches_apply_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(2, &[]);
    let net = Faulty::new();
    let y = youth(dir.path(), &server, &net);
    let p = partner(dir.path(), "librairie", &server, &net);
    let before = remaining(&y, "lecture_loisir");
    let mut records = Vec::new();
    for price in ["2.00", "3.00", "4.00"] {
        let qr = y.current_qr(Utc::now()).unwrap();
        let r = p
            .debit_offline(&qr, "lecture_loisir", money(price))
            .unwrap();
        records.push(r.id);
    }
    // The server commits the first push, the answer is lost; the retry gets
    // the stored results.
    net.lose_push_answers.store(1, Ordering::SeqCst);
    let report = p.sync().unwrap();
    assert_eq!(report.pending, 0);
    assert_eq!(report.applied + report.duplicates, 3);
    assert_eq!(report.duplicates, 3, "the retry sees the committed items");
    assert_eq!(net.pushes.load(Ordering::SeqCst), 2);
    assert!(p.outbox().unwrap().iter().all(|i| i.state == "synced"));

    // The same batch again, reversed, straight to the server: all duplicates.
    let items: Vec<OfflineDebit> = p
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT record FROM offline_debits ORDER BY seq DESC")?;
            let rows = st
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, rusqlite::Error>(rows)
        })
        .unwrap()
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    let token = p.store().session().unwrap().unwrap().token.unwrap();
    let http = reqwest::blocking::Client::new();
    for _ in 0..2 {
        let resp: PushResponse = http
            .post(server.url("/api/sync/push"))
            .bearer_auth(&token)
            .json(&PushRequest {
                items: items.clone(),
            })
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(
            resp.results
                .iter()
                .all(|r| r.status == ItemStatus::Duplicate),
            "{resp:?}"
        );
    }
    // A tampered copy under a known id is a conflict, not a debit.
    let mut tampered = items[0].clone();
    tampered.price = money("99.00");
    let resp: PushResponse = http
        .post(server.url("/api/sync/push"))
        .bearer_auth(&token)
        .json(&PushRequest {
            items: vec![tampered],
        })
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_ne!(resp.results[0].status, ItemStatus::Applied);
    assert_eq!(
        remaining(&y, "lecture_loisir"),
        before.checked_sub(money("9.00")).unwrap()
    );
    assert_ledger_ok(&server);
}

#[test]
fn a_partner_killed_before_pushing_delivers_its_debit_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(2, &[]);
    let net = Faulty::new();
    let y = youth(dir.path(), &server, &net);
    let store = dir.path().join("librairie.db");
    drop(partner(dir.path(), "librairie", &server, &net));
    let before = remaining(&y, "lecture_loisir");
    let qr = y.current_qr(Utc::now()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_passregion-offline-partner"))
        .arg(&store)
        .arg(&qr)
        .arg("lecture_loisir")
        .arg("6.50")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the helper aborts");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("6.50"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A fresh app on the same store pushes it at launch.
    let p = PartnerClient::open(&store, net.clone(), Arc::new(SystemClock)).unwrap();
    assert_eq!(p.pending_count().unwrap(), 1);
    assert_eq!(p.sync().unwrap().applied, 1);
    assert_eq!(p.sync().unwrap().requests, 0);
    // The same code cannot be used again offline on this device.
    assert!(matches!(
        p.debit_offline(&qr, "lecture_loisir", money("1.00")),
        Err(ClientError::InvalidCode(Reason::Replayed))
    ));
    assert_eq!(
        remaining(&y, "lecture_loisir"),
        before.checked_sub(money("6.50")).unwrap()
    );
    assert_ledger_ok(&server);
}

#[test]
fn youth_app_works_offline_from_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(2, &[]);
    let net = Faulty::new();
    let y = youth(dir.path(), &server, &net);
    let home = y.home().unwrap();
    assert!(home.card.is_some() && !home.balances.is_empty());
    net.offline.store(true, Ordering::SeqCst);
    assert_eq!(y.sync(), Err(ClientError::Offline));
    assert_eq!(y.sync_state(), SyncState::Offline);
    drop(y);
    // Reopened offline: the same home screen, and fresh QR codes.
    let y = YouthClient::open(
        &dir.path().join("youth.db"),
        net.clone(),
        Arc::new(SystemClock),
    )
    .unwrap();
    assert_eq!(y.home().unwrap(), home);
    let a = y.current_qr(Utc::now()).unwrap();
    let b = y.current_qr(Utc::now()).unwrap();
    assert!(a.starts_with("PD1:") && a != b);
    let all = y.search_partners(&Default::default()).unwrap();
    let first = all.first().unwrap().clone();
    let near = y
        .search_partners(&passregion_core::client::PartnerQuery {
            near: Some((first.latitude, first.longitude)),
            category: Some(first.category),
            radius_km: Some(1.0),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(near.first().map(|h| h.id.clone()), Some(first.id));
}

#[test]
fn online_calls_read_the_servers_own_types() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(2, &[]);
    let net = Faulty::new();
    let y = youth(dir.path(), &server, &net);
    let p = partner(dir.path(), "librairie", &server, &net);
    // Léa's order, validated (the client reads the server's Order).
    let orders = y.orders().unwrap();
    assert!(
        orders
            .iter()
            .any(|o| o.status == passregion_core::status::OrderStatus::Validated),
        "{orders:?}"
    );
    // Her card as cached from the server's CardView.
    let card = y.card().unwrap().unwrap();
    assert_eq!(card.season.len(), "2026-2027".len());
    // An online debit: the server decides and answers its DebitReceipt.
    let qr = y.current_qr(Utc::now()).unwrap();
    let r = p.debit(&qr, "lecture_loisir", money("3.00")).unwrap();
    assert_eq!(r.status, DebitStatus::Confirmed);
    assert_eq!((r.debited, r.reste_a_payer), (money("3.00"), money("0")));
    assert!(r.balance.is_some());
    // Transactions (TransactionPage) and reimbursements (ReimbursementSummary).
    assert!(p.refresh_transactions().unwrap() >= 1);
    assert!(p.transactions(5).unwrap().iter().any(|t| t.id == r.id));
    let s = p.refresh_reimbursements().unwrap();
    assert!(s.pending_total >= money("3.00").into());
    assert_eq!(p.reimbursements().unwrap(), Some(s));
    // The youth's history has the debit, with the server's timestamp text.
    y.refresh().unwrap();
    let h = y.history(5).unwrap();
    let line = h.iter().find(|t| t.id == r.id).unwrap();
    assert!(line.created_at.ends_with('Z'), "{}", line.created_at);
}

#[test]
fn offline_debits_pushed_while_an_instance_dies_apply_once() {
    // On PostgreSQL the server is two instances behind a balancer, and one
    // dies while the queue is pushed, one debit per transaction; on SQLite
    // the one process stays (its crash is the restart test above).
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(TestServer::start(
        2,
        &["--push-chunk", "1", "--offline-max-count", "10"],
    ));
    let net = Faulty::new();
    let y = youth(dir.path(), &server, &net);
    let p = partner(dir.path(), "librairie", &server, &net);
    let before = remaining(&y, "lecture_loisir");
    net.offline.store(true, Ordering::SeqCst);
    for _ in 0..8 {
        let qr = y.current_qr(Utc::now()).unwrap();
        let r = p.debit(&qr, "lecture_loisir", money("1.00")).unwrap();
        assert_eq!(r.status, DebitStatus::PendingSync);
    }
    net.offline.store(false, Ordering::SeqCst);
    let killed = Arc::new(AtomicBool::new(false));
    {
        let (server, killed) = (server.clone(), killed.clone());
        *net.on_first_push.lock().unwrap() = Some(Box::new(move || {
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(15));
                killed.store(server.kill_instance(1), Ordering::SeqCst);
            });
        }));
    }
    // The app syncs again until its queue is empty, as it does on its timer.
    let mut applied = 0;
    for _ in 0..20 {
        if let Ok(r) = p.sync() {
            applied += r.applied;
        }
        if p.pending_count().unwrap() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(p.pending_count().unwrap(), 0, "the queue drains");
    assert!(applied <= 8, "{applied} applied");
    assert_eq!(
        remaining(&y, "lecture_loisir"),
        before.checked_sub(money("8.00")).unwrap(),
        "each debit applied once"
    );
    let offline = y
        .history(50)
        .unwrap()
        .into_iter()
        .filter(|h| h.channel == "offline")
        .count();
    assert_eq!(offline, 8);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        killed.load(Ordering::SeqCst),
        on_postgres(),
        "instance 1 died"
    );
    assert_ledger_ok(&server);
}
