//! Issue 16 as it is tried: a region installs without the demo, following
//! `docs/operations.md` only. `init`; an établissement file with two bad
//! lines (both reported, nothing imported), then the fixed file; the head
//! of établissement invited through a real SMTP exchange (a local sink);
//! a forgotten password reset by its link; a partner taken over from the
//! previous system; a youth from her order to her posted card and a first
//! debit; the card declared lost from her phone; the old printed code and
//! the old app code refused online and, after a pull, offline; the
//! replacement showing the balance that was left.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use passregion_core::Money;
use passregion_core::client::{PartnerClient, ReqwestTransport, YouthClient};
use passregion_core::clock::SystemClock;
use passregion_tests::smtp::SmtpSink;
use passregion_tests::{
    Client, TestServer, order_body, remaining, server_binary, verification_token,
};
use serde_json::json;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(server_binary())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn accept_invitation(server: &TestServer, token: &str, password: &str) -> Client {
    let r = server
        .client()
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": password}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut c = server.client();
    c.token = Some(r.body["token"].as_str().unwrap().to_owned());
    c
}

fn transport() -> Arc<ReqwestTransport> {
    Arc::new(ReqwestTransport::new(Duration::from_secs(10)).unwrap())
}

#[tokio::test]
async fn a_region_runs_a_youth_from_install_to_a_replaced_card() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");

    // 2. `init`: the data directory, the keys, the first administrator.
    let init = run(&dir, &["init", "--admin-email", "admin@region.example.fr"]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let admin_token = passregion_tests::smtp::token_in(&text(&init.stdout)).unwrap();

    // 4. Établissements: two bad lines reported, nothing imported.
    let etabs = tmp.path().join("etablissements.csv");
    let etabs_arg = etabs.to_str().unwrap();
    let good = "0690026D;Lycée Ampère;lycee;Lyon;69002\n";
    std::fs::write(
        &etabs,
        format!("uai;nom;type;commune;code_postal\n{good}0690027;CFA;cfa;Lyon;69003\n0690028F;Lycée X;ecole;Lyon;69004\n"),
    )
    .unwrap();
    let out = run(&dir, &["import-establishments", "--file", etabs_arg]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("ligne 3 : UAI invalide"), "{err}");
    assert!(err.contains("ligne 4 : type inconnu"), "{err}");
    assert!(err.contains("rien n'a été importé"), "{err}");
    std::fs::write(&etabs, format!("uai;nom;type;commune;code_postal\n{good}")).unwrap();
    let out = run(&dir, &["import-establishments", "--file", etabs_arg]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A partner taken over from the previous system (its manager invited).
    let partners = tmp.path().join("partenaires.csv");
    std::fs::write(
        &partners,
        "siret;raison_sociale;categorie;email;responsable;telephone;adresse;code_postal;commune;iban;bic;debut_convention;fin_convention\n\
         73282932000074;Librairie du Parc;librairie;gerant@parc.example;Mme Blanc;06 12 34 56 78;3 rue du Parc;69006;Lyon;FR7630006000011234567890189;AGRIFRPP;2025-09-01;2030-05-31\n",
    )
    .unwrap();
    let out = run(
        &dir,
        &["import-partners", "--file", partners.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manager_token = verification_token(&dir, "gerant@parc.example").unwrap();

    // 3. The server, with mail through SMTP.
    let sink = SmtpSink::start();
    let server = TestServer::start_without_demo(
        &dir,
        &[
            "--smtp-url",
            &sink.url(),
            "--mail-from",
            "PASS'Région <ne-pas-repondre@region.example.fr>",
        ],
    );
    let r = server
        .client()
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": admin_token, "password": "admin-secret-1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let region = server
        .login_with("admin@region.example.fr", "admin-secret-1")
        .await;

    // The head of établissement, invited by the Region through the SMTP relay.
    let r = region
        .post(
            "/api/region/establishments/0690026D/staff",
            &json!({"email": "chef@ampere.example", "display_name": "Mme Durand", "role": "head"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let invitation = sink.token("chef@ampere.example", 1);
    accept_invitation(&server, &invitation, "chef-secret-1").await;
    // She forgets her password: a reset link, through the relay too.
    let r = server
        .client()
        .post(
            "/api/auth/password-reset",
            &json!({"email": "chef@ampere.example"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let reset = sink.token("chef@ampere.example", 2);
    let r = server
        .client()
        .post(
            "/api/auth/password-reset/confirm",
            &json!({"token": reset, "password": "chef-secret-2"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let head = server
        .login_with("chef@ampere.example", "chef-secret-2")
        .await;
    let manager = accept_invitation(&server, &manager_token, "gerant-secret-1").await;
    drop(manager);

    // 5. A youth registers (the link through the relay), orders; the head validates.
    let r = server
        .client()
        .post(
            "/api/auth/register",
            &json!({"email": "ines@exemple.fr", "password": "ines-secret-1", "display_name": "Inès"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let confirm = sink.token("ines@exemple.fr", 1);
    let r = server
        .client()
        .post("/api/auth/verify-email", &json!({"token": confirm}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let youth = server.login_with("ines@exemple.fr", "ines-secret-1").await;
    let mut order = order_body("Inès", "2010-03-14");
    order["establishment_id"] = json!("0690026D");
    let r = youth.post("/api/youth/orders", &order).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order_id = r.body["id"].as_str().unwrap().to_owned();
    let r = head
        .post(
            &format!("/api/establishment/orders/{order_id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Printed and posted by the Region; the youth sees it and activates.
    let card = youth.get("/api/youth/card").await.body;
    assert_eq!(card["status"], "expediee", "{card}");
    assert_eq!(card["posted_at"], json!(null));
    let card_id = card["id"].as_str().unwrap().to_owned();
    let zip = region.get("/api/region/print-queue.zip").await;
    assert_eq!(zip.status, 200);
    let r = region
        .post(
            "/api/region/print-queue/posted",
            &json!({"card_ids": [card_id]}),
        )
        .await;
    assert_eq!(r.body["posted"], 1, "{}", r.body);
    let card = youth.get("/api/youth/card").await.body;
    assert!(card["posted_at"].is_string(), "{card}");
    let r = youth.post("/api/youth/card/activate", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let old_qr = youth.get("/api/youth/card/qr").await.body["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_number = r.body["number"].as_str().unwrap().replace(' ', "");
    let before = remaining(&r.body, "lecture_loisir");

    // The partner's device (the core client of the partner app) and the
    // youth's phone (her app credential, and a code shown before the loss).
    let base = server.base.clone();
    let pdir = tmp.path().to_owned();
    let (partner, old_app_code) = tokio::task::spawn_blocking(move || {
        let p = PartnerClient::open(&pdir.join("caisse.db"), transport(), Arc::new(SystemClock))
            .unwrap();
        p.login(&base, "gerant@parc.example", "gerant-secret-1")
            .unwrap();
        p.enrol("Caisse 1").unwrap();
        let y =
            YouthClient::open(&pdir.join("ines.db"), transport(), Arc::new(SystemClock)).unwrap();
        y.login(&base, "ines@exemple.fr", "ines-secret-1").unwrap();
        y.sync().unwrap();
        let code = y.current_qr(chrono::Utc::now()).unwrap();
        // Before the loss the device accepts both codes.
        p.pull().unwrap();
        assert!(p.scan(&code).is_ok());
        (p, code)
    })
    .await
    .unwrap();

    // A first debit, by card number and birth date.
    let debit = |number: &str| json!({"card_number": number, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "4"});
    let cashier = server
        .login_with("gerant@parc.example", "gerant-secret-1")
        .await;
    let r = cashier.debit(&debit(&old_number)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let left = Money::parse(&before)
        .unwrap()
        .checked_sub(Money::parse("4").unwrap())
        .unwrap();

    // The card is lost: declared from the phone.
    let r = youth
        .post("/api/youth/card/lost", &json!({"stolen": false}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let new_number = r.body["number"].as_str().unwrap().replace(' ', "");
    assert_ne!(new_number, old_number);
    // Online, the old number and the old printed code are refused.
    let r = cashier.debit(&debit(&old_number)).await;
    assert_eq!((r.status, r.code()), (410, "carte_remplacee"), "{}", r.body);
    let r = cashier
        .debit(&json!({"qr": old_qr, "birth_date": "2010-03-14", "avantage": "lecture_loisir", "price": "1"}))
        .await;
    assert_eq!((r.status, r.code()), (410, "carte_remplacee"), "{}", r.body);
    // Offline, after a pull, the device refuses the old app code.
    let old_app_code2 = old_app_code.clone();
    let old_qr2 = old_qr.clone();
    let partner = tokio::task::spawn_blocking(move || {
        // Until it pulls, a device offline does not know.
        assert!(partner.scan(&old_app_code2).is_ok());
        assert!(partner.scan(&old_qr2).is_ok());
        partner.pull().unwrap();
        assert!(
            partner.scan(&old_qr2).is_err(),
            "old printed code after a pull"
        );
        assert!(
            partner.scan(&old_app_code2).is_err(),
            "old app code after a pull"
        );
        assert!(
            partner
                .debit_offline(&old_app_code2, "lecture_loisir", Money::parse("1").unwrap())
                .is_err()
        );
        partner
    })
    .await
    .unwrap();

    // The replacement shows what was left; once received, it debits.
    let card = youth.get("/api/youth/card").await.body;
    assert_eq!(
        card["number"].as_str().unwrap().replace(' ', ""),
        new_number
    );
    assert_eq!(
        remaining(&card, "lecture_loisir"),
        left.to_string(),
        "{card}"
    );
    let r = youth.post("/api/youth/card/activate", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = cashier.debit(&debit(&new_number)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The replacement's printed code verifies on the device after a pull.
    let new_qr = youth.get("/api/youth/card/qr").await.body["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_qr, old_qr);
    tokio::task::spawn_blocking(move || {
        partner.pull().unwrap();
        assert!(partner.scan(&new_qr).is_ok(), "the new printed code");
        assert!(partner.scan(&old_qr).is_err(), "the old one, still");
    })
    .await
    .unwrap();
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    assert_eq!(check.body["orphans"], 0, "{}", check.body);
}
