//! Failure limits against brute force: a sliding window per key, one budget
//! per account and one per client address; the client address behind a
//! trusted reverse proxy.

use axum::extract::ConnectInfo;
use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

/// Counts failures per key over a sliding window (anti brute force).
#[derive(Debug)]
pub struct FailureWindow {
    window: Duration,
    max: usize,
    map: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl FailureWindow {
    /// At most `max` failures per key within `window`.
    pub fn new(max: usize, window: Duration) -> FailureWindow {
        FailureWindow {
            window,
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the key is over its limit.
    pub fn blocked(&self, key: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut map) = self.map.lock() else {
            return true;
        };
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, v| v.last().is_some_and(|t| *t > now - window));
        }
        match map.get_mut(key) {
            Some(v) => {
                v.retain(|t| *t > now - self.window);
                v.len() >= self.max
            }
            None => false,
        }
    }

    /// Reserves one attempt on every key at once, before the slow work: the
    /// reservation counts as a failure until [`FailureWindow::release`] gives
    /// it back (on success). Checking and counting under one lock means that
    /// parallel attempts cannot all pass the check before any is counted: at
    /// most `max` attempts per key are ever in flight or failed in a window.
    /// `false` when a key is spent (nothing is reserved then).
    pub fn reserve(&self, keys: &[&str], now: DateTime<Utc>) -> bool {
        let Ok(mut map) = self.map.lock() else {
            return false;
        };
        let window = self.window;
        if map.len() > 100_000 {
            map.retain(|_, v| v.last().is_some_and(|t| *t > now - window));
        }
        for key in keys {
            if let Some(v) = map.get_mut(*key) {
                v.retain(|t| *t > now - window);
                if v.len() >= self.max {
                    return false;
                }
            }
        }
        for key in keys {
            map.entry((*key).to_owned()).or_default().push(now);
        }
        true
    }

    /// Gives back an attempt reserved at `at` (the attempt succeeded).
    pub fn release(&self, keys: &[&str], at: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            for key in keys {
                if let Some(v) = map.get_mut(*key)
                    && let Some(i) = v.iter().rposition(|t| *t == at)
                {
                    v.remove(i);
                }
            }
        }
    }

    /// The keys starting with `prefix` that are spent at `now` (what is
    /// known of them in memory: lost at a restart), oldest lock first.
    pub fn spent(&self, prefix: &str, now: DateTime<Utc>) -> Vec<SpentKey> {
        let Ok(map) = self.map.lock() else {
            return Vec::new();
        };
        let mut out: Vec<SpentKey> = map
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .filter_map(|(k, v)| {
                let mut live: Vec<DateTime<Utc>> = v
                    .iter()
                    .copied()
                    .filter(|t| *t > now - self.window)
                    .collect();
                if live.len() < self.max {
                    return None;
                }
                live.sort();
                let first_failure = *live.first()?;
                let freed_by = *live.get(live.len() - self.max).unwrap_or(&first_failure);
                Some(SpentKey {
                    key: k.clone(),
                    first_failure,
                    failures: live.len(),
                    until: freed_by + self.window,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.first_failure
                .cmp(&b.first_failure)
                .then(a.key.cmp(&b.key))
        });
        out
    }

    /// Records a failure.
    pub fn record(&self, key: &str, now: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            map.entry(key.to_owned()).or_default().push(now);
        }
    }
}

/// A key whose budget is spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentKey {
    /// The key (`login-mail:<hash>`, `card-account:<id>`…).
    pub key: String,
    /// The oldest failure still in the window.
    pub first_failure: DateTime<Utc>,
    /// Failures in the window.
    pub failures: usize,
    /// When the key has a free attempt again (if nothing more fails).
    pub until: DateTime<Utc>,
}

/// The reverse proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub std::sync::Arc<Vec<std::net::IpAddr>>);

/// The client's address: the TCP peer, or, when the peer is a trusted proxy,
/// the nearest address before it in `X-Forwarded-For` (then `Forwarded:
/// for=`) that is not itself a trusted proxy. Headers from any other peer are
/// ignored, so a client cannot choose its own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

