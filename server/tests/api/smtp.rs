//! E-mail through a real SMTP exchange (issue 16): the test starts a local
//! SMTP sink, the server is configured with `--smtp-url`, and a registration
//! sends its confirmation link through it (lettre's client, plain SMTP on
//! the loopback).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use serde_json::json;

use crate::common::TestApp;

/// A one-message SMTP sink on a free port: answers the dialogue and hands
/// back (envelope recipients, message data).
fn smtp_sink() -> (u16, mpsc::Receiver<(Vec<String>, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        let mut say = |s: &str| out.write_all(s.as_bytes()).unwrap();
        say("220 sink ESMTP\r\n");
        let (mut rcpt, mut data) = (Vec::new(), String::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                say("250-sink\r\n250 8BITMIME\r\n");
            } else if upper.starts_with("MAIL FROM") {
                say("250 OK\r\n");
            } else if upper.starts_with("RCPT TO") {
                rcpt.push(line.trim().to_owned());
                say("250 OK\r\n");
            } else if upper.starts_with("DATA") {
                say("354 go\r\n");
                loop {
                    line.clear();
                    lines.read_line(&mut line).unwrap();
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                say("250 queued\r\n");
            } else if upper.starts_with("QUIT") {
                say("221 bye\r\n");
                break;
            } else {
                say("250 OK\r\n");
            }
        }
        let _ = tx.send((rcpt, data));
    });
    (port, rx)
}

#[tokio::test]
async fn a_registration_mail_goes_through_the_smtp_relay() {
    let (port, received) = smtp_sink();
    // Plain SMTP is accepted for a relay on this machine only.
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::init()
        .flags(&[
            "--smtp-url",
            &url,
            "--mail-from",
            "PASS'Région <noreply@region.example.fr>",
        ])
        .build()
        .await;
    let r = app
        .post(
            "/api/auth/register",
            &json!({"email": "smtp@example.fr", "password": "motdepasse", "display_name": "Sam"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let (rcpt, data) = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a message reached the relay");
    assert!(
        rcpt.iter().any(|r| r.contains("<smtp@example.fr>")),
        "{rcpt:?}"
    );
    assert!(data.contains("noreply@region.example.fr"), "{data}");
    assert!(data.contains("jeton="), "the confirmation link: {data}");
    // Nothing was written to the demo's file outbox.
    assert!(app.mails_to("smtp@example.fr").is_empty());
}

#[tokio::test]
async fn a_bad_smtp_url_stops_the_server_at_start() {
    let config = |url: &str| {
        crate::common::parse_config(&["passregion-server".into(), "--smtp-url".into(), url.into()])
    };
    let err = passregion_server::app::mailer(&config("pas une url"))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("--smtp-url"), "{err}");
    // A remote relay without TLS would carry the credentials in clear.
    let err = passregion_server::app::mailer(&config("smtp://user:secret@relay.example.fr:587"))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("tls=required"), "{err}");
    assert!(
        passregion_server::app::mailer(&config("smtp://relay.example.fr:587?tls=required")).is_ok()
    );
    assert!(passregion_server::app::mailer(&config("smtps://relay.example.fr:465")).is_ok());
}
