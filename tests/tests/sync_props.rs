//! Property tests of the offline debit pipeline: random interleavings of
//! offline debits, replays, app restarts and faulty pushes (lost requests,
//! lost answers after commit, duplicated and reordered batches) against an
//! in-memory fake of the server's push semantics.
//!
//! Invariants: the server ledger equals the sum of the unique applied
//! debits; no replayed code changes a balance; every recorded debit ends
//! applied exactly once or refused; the loss per card is at most
//! allowance × partners.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use passregion_core::Money;
use passregion_core::PartnerCategory;
use passregion_core::SignedMoney;
use passregion_core::api::accounts::{AccountView, LoginResponse, Role};
use passregion_core::api::debits::TransactionPage;
use passregion_core::api::reimbursements::ReimbursementSummary;
use passregion_core::client::{
    HttpRequest, HttpResponse, PartnerClient, RetryPolicy, Sleeper, Transport, TransportError,
};
use passregion_core::clock::SystemClock;
use passregion_core::credential::{
    AppCredential, AppCredentialClaims, IssuerKey, OfflineLimits, PublicKey, RootKey,
    SoftwareDeviceKey, TrustList, TrustedKey,
};
use passregion_core::sync::{
    EnrolRequest, EnrolResponse, ItemResult, ItemStatus, OfflineDebit, PartnerCaps, PullResponse,
    PushRequest, PushResponse,
};
use proptest::prelude::*;
use uuid::Uuid;

/// Anything serde can serialise (without a direct serde dependency).
trait Ser {
    fn json(&self) -> Vec<u8>;
}
impl Ser for serde_json::Value {
    fn json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap()
    }
}
impl Ser for PushResponse {
    fn json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap()
    }
}
impl Ser for EnrolResponse {
    fn json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap()
    }
}

const PARTNERS: usize = 2;
const CARDS: usize = 2;
const ALLOWANCE: u32 = 3000;

#[derive(Clone, Copy, Debug)]
enum Fault {
    None,
    LoseRequest,
    LoseAnswer,
    Duplicate,
    Reorder,
}

#[derive(Default)]
struct Ledger {
    /// id → (body JSON, result).
    items: HashMap<Uuid, (String, ItemResult)>,
    /// (credential, counter) → id.
    authorisations: HashMap<(Uuid, u32), Uuid>,
    /// Applied debits: (id, card, cents).
    applied: Vec<(Uuid, Uuid, i64)>,
    devices: HashMap<String, PublicKey>,
}

struct FakeServer {
    root: RootKey,
    trust: String,
    ledger: Mutex<Ledger>,
    fault: Mutex<Fault>,
    offline: AtomicBool,
}

fn ok(body: &impl Ser) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: 200,
        headers: vec![],
        body: body.json(),
    })
}

impl FakeServer {
    fn new(issuer: &IssuerKey) -> FakeServer {
        let root = RootKey::from_seed(&[1; 32]).unwrap();
        let now = Utc::now();
        let list = TrustList {
            version: 1,
            issued_at: now - chrono::Duration::days(1),
            expires_at: now + chrono::Duration::days(30),
            keys: vec![TrustedKey::for_issuer(
                issuer,
                now - chrono::Duration::days(1),
                now + chrono::Duration::days(30),
            )],
        };
        FakeServer {
            trust: list.sign(&root).unwrap().to_json(),
            root,
            ledger: Mutex::new(Ledger::default()),
            fault: Mutex::new(Fault::None),
            offline: AtomicBool::new(false),
        }
    }

