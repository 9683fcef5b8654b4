//! Test harness: spawns the real `passregion-server` binary on a free port with
//! a temporary data directory, and talks to it over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod pg;
pub mod smtp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Path of a workspace binary (built by `cargo test --workspace`, since the
/// server package has integration tests of its own).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // A test runs from target/<profile>/deps/, a bench binary from target/<profile>/.
    let here = exe.parent().unwrap();
    let path = [here.join(name), here.parent().unwrap().join(name)]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| here.join(name));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p passregion-server` (or `cargo test --workspace`) first",
        path.display()
    );
    path
}

/// The server binary the tests start: `passregion-server` (SQLite), or with
/// `PASSREGION_TEST_ENGINE=postgres` the `passregion-cluster` launcher (two
/// instances on one PostgreSQL database behind a round-robin balancer, on
/// the cluster of `PASSREGION_TEST_DATABASE_URL`).
pub fn server_binary() -> PathBuf {
    if on_postgres() {
        binary("passregion-cluster")
    } else {
        binary("passregion-server")
    }
}

/// Whether the tests run the server on PostgreSQL (`PASSREGION_TEST_ENGINE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("PASSREGION_TEST_ENGINE").is_ok_and(|e| e == "postgres")
}

/// How many server instances [`TestServer::start`] runs: the cluster's on
/// PostgreSQL (`PASSREGION_CLUSTER_INSTANCES`, 2 by default), else 1. The
/// failure budgets are per instance (docs/security.md): the tests of their
/// bounds multiply by this.
pub fn instances() -> usize {
    if !on_postgres() {
        return 1;
    }
    std::env::var("PASSREGION_CLUSTER_INSTANCES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2usize)
        .max(1)
}

/// A running server process.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Data directory (kept across restarts).
    pub data_dir: PathBuf,
    child: Option<Child>,
    _tmp: Option<tempfile::TempDir>,
    /// What the server logged (stderr), when started with [`TestServer::start_logged`].
    pub logs: Option<std::sync::Arc<std::sync::Mutex<String>>>,
}

impl TestServer {
    /// Starts a server with the demo region (`youths` demo youths) and extra flags.
    pub fn start(youths: usize, extra: &[&str]) -> TestServer {
        let tmp = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap();
        let dir = tmp.path().to_owned();
        let mut s = TestServer::start_in(&dir, youths, extra);
        s._tmp = Some(tmp);
        s
    }

    /// Starts a server on an existing data directory (with the demo region).
    pub fn start_in(dir: &Path, youths: usize, extra: &[&str]) -> TestServer {
        let youths = youths.to_string();
        let mut args = vec!["--demo", "--demo-youths", youths.as_str()];
        args.extend_from_slice(extra);
        TestServer::launch(dir, &args)
    }

    /// Starts a server on an existing data directory without the demo (a
    /// region's own installation, e.g. after `passregion-server init`).
    pub fn start_without_demo(dir: &Path, extra: &[&str]) -> TestServer {
        TestServer::launch(dir, extra)
    }

    /// Starts a demo server whose log (at `level`, e.g. `debug`) is kept in
    /// [`TestServer::logs`], to check what it writes.
    pub fn start_logged(youths: usize, level: &str) -> TestServer {
        let tmp = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap();
        let youths = youths.to_string();
        let mut s = TestServer::launch_with(
            tmp.path(),
            &["--demo", "--demo-youths", youths.as_str()],
            Some(level),
        );
        s._tmp = Some(tmp);
        s
    }

    /// Starts a server on `dir` with `args` (no demo unless asked), its log
    /// at `level` kept in [`TestServer::logs`].
    pub fn start_logged_in(dir: &Path, args: &[&str], level: &str) -> TestServer {
        TestServer::launch_with(dir, args, Some(level))
    }

    /// Starts `instances` demo instances on one new PostgreSQL database
    /// behind the `passregion-cluster` balancer (whatever the engine switch
    /// says; the cluster of `PASSREGION_TEST_DATABASE_URL`).
    pub fn start_cluster(youths: usize, instances: usize, extra: &[&str]) -> TestServer {
        let tmp = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap();
        let youths = youths.to_string();
        let mut args = vec!["--demo", "--demo-youths", youths.as_str()];
        args.extend_from_slice(extra);
        let mut cmd = Command::new(binary("passregion-cluster"));
        cmd.env("PASSREGION_CLUSTER_INSTANCES", instances.to_string());
        let mut s = TestServer::spawn(cmd, tmp.path(), &args, None);
        s._tmp = Some(tmp);
        s
    }

