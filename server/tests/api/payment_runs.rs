//! Money out (issue 15, ADR 0030), through the HTTP API: a season of
//! activity is paid out. Batches close; a payment run's `pain.001` is
//! accepted by the official XSD (xmllint) and its sums match the batches and
//! the ledger to the cent; a `camt.054` with one rejected transfer (AC01)
//! is imported and the statuses follow, twice without effect; a batch never
//! goes in two runs nor is paid twice; a refund after payout is clawed back
//! in the next batch's statement; the partner's PDF lists the same lines as
//! its JSON; the accounting journal reconciles with the ledger check;
//! hostile statements are refused and change nothing.

use std::process::Command;

use chrono::Duration;
use passregion_core::PartnerCategory;
use passregion_core::SignedMoney;
use passregion_core::season::REGION_TZ;
use serde_json::{Value, json};

use crate::common::{Client, Resp, TestApp};

const DEBTOR_IBAN: &str = "FR6220041010071234567890012";
const FLAGS: [&str; 6] = [
    "--debtor-iban",
    DEBTOR_IBAN,
    "--debtor-bic",
    "PSSTFRPP",
    "--debtor-name",
    "Région Auvergne-Rhône-Alpes",
];

fn vectors() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/iso20022")
}

fn cents(v: &Value) -> i64 {
    SignedMoney::parse(v.as_str().unwrap_or_else(|| panic!("an amount: {v}")))
        .unwrap()
        .cents()
}

/// Validates a pain.001 document against the official XSD with xmllint
/// (Debian `libxml2-utils`): fails, never skips, when xmllint is missing.
fn assert_valid_pain001(xml: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.pain.001.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(vectors().join("pain.001.001.09.xsd"))
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint is needed to validate the SEPA files (apt-get install libxml2-utils): {e}"
            )
        });
    assert!(
        out.status.success(),
        "the pain.001 does not validate against the XSD:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(xml)
    );
}

/// The text of every `<name>` element of an XML document, in order.
fn texts(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        if !after.starts_with('>') && !after.starts_with(' ') {
            rest = after;
            continue;
        }
        let start = after.find('>').unwrap() + 1;
        let end = after.find(&close).unwrap();
        out.push(after[start..end].to_owned());
        rest = &after[end..];
    }
    out
}

fn xml_cents(s: &str) -> i64 {
    let (e, c) = s.split_once('.').unwrap();
    assert_eq!(c.len(), 2, "two decimals: {s}");
    e.parse::<i64>().unwrap() * 100 + c.parse::<i64>().unwrap()
}

