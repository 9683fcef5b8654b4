//! `passregion-server init` (issue 16): a region installs the server without
//! the demo, with the root key moved off the server, and its first
//! administrator gets in through the one-time setup link.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use passregion_tests::{TestServer, server_binary};
use serde_json::json;

fn init(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(server_binary())
        .arg("init")
        .arg("--data-dir")
        .arg(dir)
        .args(["--admin-email", "admin@region.example.fr"])
        .args(extra)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_region_installs_without_the_demo_and_its_administrator_gets_in() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let media = tempfile::tempdir().unwrap();
    let root_out = media.path().join("root.pk8");
    let out = init(&dir, &["--root-key-out", root_out.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The root key left the data directory, a signed trust list stays.
    assert!(root_out.exists());
    assert!(!dir.join("keys/root.pk8").exists());
    assert!(dir.join("keys/trust-list.json").exists());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let mode = std::fs::metadata(&root_out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let link = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("http://"))
        .expect("a setup link");
    let token = link.split("jeton=").nth(1).unwrap().to_owned();
    // The same link went to the administrator's mailbox.
    assert!(
        passregion_tests::mails_to(&dir, "admin@region.example.fr")
            .iter()
            .any(|(_, body)| body.contains(&token))
    );
    // A second init changes nothing.
    let again = init(&dir, &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("déjà un compte de la Région"));

    let server = TestServer::start_without_demo(&dir, &[]);
    let anon = server.client();
    // No way in before the link is followed.
    let r = anon
        .post(
            "/api/auth/login",
            &json!({"email": "admin@region.example.fr", "password": "n'importe quoi"}),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = anon
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": token, "password": "mot de passe de l'admin"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = anon
        .post(
            "/api/auth/login",
            &json!({"email": "admin@region.example.fr", "password": "mot de passe de l'admin"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["account"]["role"], "region");
    // The first agent is the Region's administrator: it manages the staff.
    assert_eq!(r.body["account"]["region_role"], "admin");
    let mut admin = anon.clone();
    admin.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let staff = admin.get("/api/region/staff").await;
    assert_eq!(staff.status, 200, "{}", staff.body);
    assert_eq!(staff.body[0]["email"], "admin@region.example.fr");
    // The link served once.
    let r = anon
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": token, "password": "autre mot de passe"}),
        )
        .await;
    assert_eq!(r.status, 400);
    // The server runs with the root key offline: the trust list is served.
    let health = anon.get("/health").await;
    assert_eq!(
        health.body["trust_list"]["automatic_renewal"], false,
        "{}",
        health.body
    );
}

#[tokio::test]
async fn establishments_are_imported_from_the_national_directory_csv() {
    establishments_imported(&[]).await;
}

#[tokio::test]
async fn establishments_are_imported_from_the_national_directory_csv_on_postgres() {
    let Some(db) = passregion_tests::pg::Database::new("establishments import on PostgreSQL")
    else {
        return;
    };
    establishments_imported(&["--database-url", &db.url]).await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM establishments"), 2);
}

/// The établissements' import on the engine of `engine` (`[]`: SQLite).
async fn establishments_imported(engine: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(init(&dir, engine).status.success());
    let csv = tmp.path().join("etablissements.csv");
    let import = |extra: &[&str]| {
        Command::new(server_binary())
            .arg("import-establishments")
            .arg("--data-dir")
            .arg(&dir)
            .arg("--file")
            .arg(&csv)
            .args(extra)
            .args(engine)
            .output()
            .unwrap()
    };
    // One bad line among good ones: every error reported, nothing imported.
    std::fs::write(
        &csv,
        "uai;nom;type;commune;code_postal\n0690026D;Lycée Ampère;lycee;Lyon;69002\n0420001;CFA;cfa;Saint-Étienne;42000\n0380027E;Lycée Stendhal;ecole;Grenoble;38000\n",
    )
    .unwrap();
    let out = import(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("ligne 3 : UAI invalide"), "{err}");
    assert!(err.contains("ligne 4 : type inconnu"), "{err}");
    assert!(err.contains("rien n'a été importé"), "{err}");
    // A clean file: the dry run writes nothing, the import adds, a second
    // import updates.
    std::fs::write(
        &csv,
        "uai;nom;type;commune;code_postal\n0690026D;Lycée Ampère;lycee;Lyon;69002\n0420001A;CFA du BTP;cfa;Saint-Étienne;42000\n",
    )
    .unwrap();
    let out = import(&["--dry-run"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 établissement(s) à importer"));
    let server = TestServer::start_without_demo(&dir, engine);
    let found = server.client().get("/api/establishments?q=ampère").await;
    assert_eq!(
        found.body.as_array().unwrap().len(),
        0,
        "the dry run wrote nothing"
    );
    drop(server);
    let out = import(&[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 établissement(s) ajouté(s), 0 mis à jour")
    );
    let out = import(&[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 établissement(s) ajouté(s), 2 mis à jour")
    );
    let server = TestServer::start_without_demo(&dir, engine);
    let found = server.client().get("/api/establishments?q=ampère").await;
    let list = found.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", found.body);
    assert_eq!(list[0]["id"], "0690026D");
}

#[tokio::test]
async fn establishment_staff_are_imported_and_invited_by_email() {
    staff_imported(&[]).await;
}

#[tokio::test]
async fn establishment_staff_are_imported_and_invited_by_email_on_postgres() {
    let Some(db) = passregion_tests::pg::Database::new("staff import on PostgreSQL") else {
        return;
    };
    staff_imported(&["--database-url", &db.url]).await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM accounts WHERE establishment_id = '0690026D'"),
        2
    );
}

/// The staff's import on the engine of `engine` (`[]`: SQLite).
async fn staff_imported(engine: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(init(&dir, engine).status.success());
    let run = |args: &[&str]| {
        Command::new(server_binary())
            .args(args)
            .args(engine)
            .arg("--data-dir")
            .arg(&dir)
            .output()
            .unwrap()
    };
    let etabs = tmp.path().join("etablissements.csv");
    std::fs::write(
        &etabs,
        "uai;nom;type;commune;code_postal\n0690026D;Lycée Ampère;lycee;Lyon;69002\n",
    )
    .unwrap();
    assert!(
        run(&["import-establishments", "--file", etabs.to_str().unwrap()])
            .status
            .success()
    );
    let staff = tmp.path().join("personnels.csv");
    // Two bad lines: both reported, nobody invited.
    std::fs::write(
        &staff,
        "uai;email;nom;role\n0690026D;chef@ampere.example;Mme Durand;chef\n0380027E;x@stendhal.example;M. X;personnel\n0690026D;cpe@ampere.example;M. Roux;directeur\n",
    )
    .unwrap();
    let out = run(&["import-staff", "--file", staff.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("ligne 3 : établissement inconnu"), "{err}");
    assert!(err.contains("ligne 4 : rôle inconnu"), "{err}");
    assert!(passregion_tests::mails_to(&dir, "chef@ampere.example").is_empty());
    // Fixed: each person gets a link, with the progress shown.
    std::fs::write(
        &staff,
        "uai;email;nom;role\n0690026D;chef@ampere.example;Mme Durand;chef\n0690026D;cpe@ampere.example;M. Roux;personnel\n",
    )
    .unwrap();
    let out = run(&["import-staff", "--file", staff.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 invitation(s) envoyée(s)"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("… 2/2 invitation(s)"));
    let token = passregion_tests::verification_token(&dir, "chef@ampere.example").expect("a link");
    // The head accepts and gets its établissement's desk.
    let server = TestServer::start_without_demo(&dir, engine);
    let r = server
        .client()
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "chef-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["account"]["establishment_id"], "0690026D");
    assert_eq!(r.body["account"]["establishment_role"], "head");
}
