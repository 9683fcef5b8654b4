//! The print queue (issue 16): validated and replaced cards wait to be
//! posted; the Region exports them for the card maker, marks them posted,
//! and sees the late ones.

use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn cards_are_exported_posted_and_late_ones_listed() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let region = app.region().await;
    let youth = app.youth("Hugo").await;
    let r = youth
        .post(
            "/api/youth/orders",
            &crate::common::order_body("=Hugo", "2010-03-14"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order = r.body["id"].as_str().unwrap().to_owned();
    etab.post(
        &format!("/api/establishment/orders/{order}/decision"),
        &json!({"validate": true}),
    )
    .await;
    let id = youth.get("/api/youth/card").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = region.get("/api/region/print-queue").await;
    assert_eq!(q.status, 200, "{}", q.body);
    let item = q
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["card_id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(item["late"], false);
    assert!(item["city"].is_string());
    // The CSV for the card maker carries the signed QR, safe in a spreadsheet.
    let csv = region.get("/api/region/print-queue.csv").await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.bytes.clone()).unwrap();
    assert!(text.starts_with('\u{feff}'));
    let line = text.lines().find(|l| l.contains("Hugo")).unwrap();
    assert!(line.contains(";PR1:"), "{line}");
    assert!(line.contains(";'=Hugo;"), "a formula is defused: {line}");
    // The ZIP: the same CSV and an SVG of each QR, named by the card number.
    let z = region.get("/api/region/print-queue.zip").await;
    assert_eq!(z.status, 200);
    assert_eq!(z.content_type, "application/zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(z.bytes.clone())).unwrap();
    let mut inside = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("cartes.csv").unwrap(), &mut inside)
        .unwrap();
    assert_eq!(inside, text, "the archive's CSV is the CSV");
    let number = line.split(';').next().unwrap().to_owned();
    let mut svg = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name(&format!("qr/{number}.svg")).unwrap(),
        &mut svg,
    )
    .unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
    assert_eq!(
        archive.len(),
        1 + text.lines().count() - 1,
        "one SVG per card"
    );
    // The SVG draws the very code of the CSV line.
    let qr_text = line.rsplit(';').next().unwrap();
    assert_eq!(
        passregion_core::qr::render_svg(qr_text, passregion_core::qr::QrUse::PrintedCard, 256)
            .unwrap(),
        svg
    );
    // Not the youth's.
    assert_eq!(youth.get("/api/region/print-queue").await.status, 403);
    assert_eq!(youth.get("/api/region/print-queue.zip").await.status, 403);
    // Eight days later, still not posted: late.
    app.advance(chrono::Duration::days(8));
    let region = app.region().await;
    let q = region.get("/api/region/print-queue").await;
    assert!(
        q.body
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["card_id"] == id.as_str() && i["late"] == true)
    );
    let r = region
        .post(
            "/api/region/print-queue/posted",
            &json!({"card_ids": [id, "inconnue"]}),
        )
        .await;
    assert_eq!(r.body["posted"], 1, "{}", r.body);
    let q = region.get("/api/region/print-queue").await;
    assert!(
        !q.body
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["card_id"] == id.as_str())
    );
    // Posted once: again changes nothing.
    let r = region
        .post("/api/region/print-queue/posted", &json!({"card_ids": [id]}))
        .await;
    assert_eq!(r.body["posted"], 0);
    // Bounded.
    let many: Vec<String> = (0..5001).map(|i| format!("c{i}")).collect();
    let r = region
        .post("/api/region/print-queue/posted", &json!({"card_ids": many}))
        .await;
    assert_eq!(r.body["field"], "card_ids", "{}", r.body);
}

#[tokio::test]
async fn the_youth_sees_when_her_card_was_posted() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let region = app.region().await;
    let youth = app.youth("Lou").await;
    let r = youth
        .post(
            "/api/youth/orders",
            &crate::common::order_body("Lou", "2010-03-14"),
        )
        .await;
    let order = r.body["id"].as_str().unwrap().to_owned();
    etab.post(
        &format!("/api/establishment/orders/{order}/decision"),
        &json!({"validate": true}),
    )
    .await;
    let card = youth.get("/api/youth/card").await;
    assert_eq!(card.body["status"], "expediee");
    assert!(card.body["posted_at"].is_null(), "{}", card.body);
    let id = card.body["id"].as_str().unwrap().to_owned();
    region
        .post("/api/region/print-queue/posted", &json!({"card_ids": [id]}))
        .await;
    let card = youth.get("/api/youth/card").await;
    assert!(card.body["posted_at"].is_string(), "{}", card.body);
    // A lost card's replacement waits to be posted again.
    youth.post("/api/youth/card/activate", &json!({})).await;
    youth
        .post("/api/youth/card/lost", &json!({"stolen": true}))
        .await;
    let q = region.get("/api/region/print-queue").await;
    assert!(
        q.body
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["card_id"] == id.as_str())
    );
}
