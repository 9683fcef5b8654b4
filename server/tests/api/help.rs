//! The help screen's content (issue 16): the FAQ rendered from the file the
//! Region edits, the support phone and hours from configuration, the
//! accessibility statement and the server's version.

use crate::common::TestApp;

#[tokio::test]
async fn the_help_screen_serves_the_faq_and_the_support_line() {
    let app = TestApp::init().build().await;
    let r = app.get("/api/help").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let faq = r.body["faq"].as_array().unwrap();
    assert_eq!(faq.len(), 17);
    assert_eq!(faq[0]["question"], "Qu’est-ce que le PASS’Région ?");
    assert_eq!(r.body["support_phone"], "0810 559 559");
    assert!(r.body["accessibility"].as_str().unwrap().contains("RGAA"));
    assert_eq!(r.body["server_version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn the_region_edits_its_faq_and_its_support_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faq.txt");
    std::fs::write(
        &path,
        "FAQ\n\n1. Où retirer ma carte ?\nÀ l'accueil\nde votre lycée.\n",
    )
    .unwrap();
    let app = TestApp::init()
        .flags(&[
            "--faq",
            path.to_str().unwrap(),
            "--support-phone",
            "04 00 00 00 00",
            "--support-hours",
            "le mardi",
        ])
        .build()
        .await;
    let r = app.get("/api/help").await;
    assert_eq!(r.body["faq"][0]["answer"][0], "À l'accueil de votre lycée.");
    assert_eq!(r.body["support_phone"], "04 00 00 00 00");
    assert_eq!(r.body["support_hours"], "le mardi");
    // A file without any question stops the server at start.
    std::fs::write(&path, "rien ici").unwrap();
    let err = app.restart().await.err().expect("refused to start");
    assert!(err.to_string().contains("FAQ"), "{err}");
}
