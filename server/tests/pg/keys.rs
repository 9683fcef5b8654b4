//! Instances sharing `DATA_DIR/keys` with the root key online (ADR 0036): the
//! keys are created once, every instance publishes the same trust list, and a
//! renewal is signed by one instance only, under the database's advisory
//! lock, then adopted by the others.

use std::sync::Arc;

use chrono::Duration;
use chrono::TimeZone;
use chrono::Utc;
use passregion_server::config::Policy;
use passregion_server::config::load_catalogues;
use passregion_server::platform::keys::Renewal;
use passregion_server::platform::keys::ServerKeys;
use passregion_server::platform::keys::SigningLock;
use passregion_server::platform::store::PgStore;

use crate::support::TestDb;
use crate::support::at_once;
use crate::test_db;

fn instance(db: &TestDb) -> Arc<dyn SigningLock> {
    let pool = db.pool(2);
    pool.migrate().unwrap();
    Arc::new(PgStore::new(
        pool,
        Arc::new(load_catalogues(&[]).unwrap()),
        Policy::default(),
    ))
}

fn issuer_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("issuer-")
        })
        .count()
}

#[test]
fn instances_starting_together_create_one_set_of_keys_and_publish_one_list() {
    let Some(db) = test_db!() else { return };
    let dir = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let locks: Vec<_> = (0..3).map(|_| instance(&db)).collect();
    let keys = at_once(3, |i| {
        ServerKeys::load_shared(
            dir.path(),
            now + Duration::seconds(i as i64),
            locks[i].clone(),
        )
        .unwrap()
    });
    // One root and one issuer key, not one per instance.
    assert_eq!(issuer_files(dir.path()), 1);
    let root = keys[0].root_public_key();
    assert!(keys.iter().all(|k| k.root_public_key() == root));
    // The same list everywhere (each started a second apart: without the
    // shared list, each would publish a version of its own).
    let json = keys[0].signed_json();
    assert!(keys.iter().all(|k| k.signed_json() == json));
    let on_disk = std::fs::read_to_string(dir.path().join("keys/trust-list.json")).unwrap();
    assert_eq!(on_disk, json);
}

#[test]
fn a_renewal_due_on_every_instance_is_signed_once_and_adopted_by_the_others() {
    let Some(db) = test_db!() else { return };
    let dir = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let keys: Vec<_> = (0..3)
        .map(|_| ServerKeys::load_shared(dir.path(), now, instance(&db)).unwrap())
        .collect();
    let first = keys[0].trust().version;

    // A week later every instance finds the list due, at the same moment
    // (and each at a second of its own: each would sign a different list).
    let later = now + Duration::days(8);
    let outcomes = at_once(3, |i| {
        keys[i]
            .renew_if_due(later + Duration::seconds(i as i64))
            .unwrap()
    });
    let signed = outcomes.iter().filter(|o| **o == Renewal::Signed).count();
    assert_eq!(signed, 1, "{outcomes:?}");
    // The others waited for the lock and adopted it in the same check.
    let adopted = outcomes.iter().filter(|o| **o == Renewal::Adopted).count();
    assert_eq!(adopted, 2, "{outcomes:?}");
    // The next check (a minute later), nothing changes.
    let outcomes: Vec<_> = keys
        .iter()
        .map(|k| k.renew_if_due(later + Duration::minutes(1)).unwrap())
        .collect();
    assert!(
        outcomes.iter().all(|o| *o == Renewal::Unchanged),
        "{outcomes:?}"
    );
    let json = keys[0].signed_json();
    assert!(keys.iter().all(|k| k.signed_json() == json));
    assert!(keys[0].trust().version > first);

    // A key rotated in the shared directory: signed once, seen by all.
    ServerKeys::rotate_issuer(dir.path(), later + Duration::minutes(2)).unwrap();
    let at = later + Duration::minutes(3);
    let outcomes = at_once(3, |i| keys[i].renew_if_due(at).unwrap());
    assert_eq!(
        outcomes.iter().filter(|o| **o == Renewal::Signed).count(),
        1,
        "{outcomes:?}"
    );
    for k in &keys {
        k.renew_if_due(at + Duration::minutes(1)).unwrap();
    }
    let json = keys[0].signed_json();
    assert!(keys.iter().all(|k| k.signed_json() == json));
    assert_eq!(keys[0].trust().keys.len(), 2);
    let newest = keys[0].issuer().kid();
    assert!(keys.iter().all(|k| k.issuer().kid() == newest));
}

#[test]
fn a_list_on_disk_older_than_the_published_one_is_never_adopted() {
    let Some(db) = test_db!() else { return };
    let dir = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    let keys = ServerKeys::load_shared(dir.path(), now, instance(&db)).unwrap();
    let old = keys.signed_json();
    keys.renew_if_due(now + Duration::days(8)).unwrap();
    let new = keys.signed_json();
    assert_ne!(old, new);
    // Someone puts the older list back: no rollback.
    std::fs::write(dir.path().join("keys/trust-list.json"), &old).unwrap();
    assert_eq!(
        keys.renew_if_due(now + Duration::days(8) + Duration::minutes(1))
            .unwrap(),
        Renewal::Unchanged
    );
    assert_eq!(keys.signed_json(), new);
}
