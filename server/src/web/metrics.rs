//! The HTTP side of the operations metrics (ADR 0034): every request counted
//! by its route template, and who may read `/metrics`.

use axum::extract::ConnectInfo;
use axum::extract::MatchedPath;
use std::net::IpAddr;
use std::net::SocketAddr;

/// The middleware (on the router, so that the matched route is known):
/// counts the request by method, route template (never the raw path: it
/// holds card numbers and ids) and status class, and times it.
pub async fn track(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    crate::platform::metrics::http_request(
        &method,
        &route,
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// Who may read `/metrics`: a client on this machine that did not come
/// through a trusted proxy (a request forwarded by the proxy is not local,
/// whatever its headers say), or the bearer token of `--metrics-token`.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// The token of `--metrics-token`, when set.
    pub token: Option<std::sync::Arc<str>>,
}

impl MetricsAccess {
    /// Whether this request may read the metrics (compared in constant
    /// time; anyone else gets the 404 of an unknown route).
    pub fn allows(
        &self,
        peer: Option<IpAddr>,
        headers: &axum::http::HeaderMap,
        trusted: &[IpAddr],
    ) -> bool {
        if let Some(peer) = peer.map(|p| p.to_canonical()) {
            let proxied = trusted.iter().any(|t| t.to_canonical() == peer);
            if peer.is_loopback() && !proxied {
                return true;
            }
        }
        let Some(expected) = &self.token else {
            return false;
        };
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        use sha2::Digest;
        let (a, b) = (
            sha2::Sha256::digest(given.as_bytes()),
            sha2::Sha256::digest(expected.as_bytes()),
        );
        // Equal digests, compared without an early exit.
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

/// The TCP peer of a request, when known.
pub fn peer(parts: &axum::http::Extensions) -> Option<IpAddr> {
    parts.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn only_local_unproxied_clients_or_the_token_read_the_metrics() {
        let open = MetricsAccess::default();
        let with_token = MetricsAccess {
            token: Some("jeton-de-supervision-0123".into()),
        };
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let far: IpAddr = "203.0.113.7".parse().unwrap();
        let none = HeaderMap::new();
        assert!(open.allows(Some(local), &none, &[]));
        assert!(open.allows(Some(mapped), &none, &[]));
        assert!(!open.allows(Some(far), &none, &[]));
        assert!(!open.allows(None, &none, &[]));
        // The proxy on this machine forwards: never local, even when it
        // forwards no address or claims a local one.
        let mut claims_local = HeaderMap::new();
        claims_local.insert("x-forwarded-for", "127.0.0.1".parse().unwrap());
        assert!(!open.allows(Some(local), &none, &[local]));
        assert!(!open.allows(Some(local), &claims_local, &[local]));
        // The token opens it from anywhere; a wrong or empty one does not.
        let mut right = HeaderMap::new();
        right.insert(
            "authorization",
            "Bearer jeton-de-supervision-0123".parse().unwrap(),
        );
        let mut wrong = HeaderMap::new();
        wrong.insert(
            "authorization",
            "Bearer jeton-de-supervision-0124".parse().unwrap(),
        );
        assert!(with_token.allows(Some(far), &right, &[]));
        assert!(!with_token.allows(Some(far), &wrong, &[]));
        assert!(!with_token.allows(Some(far), &none, &[]));
        assert!(!open.allows(Some(far), &right, &[]));
    }
}
