//! Several `passregion-server` instances on one PostgreSQL database behind a
//! round-robin HTTP balancer, started like one server (issue 17): the test
//! harnesses (browser, Python, spawned Rust tests) run it in place of the
//! server binary to try the whole system on two instances.
//!
//! `passregion-cluster [server flags…]` takes the server's flags. It makes
//! a database of its own on the cluster of `PASSREGION_TEST_DATABASE_URL`
//! (recorded in `DATA_DIR/cluster-database-url`, so a restart on the same data
//! directory finds it), starts `PASSREGION_CLUSTER_INSTANCES` (2) instances on
//! it, the first one alone until it is ready (the demo, the keys), and serves
//! on `--bind` a balancer that sends each request to the next instance.
//! Its output is the first instance's, with the balancer's address.
//!
//! The balancer behaves like nginx with `proxy_next_upstream error`: a
//! request an instance refused to connect goes to the next; one that failed
//! after it was sent is passed on only when it is a read or carries an
//! `Idempotency-Key` (the server answers its retry once), otherwise 502.
//! `POST /__cluster/kill?instance=N` kills instance N (SIGKILL, as a
//! crash); `GET /__cluster` lists the instances.
//!
//! A subcommand (`init`, `import-…`, `backup`…) runs once, on the recorded
//! database. On SIGTERM or SIGINT the instances are stopped.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use passregion_tests::pg::URL_VAR;

/// The file of the data directory naming the database of this cluster.
const DATABASE_FILE: &str = "cluster-database-url";
/// Largest request body forwarded (the server's own limits are lower).
const MAX_BODY: usize = 64 * 1024 * 1024;

struct Instance {
    url: String,
    child: Mutex<Option<Child>>,
}

struct Balancer {
    instances: Vec<Instance>,
    next: AtomicUsize,
    http: reqwest::Client,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("passregion-cluster : {e}");
        std::process::exit(1);
    }
}

fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PASSREGION_CLUSTER_SERVER") {
        return PathBuf::from(p);
    }
    let here = std::env::current_exe().ok();
    let dir = here
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    dir.join("passregion-server")
}

fn flag_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let eq = format!("{name}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if a == name {
            args.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(&eq)
        }
    })
}

/// `args` without `--bind` and its value.
fn without_bind(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--bind" {
            skip = true;
        } else if !a.starts_with("--bind=") {
            out.push(a.clone());
        }
    }
    out
}

/// The database of `data_dir`'s cluster: the recorded one, or a new one.
fn database(data_dir: &Path) -> Result<String, String> {
    let file = data_dir.join(DATABASE_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Ok(url.trim().to_owned());
    }
    let admin = std::env::var(URL_VAR).map_err(|_| format!("{URL_VAR} n'est pas défini"))?;
    let name = format!("c_{}", uuid::Uuid::new_v4().simple());
    let url = passregion_tests::pg::create_database(&admin, &name)
        .map_err(|e| format!("base non créée : {e}"))?;
    // The data directory is the server user's only, as the server makes it.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(data_dir)
        .map_err(|e| e.to_string())?;
    // It holds the database's password: the server user's only.
    let mut f = std::os::unix::fs::OpenOptionsExt::mode(
        std::fs::OpenOptions::new().write(true).create_new(true),
        0o600,
    )
    .open(&file)
    .map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut f, url.as_bytes()).map_err(|e| e.to_string())?;
    Ok(url)
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data_dir = PathBuf::from(flag_value(&args, "--data-dir").unwrap_or("data"));
    let url = database(&data_dir)?;
    let server = server_binary();
    if args.first().is_some_and(|a| !a.starts_with('-')) {
        let status = Command::new(&server)
            .args(&args)
            .env("PASSREGION_DATABASE_URL", &url)
            .status()
            .map_err(|e| format!("{}: {e}", server.display()))?;
        std::process::exit(status.code().unwrap_or(1));
    }
    let count: usize = std::env::var("PASSREGION_CLUSTER_INSTANCES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2)
        .max(1);
    let bind = flag_value(&args, "--bind")
        .unwrap_or("127.0.0.1:8080")
        .to_owned();
    let mut instance_args = without_bind(&args);
    instance_args.extend(["--bind".into(), "127.0.0.1:0".into()]);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(&bind))
        .map_err(|e| format!("{bind}: {e}"))?;
    let lb_url = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let mut instances = Vec::new();
    for i in 0..count {
        instances.push(start(&server, &instance_args, &url, i == 0, &lb_url)?);
    }
    let balancer = Arc::new(Balancer {
        instances,
        next: AtomicUsize::new(0),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?,
    });
    let app = axum::Router::new()
        .route("/__cluster", axum::routing::get(list))
        .route("/__cluster/kill", axum::routing::post(kill))
        .fallback(forward)
        .with_state(balancer.clone());
    let served = runtime.block_on(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("SIGTERM handler");
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            })
            .await
    });
    for i in &balancer.instances {
        stop(i);
    }
    served.map_err(|e| e.to_string())
}