impl ClientAddress {
    /// Resolves the address of a request from `peer`.
    pub fn resolve(
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
        trusted: &[std::net::IpAddr],
    ) -> ClientAddress {
        if !trusted.contains(&peer) {
            return ClientAddress(peer);
        }
        let forwarded_for: Vec<std::net::IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| parse_addr(a.trim()))
            .collect();
        let chain = if forwarded_for.is_empty() {
            headers
                .get_all("forwarded")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split([',', ';']))
                .filter_map(|p| {
                    let (k, v) = p.trim().split_once('=')?;
                    k.eq_ignore_ascii_case("for")
                        .then(|| parse_addr(v.trim()))?
                })
                .collect()
        } else {
            forwarded_for
        };
        ClientAddress(
            chain
                .into_iter()
                .rev()
                .find(|a| !trusted.contains(a))
                .unwrap_or(peer),
        )
    }
}

/// An address as forwarding headers write it: `1.2.3.4`, `1.2.3.4:5678`,
/// `"[2001:db8::1]:80"`, `2001:db8::1`.
fn parse_addr(text: &str) -> Option<std::net::IpAddr> {
    let t = text.trim_matches('"');
    if let Ok(a) = t.parse::<std::net::IpAddr>() {
        return Some(a);
    }
    if let Ok(s) = t.parse::<SocketAddr>() {
        return Some(s.ip());
    }
    t.strip_prefix('[')
        .and_then(|r| r.split(']').next())
        .and_then(|a| a.parse().ok())
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress
where
    TrustedProxies: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        let trusted = <TrustedProxies as axum::extract::FromRef<S>>::from_ref(state);
        Ok(ClientAddress::resolve(peer, &parts.headers, &trusted.0))
    }
}

/// The two budgets an attempt draws on: its account's and its source's.
#[derive(Debug)]
pub struct Budgets {
    /// Per account (`--max-lookup-failures`).
    pub account: FailureWindow,
    /// Per client address (`--max-source-failures`).
    pub source: FailureWindow,
    /// E-mails sent by the registration form, per address (3 a day).
    pub mails: FailureWindow,
}

impl Budgets {
    /// Reserves one attempt of both, or neither.
    pub fn reserve(&self, account: &str, source: &str, now: DateTime<Utc>) -> bool {
        if !self.source.reserve(&[source], now) {
            return false;
        }
        if !self.account.reserve(&[account], now) {
            self.source.release(&[source], now);
            return false;
        }
        true
    }

    /// Gives back an attempt reserved at `at`.
    pub fn release(&self, account: &str, source: &str, at: DateTime<Utc>) {
        self.account.release(&[account], at);
        self.source.release(&[source], at);
    }

    /// Counts one failure on both budgets (after the fact: for attempts that
    /// are bounded elsewhere, e.g. a printed code's birth date, whose card
    /// locks after 5 wrong dates in the writer's transaction).
    pub fn record(&self, account: &str, source: &str, now: DateTime<Utc>) {
        self.account.record(account, now);
        self.source.record(source, now);
    }

    /// Whether either budget is spent.
    pub fn blocked(&self, account: &str, source: &str, now: DateTime<Utc>) -> bool {
        self.account.blocked(account, now) || self.source.blocked(source, now)
    }
}

/// Bounds every request: at most `permits` served at once (the rest are
/// refused at once with 503 `serveur_occupe`) and each within `timeout` (503
/// `delai_depasse`).
#[derive(Debug, Clone)]
pub struct RequestGuard {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    timeout: std::time::Duration,
}

impl RequestGuard {
    /// `permits` requests at once, each within `timeout`.
    pub fn new(permits: usize, timeout: std::time::Duration) -> RequestGuard {
        RequestGuard {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(permits.max(1))),
            timeout,
        }
    }
}

