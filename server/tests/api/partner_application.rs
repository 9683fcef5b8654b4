//! A partner's application end to end through HTTP (issue 13): the public
//! start with a uniform answer, the draft saved field by field, documents
//! recognised from their content, the CGP accepted, the convention PDF
//! signed with the SMS code and its proof, the Region's instruction and
//! decision (the partner told), the bons plans minimum, and termination
//! refusing the next debit at once.

use serde_json::json;

use crate::common::{TestApp, tiny_pdf};

#[tokio::test]
async fn a_bookshop_applies_signs_is_validated_then_terminated() {
    let app = TestApp::init().build().await;
    let anonymous = app.client();
    // The public start: bad fields are named; a taken address gets the same answer.
    let r = anonymous
        .post(
            "/api/partners/applications",
            &json!({"name": "", "category": "librairie", "contact_name": "Claire",
                    "email": "claire@canuts.example", "password": "motdepasse"}),
        )
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("name")));
    let partner = app
        .applicant("claire@canuts.example", "Librairie des Canuts")
        .await;
    let again = anonymous
        .post(
            "/api/partners/applications",
            &json!({"name": "Autre", "category": "cinema", "contact_name": "X",
                    "email": "claire@canuts.example", "password": "autremotdepasse"}),
        )
        .await;
    assert_eq!(again.status, 202, "{}", again.body);
    assert!(
        app.mails_to("claire@canuts.example")
            .last()
            .unwrap()
            .1
            .contains("déjà un")
    );

    // The draft: nothing is sent yet, what misses is listed.
    let v = partner.get("/api/partner/application").await;
    assert_eq!(v.body["stage"], "brouillon", "{}", v.body);
    assert!(
        v.body["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "Le SIRET")
    );
    // A wrong SIRET key or IBAN is refused and changes nothing.
    for (field, bad) in [
        ("siret", "73282932000075"),
        ("iban", "FR7630006000011234567890188"),
    ] {
        let r = partner
            .put(
                "/api/partner/application",
                &json!({"city": "Villeurbanne", field: bad}),
            )
            .await;
        assert_eq!((r.status, r.body["field"].as_str()), (422, Some(field)));
    }
    let v = partner.get("/api/partner/application").await;
    assert_eq!(v.body["city"], "");
    // Sending early says what is missing.
    let version = app.get("/api/cgp").await.body["version"].clone();
    let r = app.submit_application(&partner).await;
    assert_eq!(r.code(), "demande_incomplete", "{}", r.body);

    // Documents: an executable renamed .pdf and an oversized file are
    // refused and store nothing; a PDF and a JPEG are kept.
    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.extend_from_slice(&[0u8; 200]);
    let r = partner
        .upload(
            "/api/partner/application/documents?kind=kbis_statuts&filename=kbis.pdf",
            elf,
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (415, "type_de_fichier_refuse"),
        "{}",
        r.body
    );
    let mut big = tiny_pdf();
    big.splice(10..10, std::iter::repeat_n(b' ', 20 * 1024 * 1024));
    let r = partner
        .upload(
            "/api/partner/application/documents?kind=kbis_statuts&filename=gros.pdf",
            big,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    let r = partner
        .upload(
            "/api/partner/application/documents?kind=passeport&filename=x.pdf",
            tiny_pdf(),
        )
        .await;
    assert_eq!(r.body["field"], "kind");
    let v = partner.get("/api/partner/application").await;
    assert_eq!(v.body["documents"].as_array().unwrap().len(), 0);
    app.fill_application(&partner, "06 12 34 56 78").await;
    let v = partner.get("/api/partner/application").await;
    let docs = v.body["documents"].as_array().unwrap().clone();
    assert_eq!(docs.len(), 2, "{}", v.body);
    assert_eq!(docs[0]["content_type"], "application/pdf");
    assert_eq!(docs[1]["content_type"], "image/jpeg");
    assert_eq!(v.body["iban"], "FR76 •••• •••• 0189");
    assert!(
        v.body["missing"].as_array().unwrap().is_empty(),
        "{}",
        v.body
    );

    // An outdated CGP version is refused; the current one sends it.
    let r = partner
        .post(
            "/api/partner/application/submit",
            &json!({"cgp_version": "2019-01"}),
        )
        .await;
    assert_eq!(r.code(), "cgp_perimees");
    let r = app.submit_application(&partner).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["code_sent_to"], "06 •• •• •• 78");
    assert_eq!(r.body["application"]["stage"], "envoyee");
    assert_eq!(r.body["application"]["cgp_accepted_version"], version);
    let shown = partner.get("/api/partner/convention.pdf").await;
    assert_eq!(shown.status, 200);
    assert!(shown.bytes.starts_with(b"%PDF-"));
    let shown_hash = r.body["application"]["convention"]["document_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        passregion_server::platform::sql::sha256_hex(&shown.bytes),
        shown_hash
    );
    // Sent: the draft is frozen.
    let r = partner
        .put("/api/partner/application", &json!({"city": "Bron"}))
        .await;
    assert_eq!(r.code(), "demande_deja_envoyee");
    // The signature: a wrong code counts, the right one signs with a proof.
    let code = app.last_sms_code();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let r = partner
        .post("/api/partner/convention/sign", &json!({"code": wrong}))
        .await;
    assert_eq!(r.code(), "code_incorrect");
    let r = partner
        .post("/api/partner/convention/sign", &json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["stage"], "signee");
    let conv = &r.body["convention"];
    assert_eq!(conv["signed_phone"], "06 •• •• •• 78");
    assert_eq!(conv["signature_attempts"], 1);
    assert_eq!(conv["document_sha256"], shown_hash.as_str());
    let pid = r.body["partner_id"].as_str().unwrap().to_owned();
    let signed = partner.get("/api/partner/convention.pdf").await;
    assert!(signed.bytes.starts_with(b"%PDF-"));
    assert_ne!(
        signed.bytes, shown.bytes,
        "the signed PDF carries the proof"
    );

    // Not in force yet: no debit.
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Yanis").await;
    let debit = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "5"});
    assert_eq!(partner.debit(&debit).await.code(), "partenariat_inactif");

    // The Region: the record with its checks and documents, then instruction.
    let region = app.region().await;
    let rec = region.get(&format!("/api/region/partners/{pid}")).await;
    assert_eq!(rec.status, 200, "{}", rec.body);
    assert_eq!(rec.body["siret_valid"], true);
    assert_eq!(rec.body["iban_valid"], true);
    assert_eq!(rec.body["iban"], "FR7630006000011234567890189");
    let doc_id = docs[0]["id"].as_str().unwrap();
    let d = region.get(&format!("/api/documents/{doc_id}")).await;
    assert_eq!(
        (d.status, d.content_type.as_str()),
        (200, "application/pdf")
    );
    assert_eq!(d.bytes, tiny_pdf());
    assert_eq!(d.headers["x-content-type-options"], "nosniff");
    // Nobody else reads it.
    let other = app
        .applicant("autre@canuts.example", "Autre librairie")
        .await;
    assert_eq!(
        other.get(&format!("/api/documents/{doc_id}")).await.status,
        404
    );
    let youth = app.youth("Lina").await;
    assert_eq!(
        youth.get(&format!("/api/documents/{doc_id}")).await.status,
        404
    );
    assert_eq!(
        anonymous
            .get(&format!("/api/documents/{doc_id}"))
            .await
            .status,
        401
    );
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/instruction"),
            &json!({}),
        )
        .await;
    assert_eq!(
        r.body["application"]["stage"], "en_instruction",
        "{}",
        r.body
    );
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.body["status"], "validated", "{}", r.body);
    // Told in its space, by e-mail and by SMS.
    let v = partner.get("/api/partner/application").await;
    assert_eq!(v.body["stage"], "validee");
    assert_eq!(v.body["standing"], "en_vigueur");
    assert!(
        v.body["notices"][0]["message"]
            .as_str()
            .unwrap()
            .contains("validée")
    );
    assert!(
        app.mails_to("claire@canuts.example")
            .last()
            .unwrap()
            .1
            .contains("validée")
    );
    let r = partner.debit(&debit).await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Termination: a past date is refused; today's takes effect at once.
    let today = passregion_core::season::region_date(app.now());
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/terminate"),
            &json!({"reason": "Fermeture", "effective_on": today.pred_opt().unwrap()}),
        )
        .await;
    assert_eq!(r.code(), "resiliation_invalide", "{}", r.body);
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/terminate"),
            &json!({"reason": "Cessation d'activité", "effective_on": today}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["application"]["standing"], "resiliee");
    let r = partner.debit(&debit).await;
    assert_eq!(
        (r.status, r.code()),
        (403, "partenariat_inactif"),
        "{}",
        r.body
    );
    assert!(r.body["message"].as_str().unwrap().contains("convention"));
    // The directory no longer lists it.
    let dir = app.get("/api/partners?q=Canuts").await;
    assert_eq!(dir.body.as_array().unwrap().len(), 0, "{}", dir.body);
}

