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
