//! A region migrating from its previous system (issue 16): `import-partners`
//! and `import-cards` through the real binary. Bad lines are all reported
//! and nothing is imported; a dry run writes nothing; the imported
//! partner's manager is invited and, its convention in force, debits an
//! imported card whose balances are the opening amounts; running the same
//! file again changes nothing; the Region's ledger check stays green. On
//! both engines: SQLite, and PostgreSQL with `--database-url` (needs
//! `PASSREGION_TEST_DATABASE_URL`, else SKIPPED).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use passregion_tests::{TestServer, mails_to, remaining, server_binary, verification_token};
use serde_json::json;

/// Runs a command of the binary on the data directory, on the engine of
/// `engine` (`[]`: SQLite; `["--database-url", url]`: PostgreSQL).
fn run(dir: &Path, engine: &[&str], args: &[&str]) -> Output {
    Command::new(server_binary())
        .args(args)
        .args(engine)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const PARTNERS: &str = "siret;raison_sociale;categorie;email;responsable;telephone;adresse;code_postal;commune;iban;bic;debut_convention;fin_convention\n";
const PARC: &str = "73282932000074;Librairie du Parc;librairie;gerant@parc.example;Mme Blanc;06 12 34 56 78;3 rue du Parc;69006;Lyon;FR7630006000011234567890189;AGRIFRPP;2025-09-01;2027-05-31\n";
const CARDS: &str = "email;nom;prenom;date_naissance;uai;public;classe;adresse;code_postal;commune;ancien_numero;avantage:manuels_scolaires;avantage:lecture_loisir;avantage:licence_sportive;avantage:spectacles;avantage:cinema;avantage:premier_equipement_pro;avantage:chasse_peche\n";

fn card_line(email: &str, first: &str, uai: &str, old: &str, lecture: &str) -> String {
    format!(
        "{email};Martin;{first};2010-03-14;{uai};lyceen;seconde;3 rue Garibaldi;69003;Lyon;{old};80,00;{lecture};30;0;2;;30\n"
    )
}

#[tokio::test]
async fn partners_and_cards_of_a_previous_system_are_imported_once() {
    scenario(&[]).await;
}

#[tokio::test]
async fn partners_and_cards_of_a_previous_system_are_imported_once_on_postgres() {
    let Some(db) = passregion_tests::pg::Database::new("imports on PostgreSQL") else {
        return;
    };
    scenario(&["--database-url", &db.url]).await;
    // The cards are in the PostgreSQL database.
    assert_eq!(db.scalar("SELECT COUNT(*) FROM card_imports"), 2);
}

/// The whole migration, on the engine of `engine` (the same outputs).
async fn scenario(engine: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let init = Command::new(server_binary())
        .args([
            "init",
            "--admin-email",
            "admin@region.example.fr",
            "--data-dir",
        ])
        .arg(&dir)
        .args(engine)
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", text(&init.stderr));
    let admin_token = text(&init.stdout)
        .split("jeton=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let etabs = tmp.path().join("etablissements.csv");
    std::fs::write(
        &etabs,
        "uai;nom;type;commune;code_postal\n0690026D;Lycée Ampère;lycee;Lyon;69002\n",
    )
    .unwrap();
    assert!(
        run(
            &dir,
            engine,
            &["import-establishments", "--file", etabs.to_str().unwrap()]
        )
        .status
        .success()
    );

    // Partners: two bad lines among good ones, both reported, nothing imported.
    let partners = tmp.path().join("partenaires.csv");
    let partners_arg = partners.to_str().unwrap();
    std::fs::write(
        &partners,
        format!(
            "{PARTNERS}{PARC}{}{}",
            PARC.replace("73282932000074", "73282932000075")
                .replace("gerant@", "autre@"),
            PARC.replace("librairie;", "boulangerie;")
                .replace("73282932000074", "44306184100047")
                .replace("gerant@", "trois@"),
        ),
    )
    .unwrap();
    let out = run(&dir, engine, &["import-partners", "--file", partners_arg]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("ligne 3 : Le SIRET"), "{err}");
    assert!(err.contains("ligne 4 : catégorie inconnue"), "{err}");
    assert!(
        err.contains("2 ligne(s) en erreur : rien n'a été importé"),
        "{err}"
    );
    assert!(mails_to(&dir, "gerant@parc.example").is_empty());
    // A clean file: the dry run writes nothing, then the import.
    std::fs::write(&partners, format!("{PARTNERS}{PARC}")).unwrap();
    let out = run(
        &dir,
        engine,
        &["import-partners", "--file", partners_arg, "--dry-run"],
    );
    assert!(
        text(&out.stdout).contains("1 partenaire(s) à importer"),
        "{}",
        text(&out.stderr)
    );
    assert!(mails_to(&dir, "gerant@parc.example").is_empty());
    let out = run(&dir, engine, &["import-partners", "--file", partners_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 partenaire(s) importé(s)"));
    assert!(
        text(&out.stderr).contains("… 1/1 invitation(s)"),
        "{}",
        text(&out.stderr)
    );
    let manager_token = verification_token(&dir, "gerant@parc.example").expect("an invitation");
    // The same file again: its SIRET is known now.
    let out = run(&dir, engine, &["import-partners", "--file", partners_arg]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("ligne 2 : SIRET 73282932000074 déjà connu"));
    assert_eq!(mails_to(&dir, "gerant@parc.example").len(), 1);

    // Cards: two bad lines, both reported, nothing imported.
    let old = passregion_core::card::CardNumber::generate(|| 42)
        .as_str()
        .to_owned();
    let cards = tmp.path().join("cartes.csv");
    let cards_arg = cards.to_str().unwrap();
    let zoe = card_line("zoe@exemple.fr", "Zoé", "0690026D", &old, "7,50");
    let leo = card_line("leo@exemple.fr", "Léo", "0690026D", "", "0");
    std::fs::write(
        &cards,
        format!(
            "{CARDS}{zoe}{leo}{}{}",
            card_line("x@exemple.fr", "X", "0690026D", "", "15,01"),
            card_line("y@exemple.fr", "Y", "0380027E", "", "1"),
        ),
    )
    .unwrap();
    let out = run(&dir, engine, &["import-cards", "--file", cards_arg]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("ligne 4 : lecture_loisir : solde supérieur"),
        "{err}"
    );
    assert!(err.contains("ligne 5 : établissement inconnu"), "{err}");
    assert!(mails_to(&dir, "zoe@exemple.fr").is_empty());
    std::fs::write(&cards, format!("{CARDS}{zoe}{leo}")).unwrap();
    let out = run(
        &dir,
        engine,
        &["import-cards", "--file", cards_arg, "--dry-run"],
    );
    assert!(text(&out.stdout).contains("2 carte(s) à importer, 0 déjà importée(s)"));
    assert!(mails_to(&dir, "zoe@exemple.fr").is_empty());
    let out = run(&dir, engine, &["import-cards", "--file", cards_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 carte(s) créée(s), 0 déjà importée(s)"));
    assert!(
        text(&out.stderr).contains("… 2/2 carte(s)"),
        "{}",
        text(&out.stderr)
    );
    // Again: nothing created, nobody mailed twice.
    let out = run(&dir, engine, &["import-cards", "--file", cards_arg]);
    assert!(text(&out.stdout).contains("0 carte(s) créée(s), 2 déjà importée(s)"));
    assert_eq!(mails_to(&dir, "zoe@exemple.fr").len(), 1);
    let youth_token = verification_token(&dir, "zoe@exemple.fr").expect("an invitation");

    let server = TestServer::start_without_demo(&dir, engine);
    let s = &server;
    let accept = |token: String, password: &'static str| {
        let anon = s.client();
        async move {
            let r = anon
                .post(
                    "/api/auth/invitation/accept",
                    &json!({"token": token, "password": password}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let mut c = s.client();
            c.token = Some(r.body["token"].as_str().unwrap().to_owned());
            c
        }
    };
    let youth = accept(youth_token, "zoe-secret-1").await;
    let card = youth.get("/api/youth/card").await.body;
    assert_eq!(card["status"], "active");
    assert_eq!(remaining(&card, "lecture_loisir"), "7.50");
    assert_eq!(remaining(&card, "manuels_scolaires"), "80.00");
    assert_eq!(remaining(&card, "cinema"), "2");
    // Used up before: nothing, and the season's loading does not refill it.
    assert_eq!(remaining(&card, "spectacles"), "");
    let number = card["number"].as_str().unwrap().to_owned();
    assert_ne!(number, old);

    let manager = accept(manager_token, "gerant-secret-1").await;
    // The old system's number is no card here.
    let r = manager
        .debit(&json!({"card_number": old, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "5"}))
        .await;
    assert_ne!(r.status, 201, "{}", r.body);
    let r = manager
        .debit(&json!({"card_number": number, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "5"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["balance"], "2.50");
    let r = manager
        .debit(&json!({"card_number": number, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "5"}))
        .await;
    assert_eq!(
        r.body["debited"], "2.50",
        "never beyond the opening balance"
    );
    assert_eq!(r.body["reste_a_payer"], "2.50");

    // The Region: the convention shows it was migrated; the ledger is green.
    let anon = server.client();
    let r = anon
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": admin_token, "password": "mot de passe de l'admin"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut region = server.client();
    let r = region
        .post(
            "/api/auth/login",
            &json!({"email": "admin@region.example.fr", "password": "mot de passe de l'admin"}),
        )
        .await;
    region.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let list = region.get("/api/region/partners").await.body;
    let id = list.as_array().unwrap()[0]["partner_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = region.get(&format!("/api/region/partners/{id}")).await.body;
    assert_eq!(p["application"]["standing"], "en_vigueur", "{p}");
    assert_eq!(p["application"]["convention"]["migrated"], true, "{p}");
    assert_eq!(p["application"]["convention"]["starts_on"], "2025-09-01");
    let check = region.get("/api/region/ledger/check").await.body;
    assert_eq!(check["inconsistencies"], json!([]), "{check}");
    assert_eq!(check["orphans"], 0, "{check}");
    drop(server);

    // After the debits, the same file again restores nothing.
    let out = run(&dir, engine, &["import-cards", "--file", cards_arg]);
    assert!(text(&out.stdout).contains("0 carte(s) créée(s), 2 déjà importée(s)"));
    let server = TestServer::start_without_demo(&dir, engine);
    let r = server
        .client()
        .post(
            "/api/auth/login",
            &json!({"email": "zoe@exemple.fr", "password": "zoe-secret-1"}),
        )
        .await;
    let mut youth = server.client();
    youth.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let card = youth.get("/api/youth/card").await.body;
    assert_eq!(remaining(&card, "lecture_loisir"), "0.00");
}
