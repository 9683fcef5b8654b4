//! `AccountsRepo` on PostgreSQL: what the SQLite engine promises (as in the
//! storage contract), and what two instances on one database must keep.

use std::sync::Arc;
use std::sync::Barrier;

use chrono::DateTime;
use chrono::Duration;
use chrono::TimeZone;
use chrono::Utc;
use passregion_server::accounts::error::AccountsError;
use passregion_server::accounts::model::Registered;
use passregion_server::accounts::model::Role;
use passregion_server::accounts::repo::AccountsRepo;
use passregion_server::accounts::repo::NewAccount;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::error::ServiceError;
use passregion_server::platform::store::PgStore;

use crate::support::TestDb;
use crate::test_db;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

/// One server instance's store on the test database.
fn instance(db: &TestDb) -> PgStore {
    let pool = db.pool(4);
    pool.migrate().unwrap();
    PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    )
}

fn youth(email: &str) -> NewAccount {
    NewAccount {
        email: email.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Youth,
        display_name: "Zoé".into(),
        partner_id: None,
        establishment_id: None,
    }
}

#[test]
fn accounts_are_found_ignoring_case_and_an_address_is_taken_once() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let id = store.create_account(youth("zoe@example.org")).unwrap();
    let found = store
        .account_by_email(" ZOE@Example.org ")
        .unwrap()
        .expect("found whatever the case");
    assert_eq!(found.view.id, id);
    assert_eq!(found.view.email, "zoe@example.org");
    assert_eq!(found.view.role, Role::Youth);
    assert!(found.email_verified, "created accounts are confirmed");
    assert!(store.has_account_with_role(Role::Youth).unwrap());
    assert!(!store.has_account_with_role(Role::Region).unwrap());
    let again = store.create_account(youth("Zoe@EXAMPLE.org"));
    assert!(
        matches!(
            again,
            Err(ServiceError::Accounts(AccountsError::EmailTaken))
        ),
        "{again:?}"
    );
    assert!(
        store
            .account_by_email("autre@example.org")
            .unwrap()
            .is_none()
    );
}

#[test]
fn sessions_resolve_until_they_expire_and_a_new_password_ends_the_others() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let id = store.create_account(youth("zoe@example.org")).unwrap();
    for h in ["a", "b", "c"] {
        store
            .create_session(h.into(), id.clone(), t0() + Duration::hours(1))
            .unwrap();
    }
    let who = store.principal("a", t0()).unwrap().unwrap();
    assert_eq!(
        (who.account_id.as_str(), who.role),
        (id.as_str(), Role::Youth)
    );
    assert!(
        store
            .principal("a", t0() + Duration::minutes(59))
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .principal("a", t0() + Duration::hours(1))
            .unwrap()
            .is_none(),
        "expired at its expiry instant"
    );
    // Seen by another instance at once: sessions are in the database.
    let other = instance(&db);
    assert!(other.principal("b", t0()).unwrap().is_some());
    other.delete_session("b".into()).unwrap();
    assert!(store.principal("b", t0()).unwrap().is_none());
    store.set_password(&id, "new-hash", "a").unwrap();
    assert_eq!(
        store.password_hash_of(&id).unwrap().as_deref(),
        Some("new-hash")
    );
    assert!(
        store.principal("a", t0()).unwrap().is_some(),
        "the caller's stays"
    );
    assert!(store.principal("c", t0()).unwrap().is_none());
    assert_eq!(store.end_other_sessions(&id, "").unwrap(), 1);
    // Expired sessions are pruned.
    store
        .create_session("old".into(), id.clone(), t0() - Duration::days(1))
        .unwrap();
    assert_eq!(store.prune(t0(), Duration::days(30)).unwrap(), 1);
}

#[test]
fn a_registration_is_confirmed_once_by_its_link() {
    let Some(db) = test_db!() else { return };
    let store = instance(&db);
    let exp = t0() + Duration::hours(24);
    let r = store
        .register_account("lea@example.org", "h1", "Léa", "tok1", exp, t0(), None)
        .unwrap();
    assert_eq!(r, Registered::New);
    assert!(
        !store
            .account_by_email("lea@example.org")
            .unwrap()
            .unwrap()
            .email_verified
    );
    // Unconfirmed: a second registration sends a new link with its password.
    let r = store
        .register_account("LEA@example.org", "h2", "Léa B", "tok2", exp, t0(), None)
        .unwrap();
    assert_eq!(r, Registered::New);
    assert!(
        store.consume_verification("tok2", exp).unwrap().is_none(),
        "expired"
    );
    assert_eq!(
        store.consume_verification("tok2", t0()).unwrap().as_deref(),
        Some("lea@example.org")
    );
    assert!(
        store.consume_verification("tok2", t0()).unwrap().is_none(),
        "used"
    );
    assert!(
        store.consume_verification("tok1", t0()).unwrap().is_none(),
        "confirmed"
    );
    let rec = store.account_by_email("lea@example.org").unwrap().unwrap();
    assert!(rec.email_verified);
    assert_eq!(rec.password_hash, "h2");
    assert_eq!(rec.view.display_name, "Léa B");
    let r = store
        .register_account("lea@example.org", "h3", "X", "tok3", exp, t0(), None)
        .unwrap();
    assert_eq!(r, Registered::Existing);
    // A reset link: once, and it ends every session.
    store
        .create_session("s".into(), rec.view.id.clone(), exp)
        .unwrap();
    assert!(
        store
            .create_reset_token("lea@example.org", "r1", exp, t0())
            .unwrap()
    );
    assert!(
        !store
            .create_reset_token("nobody@example.org", "r2", exp, t0())
            .unwrap()
    );
    assert_eq!(
        store.consume_reset("r1", "h4", t0()).unwrap().as_deref(),
        Some(rec.view.id.as_str())
    );
    assert!(store.consume_reset("r1", "h5", t0()).unwrap().is_none());
    assert_eq!(
        store.password_hash_of(&rec.view.id).unwrap().as_deref(),
        Some("h4")
    );
    assert!(store.principal("s", t0()).unwrap().is_none());
}

/// Two instances register one address at the same instant, many times:
/// one account each time, never a failure on the unique index.
#[test]
fn two_instances_registering_one_address_make_one_account() {
    let Some(db) = test_db!() else { return };
    let stores = [Arc::new(instance(&db)), Arc::new(instance(&db))];
    for round in 0..20 {
        let email = format!("jeune{round}@example.org");
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| {
                let (store, barrier, email) = (store.clone(), barrier.clone(), email.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.register_account(
                        &email,
                        "h",
                        "J",
                        &format!("tok-{round}-{i}"),
                        t0() + Duration::hours(1),
                        t0(),
                        None,
                    )
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), Registered::New);
        }
        let n: i64 = db
            .client()
            .query_one("SELECT COUNT(*) FROM accounts WHERE email = $1", &[&email])
            .unwrap()
            .get(0);
        assert_eq!(n, 1);
    }
}