    /// The instances' own addresses (a cluster), or this server's.
    pub async fn instance_urls(&self) -> Vec<String> {
        let listed = reqwest::get(self.url("/__cluster")).await.ok();
        let rows: Option<Vec<Value>> = match listed {
            Some(r) if r.status().is_success() => r.json().await.ok(),
            _ => None,
        };
        match rows {
            Some(rows) => rows
                .iter()
                .filter_map(|r| r["url"].as_str().map(str::to_owned))
                .collect(),
            None => vec![self.base.clone()],
        }
    }

    fn launch(dir: &Path, args: &[&str]) -> TestServer {
        TestServer::launch_with(dir, args, None)
    }

    fn launch_with(dir: &Path, args: &[&str], logged: Option<&str>) -> TestServer {
        TestServer::spawn(Command::new(server_binary()), dir, args, logged)
    }

    fn spawn(mut cmd: Command, dir: &Path, args: &[&str], logged: Option<&str>) -> TestServer {
        let mut child = cmd
            .arg("--data-dir")
            .arg(dir)
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", logged.unwrap_or("warn"))
            .stdout(Stdio::piped())
            .stderr(if logged.is_some() {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .unwrap();
        let logs = logged.map(|_| {
            let logs = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
            let (sink, stderr) = (logs.clone(), child.stderr.take().unwrap());
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut l) = sink.lock() {
                        l.push_str(&line);
                        l.push('\n');
                    }
                }
            });
            logs
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut sent = false;
            while let Some(Ok(line)) = lines.next() {
                if !sent && let Some(i) = line.find("http://") {
                    let url: String = line[i..].split_whitespace().next().unwrap().to_owned();
                    tx.send(url).unwrap();
                    sent = true;
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the server did not start");
        TestServer {
            base,
            data_dir: dir.to_owned(),
            child: Some(child),
            _tmp: None,
            logs,
        }
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// On PostgreSQL ([`on_postgres`]), kills instance `n` (0 or 1) of the
    /// cluster at once, as a crash: the balancer sends the next requests to
    /// the other one. Returns whether there was a cluster to do it on.
    /// (A plain blocking request: callable from sync and async tests.)
    pub fn kill_instance(&self, n: usize) -> bool {
        use std::io::{Read, Write};
        if !on_postgres() {
            return false;
        }
        let addr = self.base.trim_start_matches("http://");
        let Ok(mut s) = std::net::TcpStream::connect(addr) else {
            return false;
        };
        let req = format!(
            "POST /__cluster/kill?instance={n} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let mut answer = String::new();
        s.write_all(req.as_bytes()).is_ok()
            && s.read_to_string(&mut answer).is_ok()
            && answer.starts_with("HTTP/1.1 204")
    }

    /// The server process's peak resident memory (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client with no session.
    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    /// A client logged in with a demo account (password `demo1234`).
    pub async fn login(&self, email: &str) -> Client {
        self.login_with(email, "demo1234").await
    }

    /// A client logged in with `email` and `password`.
    pub async fn login_with(&self, email: &str, password: &str) -> Client {
        let mut c = self.client();
        let r = c
            .post(
                "/api/auth/login",
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "login {email}: {}", r.body);
        c.token = Some(r.body["token"].as_str().unwrap().to_owned());
        c
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A response: status and JSON body.
#[derive(Debug, Clone)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Parsed JSON (Null when the body is not JSON).
    pub body: Value,
    /// Content-Type.
    pub content_type: String,
}

impl Resp {
    /// The machine error code.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// An HTTP client, maybe logged in.
#[derive(Clone)]
pub struct Client {
    base: String,
    /// Underlying client.
    pub http: reqwest::Client,
    /// Bearer token.
    pub token: Option<String>,
}

impl Client {
    /// This client's session, used on the server at `base` (`http://…`).
    pub fn at(&self, base: &str) -> Client {
        Client {
            base: base.to_owned(),
            http: self.http.clone(),
            token: self.token.clone(),
        }
    }

    /// This client's session, used on `server` (another instance).
    pub fn on(&self, server: &TestServer) -> Client {
        Client {
            base: server.base.clone(),
            http: self.http.clone(),
            token: self.token.clone(),
        }
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let rb = match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        };
        let r = rb.send().await.expect("request failed");
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = r.text().await.unwrap_or_default();
        Resp {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            content_type,
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.http.get(format!("{}{}", self.base, path)))
            .await
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(self.http.post(format!("{}{}", self.base, path)).json(body))
            .await
    }

    /// PUT JSON.
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(self.http.put(format!("{}{}", self.base, path)).json(body))
            .await
    }

    /// POST JSON with an Idempotency-Key.
    pub async fn post_idem(&self, path: &str, key: &str, body: &Value) -> Resp {
        self.send(
            self.http
                .post(format!("{}{}", self.base, path))
                .header("Idempotency-Key", key)
                .json(body),
        )
        .await
    }

    /// POST raw bytes with a content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        self.send(
            self.http
                .post(format!("{}{}", self.base, path))
                .header("content-type", content_type)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .body(body),
        )
        .await
    }

    /// Debits with a fresh idempotency key.
    pub async fn debit(&self, body: &Value) -> Resp {
        self.post_idem(
            "/api/partner/debits",
            &uuid::Uuid::new_v4().to_string(),
            body,
        )
        .await
    }
}

/// The e-mails written to `DATA_DIR/mail-outbox/` for `to`, oldest first:
/// (subject, body).
pub fn mails_to(data_dir: &std::path::Path, to: &str) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(data_dir.join("mail-outbox"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|text| {
            let (head, body) = text.split_once("\r\n\r\n")?;
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
            };
            (header("To:")?.eq_ignore_ascii_case(to))
                .then(|| (header("Subject:").unwrap_or_default(), body.to_owned()))
        })
        .collect()
}

/// The token of the last confirmation link mailed to `to`.
pub fn verification_token(data_dir: &std::path::Path, to: &str) -> Option<String> {
    mails_to(data_dir, to)
        .into_iter()
        .rev()
        .find_map(|(_, body)| {
            let at = body.find("jeton=")? + "jeton=".len();
            Some(
                body[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect(),
            )
        })
}

/// Registers a youth through the API and follows the confirmation link:
/// returns the session token.
pub async fn register_youth(
    client: &Client,
    data_dir: &std::path::Path,
    email: &str,
    password: &str,
    name: &str,
) -> String {
    let r = client
        .post(
            "/api/auth/register",
            &json!({"email": email, "password": password, "display_name": name}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let token = verification_token(data_dir, email).expect("a confirmation link");
    let r = client
        .post("/api/auth/verify-email", &json!({"token": token}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

/// A new youth with an active card: registers, orders at `establishment`
/// (`etab-ampere` by default), gets validated by `etab` and activates.
/// Returns the youth client and the card JSON (plus `qr`: its signed `PR1:` text).
pub async fn youth_with_card(server: &TestServer, etab: &Client, name: &str) -> (Client, Value) {
    youth_with_card_at(server, etab, name, "etab-ampere").await
}

/// [`youth_with_card`] at another établissement (`etab` must be its staff).
pub async fn youth_with_card_at(
    server: &TestServer,
    etab: &Client,
    name: &str,
    establishment_id: &str,
) -> (Client, Value) {
    let mut youth = server.client();
    let email = format!("{}-{}@example.org", name, uuid::Uuid::new_v4());
    let token = register_youth(&youth, &server.data_dir, &email, "motdepasse", name).await;
    youth.token = Some(token);
    let mut order = order_body(name, "2010-03-14");
    order["establishment_id"] = json!(establishment_id);
    let r = youth.post("/api/youth/orders", &order).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order_id = r.body["id"].as_str().unwrap().to_owned();
    let r = etab
        .post(
            &format!("/api/establishment/orders/{order_id}/decision"),
            &json!({"validate": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = youth.post("/api/youth/card/activate", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut card = r.body;
    let qr = youth.get("/api/youth/card/qr").await;
    assert_eq!(qr.status, 200, "{}", qr.body);
    card["qr"] = qr.body["text"].clone();
    // The printed code is used online with the holder's birth date.
    card["birth_date"] = json!("2010-03-14");
    (youth, card)
}

/// A valid order body for a lycéen in seconde at Lycée Ampère.
pub fn order_body(first_name: &str, birth_date: &str) -> Value {
    json!({
        "first_name": first_name,
        "last_name": "Testeur",
        "birth_date": birth_date,
        "public": "lyceen",
        "track": "seconde",
        "establishment_id": "etab-ampere",
        "address": "3 rue des Tests",
        "postal_code": "69002",
        "city": "Lyon"
    })
}

/// The remaining balance of an avantage on a card JSON.
pub fn remaining(card: &Value, avantage: &str) -> String {
    card["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["avantage"] == avantage)
        .map(|b| b["remaining"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}
