//! A local SMTP sink for the spawned-binary tests: accepts every connection
//! on a free loopback port, answers the SMTP dialogue and keeps each message
//! (envelope recipients and data), so that a test configures the real server
//! with `--smtp-url smtp://127.0.0.1:PORT` and reads what it sent.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A message received: envelope recipients (`RCPT TO` lines) and data.
#[derive(Debug, Clone)]
pub struct Received {
    /// The `RCPT TO:` lines.
    pub rcpt: Vec<String>,
    /// The message (headers and body), as sent.
    pub data: String,
}

/// The sink; it runs until the test process ends.
pub struct SmtpSink {
    /// Its port on 127.0.0.1.
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts a sink on a free port.
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || session(stream, &kept));
            }
        });
        SmtpSink { port, messages }
    }

    /// The `--smtp-url` of the sink.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages to `to` so far.
    pub fn to(&self, to: &str) -> Vec<Received> {
        let needle = format!("<{}>", to.to_lowercase());
        self.messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.rcpt.iter().any(|r| r.to_lowercase().contains(&needle)))
            .cloned()
            .collect()
    }

    /// Waits (at most 30 s) for the `n`th message to `to` (1 = the first),
    /// and returns the link token (`jeton=…`) it carries.
    pub fn token(&self, to: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(m) = self.to(to).get(n - 1) {
                return token_in(&m.data).unwrap_or_else(|| panic!("no link in {}", m.data));
            }
            assert!(Instant::now() < deadline, "no message {n} to {to}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The `jeton=` of a link in a message, quoted-printable or not.
pub fn token_in(data: &str) -> Option<String> {
    let text = data.replace("=\r\n", "").replace("=3D", "=");
    let at = text.find("jeton=")? + "jeton=".len();
    let token: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

fn session(stream: TcpStream, kept: &Mutex<Vec<Received>>) {
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut lines = BufReader::new(stream);
    let mut say = |s: &str| out.write_all(s.as_bytes()).is_ok();
    if !say("220 sink ESMTP\r\n") {
        return;
    }
    let mut rcpt = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let upper = line.to_ascii_uppercase();
        let ok = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            say("250-sink\r\n250 8BITMIME\r\n")
        } else if upper.starts_with("RCPT TO") {
            rcpt.push(line.trim().to_owned());
            say("250 OK\r\n")
        } else if upper.starts_with("DATA") {
            say("354 go\r\n");
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            kept.lock().unwrap().push(Received {
                rcpt: std::mem::take(&mut rcpt),
                data,
            });
            say("250 queued\r\n")
        } else if upper.starts_with("QUIT") {
            say("221 bye\r\n");
            return;
        } else {
            say("250 OK\r\n")
        };
        if !ok {
            return;
        }
    }
}
