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
