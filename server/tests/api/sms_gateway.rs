//! SMS through a real HTTP gateway (issue 13): the test starts a local fake
//! provider, the server is configured with `--sms-url` (plain HTTP is
//! accepted on the loopback only), and a partner application sends its
//! signature code through it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use passregion_server::error::ServiceError;
use passregion_server::partners::error::PartnersError;
use passregion_server::partners::sms::{DEFAULT_TEMPLATE, HttpSms, SmsSender};
use serde_json::json;

use crate::common::TestApp;

/// One request the provider received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    /// Header names in lowercase.
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A fake SMS provider on a free loopback port: records every request and
/// answers with `status` (changeable while it runs); `silent` accepts and
/// never answers.
struct FakeProvider {
    port: u16,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeProvider {
    fn start(status: u16) -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(status));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (st, rec) = (status.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (st, rec) = (st.clone(), rec.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &st, &rec);
                });
            }
        });
        FakeProvider {
            port,
            status,
            received,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/send", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn serve_one(
    stream: std::net::TcpStream,
    status: &AtomicU16,
    received: &Mutex<Vec<Received>>,
) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    received.lock().unwrap().push(Received {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let code = status.load(Ordering::SeqCst);
    if code == 0 {
        // Silent: hold the connection without answering.
        std::thread::sleep(std::time::Duration::from_secs(30));
        return Ok(());
    }
    let answer = r#"{"id":"msg-1"}"#;
    write!(
        out,
        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )
}

/// An applicant with a complete draft sends it: the signature code is texted.
async fn submit(app: &TestApp, email: &str) -> (crate::common::Resp, crate::common::Client) {
    let c = app.applicant(email, "Librairie des Canuts").await;
    app.fill_application(&c, "06 12 34 56 78").await;
    (app.submit_application(&c).await, c)
}

/// The six-digit code of an SMS text.
fn code_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.len() == 7 && w.ends_with('.') && w[..6].bytes().all(|b| b.is_ascii_digit()))
        .map(|w| w[..6].to_owned())
        .expect("a code in the SMS")
}