    fn apply(&self, items: &[OfflineDebit]) -> Vec<ItemResult> {
        let mut l = self.ledger.lock().unwrap();
        items
            .iter()
            .map(|item| {
                let body = serde_json::to_string(item).unwrap();
                let result = |status, http_status| ItemResult {
                    id: item.id,
                    status,
                    http_status,
                    code: None,
                    message: None,
                    transaction_id: None,
                    overspend: false,
                };
                if let Some((stored, r)) = l.items.get(&item.id) {
                    // Same body: the stored result (an applied item reads
                    // `duplicate`; a refusal stays a refusal).
                    return if *stored == body {
                        if r.status == ItemStatus::Applied {
                            ItemResult {
                                status: ItemStatus::Duplicate,
                                http_status: 200,
                                ..r.clone()
                            }
                        } else {
                            r.clone()
                        }
                    } else {
                        result(ItemStatus::Conflict, 422)
                    };
                }
                let sig = URL_SAFE_NO_PAD.decode(&item.signature).unwrap_or_default();
                let signed = l
                    .devices
                    .get(&item.device_id)
                    .is_some_and(|k| k.verify(&item.signing_bytes(), &sig));
                if !signed || !item.is_consistent() {
                    return result(ItemStatus::Rejected, 422);
                }
                let (cred, counter, card) = decode(&item.qr);
                let r = if let std::collections::hash_map::Entry::Vacant(e) =
                    l.authorisations.entry((cred, counter))
                {
                    e.insert(item.id);
                    l.applied.push((item.id, card, item.debited.cents()));
                    ItemResult {
                        transaction_id: Some(item.id.to_string()),
                        ..result(ItemStatus::Applied, 201)
                    }
                } else {
                    result(ItemStatus::Reused, 409)
                };
                l.items.insert(item.id, (body, r.clone()));
                r
            })
            .collect()
    }
}

/// Credential id, counter and card of a PD1 text (fixed layout, ADR 0010).
fn decode(qr: &str) -> (Uuid, u32, Uuid) {
    let b = base45::decode(&qr[4..]).unwrap();
    let cred = Uuid::from_slice(&b[0..16]).unwrap();
    let card = Uuid::from_slice(&b[16..32]).unwrap();
    let counter = u32::from_be_bytes(b[158..162].try_into().unwrap());
    (cred, counter, card)
}

impl Transport for FakeServer {
    fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(TransportError::Connect);
        }
        let path = req.path().split('?').next().unwrap_or("").to_owned();
        let body = req.body.clone().unwrap_or_default();
        match path.as_str() {
            "/api/auth/login" => {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let who = v["email"].as_str().unwrap().to_owned();
                ok(&serde_json::to_value(LoginResponse {
                    token: who.clone(),
                    expires_at: Utc::now(),
                    account: AccountView {
                        id: who.clone(),
                        email: who.clone(),
                        role: Role::Partner,
                        display_name: who.clone(),
                        partner_id: Some(who),
                        partner_category: Some(PartnerCategory::Librairie),
                        establishment_id: None,
                        partner_role: None,
                        establishment_role: None,
                        region_role: None,
                    },
                    device_token: None,
                })
                .unwrap())
            }
            "/api/partner/devices" => {
                let r: EnrolRequest = serde_json::from_slice(&body).unwrap();
                let who = req.header("authorization").unwrap().to_owned();
                let device_id = format!("dev-{}", who.len() + r.device_public_key.len());
                let key = PublicKey::from_base64(&r.device_public_key).unwrap();
                let device_id = format!("{device_id}-{}", &r.device_public_key[..8]);
                self.ledger
                    .lock()
                    .unwrap()
                    .devices
                    .insert(device_id.clone(), key);
                ok(&EnrolResponse {
                    device_id,
                    partner_id: who,
                    category: passregion_core::PartnerCategory::Librairie,
                    caps: PartnerCaps::default(),
                    root_public_key: self.root.public_key().to_base64(),
                    server_time: Utc::now(),
                })
            }
            "/api/trust-list" => Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body: self.trust.clone().into_bytes(),
            }),
            "/api/sync/push" => {
                let r: PushRequest = serde_json::from_slice(&body).unwrap();
                let fault = *self.fault.lock().unwrap();
                match fault {
                    Fault::LoseRequest => Err(TransportError::Broken),
                    Fault::LoseAnswer => {
                        self.apply(&r.items);
                        *self.fault.lock().unwrap() = Fault::None;
                        Err(TransportError::Broken)
                    }
                    Fault::Duplicate => {
                        self.apply(&r.items);
                        ok(&PushResponse {
                            results: self.apply(&r.items),
                            server_time: Utc::now(),
                        })
                    }
                    Fault::Reorder => {
                        let mut rev = r.items.clone();
                        rev.reverse();
                        let mut results = self.apply(&rev);
                        results.reverse();
                        ok(&PushResponse {
                            results,
                            server_time: Utc::now(),
                        })
                    }
                    Fault::None => ok(&PushResponse {
                        results: self.apply(&r.items),
                        server_time: Utc::now(),
                    }),
                }
            }
            "/api/sync/pull" => ok(&serde_json::to_value(PullResponse {
                cursor: 0,
                more: false,
                partners: vec![],
                revoked_cards: vec![],
                revoked_credentials: vec![],
                restored_cards: vec![],
                card_versions: vec![],
                trust_list: None,
                server_time: Utc::now(),
            })
            .unwrap()),
            "/api/partner/transactions" => ok(&serde_json::to_value(TransactionPage {
                items: vec![],
                next_cursor: 0,
            })
            .unwrap()),
            "/api/partner/reimbursements" => ok(&serde_json::to_value(ReimbursementSummary {
                pending_total: SignedMoney::ZERO,
                in_progress_total: SignedMoney::ZERO,
                paid_total: SignedMoney::ZERO,
                carried_total: SignedMoney::ZERO,
                batches: vec![],
            })
            .unwrap()),
            _ => Ok(HttpResponse {
                status: 404,
                headers: vec![],
                body: b"{}".to_vec(),
            }),
        }
    }
}

