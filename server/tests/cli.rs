//! The binary's command line (this test also makes `cargo test` build the
//! binary that the end-to-end tests in `tests/` spawn).
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn catalogue_command_prints_the_season() {
    let out = Command::new(env!("CARGO_BIN_EXE_passregion-server"))
        .args(["catalogue", "--season", "2026-2027"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Saison en cours : 2026-2027 (du 01/06/2026 au 31/05/2027)"),
        "{text}"
    );
    assert!(text.contains("Lecture loisir : 15,00\u{a0}€"), "{text}");
}

#[test]
fn catalogue_command_reports_a_broken_file_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(
        &f,
        "season = \"2026-2027\"\n\n[[avantages]]\ncode = \"x\"\nlabel = \"X\"\nkind = \"credit\"\namount = \"1.234\"\ncategories = [\"librairie\"]\npublics = [\"lyceen\"]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_passregion-server"))
        .args(["catalogue", "--file"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 7, avantages[0].amount"), "{err}");
}

/// Starts the demo server on `dir`, returns what it printed before the card line.
fn demo_banner(dir: &std::path::Path) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_passregion-server"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--bind", "127.0.0.1:0", "--demo", "--demo-youths", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut text = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if line.contains("Carte de Léa") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    text
}

#[test]
fn the_demo_prints_its_logins_on_every_start() {
    let dir = tempfile::tempdir().unwrap();
    let first = demo_banner(dir.path());
    assert!(first.contains("Données de démonstration créées"), "{first}");
    assert!(first.contains("lea@demo.passregion.fr"), "{first}");
    let second = demo_banner(dir.path());
    assert!(
        second.contains("Données de démonstration déjà présentes"),
        "{second}"
    );
    for email in ["lea@", "ampere@", "region@", "librairie@", "candidature@"] {
        assert!(second.contains(email), "{email} in {second}");
    }
    let card = |t: &str| {
        t.lines()
            .find(|l| l.contains("Carte de Léa"))
            .map(str::to_owned)
    };
    assert_eq!(
        card(&first),
        card(&second),
        "same card number and birth date"
    );
}

#[test]
fn sign_trust_list_signs_with_a_root_key_kept_offline() {
    use passregion_core::credential::{PublicKey, SignedTrustList};
    use passregion_server::platform::keys::ServerKeys;
    let dir = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    // A data directory with its keys, whose root key is then moved away.
    let keys = ServerKeys::load_or_create(dir.path(), now).unwrap();
    let root_public = keys.root_public_key();
    let root = media.path().join("root.pk8");
    std::fs::rename(dir.path().join("keys/root.pk8"), &root).unwrap();
    let sign = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_passregion-server"))
            .arg("sign-trust-list")
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--root-key")
            .arg(&root)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = sign(&["--valid-days", "400"]);
    assert!(!out.status.success(), "at most 365 days");
    let out = sign(&["--valid-days", "90"]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("liste de confiance signée"), "{err}");
    // Written where the server reads it, signed by the root the apps pin.
    let text = std::fs::read_to_string(dir.path().join("keys/trust-list.json")).unwrap();
    let list = SignedTrustList::from_json(&text)
        .unwrap()
        .verify(&root_public, 0)
        .unwrap();
    assert_eq!(list.keys.len(), 1);
    assert!(list.expires_at - now > chrono::Duration::days(89));
    let pinned = std::fs::read_to_string(dir.path().join("keys/root.pub")).unwrap();
    assert_eq!(PublicKey::from_base64(pinned.trim()).unwrap(), root_public);
    // The server loads it without the root key.
    let loaded = ServerKeys::load_or_create(dir.path(), now).unwrap();
    assert!(!loaded.automatic_renewal());
    assert_eq!(loaded.trust(), list);
    assert!(!dir.path().join("keys/root.pk8").exists());
}