/// The middleware of [`RequestGuard`].
pub async fn guard_requests(
    axum::extract::State(g): axum::extract::State<RequestGuard>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use crate::web::problem::ApiError;
    use axum::response::IntoResponse;
    let Ok(_permit) = g.permits.clone().try_acquire_owned() else {
        crate::platform::metrics::http_refused("busy");
        return ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "serveur_occupe",
            "Le serveur est très sollicité : réessayez dans un instant.",
        )
        .into_response();
    };
    match tokio::time::timeout(g.timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            crate::platform::metrics::http_refused("timeout");
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "delai_depasse",
                "La requête a pris trop de temps : réessayez.",
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_bound_attempts_in_flight_and_successes_give_them_back() {
        let now: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let w = FailureWindow::new(3, Duration::minutes(10));
        // Three attempts in flight at once: the fourth is refused before any
        // of them has finished.
        assert!(w.reserve(&["ip", "mail"], now));
        assert!(w.reserve(&["ip", "mail"], now));
        assert!(w.reserve(&["ip", "mail"], now));
        assert!(!w.reserve(&["ip", "mail"], now));
        assert!(
            !w.reserve(&["other-ip", "mail"], now),
            "the account budget is shared"
        );
        // One succeeded: its attempt is given back.
        w.release(&["ip", "mail"], now);
        assert!(w.reserve(&["ip", "mail"], now));
        // The window slides.
        assert!(w.reserve(&["ip", "mail"], now + Duration::minutes(11)));
        assert!(!w.blocked("ip", now + Duration::minutes(11)));
    }

    #[test]
    fn spent_keys_are_listed_by_prefix_until_the_window_frees_them() {
        let t0: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let w = FailureWindow::new(3, Duration::minutes(10));
        for i in 0..3 {
            w.record("login-mail:aa", t0 + Duration::minutes(i));
        }
        w.record("login-mail:bb", t0);
        w.record("login-ip:x", t0);
        w.record("login-ip:x", t0);
        w.record("login-ip:x", t0);
        let now = t0 + Duration::minutes(3);
        let spent = w.spent("login-mail:", now);
        assert_eq!(
            spent.len(),
            1,
            "one spent mail key, the ip key has another prefix"
        );
        assert_eq!(spent[0].key, "login-mail:aa");
        assert_eq!(spent[0].failures, 3);
        assert_eq!(spent[0].first_failure, t0);
        // Free again once the oldest of the last 3 failures leaves the window.
        assert_eq!(spent[0].until, t0 + Duration::minutes(10));
        assert!(
            w.spent("login-mail:", t0 + Duration::minutes(10))
                .is_empty()
        );
    }

    #[test]
    fn the_client_address_comes_from_a_trusted_proxy_only() {
        use axum::http::HeaderMap;
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let other: std::net::IpAddr = "192.0.2.9".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.3".parse().unwrap());
        let trusted = [proxy, "10.0.0.3".parse().unwrap()];
        // Behind the trusted proxies: the first untrusted address from the right.
        assert_eq!(
            ClientAddress::resolve(proxy, &h, &trusted).0,
            "203.0.113.7".parse::<std::net::IpAddr>().unwrap()
        );
        // From any other peer, the header is ignored.
        assert_eq!(ClientAddress::resolve(other, &h, &trusted).0, other);
        // No trusted proxy configured: the peer.
        assert_eq!(ClientAddress::resolve(proxy, &h, &[]).0, proxy);
        // Forwarded (RFC 7239), with a port and brackets.
        let mut f = HeaderMap::new();
        f.insert(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https".parse().unwrap(),
        );
        assert_eq!(
            ClientAddress::resolve(proxy, &f, &trusted).0,
            "2001:db8::1".parse::<std::net::IpAddr>().unwrap()
        );
        // A spoofed left part does not matter: the nearest untrusted hop wins.
        let mut s = HeaderMap::new();
        s.insert("x-forwarded-for", "1.1.1.1, 203.0.113.7".parse().unwrap());
        assert_eq!(
            ClientAddress::resolve(proxy, &s, &trusted).0,
            "203.0.113.7".parse::<std::net::IpAddr>().unwrap()
        );
    }
}