async fn debit(partner: &Client, card: &Value, avantage: &str, price: &str) -> Value {
    let r = partner
        .debit(&json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": avantage, "price": price}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn refund(partner: &Client, tx: &Value) {
    let id = tx["id"].as_str().unwrap();
    let r = partner
        .post_idem(
            &format!("/api/partner/transactions/{id}/refund"),
            &uuid::Uuid::new_v4().to_string(),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Closes the batches up to now; the batches closed, by partner name.
async fn close(app: &TestApp, region: &Client) -> Vec<Value> {
    app.advance(Duration::seconds(1));
    let r = region
        .post("/api/region/reimbursements/close", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

fn of<'a>(batches: &'a [Value], partner: &str) -> &'a Value {
    batches
        .iter()
        .find(|b| b["partner_name"] == partner)
        .unwrap_or_else(|| panic!("a batch of {partner} in {batches:?}"))
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn batch(region: &Client, batch_id: &str) -> Value {
    let all = region.get("/api/region/reimbursements").await.body;
    all.as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == batch_id)
        .unwrap()
        .clone()
}

async fn run(region: &Client, key: &str, ids: &[&str]) -> Resp {
    region
        .post_idem("/api/region/payment-runs", key, &json!({"batch_ids": ids}))
        .await
}

/// Runs one statement on the database (what the partners' bank-details
/// change would have written).
async fn sql(app: &TestApp, statement: &'static str, arg: &str) {
    app.exec_sql(statement, vec![arg.into()]).await.unwrap();
}

/// An amount as the PDF shows it (its fonts have no U+2212 minus sign nor
/// narrow no-break space).
fn pdf_euros(m: SignedMoney) -> String {
    m.format_fr()
        .replace('\u{2212}', "-")
        .replace(['\u{202F}', '\u{A0}'], " ")
}

/// The statement with only its first, booked, transfer.
fn booked_only(run_id: &str, paid: (&str, i64)) -> Vec<u8> {
    let mut s = String::from_utf8(camt(run_id, paid, ("unused", 1))).unwrap();
    let start = s.find("      <Ntry>\n        <NtryRef>2").unwrap();
    let end = start + s[start..].find("      </Ntry>\n").unwrap() + "      </Ntry>\n".len();
    s.replace_range(start..end, "");
    s.into_bytes()
}

async fn ledger(region: &Client) -> Value {
    let check = region.get("/api/region/ledger/check").await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert_eq!(check.body["inconsistencies"], json!([]), "{}", check.body);
    assert_eq!(check.body["orphans"], 0);
    check.body
}

fn camt(run_id: &str, paid: (&str, i64), rejected: (&str, i64)) -> Vec<u8> {
    let amount = |c: i64| format!("{}.{:02}", c / 100, c % 100);
    std::fs::read_to_string(vectors().join("camt.054.001.08-one-rejected.xml"))
        .unwrap()
        .replace("{{RUN_ID}}", run_id)
        .replace("{{DEBTOR_IBAN}}", DEBTOR_IBAN)
        .replace("{{E2E_PAID}}", paid.0)
        .replace("{{AMOUNT_PAID}}", &amount(paid.1))
        .replace("{{E2E_REJECTED}}", rejected.0)
        .replace("{{AMOUNT_REJECTED}}", &amount(rejected.1))
        .into_bytes()
}

async fn import(region: &Client, key: &str, xml: Vec<u8>) -> Resp {
    region
        .post_raw_idem(
            "/api/region/payment-runs/import",
            "application/xml",
            key,
            xml,
        )
        .await
}

/// Each page's text items (one per cell), decoded with the font's encoding.
fn pdf_items(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let mut out = Vec::new();
    for page in doc.get_pages().values() {
        let fonts = doc.get_page_fonts(*page).unwrap();
        let content = lopdf::content::Content::decode(&doc.get_page_content(*page)).unwrap();
        let mut encoding = None;
        for op in &content.operations {
            match op.operator.as_str() {
                "Tf" => {
                    let name = op.operands[0].as_name().unwrap();
                    encoding = Some(fonts[name].get_font_encoding(&doc).unwrap());
                }
                "Tj" => {
                    let bytes = op.operands[0].as_str().unwrap();
                    let text = lopdf::Document::decode_text(encoding.as_ref().unwrap(), bytes);
                    out.push(text.unwrap().replace('\u{A0}', " "));
                }
                _ => {}
            }
        }
    }
    out
}

/// What the PDF must show of a JSON line, cell by cell.
fn expected_row(line: &Value) -> Vec<String> {
    let at: chrono::DateTime<chrono::Utc> = line["created_at"].as_str().unwrap().parse().unwrap();
    let kind = if line["kind"] == "refund" {
        "Remboursement"
    } else {
        "Débit"
    };
    let channel = match line["channel"].as_str().unwrap() {
        "qr" => "QR code",
        "web" => "saisie du numéro",
        "offline" => "hors ligne",
        "collective" => "réservation collective",
        other => panic!("channel {other}"),
    };
    vec![
        at.with_timezone(&REGION_TZ)
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        kind.to_owned(),
        channel.to_owned(),
        line["avantage_label"].as_str().unwrap().to_owned(),
        line["card"].as_str().unwrap().to_owned(),
        pdf_euros(SignedMoney::parse(line["reimbursed_amount"].as_str().unwrap()).unwrap()),
    ]
}

/// The statement's JSON and PDF list the same lines, in the same order.
async fn assert_pdf_matches_json(partner: &Client, batch_id: &str) -> Value {
    let json = partner
        .get(&format!("/api/partner/reimbursements/{batch_id}/statement"))
        .await;
    assert_eq!(json.status, 200, "{}", json.body);
    let pdf = partner
        .get(&format!(
            "/api/partner/reimbursements/{batch_id}/statement.pdf"
        ))
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    let items = pdf_items(&pdf.bytes);
    let lines = json.body["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    let mut at = items
        .iter()
        .position(|t| t == "Montant")
        .expect("the lines' header");
    for line in lines {
        let row = expected_row(line);
        let found = &items[at + 1..at + 1 + row.len()];
        assert_eq!(found, &row[..], "PDF row of {line}");
        at += row.len();
    }
    let text = items.join(" ");
    let b = &json.body["batch"];
    for amount in ["total", "payable"] {
        let m = SignedMoney::parse(b[amount].as_str().unwrap()).unwrap();
        assert!(text.contains(&pdf_euros(m)), "{amount} in the PDF: {text}");
    }
    json.body
}

#[tokio::test]
async fn a_season_is_paid_out_through_sepa_files_and_bank_statements() {
    let app = TestApp::init().flags(&FLAGS).build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let region = app.region().await;
    let mut cards = Vec::new();
    for name in ["Inès", "Léo", "Maya", "Noé", "Zoé", "Sacha"] {
        cards.push(app.youth_with_card(&etab, name).await.1);
    }
    let parc = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    let pages = app
        .partner(PartnerCategory::Librairie, "Librairie Pagès & Fils")
        .await;
    let no_iban = app
        .partner(PartnerCategory::Librairie, "Bouquinerie sans RIB")
        .await;
    let pending = app
        .partner(PartnerCategory::Librairie, "Librairie en attente")
        .await;
    sql(
        &app,
        "UPDATE partners SET iban = NULL, bic = NULL WHERE name = ?1",
        "Bouquinerie sans RIB",
    )
    .await;
    sql(
        &app,
        "UPDATE partners SET bank_details_pending_since = '2026-11-19T09:00:00.000000Z' WHERE name = ?1",
        "Librairie en attente",
    )
    .await;

    // First half of the month: debits on several cards, one refund before closing.
    let t1 = debit(&parc, &cards[0], "lecture_loisir", "12.50").await;
    debit(&parc, &cards[1], "manuels_scolaires", "41.30").await;
    let early = debit(&parc, &cards[2], "lecture_loisir", "3.20").await;
    refund(&parc, &early).await;
    debit(&pages, &cards[3], "manuels_scolaires", "27.99").await;
    debit(&pages, &cards[4], "lecture_loisir", "9.01").await;
    debit(&no_iban, &cards[5], "lecture_loisir", "5.00").await;
    debit(&pending, &cards[5], "manuels_scolaires", "8.00").await;
    let closed = close(&app, &region).await;
    assert_eq!(closed.len(), 4);
    let (a1, b1) = (
        of(&closed, "Librairie du Parc"),
        of(&closed, "Librairie Pagès & Fils"),
    );
    assert_eq!((cents(&a1["payable"]), cents(&b1["payable"])), (5380, 3700));
    let (c1, d1) = (
        of(&closed, "Bouquinerie sans RIB"),
        of(&closed, "Librairie en attente"),
    );

    // The queue says which batches are blocked, and why.
    let queue = region.get("/api/region/payment-runs/queue").await.body;
    let blocked = |bid: &str| {
        queue
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["batch"]["id"] == bid)
            .unwrap()["blocked"]
            .clone()
    };
    assert_eq!(blocked(id(a1)), Value::Null);
    assert_eq!(blocked(id(d1)), "bloqué : coordonnées bancaires en attente");
    assert!(blocked(id(c1)).as_str().unwrap().contains("manquantes"));

    // A run of the four: the two payable ones in, the blocked ones reported.
    let key = uuid::Uuid::new_v4().to_string();
    let r = run(&region, &key, &[id(a1), id(b1), id(c1), id(d1)]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let run1 = r.body.clone();
    assert_eq!(run1["transactions"], 2);
    assert_eq!(cents(&run1["total"]), 5380 + 3700);
    let left_out: Vec<&str> = run1["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch_id"].as_str().unwrap())
        .collect();
    assert_eq!(left_out, [id(c1), id(d1)]);
    assert_eq!(
        run1["blocked"][1]["reason"],
        "bloqué : coordonnées bancaires en attente"
    );
    // Replayed with its key: the same run, nothing new.
    let again = run(&region, &key, &[id(a1), id(b1), id(c1), id(d1)]).await;
    assert_eq!((again.status, &again.body["id"]), (201, &run1["id"]));
    assert_eq!(
        batch(&region, id(a1)).await["status"],
        "en_cours_de_paiement"
    );
    assert_eq!(batch(&region, id(c1)).await["status"], "en_cours");
    // Never in two runs.
    let twice = run(&region, &uuid::Uuid::new_v4().to_string(), &[id(a1)]).await;
    assert_eq!(
        (twice.status, twice.code()),
        (409, "lot_deja_en_paiement"),
        "{}",
        twice.body
    );
    let none = run(
        &region,
        &uuid::Uuid::new_v4().to_string(),
        &[id(c1), id(d1)],
    )
    .await;
    assert_eq!(
        (none.status, none.code()),
        (409, "aucun_lot_payable"),
        "{}",
        none.body
    );

    // The file: valid against the official schema; its sums are the batches'.
    let run_id = run1["id"].as_str().unwrap();
    let file = region
        .get(&format!("/api/region/payment-runs/{run_id}/pain.001.xml"))
        .await;
    assert_eq!(file.status, 200);
    assert_valid_pain001(&file.bytes);
    let xml = String::from_utf8(file.bytes.clone()).unwrap();
    let e2e = |b: &Value| id(b).replace('-', "");
    // By partner name.
    assert_eq!(texts(&xml, "EndToEndId"), [e2e(b1), e2e(a1)]);
    assert_eq!(texts(&xml, "MsgId"), [run_id]);
    assert_eq!(texts(&xml, "NbOfTxs"), ["2", "2"]);
    let sums: Vec<i64> = texts(&xml, "CtrlSum")
        .iter()
        .map(|s| xml_cents(s))
        .collect();
    assert_eq!(sums, [9080, 9080]);
    let amounts: i64 = texts(&xml, "InstdAmt").iter().map(|s| xml_cents(s)).sum();
    assert_eq!(amounts, 9080);
    assert_eq!(texts(&xml, "IBAN")[0], DEBTOR_IBAN);
    assert!(xml.contains("<Nm>Librairie Pages + Fils</Nm>"), "{xml}");
    assert!(
        texts(&xml, "Ustrd")
            .iter()
            .all(|u| u.starts_with("PASS'Region remboursement jusqu'au "))
    );
    let check = ledger(&region).await;
    assert_eq!(cents(&check["payouts"]["in_payment"]), 9080);

    // The bank's notification: the first booked, the second returned (AC01).
    let statement = camt(run_id, (&e2e(a1), 5380), (&e2e(b1), 3700));
    let key = uuid::Uuid::new_v4().to_string();
    let r = import(&region, &key, statement.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["paid"].as_i64(), r.body["rejected"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(r.body["message"], "camt.054.001.08");
    assert_eq!(
        r.body["entries"][1]["reason"],
        "AC01 — IBAN incorrect (Compte beneficiaire inconnu)"
    );
    let a1_now = batch(&region, id(a1)).await;
    assert_eq!(
        (
            &a1_now["status"],
            &a1_now["bank_reference"],
            &a1_now["paid_on"]
        ),
        (
            &json!("rembourse"),
            &json!("BQ2026120300001-1"),
            &json!("2026-12-03")
        )
    );
    let b1_now = batch(&region, id(b1)).await;
    assert_eq!(b1_now["status"], "en_cours");
    // The partner sees why.
    let mine = pages.get("/api/partner/reimbursements").await.body;
    assert_eq!(
        mine["batches"][0]["rejection_reason"],
        "AC01 — IBAN incorrect (Compte beneficiaire inconnu)"
    );
    // Imported again (its key, or another one): nothing changes.
    let replay = import(&region, &key, statement.clone()).await;
    assert_eq!(replay.body, r.body);
    let twice = import(&region, &uuid::Uuid::new_v4().to_string(), statement).await;
    assert_eq!(twice.status, 200, "{}", twice.body);
    assert_eq!(
        (twice.body["paid"].as_i64(), twice.body["rejected"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(
        twice.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["result"] == "deja_traite")
    );
    assert_eq!(batch(&region, id(a1)).await, a1_now);
    assert_eq!(batch(&region, id(b1)).await, b1_now);

    // After the payout, a refund of a paid debit: the next batch claws it back.
    app.advance(Duration::hours(2));
    refund(&parc, &t1).await;
    debit(&parc, &cards[2], "lecture_loisir", "5.00").await;
    let a2 = of(&close(&app, &region).await, "Librairie du Parc").clone();
    assert_eq!(
        (
            cents(&a2["total"]),
            cents(&a2["payable"]),
            cents(&a2["carried_out"]),
            a2["status"].as_str()
        ),
        (-750, 0, -750, Some("compense"))
    );
    debit(&parc, &cards[1], "manuels_scolaires", "20.00").await;
    let a3 = of(&close(&app, &region).await, "Librairie du Parc").clone();
    assert_eq!(
        (cents(&a3["carried_in"]), cents(&a3["payable"])),
        (-750, 1250)
    );
    let s3 = assert_pdf_matches_json(&parc, id(&a3)).await;
    assert_eq!(s3["batch"]["carried_from"], a2["id"]);
    assert_eq!(s3["carried_from_period_end"], a2["period_end"]);
    assert_eq!(s3["avantages"][0]["avantage"], "manuels_scolaires");
    let s2 = assert_pdf_matches_json(&parc, id(&a2)).await;
    assert!(
        s2["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["kind"] == "refund" && l["reimbursed_amount"] == "-12.50")
    );
    assert_eq!(cents(&s2["refunds"]), -1250);
    let pdf_text = pdf_items(
        &parc
            .get(&format!(
                "/api/partner/reimbursements/{}/statement.pdf",
                id(&a3)
            ))
            .await
            .bytes,
    )
    .join(" ");
    assert!(pdf_text.contains("Report du lot précédent"), "{pdf_text}");
    assert!(
        pdf_text.contains(&pdf_euros(SignedMoney::from_cents(-750).unwrap())),
        "{pdf_text}"
    );
    // CSV too, with a BOM, `;` and French headers; one row per line.
    let csv = parc
        .get(&format!(
            "/api/partner/reimbursements/{}/statement.csv",
            id(&a2)
        ))
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.bytes
            .starts_with(b"\xEF\xBB\xBFDate;Type;Canal;Avantage;Carte;")
    );
    let csv_text = String::from_utf8(csv.bytes[3..].to_vec()).unwrap();
    assert_eq!(
        csv_text.lines().count(),
        1 + s2["lines"].as_array().unwrap().len()
    );
    assert!(csv_text.contains(";-12,50;"), "{csv_text}");
    // Not another partner's.
    let other = pages
        .get(&format!(
            "/api/partner/reimbursements/{}/statement",
            id(&a3)
        ))
        .await;
    assert_eq!(other.status, 404);
    let other = pages
        .get(&format!(
            "/api/partner/reimbursements/{}/statement.pdf",
            id(&a3)
        ))
        .await;
    assert_eq!(other.status, 404);
    assert_eq!(
        region
            .get(&format!("/api/region/reimbursements/{}/statement", id(&a3)))
            .await
            .status,
        200
    );

    // The rejected batch goes in a new run (the partner fixed its IBAN), with
    // the next one; the new file validates too.
    let r = run(
        &region,
        &uuid::Uuid::new_v4().to_string(),
        &[id(b1), id(&a3)],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let run2 = r.body.clone();
    let file = region
        .get(&format!(
            "/api/region/payment-runs/{}/pain.001.xml",
            run2["id"].as_str().unwrap()
        ))
        .await;
    assert_valid_pain001(&file.bytes);
    assert_eq!(cents(&run2["total"]), 3700 + 1250);
    assert_eq!(
        batch(&region, id(b1)).await["rejection_reason"],
        Value::Null
    );
    // Paid by hand with the bank's reference: logged; a later statement
    // booking it changes nothing (never paid twice).
    let paid = region
        .post(
            &format!("/api/region/reimbursements/{}/pay", id(&a3)),
            &json!({"reference": "VIR-MANUEL-42"}),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(
        (&paid.body["status"], &paid.body["bank_reference"]),
        (&json!("rembourse"), &json!("VIR-MANUEL-42"))
    );
    let no_ref = region
        .post(
            &format!("/api/region/reimbursements/{}/pay", id(b1)),
            &json!({"reference": " "}),
        )
        .await;
    assert_eq!((no_ref.status, no_ref.code()), (422, "champ_invalide"));
    let events = region
        .get(&format!("/api/region/reimbursements/{}/payments", id(&a3)))
        .await
        .body;
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["event"], &last["reference"]),
        (&json!("paye_manuellement"), &json!("VIR-MANUEL-42"))
    );
    assert!(!last["by"].as_str().unwrap().is_empty());
    let late = booked_only(run2["id"].as_str().unwrap(), (&e2e(&a3), 1250));
    let r = import(&region, &uuid::Uuid::new_v4().to_string(), late).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["entries"][0]["result"], "deja_traite", "{}", r.body);
    assert_eq!(
        batch(&region, id(&a3)).await["bank_reference"],
        "VIR-MANUEL-42"
    );

    // The books: the journal's charges are the batched net, its bank lines
    // what was paid, each entry balanced; the ledger check agrees.
    let check = ledger(&region).await;
    let p = &check["payouts"];
    assert_eq!(cents(&p["paid"]), 5380 + 1250);
    let j = region
        .get("/api/region/accounting-journal?from=2026-09-01&to=2027-08-31")
        .await;
    assert_eq!(j.status, 200, "{}", j.body);
    assert!(j.bytes.starts_with(b"\xEF\xBB\xBFDate;Journal;Compte;"));
    let text = String::from_utf8(j.bytes[3..].to_vec()).unwrap();
    let fr = |s: &str| {
        if s.is_empty() {
            0
        } else {
            xml_cents(&s.replace(',', "."))
        }
    };
    let (mut charges, mut bank, mut debits, mut credits) = (0, 0, 0, 0);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        let (d, c) = (fr(f[6]), fr(f[7]));
        debits += d;
        credits += c;
        match f[2] {
            "6574" => charges += d - c,
            "512" => bank += c - d,
            "401" => {}
            other => panic!("account {other}"),
        }
    }
    assert_eq!(debits, credits);
    assert_eq!(charges, cents(&p["batched"]));
    assert_eq!(bank, cents(&p["paid"]));
    let bad = region
        .get("/api/region/accounting-journal?from=2026-01-01&to=2027-12-31")
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn hostile_statements_are_refused_and_change_nothing() {
    let app = TestApp::init().flags(&FLAGS).build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let region = app.region().await;
    let (_, card) = app.youth_with_card(&etab, "Inès").await;
    let parc = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    debit(&parc, &card, "lecture_loisir", "12.50").await;
    let b = of(&close(&app, &region).await, "Librairie du Parc").clone();
    let r = run(&region, &uuid::Uuid::new_v4().to_string(), &[id(&b)]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let e2e = id(&b).replace('-', "");
    let before = (
        region.get("/api/region/reimbursements").await.body,
        ledger(&region).await,
    );
    let real = String::from_utf8(camt(
        r.body["id"].as_str().unwrap(),
        (&e2e, 1250),
        (&e2e, 1250),
    ))
    .unwrap();
    let body_of = |prolog: &str, inside: &str| {
        real.replacen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", prolog, 1)
            .replacen(
                "<AcctSvcrRef>BQ2026120300001-1</AcctSvcrRef>",
                &format!("<AcctSvcrRef>{inside}</AcctSvcrRef>"),
                1,
            )
    };
    let laughs = body_of(
        "<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>",
        "&d;",
    );
    let xxe = body_of(
        "<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
        "&x;",
    );
    let undeclared = body_of("<?xml version=\"1.0\"?>", "&x;");
    let deep = body_of(
        "<?xml version=\"1.0\"?>",
        &format!("{}{}", "<a>".repeat(50), "</a>".repeat(50)),
    );
    let mut huge = real.clone().into_bytes();
    huge.extend(std::iter::repeat_n(b' ', 10 * 1024 * 1024));
    let cases: [(Vec<u8>, u16, &str); 5] = [
        (laughs.into_bytes(), 422, "releve_refuse"),
        (xxe.into_bytes(), 422, "releve_refuse"),
        (undeclared.into_bytes(), 422, "releve_refuse"),
        (deep.into_bytes(), 422, "releve_trop_complexe"),
        (huge, 413, "corps_trop_volumineux"),
    ];
    for (body, status, code) in cases {
        let r = import(&region, &uuid::Uuid::new_v4().to_string(), body).await;
        assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
        assert!(!r.body["message"].as_str().unwrap().is_empty());
    }
    let after = (
        region.get("/api/region/reimbursements").await.body,
        ledger(&region).await,
    );
    assert_eq!(after, before);
    assert_eq!(
        of(after.0.as_array().unwrap(), "Librairie du Parc")["status"],
        "en_cours_de_paiement"
    );
}

#[tokio::test]
async fn without_a_debtor_account_no_run_is_made() {
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let region = app.region().await;
    let (_, card) = app.youth_with_card(&etab, "Inès").await;
    let parc = app
        .partner(PartnerCategory::Librairie, "Librairie du Parc")
        .await;
    debit(&parc, &card, "lecture_loisir", "12.50").await;
    let b = of(&close(&app, &region).await, "Librairie du Parc").clone();
    let r = run(&region, &uuid::Uuid::new_v4().to_string(), &[id(&b)]).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "compte_debiteur_non_configure"),
        "{}",
        r.body
    );
    assert_eq!(batch(&region, id(&b)).await["status"], "en_cours");
    // Only the Region makes runs; partners see no other run.
    let r = parc
        .post_idem(
            "/api/region/payment-runs",
            "k",
            &json!({"batch_ids": [id(&b)]}),
        )
        .await;
    assert_eq!(r.status, 403);
    // A half-configured debtor account stops the server at startup.
    let dir = tempfile::tempdir().unwrap();
    let cfg = crate::common::parse_config(&[
        "passregion-server".into(),
        "--data-dir".into(),
        dir.path().display().to_string(),
        "--bind".into(),
        "127.0.0.1:0".into(),
        "--debtor-iban".into(),
        DEBTOR_IBAN.into(),
    ]);
    assert!(passregion_server::Server::build(cfg).await.is_err());
}