#[tokio::test]
async fn suspension_and_a_convention_term() {
    let app = TestApp::init().at("2027-05-10T10:00:00Z").build().await;
    let region = app.region().await;
    let (partner, pid) = app.validated_applicant("p@canuts.example", &region).await;
    let v = partner.get("/api/partner/application").await;
    assert_eq!(v.body["convention"]["ends_on"], "2027-05-31");
    // Three weeks before the term: renewal is due.
    assert_eq!(v.body["renewal_due"], true);
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (_, card) = app.youth_with_card(&etab, "Yanis").await;
    let debit = json!({"qr": card["qr"], "birth_date": card["birth_date"], "avantage": "lecture_loisir", "price": "1"});
    assert_eq!(partner.debit(&debit).await.status, 201);
    // Suspended: refused at once; reinstated: accepted again.
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/suspend"),
            &json!({"reason": "Contrôle en cours"}),
        )
        .await;
    assert_eq!(r.body["application"]["standing"], "suspendu", "{}", r.body);
    assert_eq!(partner.debit(&debit).await.code(), "partenariat_inactif");
    let r = region
        .post(&format!("/api/region/partners/{pid}/reinstate"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(partner.debit(&debit).await.status, 201);
    // After the term, without renewal, the convention is over.
    app.set_time("2027-06-01T08:00:00Z");
    let partner = app.login("p@canuts.example").await;
    let v = partner.get("/api/partner/application").await;
    assert_eq!(v.body["standing"], "echue", "{}", v.body);
    assert_eq!(partner.debit(&debit).await.code(), "partenariat_inactif");
}

#[tokio::test]
async fn documents_are_bounded_and_typed_from_their_content() {
    let app = TestApp::init().build().await;
    let c = app.applicant("doc@canuts.example", "Librairie").await;
    // A PNG is accepted whatever its name; HTML named .png is not.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    let r = c
        .upload(
            "/api/partner/application/documents?kind=autre&filename=scan.pdf",
            png,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["content_type"], "image/png");
    let r = c
        .upload(
            "/api/partner/application/documents?kind=autre&filename=page.png",
            b"<html><script>alert(1)</script></html>".to_vec(),
        )
        .await;
    assert_eq!(r.status, 415);
    let r = c
        .upload(
            "/api/partner/application/documents?kind=autre&filename=vide.pdf",
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    // Removed before sending.
    let id = c.get("/api/partner/application").await.body["documents"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        c.delete(&format!("/api/partner/application/documents/{id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        c.get("/api/partner/application").await.body["documents"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn after_a_termination_only_earlier_offline_debits_are_accepted_within_the_grace() {
    use crate::offline_push::{Device, credential, push};
    let app = TestApp::init().build().await;
    let etab = app.establishment("etab-ampere", "Lycée Ampère").await;
    let (youth, _) = app.youth_with_card(&etab, "Hugo").await;
    let (cred, phone) = credential(&youth, 31).await;
    let region = app.region().await;
    let (partner, pid) = app
        .validated_applicant("grace@canuts.example", &region)
        .await;
    let mut device = Device::enrol(&partner, 41).await;
    let before = app.now();
    let a = device.debit(
        &cred.dynamic_qr(&phone, before, 1).unwrap(),
        300,
        300,
        before,
    );
    // Terminated from tomorrow.
    let tomorrow = passregion_core::season::region_date(before)
        .succ_opt()
        .unwrap();
    let r = region
        .post(
            &format!("/api/region/partners/{pid}/terminate"),
            &json!({"reason": "Déménagement", "effective_on": tomorrow}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Two days later: the earlier debit is accepted, one made after is not.
    app.advance(chrono::Duration::days(2));
    let partner = app.login("grace@canuts.example").await;
    let after = app.now();
    let b = device.debit(&cred.dynamic_qr(&phone, after, 2).unwrap(), 200, 200, after);
    let res = push(&partner, &[a, b]).await;
    assert_eq!(res[0]["status"], "applied", "{res:?}");
    assert_eq!(res[1]["code"], "convention_resiliee", "{res:?}");
    // No new device, no online debit.
    let key = passregion_core::credential::SoftwareDeviceKey::from_seed(&[42; 32]).unwrap();
    let r = partner
        .post(
            "/api/partner/devices",
            &json!({"device_public_key": passregion_core::credential::DeviceSigner::public_key(&key).to_base64(), "label": "Caisse 2"}),
        )
        .await;
    assert_eq!(r.code(), "partenariat_inactif", "{}", r.body);
    // Past the grace, nothing more is taken.
    app.advance(chrono::Duration::days(30));
    let partner = app.login("grace@canuts.example").await;
    let r = partner.post("/api/sync/push", &json!({"items": []})).await;
    assert_eq!(r.code(), "partenariat_inactif", "{}", r.body);
}

#[tokio::test]
async fn only_the_manager_changes_the_profile_and_bank_details() {
    let app = TestApp::init().build().await;
    let region = app.region().await;
    let (manager, _) = app.validated_applicant("m@canuts.example", &region).await;
    let r = manager
        .post(
            "/api/partner/staff",
            &json!({"email": "caisse@canuts.example", "display_name": "Caisse", "role": "cashier"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = app.verification_token("caisse@canuts.example").unwrap();
    let mut cashier = app.client();
    let r = cashier
        .post(
            "/api/auth/invitation/accept",
            &json!({"token": token, "password": "caisse-secrete"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    cashier.token = Some(r.body["token"].as_str().unwrap().to_owned());
    let new_iban = json!({"iban": "FR14 2004 1010 0505 0001 3M02 606", "bic": "PSSTFRPP"});
    let r = cashier.put("/api/partner/profile", &new_iban).await;
    assert_eq!(
        (r.status, r.code()),
        (403, "reserve_au_responsable"),
        "{}",
        r.body
    );
    let r = cashier.post("/api/partner/bank-details", &new_iban).await;
    assert_eq!(
        (r.status, r.code()),
        (403, "reserve_au_responsable"),
        "{}",
        r.body
    );
    // The profile does not take bank details: they have their own path.
    let r = manager.put("/api/partner/profile", &new_iban).await;
    assert_eq!(r.body["field"], "iban", "{}", r.body);
    let r = manager
        .put("/api/partner/profile", &json!({"city": "Villeurbanne"}))
        .await;
    assert_eq!(
        (r.status, r.body["city"].as_str()),
        (200, Some("Villeurbanne")),
        "{}",
        r.body
    );
    assert_eq!(r.body["iban"], "FR76 •••• •••• 0189");
    let r = manager
        .put("/api/partner/profile", &json!({"category": "cinema"}))
        .await;
    assert_eq!(r.body["field"], "category", "{}", r.body);
    // A cashier cannot sign, renew or terminate either.
    let r = cashier
        .post(
            "/api/partner/convention/terminate",
            &json!({"reason": "x", "effective_on": "2030-01-01"}),
        )
        .await;
    assert_eq!(r.code(), "reserve_au_responsable");
}

#[tokio::test]
async fn bons_plans_are_edited_back_to_moderation_and_only_current_ones_are_shown() {
    let app = TestApp::init().build().await;
    let region = app.region().await;
    let (partner, _) = app.validated_applicant("bp@canuts.example", &region).await;
    let today = passregion_core::season::region_date(app.now());
    let r = partner
        .post(
            "/api/partner/bons-plans",
            &json!({"title": "Hier", "description": "Trop tard.", "valid_until": today.pred_opt().unwrap()}),
        )
        .await;
    assert_eq!(r.body["field"], "valid_until", "{}", r.body);
    let r = partner
        .post(
            "/api/partner/bons-plans",
            &json!({"title": "Dédicace", "description": "Samedi.", "valid_until": today}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    region
        .post(
            &format!("/api/region/bons-plans/{id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    let listed =
        |b: &serde_json::Value| b.as_array().unwrap().iter().any(|p| p["id"] == id.as_str());
    assert!(listed(&app.get("/api/bons-plans").await.body));
    // Edited: back to moderation, out of the youths' list until published.
    let r = partner
        .put(
            &format!("/api/partner/bons-plans/{id}"),
            &json!({"title": "Dédicace (nouvel horaire)", "description": "Samedi 15 h.", "valid_until": today}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("soumis")),
        "{}",
        r.body
    );
    assert!(!listed(&app.get("/api/bons-plans").await.body));
    // Another partner cannot edit it.
    let other = app
        .partner(passregion_core::PartnerCategory::Librairie, "Autre")
        .await;
    let r = other
        .put(
            &format!("/api/partner/bons-plans/{id}"),
            &json!({"title": "X", "description": "Y"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    region
        .post(
            &format!("/api/region/bons-plans/{id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert!(listed(&app.get("/api/bons-plans").await.body));
    // Past its last day, it is no longer shown.
    app.advance(chrono::Duration::days(2));
    assert!(!listed(&app.get("/api/bons-plans").await.body));
}

#[tokio::test]
async fn a_partner_is_reminded_once_a_month_before_its_term() {
    let app = TestApp::init().at("2027-04-20T10:00:00Z").build().await;
    let region = app.region().await;
    app.validated_applicant("rappel@canuts.example", &region)
        .await;
    let mails = || {
        app.mails_to("rappel@canuts.example")
            .iter()
            .filter(|(_, body)| body.contains("prend fin le 31/05/2027"))
            .count()
    };
    // More than a month before the term: nothing.
    passregion_server::background::renewal_reminders(&app.state, app.now()).await;
    assert_eq!(mails(), 0);
    app.set_time("2027-05-02T10:00:00Z");
    passregion_server::background::renewal_reminders(&app.state, app.now()).await;
    assert_eq!(mails(), 1);
    // Once per term, however often the job runs.
    passregion_server::background::renewal_reminders(&app.state, app.now()).await;
    app.advance(chrono::Duration::days(3));
    passregion_server::background::renewal_reminders(&app.state, app.now()).await;
    assert_eq!(mails(), 1);
    let v = app.login("rappel@canuts.example").await;
    let v = v.get("/api/partner/application").await;
    assert!(
        v.body["notices"][0]["message"]
            .as_str()
            .unwrap()
            .contains("prend fin le 31/05/2027"),
        "{}",
        v.body
    );
    assert_eq!(v.body["renewal_due"], true);
}