struct NoSleep;
impl Sleeper for NoSleep {
    fn sleep(&self, _: Duration) {}
}

#[derive(Clone, Debug)]
enum Op {
    Debit {
        partner: usize,
        card: usize,
        cents: i64,
    },
    Replay {
        partner: usize,
        card: usize,
    },
    Sync {
        partner: usize,
        fault: Fault,
    },
    Restart {
        partner: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let fault = prop_oneof![
        Just(Fault::None),
        Just(Fault::LoseRequest),
        Just(Fault::LoseAnswer),
        Just(Fault::Duplicate),
        Just(Fault::Reorder),
    ];
    prop_oneof![
        4 => (0..PARTNERS, 0..CARDS, 1i64..2500).prop_map(|(partner, card, cents)| Op::Debit { partner, card, cents }),
        1 => (0..PARTNERS, 0..CARDS).prop_map(|(partner, card)| Op::Replay { partner, card }),
        2 => (0..PARTNERS, fault).prop_map(|(partner, fault)| Op::Sync { partner, fault }),
        1 => (0..PARTNERS).prop_map(|partner| Op::Restart { partner }),
    ]
}

fn open(dir: &std::path::Path, i: usize, server: &Arc<FakeServer>) -> PartnerClient {
    let mut p = PartnerClient::open(
        &dir.join(format!("p{i}.db")),
        server.clone(),
        Arc::new(SystemClock),
    )
    .unwrap();
    p.set_retry(
        RetryPolicy {
            max_attempts: 2,
            base: Duration::from_millis(1),
            max: Duration::from_millis(1),
        },
        Arc::new(NoSleep),
    );
    p.set_batch_size(3);
    p
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let issuer = IssuerKey::from_seed(&[2; 32]).unwrap();
    let server = Arc::new(FakeServer::new(&issuer));
    let dir = tempfile::tempdir().unwrap();
    let mut partners: Vec<PartnerClient> = (0..PARTNERS)
        .map(|i| {
            let p = open(dir.path(), i, &server);
            p.login("http://fake", &format!("partner{i}"), "x").unwrap();
            p.enrol("Caisse").unwrap();
            p
        })
        .collect();
    let now = Utc::now();
    let cards: Vec<(AppCredential, SoftwareDeviceKey, Uuid)> = (0..CARDS)
        .map(|i| {
            let key = SoftwareDeviceKey::from_seed(&[10 + i as u8; 32]).unwrap();
            let card = Uuid::from_u128(100 + i as u128);
            let claims = AppCredentialClaims {
                credential_id: Uuid::from_u128(200 + i as u128),
                card_id: card,
                device_key: passregion_core::credential::DeviceSigner::public_key(&key),
                limits: OfflineLimits {
                    allowance_cents: ALLOWANCE,
                    per_transaction_max_cents: 1500,
                    max_count: 3,
                },
                issued_at: now - chrono::Duration::hours(1),
                expires_at: now + chrono::Duration::hours(71),
            };
            (AppCredential::issue(&issuer, &claims).unwrap(), key, card)
        })
        .collect();
    let mut counters = [0u32; CARDS];
    let mut last_qr: Vec<Option<String>> = vec![None; CARDS];
    let mut recorded: HashSet<String> = HashSet::new();
    server.offline.store(false, Ordering::SeqCst);
    for op in ops {
        match op {
            Op::Debit {
                partner,
                card,
                cents,
            } => {
                counters[card] += 1;
                let (cred, key, _) = &cards[card];
                let qr = cred.dynamic_qr(key, Utc::now(), counters[card]).unwrap();
                last_qr[card] = Some(qr.clone());
                if let Ok(r) = partners[partner].debit_offline(
                    &qr,
                    "lecture_loisir",
                    Money::from_cents(cents).unwrap(),
                ) {
                    prop_assert!(r.debited.cents() <= 1500);
                    recorded.insert(r.id);
                }
            }
            Op::Replay { partner, card } => {
                if let Some(qr) = &last_qr[card]
                    && let Ok(r) = partners[partner].debit_offline(
                        qr,
                        "lecture_loisir",
                        Money::from_cents(100).unwrap(),
                    )
                {
                    // Accepted offline by a partner that never saw it: the
                    // server must refuse it if the code was used.
                    recorded.insert(r.id);
                }
            }
            Op::Sync { partner, fault } => {
                *server.fault.lock().unwrap() = fault;
                let _ = partners[partner].sync();
                *server.fault.lock().unwrap() = Fault::None;
            }
            Op::Restart { partner } => {
                partners[partner] = open(dir.path(), partner, &server);
            }
        }
    }
    // The network is good again: everything drains.
    for p in &partners {
        let r = p.sync().unwrap();
        prop_assert_eq!(r.pending, 0);
    }
    let l = server.ledger.lock().unwrap();
    // Each id applied at most once; each authorisation used at most once.
    let ids: HashSet<Uuid> = l.applied.iter().map(|a| a.0).collect();
    prop_assert_eq!(ids.len(), l.applied.len());
    prop_assert_eq!(l.authorisations.len(), l.applied.len());
    // Every recorded debit ended applied or refused, never pending; the ones
    // marked synced are exactly the applied ones.
    let mut synced = HashSet::new();
    for p in &partners {
        for item in p.outbox().unwrap() {
            prop_assert!(item.state != "pending");
            if item.state == "synced" {
                synced.insert(item.id);
            }
        }
    }
    prop_assert_eq!(&synced, &ids);
    prop_assert_eq!(recorded.len(), l.items.len());
    // The ledger is the sum of the unique applied debits, and per card at
    // most allowance × partners.
    for (_, _, card) in &cards {
        let total: i64 = l.applied.iter().filter(|a| a.1 == *card).map(|a| a.2).sum();
        prop_assert!(total <= i64::from(ALLOWANCE) * PARTNERS as i64, "{total}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn offline_debits_apply_once_whatever_the_network_does(ops in proptest::collection::vec(op(), 1..30)) {
        run(ops)?;
    }
}