/// Starts one instance and waits until it serves. The first one's output is
/// passed on with the balancer's address in place of its own.
fn start(
    server: &Path,
    args: &[String],
    database_url: &str,
    first: bool,
    lb_url: &str,
) -> Result<Instance, String> {
    // The instances die with the balancer, even when it is killed
    // (util-linux's setpriv sets the parent-death signal, then runs it).
    let mut cmd = Command::new("setpriv");
    cmd.args(["--pdeathsig", "KILL", "--"])
        .arg(server)
        .args(args)
        // In the environment, not on the command line that `ps` shows.
        .env("PASSREGION_DATABASE_URL", database_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: {e}", server.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    let lb = lb_url.to_owned();
    std::thread::spawn(move || {
        let mut own: Option<String> = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if own.is_none()
                && let Some(i) = line.find("http://")
            {
                let url = line[i..].split_whitespace().next().unwrap_or("").to_owned();
                own = Some(url.clone());
                let _ = tx.send(url);
            }
            if first {
                let shown = match &own {
                    Some(u) => line.replace(u.as_str(), &lb),
                    None => line,
                };
                println!("{shown}");
            }
        }
    });
    match rx.recv_timeout(std::time::Duration::from_secs(180)) {
        Ok(url) => Ok(Instance {
            url,
            child: Mutex::new(Some(child)),
        }),
        Err(_) => {
            let _ = child.kill();
            Err("une instance n'a pas démarré".into())
        }
    }
}

fn stop(instance: &Instance) {
    let Ok(mut guard) = instance.child.lock() else {
        return;
    };
    if let Some(mut c) = guard.take() {
        // SIGTERM (an orderly stop), then SIGKILL after 5 s.
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        for _ in 0..50 {
            if matches!(c.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}

async fn list(State(b): State<Arc<Balancer>>) -> Response {
    let rows: Vec<serde_json::Value> = b
        .instances
        .iter()
        .map(|i| {
            let alive = i.child.lock().map(|c| c.is_some()).unwrap_or(false);
            serde_json::json!({"url": i.url, "alive": alive})
        })
        .collect();
    axum::Json(rows).into_response()
}

async fn kill(
    State(b): State<Arc<Balancer>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let n: usize = q.get("instance").and_then(|n| n.parse().ok()).unwrap_or(1);
    let Some(instance) = b.instances.get(n) else {
        return (StatusCode::NOT_FOUND, "no such instance").into_response();
    };
    if let Ok(mut guard) = instance.child.lock()
        && let Some(mut c) = guard.take()
    {
        let _ = c.kill();
        let _ = c.wait();
    }
    StatusCode::NO_CONTENT.into_response()
}

fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "host"
            | "content-length"
            | "proxy-connection"
    )
}

fn copy_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (k, v) in from {
        if !hop_by_hop(k) {
            out.append(k.clone(), v.clone());
        }
    }
    out
}

async fn forward(State(b): State<Arc<Balancer>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let retriable = matches!(parts.method, Method::GET | Method::HEAD)
        || parts.headers.contains_key("idempotency-key");
    let headers = copy_headers(&parts.headers);
    let n = b.instances.len();
    let start = b.next.fetch_add(1, Ordering::Relaxed);
    for k in 0..n {
        let instance = &b.instances[(start + k) % n];
        let sent = b
            .http
            .request(parts.method.clone(), format!("{}{path}", instance.url))
            .headers(headers.clone())
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r) => {
                let status = r.status();
                let headers = copy_headers(r.headers());
                let Ok(bytes) = r.bytes().await else {
                    if retriable {
                        continue;
                    }
                    break;
                };
                let mut resp = Response::new(Body::from(bytes));
                *resp.status_mut() = status;
                *resp.headers_mut() = headers;
                return resp;
            }
            Err(e) if e.is_connect() || retriable => continue,
            Err(_) => break,
        }
    }
    (
        StatusCode::BAD_GATEWAY,
        axum::Json(serde_json::json!({
            "code": "instance_injoignable",
            "message": "Le service est momentanément injoignable : réessayez."
        })),
    )
        .into_response()
}