#[tokio::test]
async fn the_signature_code_goes_through_the_gateway() {
    let provider = FakeProvider::start(200);
    let app = TestApp::init()
        .flags(&["--sms-url", &provider.url(), "--sms-auth", "bearer:secret"])
        .build()
        .await;
    let (r, partner) = submit(&app, "claire@canuts.example").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["code_sent_to"], "06 •• •• •• 78");
    let got = provider.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let sms = &got[0];
    assert_eq!(sms.path, "/send");
    assert_eq!(sms.header("authorization"), Some("Bearer secret"));
    assert_eq!(sms.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&sms.body).unwrap();
    assert_eq!(body["to"], "+33612345678", "{}", sms.body);
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("PASS'Région : votre code"), "{text}");
    // The code received signs the convention: it is the real one.
    let r = partner
        .post(
            "/api/partner/convention/sign",
            &json!({"code": code_in(text)}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Nothing went to the demo's file outbox.
    assert!(!app.data_dir.join("sms-outbox.log").exists());
}

#[tokio::test]
async fn a_gateway_failure_is_503_and_the_partner_can_recover() {
    let provider = FakeProvider::start(500);
    let app = TestApp::init()
        .flags(&["--sms-url", &provider.url()])
        .build()
        .await;
    let (r, partner) = submit(&app, "claire@canuts.example").await;
    assert_eq!(
        (r.status, r.code()),
        (503, "sms_indisponible"),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["message"],
        "L'envoi du SMS a échoué : réessayez dans quelques minutes."
    );
    assert_eq!(provider.received().len(), 1);
    // The application was sent (and its code stored) before the SMS: it
    // waits for its signature…
    let r = partner.get("/api/partner/application").await;
    assert_eq!(r.body["stage"], "envoyee", "{}", r.body);
    // …and asks for a new code; while the gateway still fails, 503 again.
    let r = partner
        .post("/api/partner/convention/code", &json!({}))
        .await;
    assert_eq!((r.status, r.code()), (503, "sms_indisponible"));
    // Once the gateway is back, the new code arrives and signs.
    provider.status.store(200, Ordering::SeqCst);
    let r = partner
        .post("/api/partner/convention/code", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = provider.received();
    assert_eq!(got.len(), 3);
    let last: serde_json::Value = serde_json::from_str(&got[2].body).unwrap();
    let code = code_in(last["text"].as_str().unwrap());
    // The failed sends counted: the application's 3 codes of the day are spent.
    let r = partner
        .post("/api/partner/convention/code", &json!({}))
        .await;
    assert_eq!((r.status, r.code()), (429, "trop_de_codes"), "{}", r.body);
    assert_eq!(provider.received().len(), 3);
    let r = partner
        .post("/api/partner/convention/sign", &json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_form_template_gets_percent_encoded_values_and_basic_auth() {
    let provider = FakeProvider::start(202);
    let app = TestApp::init()
        .flags(&[
            "--sms-url",
            &provider.url(),
            "--sms-auth",
            "basic:region:p@ss:w=rd",
            "--sms-template",
            "from=PASSRegion&to={to}&message={text}",
            "--sms-content-type",
            "application/x-www-form-urlencoded",
        ])
        .build()
        .await;
    let (r, _) = submit(&app, "claire@canuts.example").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = provider.received();
    let sms = &got[0];
    assert_eq!(
        sms.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode("region:p@ss:w=rd");
    assert_eq!(
        sms.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    // The text's apostrophe, accent, spaces and colon are encoded: only the
    // template's own separators remain.
    assert!(
        sms.body.starts_with(
            "from=PASSRegion&to=%2B33612345678&message=PASS%27R%C3%A9gion+%3A+votre+code"
        ),
        "{}",
        sms.body
    );
    assert_eq!(sms.body.matches('&').count(), 2);
    let fields: Vec<(String, String)> = form_urlencoded::parse(sms.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[1], ("to".into(), "+33612345678".into()));
    let text = &fields[2].1;
    assert!(
        text.starts_with("PASS'Région : votre code de signature")
            && text.ends_with("Il est valable 15 minutes."),
        "{text}"
    );
}

#[test]
fn an_unreachable_or_silent_gateway_is_an_error_within_the_timeout() {
    // A closed port: connection refused.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/send",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let sms = HttpSms::new(&url, None, DEFAULT_TEMPLATE, "application/json").unwrap();
    let err = sms.send("+33612345678", "code 123456.").err().unwrap();
    assert!(matches!(
        err,
        ServiceError::Partners(PartnersError::SmsUnavailable)
    ));
    // A provider that accepts and never answers: given up after 10 s.
    let silent = FakeProvider::start(0);
    let sms = HttpSms::new(&silent.url(), None, DEFAULT_TEMPLATE, "application/json").unwrap();
    let started = std::time::Instant::now();
    let err = sms.send("+33612345678", "code 123456.").err().unwrap();
    let took = started.elapsed();
    assert!(matches!(
        err,
        ServiceError::Partners(PartnersError::SmsUnavailable)
    ));
    assert!(
        took >= std::time::Duration::from_secs(9) && took < std::time::Duration::from_secs(15),
        "{took:?}"
    );
}

/// A log sink for one thread's events.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_logs_hold_the_masked_number_and_the_status_only() {
    let provider = FakeProvider::start(200);
    let sms = HttpSms::new(
        &provider.url(),
        Some("bearer:s3cr3t-token"),
        DEFAULT_TEMPLATE,
        "application/json",
    )
    .unwrap();
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let text = "PASS'Région : votre code est 987654. Il est valable 15 minutes.";
    tracing::subscriber::with_default(subscriber, || {
        sms.send("+33612345678", text).unwrap();
        provider.status.store(500, Ordering::SeqCst);
        assert!(sms.send("+33612345678", text).is_err());
    });
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("06 •• •• •• 78"), "{logs}");
    assert!(
        logs.contains("status=200") && logs.contains("status=500"),
        "{logs}"
    );
    for secret in ["612345678", "987654", "s3cr3t", "valable"] {
        assert!(!logs.contains(secret), "{secret} in the logs: {logs}");
    }
}

#[test]
fn a_bad_gateway_configuration_stops_the_server_at_start() {
    let config = |extra: &[&str]| {
        let mut args = vec!["passregion-server".to_owned()];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        crate::common::parse_config(&args)
    };
    let refused = |extra: &[&str], says: &str| {
        let err = passregion_server::app::sms_sender(&config(extra))
            .err()
            .expect("refused");
        assert!(err.to_string().contains(says), "{extra:?}: {err}");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    };
    // A remote gateway over plain HTTP would carry the codes and the key in clear.
    refused(&["--sms-url", "http://sms.example.fr/send"], "https://");
    refused(&["--sms-url", "pas une url"], "--sms-url");
    refused(
        &[
            "--sms-url",
            "https://sms.example.fr/send",
            "--sms-auth",
            "s3cr3t",
        ],
        "--sms-auth",
    );
    refused(
        &[
            "--sms-url",
            "https://sms.example.fr/send",
            "--sms-auth",
            "basic:s3cr3t",
        ],
        "--sms-auth",
    );
    refused(
        &[
            "--sms-url",
            "https://sms.example.fr/send",
            "--sms-template",
            r#"{"to":"{to}"}"#,
        ],
        "--sms-template",
    );
    refused(
        &[
            "--sms-url",
            "https://sms.example.fr/send",
            "--sms-content-type",
            "text/plain",
        ],
        "--sms-content-type",
    );
    // Well configured: HTTPS to a remote gateway (no request is made at start).
    assert!(
        passregion_server::app::sms_sender(&config(&[
            "--sms-url",
            "https://sms.example.fr/v1/messages",
            "--sms-auth",
            "basic:region:s3cr3t"
        ]))
        .is_ok()
    );
    // Without --sms-url, the demo's file outbox.
    assert!(passregion_server::app::sms_sender(&config(&[])).is_ok());
}
